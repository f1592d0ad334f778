// `deployer config`: the resolved config (defaults filled, stage applied) as
// TOML a user can read and compare with their file, or as one JSON result
// event with --json. Env values never print: keys are shown, values are
// [REDACTED] (they often hold secrets or $references to them).
import { parse as parseDotenv } from 'dotenv';
import type { Context } from '../context.js';
import type { Config, HostConfig, ProcessConfig } from './types.js';
import { loadConfig } from './load.js';
import { camel, SCHEMA, type TableKind } from './schema.js';

export function showConfig(ctx: Context): void {
  const config = redactConfig(loadConfig({ file: ctx.global.config, cwd: ctx.cwd, stage: ctx.global.stage }));
  if (ctx.reporter.json) ctx.reporter.emit({ type: 'result', command: 'config', ok: true, data: config });
  else ctx.reporter.print(formatConfig(config));
}

/** Env text with every value replaced, one KEY=[REDACTED] line per variable. */
export function redactEnv(text: string): string {
  return Object.keys(parseDotenv(text))
    .map((key) => `${key}=[REDACTED]\n`)
    .join('');
}

export function redactConfig(config: Config): Config {
  const env = (text: string | undefined) => (text === undefined ? undefined : redactEnv(text));
  const out: Config = { ...config, hosts: config.hosts.map((h) => ({ ...h })) };
  if (config.env !== undefined) out.env = env(config.env);
  out.hosts.forEach((h) => {
    if (h.env !== undefined) h.env = env(h.env);
  });
  return out;
}

/** TOML-shaped text with the file's snake_case keys; derived values are comments. */
export function formatConfig(c: Config): string {
  const lines: string[] = [
    `# ${c.file}${c.stage ? ` with [stages.${c.stage}]` : ''}: app name ${c.appName}`,
    `# stages declared: ${c.stages.length ? c.stages.join(', ') : '(none)'}`,
  ];
  pushKeys(lines, schemaEntries('top', c));
  if (c.version === undefined) lines.push('# version is not set: deploy reads [project].version in pyproject.toml, else `git describe`');
  if (c.hostsCommand !== undefined)
    lines.push('', `# the ${c.hosts.length} host(s) hosts_command printed, as [[hosts]] (the file sets hosts_command, not these):`);
  for (const host of c.hosts) pushTable(lines, '[[hosts]]', hostEntries(host));
  pushTable(
    lines,
    '[processes]',
    c.processes.map((p): Entry => [p.name, processValue(p), true]),
  );
  const w = c.webserver;
  pushTable(lines, '[webserver]', [
    ...schemaEntries('webserver', w),
    ['port', w.port === undefined ? undefined : `${w.port}  # from upstream`, true],
  ]);
  if (Object.keys(w.statics).length) pushTable(lines, '[webserver.statics]', Object.entries(w.statics));
  const h = c.healthCheck;
  pushTable(lines, '[health_check]', schemaEntries('health_check', h));
  const s = c.secrets;
  pushTable(lines, '[secrets]', [...schemaEntries('secrets', s), ...Object.entries(s.options)]);
  pushTable(lines, '[hooks]', schemaEntries('hooks', c.hooks));
  if (c.backups) pushTable(lines, '[backups]', schemaEntries('backups', c.backups));
  if (c.rollout) {
    const { canary, canaryWait, batch, maxFailed } = c.rollout;
    pushTable(lines, '[rollout]', [
      ['canary', canary],
      ['canary_wait', canaryWait],
      ['batch', batch],
      ['max_failed', maxFailed],
    ]);
  }
  return lines.join('\n') + '\n';
}

type Entry = [key: string, value: unknown, raw?: boolean];

function hostEntries(h: HostConfig): Entry[] {
  return schemaEntries('host', h);
}

/** The schema's plain keys of a table, in schema order, with the resolved values. */
function schemaEntries(kind: TableKind, resolved: object): Entry[] {
  const values = resolved as Record<string, unknown>;
  return Object.entries(SCHEMA[kind])
    .filter(([, field]) => field.type !== 'custom')
    .map(([key]): Entry => [key, values[camel(key)]]);
}

function processValue(p: ProcessConfig): string {
  const parts = schemaEntries('process', p)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} = ${tomlValue(v)}`);
  return `{ ${parts.join(', ')} }`;
}

function pushTable(lines: string[], header: string, entries: Entry[]): void {
  if (entries.every(([, value]) => value === undefined)) return;
  lines.push('', header);
  pushKeys(lines, entries);
}

function pushKeys(lines: string[], entries: Entry[]): void {
  for (const [key, value, raw] of entries) {
    if (value === undefined) continue;
    const text = raw ? String(value) : tomlValue(value);
    lines.push(`${tomlKey(key)} = ${text}`);
  }
}

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

function tomlValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`;
  // Multi-line text (env) reads best as a TOML multi-line literal string.
  if (typeof value === 'string' && value.includes('\n') && !value.includes("'''")) return `'''\n${value}'''`;
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}
