// Env text in, resolved secrets and host env files out.
export { parseEnvText, ENV_KEY, type EnvEntry } from './envText.js';
export { resolveEnv, type ResolveEnvOptions, type ResolvedEnv } from './resolve.js';
export { formatEnvFile, formatAppEnv } from './envFile.js';
export { readEnvValue, type EnvValue } from './reference.js';
export { runLocalCommand } from './runCommand.js';
export { literalSecrets, isSecretLiteral, MIN_SECRET_LENGTH } from './redaction.js';
export { SecretLookupError, type RunCommand, type SecretAdapter } from './adapters/index.js';
