// hosts_command: the hosts come from a command's JSON output instead of
// [[hosts]]. Each entry is read by the same reader as a [[hosts]] table
// (hosts.ts), so the keys and checks are identical; only the messages
// differ: they name the command and the entry's index, at the position of
// hosts_command in the file. The two are exclusive (a stage that sets one
// drops the other, see overlay.ts).
import type { HostConfig } from './types.js';
import { describeValue, Issues } from './issues.js';
import { formatPath, type TomlPath } from './path.js';
import { PositionIndex } from './positions.js';
import { readHosts, type PathContext } from './hosts.js';
import { isTable } from './reader.js';

/** Runs the command and returns what it printed, parsed (src/local/hostsCommand.ts). */
export type HostsCommandRunner = (command: string, where: string) => unknown;

/** Reports an entry's problem at hosts_command, naming the command and the entry. */
class CommandIssues extends Issues {
  constructor(
    private readonly base: Issues,
    private readonly command: string,
  ) {
    super('', new PositionIndex(), undefined, base.problems);
  }

  override name(path: TomlPath): string {
    return path.length > 2 ? formatPath(path.slice(2)) : `the entry at [${String(path[1] ?? '')}]`;
  }

  override where(): string {
    return this.base.where(['hosts_command']);
  }

  override fail(path: TomlPath, _at: 'key' | 'value', text: string): never {
    const entry = typeof path[1] === 'number' ? ` an entry at [${path[1]}]` : '';
    const own = path.length > 2 && text.startsWith(this.name(path));
    // unknownKey names the entry as hosts[n]: the entry it means is [n] of the output.
    const said = text.replace(/\bin hosts\[(\d+)\]/, 'in it');
    this.base.fail(['hosts_command'], 'value', `hosts_command (${this.command}) printed${entry}${own ? ' whose' : ':'} ${said}`);
  }
}

export function readCommandHosts(
  command: string,
  output: unknown,
  issues: Issues,
  paths: PathContext,
): { hosts: HostConfig[]; issues: Issues } {
  const own = new CommandIssues(issues, command);
  if (!Array.isArray(output) || output.length === 0 || !output.every(isTable)) {
    const bad = Array.isArray(output) ? output.findIndex((e) => !isTable(e)) : -1;
    const got = !Array.isArray(output)
      ? describeValue(output)
      : output.length === 0
        ? 'an empty array (no hosts)'
        : `an array whose entry at [${bad}] is ${describeValue(output[bad])}`;
    issues.fail(
      ['hosts_command'],
      'value',
      `hosts_command (${command}) must print a JSON array of host tables, got ${got}. Fix: make it print e.g. [{"address": "203.0.113.10", "roles": ["web"]}] (terraform output -json NAME prints an output as JSON).`,
    );
  }
  // JSON numbers are floats to the reader, which takes integers as TOML's bigint.
  const tables = output.map((e) =>
    Object.fromEntries(Object.entries(e).map(([k, v]) => [k, Number.isInteger(v) ? BigInt(v as number) : v])),
  );
  return { hosts: readHosts({ hosts: tables }, own, paths, ''), issues: own };
}

/**
 * The hosts of one (merged) config: [[hosts]], or hosts_command's output when
 * `run` is given. Without `run` (the stages not selected, completion) a
 * config with hosts_command has no hosts: the command runs only for the
 * config that is used. `issues` of the result reports problems of the hosts.
 */
export function readConfigHosts(
  raw: Record<string, unknown>,
  command: string | undefined,
  issues: Issues,
  paths: PathContext,
  stageHint: string,
  run: HostsCommandRunner | undefined,
): { hosts: HostConfig[]; issues: Issues } {
  if (raw.hosts_command === undefined) return { hosts: readHosts(raw, issues, paths, stageHint), issues };
  if (raw.hosts !== undefined) {
    issues.fail(
      ['hosts_command'],
      'key',
      `hosts_command and [[hosts]] are both set: the hosts come from one or the other, never a mix. Fix: remove the [[hosts]] tables, or remove hosts_command (a stage that sets either one replaces the other).`,
    );
  }
  if (command === undefined || run === undefined) return { hosts: [], issues };
  return readCommandHosts(command, run(command, issues.where(['hosts_command']) + ': hosts_command'), issues, paths);
}
