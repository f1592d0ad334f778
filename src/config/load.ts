// loadConfig: find and read deployer.toml, then parse it (parse.ts).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { Config } from './types.js';
import { parseConfig } from './parse.js';
import { runHostsCommand as runHostsCommand_ } from '../local/hostsCommand.js';

export const DEFAULT_CONFIG_FILE = 'deployer.toml';

export interface LoadOptions {
  /** Config file, relative to cwd (default deployer.toml). */
  file?: string;
  cwd: string;
  stage?: string;
  /** For `~` in paths; defaults to the user's home directory. */
  home?: string;
  /** false: leave hosts_command unrun (completion: no command on every TAB); the config then has no hosts. */
  runHostsCommand?: boolean;
  /** The environment hosts_command runs with (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export function loadConfig(opts: LoadOptions): Config {
  const file = resolve(opts.cwd, opts.file ?? DEFAULT_CONFIG_FILE);
  const displayName = displayNameOf(file, opts.cwd);
  const source = readConfigText(file, displayName);
  const root = dirname(file);
  const runHostsCommand =
    opts.runHostsCommand === false
      ? undefined
      : (command: string, where: string) => runHostsCommand_({ command, where, cwd: root, env: opts.env ?? process.env });
  return parseConfig(source, { file, root, displayName, home: opts.home ?? homedir(), stage: opts.stage, runHostsCommand });
}

function readConfigText(file: string, displayName: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError(
        `${displayName}: config file not found (looked for ${file}). Fix: run \`deployer init\` to write one, or pass the right file with -c/--config.`,
        { cause: err },
      );
    }
    if (code === 'EISDIR') {
      throw new ConfigError(
        `${displayName}: is a directory, not a config file. Fix: pass the file itself, e.g. -c ${displayName.replace(/\/$/, '')}/deployer.toml.`,
        { cause: err },
      );
    }
    throw new ConfigError(`${displayName}: cannot read the config file (${(err as Error).message}). Fix: check the file's permissions.`, {
      cause: err,
    });
  }
}

/** Relative to the working directory when inside it, else absolute. */
function displayNameOf(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}
