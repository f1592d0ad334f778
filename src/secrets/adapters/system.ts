// `$NAME` read from the environment deployer runs in (a laptop shell, or
// `env:` in a GitHub Actions step).
import { SecretLookupError, type AdapterContext, type SecretAdapter } from './types.js';

export function createSystemAdapter(ctx: AdapterContext): SecretAdapter {
  return {
    async resolve(name) {
      const value = ctx.env[name];
      if (value === undefined) {
        throw new SecretLookupError(
          `${name} is not set in the local environment`,
          `export ${name} before running deployer (in GitHub Actions, pass it under env: of the step)`,
        );
      }
      return value;
    },
  };
}
