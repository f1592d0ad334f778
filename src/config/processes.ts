// [processes]: name = "command", or name = { command, replicas, socket, timer }.
import type { ProcessConfig } from './types.js';
import { checkNotTopLevelKey, describeValue, type Issues } from './issues.js';
import { compact, isTable, TableReader, type RawTable } from './reader.js';
import { DEFAULTS, exampleFor, LIMITS, PROCESS_NAME, SCHEMA } from './schema.js';

export function readProcesses(raw: RawTable, issues: Issues): ProcessConfig[] {
  const value = raw.processes;
  const example = exampleFor('process', 'command');
  if (value === undefined) {
    issues.fail(
      ['processes'],
      'key',
      `processes is required but missing: deployer needs at least one process to run. Fix: add a [processes] table with web = ${example}.`,
    );
  }
  if (!isTable(value)) {
    issues.fail(
      ['processes'],
      'value',
      `${issues.name(['processes'])} must be a table of process name = command, got ${describeValue(value)}. Fix: write a [processes] header with web = ${example} below it.`,
    );
  }
  const names = Object.keys(value);
  if (names.length === 0) {
    issues.fail(
      ['processes'],
      'key',
      `${issues.name(['processes'])} is empty: deployer needs at least one process to run. Fix: add web = ${example} to it.`,
    );
  }
  if (names.length > LIMITS.processes) {
    issues.fail(
      ['processes'],
      'value',
      `${issues.name(['processes'])} has ${names.length} processes; at most ${LIMITS.processes} are accepted. Fix: run related work in one process.`,
    );
  }
  return names.flatMap((name) => issues.attempt(() => readProcess(name, value[name], issues)) ?? []);
}

function readProcess(name: string, value: unknown, issues: Issues): ProcessConfig {
  const path = ['processes', name];
  checkNotTopLevelKey(issues, ['processes'], name);
  if (!PROCESS_NAME.test(name) || name.length > LIMITS.processName) {
    issues.attempt(() =>
      issues.fail(
        path,
        'key',
        `process name ${JSON.stringify(name.length > 60 ? name.slice(0, 57) + '...' : name)} (${issues.name(path)}) must be lowercase letters, digits, "-" and "_", starting with a letter or digit, at most ${LIMITS.processName} characters, because it becomes part of systemd unit names. Fix: rename it, e.g. worker.`,
      ),
    );
  }
  if (typeof value === 'string') {
    // The short form is the `command` key: the same checks, reported at the value.
    const r = new TableReader(issues, { [name]: value }, ['processes'], 'process', [name]);
    return { name, command: r.read(name, SCHEMA.process.command) as string, replicas: DEFAULTS.replicas, socket: false };
  }
  if (!isTable(value)) {
    issues.wrongValue(path, 'a command string or a table like { command = "…", replicas = 2 }', value, exampleFor('process', 'command'));
  }
  return compact({ name, ...new TableReader(issues, value, path, 'process').fields() });
}
