// `${op://vault/item/field}` read with `op read` (signed in, or with
// OP_SERVICE_ACCOUNT_TOKEN in CI).
import { readFromCli } from './cli.js';
import { SecretLookupError, type AdapterContext, type SecretAdapter } from './types.js';

const HINT = 'install the 1Password CLI (op) and sign in, or set OP_SERVICE_ACCOUNT_TOKEN';

export function createOnePasswordAdapter(ctx: AdapterContext): SecretAdapter {
  return {
    async resolve(name) {
      if (!name.startsWith('op://')) {
        throw new SecretLookupError('1Password references look like op://vault/item/field', 'write the value as ${op://vault/item/field}');
      }
      return readFromCli(ctx, 'op', ['read', name], HINT);
    },
  };
}
