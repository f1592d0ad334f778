// Typed errors with exit codes. Only src/cli.ts turns them into output and
// process.exit; everything else throws. Users see "✗ message" and "hint: …";
// a stack trace only with --verbose.

/** Exit codes, documented in docs/ci.md. */
export const ExitCode = {
  ok: 0,
  unexpected: 1,
  config: 2, // bad config file, bad flag, bad template
  ssh: 3, // cannot connect, auth refused, host key unknown or changed
  remote: 4, // a command on the host failed
  local: 5, // build_command failed, artifact missing, secret unresolved
  locked: 6, // another deploy holds the lock
  unhealthy: 7, // the new release failed its checks and was rolled back
  state: 8, // the hosts' state does not allow it: nothing to roll back to
  aborted: 130, // the user said no, or Ctrl-C
} as const;

export interface ErrorOptions {
  exitCode?: number;
  hint?: string;
  cause?: unknown;
  /** Extra lines shown under the message (for example a unit's last log lines). */
  details?: string;
}

export class DeployerError extends Error {
  readonly exitCode: number;
  readonly hint?: string;
  readonly details?: string;
  constructor(message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = opts.exitCode ?? ExitCode.unexpected;
    this.hint = opts.hint;
    this.details = opts.details;
  }
}

export class ConfigError extends DeployerError {
  /** Each problem found in the config file, one paragraph each (the message is them, one per line). */
  readonly problems: string[];
  constructor(message: string, opts: ErrorOptions & { problems?: string[] } = {}) {
    super(message, { exitCode: ExitCode.config, ...opts });
    this.problems = opts.problems ?? [message];
  }
}

export class SshError extends DeployerError {
  constructor(message: string, opts: ErrorOptions = {}) {
    super(message, { exitCode: ExitCode.ssh, ...opts });
  }
}

export class RemoteCommandError extends DeployerError {
  readonly code: number | null;
  readonly stderr: string;
  constructor(message: string, code: number | null, stderr: string, opts: ErrorOptions = {}) {
    super(message, { exitCode: ExitCode.remote, ...opts });
    this.code = code;
    this.stderr = stderr;
  }
}

export class LocalCommandError extends DeployerError {
  constructor(message: string, opts: ErrorOptions = {}) {
    super(message, { exitCode: ExitCode.local, ...opts });
  }
}

export class LockedError extends DeployerError {
  constructor(message: string, opts: ErrorOptions = {}) {
    super(message, { exitCode: ExitCode.locked, ...opts });
  }
}

export class UnhealthyError extends DeployerError {
  constructor(message: string, opts: ErrorOptions = {}) {
    super(message, { exitCode: ExitCode.unhealthy, ...opts });
  }
}

/** The command is fine but the hosts' state leaves it nothing to do (rollback with no older release). */
export class StateError extends DeployerError {
  constructor(message: string, opts: ErrorOptions = {}) {
    super(message, { exitCode: ExitCode.state, ...opts });
  }
}

export class UserAbort extends DeployerError {
  constructor(message = 'aborted', opts: ErrorOptions = {}) {
    super(message, { exitCode: ExitCode.aborted, ...opts });
  }
}
