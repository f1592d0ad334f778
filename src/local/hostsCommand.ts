// Runs hosts_command on this machine and returns what it printed, parsed as
// JSON. It runs while the config loads, which is synchronous everywhere that
// loads it, so this is the one local command run with spawnSync; like
// build_command it is shell text by design, run by bash in the config's
// directory with the user's environment.
import { spawnSync } from 'node:child_process';
import { ConfigError } from '../errors.js';

/** A Terraform or cloud CLI call takes seconds; a minute means it is stuck. */
export const HOSTS_COMMAND_TIMEOUT_SEC = 60;

export interface HostsCommandRun {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** How messages name the key, e.g. "deployer.toml:4:17: hosts_command". */
  where: string;
}

export function runHostsCommand(run: HostsCommandRun): unknown {
  const name = `${run.where} (${run.command})`;
  const res = spawnSync('/bin/bash', ['-c', run.command], {
    cwd: run.cwd,
    env: run.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: HOSTS_COMMAND_TIMEOUT_SEC * 1000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const stderr = tailOf(res.stderr ?? '');
  const details = stderr || undefined;
  if (res.error && (res.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
    throw new ConfigError(`${name} did not finish within ${HOSTS_COMMAND_TIMEOUT_SEC} s`, {
      details,
      hint: 'run the command by hand to see where it waits (a login prompt, a lock); it must print the hosts and exit',
    });
  }
  if (res.error) throw new ConfigError(`${name} could not be run: ${res.error.message}`, { hint: 'check that bash is installed' });
  if (res.status !== 0) {
    throw new ConfigError(`${name} failed with exit code ${res.status ?? res.signal}`, {
      details,
      hint: "run the command by hand in the config file's directory; it must print a JSON array of host tables and exit 0",
    });
  }
  try {
    return JSON.parse(res.stdout);
  } catch (err) {
    // Never echo the output itself: host tables may carry env values.
    throw new ConfigError(`${name} printed text that is not JSON (${(err as Error).message.split('\n')[0].replace(/,? ?".*$/s, '')})`, {
      details,
      hint: 'it must print a JSON array of host tables, e.g. [{"address": "203.0.113.10", "roles": ["web"]}]; with Terraform, use `terraform output -json NAME`',
    });
  }
}

function tailOf(text: string): string {
  return text.trim().split('\n').slice(-10).join('\n');
}
