// [processes]: name = "command", or name = { command, replicas, socket, timer }.
import type { ProcessConfig } from './types.js';
import { checkNotTopLevelKey, describeValue, type Issues } from './issues.js';
import { compact, isTable, TableReader, type RawTable } from './reader.js';
import { DEFAULTS, exampleFor, PROCESS_NAME } from './schema.js';

export function readProcesses(raw: RawTable, issues: Issues): ProcessConfig[] {
  const value = raw.processes;
  const example = exampleFor('process', 'command');
  if (value === undefined) {
    issues.fail(['processes'], 'key', `processes is required but missing: deployer needs at least one process to run. Fix: add a [processes] table with web = ${example}.`);
  }
  if (!isTable(value)) {
    issues.fail(['processes'], 'value', `${issues.name(['processes'])} must be a table of process name = command, got ${describeValue(value)}. Fix: write a [processes] header with web = ${example} below it.`);
  }
  const names = Object.keys(value);
  if (names.length === 0) {
    issues.fail(['processes'], 'key', `${issues.name(['processes'])} is empty: deployer needs at least one process to run. Fix: add web = ${example} to it.`);
  }
  return names.map((name) => readProcess(name, value[name], issues));
}

function readProcess(name: string, value: unknown, issues: Issues): ProcessConfig {
  const path = ['processes', name];
  checkNotTopLevelKey(issues, ['processes'], name);
  if (!PROCESS_NAME.test(name)) {
    issues.fail(path, 'key', `process name ${JSON.stringify(name)} (${issues.name(path)}) must be lowercase letters, digits, "-" and "_", starting with a letter or digit, because it becomes part of systemd unit names. Fix: rename it, e.g. worker.`);
  }
  if (typeof value === 'string') {
    if (value.trim() === '') issues.wrongValue(path, 'a non-empty command', value, exampleFor('process', 'command'));
    return { name, command: value, replicas: DEFAULTS.replicas, socket: false };
  }
  if (!isTable(value)) {
    issues.wrongValue(path, 'a command string or a table like { command = "…", replicas = 2 }', value, exampleFor('process', 'command'));
  }
  const r = new TableReader(issues, value, path, 'process');
  return compact({
    name,
    command: r.string('command', { required: true, pattern: /\S/, expected: 'a non-empty command' }),
    replicas: r.integer('replicas', 1) ?? DEFAULTS.replicas,
    socket: r.boolean('socket') ?? false,
    timer: r.string('timer', { pattern: /\S/, expected: 'a systemd OnCalendar= expression like "daily"' }),
  });
}
