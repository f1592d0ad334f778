// `$NAME` read from a JSON object held in one environment variable, so a
// GitHub Actions step can pass every secret at once:
//   env: { DEPLOYER_SECRETS: ${{ toJSON(secrets) }} }
import { SecretLookupError, type AdapterContext, type SecretAdapter } from './types.js';

export const DEFAULT_JSON_ENV = 'DEPLOYER_SECRETS';

export function createJsonEnvAdapter(ctx: AdapterContext): SecretAdapter {
  const varName = ctx.jsonEnv ?? DEFAULT_JSON_ENV;
  let secrets: Record<string, unknown> | undefined;
  return {
    async resolve(name) {
      secrets ??= readObject(ctx.env, varName);
      if (!Object.hasOwn(secrets, name)) {
        throw new SecretLookupError(`${varName} has no key ${name}`, `add ${name} to the secrets passed in ${varName}`);
      }
      const value = secrets[name];
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      throw new SecretLookupError(`${varName}.${name} is not a string`);
    },
  };
}

function readObject(env: NodeJS.ProcessEnv, varName: string): Record<string, unknown> {
  const hint = `set ${varName} to a JSON object, e.g. in GitHub Actions: ${varName}: \${{ toJSON(secrets) }}`;
  const text = env[varName];
  if (text === undefined || text.trim() === '') throw new SecretLookupError(`${varName} is not set`, hint);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the input, which is full of secrets.
    throw new SecretLookupError(`${varName} is not valid JSON`, hint);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SecretLookupError(`${varName} is not a JSON object`, hint);
  }
  return parsed as Record<string, unknown>;
}
