// Picks the adapter named in [secrets] adapter = "…".
import type { SecretAdapterName } from '../../config/types.js';
import { createBitwardenAdapter } from './bitwarden.js';
import { createDopplerAdapter } from './doppler.js';
import { createJsonEnvAdapter } from './jsonEnv.js';
import { createOnePasswordAdapter } from './onePassword.js';
import { createSystemAdapter } from './system.js';
import type { AdapterContext, SecretAdapter } from './types.js';
import { ConfigError } from '../../errors.js';

const FACTORIES: Record<SecretAdapterName, (ctx: AdapterContext) => SecretAdapter> = {
  system: createSystemAdapter,
  bitwarden: createBitwardenAdapter,
  '1password': createOnePasswordAdapter,
  doppler: createDopplerAdapter,
  'json-env': createJsonEnvAdapter,
};

export function createAdapter(name: SecretAdapterName, ctx: AdapterContext): SecretAdapter {
  const factory = FACTORIES[name];
  if (!factory) {
    throw new ConfigError(`unknown secret adapter "${String(name)}"`, {
      hint: `use one of: ${Object.keys(FACTORIES).join(', ')}`,
    });
  }
  return factory(ctx);
}

export { SecretLookupError, type AdapterContext, type RunCommand, type SecretAdapter } from './types.js';
