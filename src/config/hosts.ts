// [[hosts]]: at least one, each with an address, unique names.
import { isAbsolute, join, resolve } from 'node:path';
import type { HostConfig } from './types.js';
import { describeValue, type Issues } from './issues.js';
import { compact, isTable, TableReader, type RawTable } from './reader.js';
import { LIMITS } from './schema.js';

export { ENV_NAME } from './schema.js';

export interface PathContext {
  /** Directory of the config file: relative paths resolve against it. */
  root: string;
  /** Home directory for `~`. */
  home: string;
}

export function readHosts(raw: RawTable, issues: Issues, paths: PathContext, stageHint: string): HostConfig[] {
  const value = raw.hosts;
  if (value === undefined) {
    issues.fail(
      ['hosts'],
      'key',
      `hosts is required but missing: deployer needs at least one host to deploy to. Fix: add a [[hosts]] table with address = "203.0.113.10"${stageHint}.`,
    );
  }
  if (!Array.isArray(value) || !value.every(isTable)) {
    issues.fail(
      ['hosts'],
      'value',
      `${issues.name(['hosts'])} must be an array of tables, got ${describeValue(value)}. Fix: write one [[hosts]] table per host, each with address = "203.0.113.10".`,
    );
  }
  if (value.length === 0) {
    issues.fail(
      ['hosts'],
      'value',
      `${issues.name(['hosts'])} is empty: deployer needs at least one host. Fix: write hosts = [{ address = "203.0.113.10" }] or add a [[hosts]] table.`,
    );
  }
  if (value.length > LIMITS.hosts) {
    issues.fail(
      ['hosts'],
      'value',
      `${issues.name(['hosts'])} has ${value.length} hosts; at most ${LIMITS.hosts} are accepted. Fix: split the hosts into stages.`,
    );
  }
  const hosts = value.map((table, n) => readHost(table as RawTable, n, issues, paths));
  checkUniqueNames(hosts, value as RawTable[], issues);
  return hosts;
}

function readHost(table: RawTable, n: number, issues: Issues, paths: PathContext): HostConfig {
  const fields = new TableReader(issues, table, ['hosts', n], 'host').fields();
  return compact({
    ...fields,
    name: fields.name ?? fields.address,
    keyFile: fields.keyFile === undefined ? undefined : expandPath(fields.keyFile, paths),
    knownHosts: fields.knownHosts === undefined ? undefined : expandPath(fields.knownHosts, paths),
    // What ~/.ssh/config may still set (values written in deployer.toml win).
    defaulted: (['user', 'port'] as const).filter((k) => table[k] === undefined),
  });
}

function checkUniqueNames(hosts: HostConfig[], tables: RawTable[], issues: Issues): void {
  const seen = new Map<string, number>();
  hosts.forEach((host, n) => {
    if (host.name === undefined) return;
    const first = seen.get(host.name);
    if (first === undefined) {
      seen.set(host.name, n);
      return;
    }
    const explicit = tables[n].name !== undefined;
    const path = explicit ? ['hosts', n, 'name'] : ['hosts', n];
    const what = explicit
      ? `${issues.name(path)} ${JSON.stringify(host.name)}`
      : `${issues.name(path)} (named after its address ${JSON.stringify(host.name)})`;
    issues.attempt(() =>
      issues.fail(
        path,
        'value',
        `${what} is already used by ${issues.name(['hosts', first])}; host names must be unique because --host selects hosts by name. Fix: give each host its own name, e.g. name = "web${n + 1}".`,
      ),
    );
  });
}

/** `~/x` -> home/x; relative paths resolve against the config's directory. */
export function expandPath(path: string, paths: PathContext): string {
  if (path === '~') return paths.home;
  if (path.startsWith('~/')) return join(paths.home, path.slice(2));
  return isAbsolute(path) ? path : resolve(paths.root, path);
}
