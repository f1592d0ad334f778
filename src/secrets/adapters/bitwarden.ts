// `$NAME` is a Bitwarden item (name or id); its password field is the secret.
// bw needs an unlocked session in BW_SESSION (or the variable named by the
// session_env option); without it bw would prompt, so say so up front.
import { readFromCli } from './cli.js';
import { SecretLookupError, type AdapterContext, type SecretAdapter } from './types.js';

const HINT = 'install the Bitwarden CLI (bw), log in, and check the item name with `bw get item NAME`';

export function createBitwardenAdapter(ctx: AdapterContext): SecretAdapter {
  const sessionVar = ctx.options.session_env ?? 'BW_SESSION';
  return {
    async resolve(name) {
      const session = ctx.env[sessionVar];
      if (!session) {
        throw new SecretLookupError(
          `${sessionVar} is not set, so bw cannot read the vault`,
          `unlock it first: export ${sessionVar}="$(bw unlock --raw)"`,
        );
      }
      const env = { ...ctx.env, BW_SESSION: session };
      return readFromCli(ctx, 'bw', ['get', 'password', name, '--nointeraction'], HINT, env);
    },
  };
}
