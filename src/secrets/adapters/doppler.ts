// `$NAME` read with `doppler secrets get NAME --plain`; project and config
// come from the adapter options, else from doppler's own setup (or DOPPLER_TOKEN).
import { readFromCli } from './cli.js';
import type { AdapterContext, SecretAdapter } from './types.js';

const HINT = 'install the Doppler CLI, run `doppler login` and `doppler setup` (or set DOPPLER_TOKEN)';

export function createDopplerAdapter(ctx: AdapterContext): SecretAdapter {
  const scope: string[] = [];
  if (ctx.options.project) scope.push('--project', ctx.options.project);
  if (ctx.options.config) scope.push('--config', ctx.options.config);
  return {
    async resolve(name) {
      return readFromCli(ctx, 'doppler', ['secrets', 'get', name, '--plain', ...scope], HINT);
    },
  };
}
