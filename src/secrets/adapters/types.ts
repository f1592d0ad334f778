// What every secret adapter is given and must provide. Adapters throw
// SecretLookupError with a reason that never contains a secret value;
// resolveEnv adds the env key, the reference and the adapter name.

/** Runs a local program without a shell; resolves with its stdout. */
export type RunCommand = (cmd: string, args: string[], env: NodeJS.ProcessEnv) => Promise<string>;

export interface AdapterContext {
  /** Adapter options from [secrets] (doppler: project, config; bitwarden: session_env). */
  options: Record<string, string>;
  /** json-env: the variable holding the JSON object. */
  jsonEnv?: string;
  env: NodeJS.ProcessEnv;
  runCommand: RunCommand;
}

export interface SecretAdapter {
  /** Returns the secret that `name` refers to. */
  resolve(name: string): Promise<string>;
}

export class SecretLookupError extends Error {
  readonly hint?: string;
  constructor(reason: string, hint?: string) {
    super(reason);
    this.name = 'SecretLookupError';
    this.hint = hint;
  }
}
