// Reads host, stage and process names for completion straight from the TOML,
// without the config loader: no validation, no defaults, no secrets, and it
// never throws (a missing or broken file just offers nothing). It runs on every
// TAB, so it must stay cheap: hosts_command is never run here (it may call a
// cloud API), so --host offers only [[hosts]] names and --role the roles
// written in the file (hosts' and processes'). The one exception, installed versions, is read
// over SSH by a module loaded only when they are asked for.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'smol-toml';
import type { ValueReader, ValueRequest } from './complete.js';

type Table = Record<string, unknown>;

export function createValueReader(cwd: string): ValueReader {
  const cache = new Map<string, Table | undefined>();
  return (request) => {
    const file = resolve(cwd, request.config || 'deployer.toml');
    if (request.kind === 'versions') {
      if (!existsSync(file)) return [];
      return import('./hostVersions.js').then((m) => m.readInstalledVersions(cwd, file, request)).catch(() => []);
    }
    if (!cache.has(file)) cache.set(file, readToml(file));
    const doc = cache.get(file);
    return doc ? listValues(doc, request) : [];
  };
}

/** Values of one kind in a parsed deployer.toml (exported for tests). */
export function listValues(doc: Table, request: ValueRequest): string[] {
  const stages = asTable(doc.stages);
  if (request.kind === 'stages') return Object.keys(stages);
  // With a stage on the line, its overlay wins where it sets the key; without
  // one, offer everything any stage could use.
  const overlay = request.stage ? asTable(stages[request.stage]) : undefined;
  const layers = overlay ? [overlay[keyOf(request.kind)] !== undefined ? overlay : doc] : [doc, ...Object.values(stages).map(asTable)];
  if (request.kind === 'roles') return [...new Set(layers.flatMap(roleNames))];
  return layers.flatMap((layer) => (request.kind === 'hosts' ? hostNames(layer.hosts) : Object.keys(asTable(layer.processes))));
}

function keyOf(kind: ValueRequest['kind']): string {
  return kind === 'hosts' || kind === 'roles' ? 'hosts' : 'processes';
}

/** Roles on hosts and on processes (a hosts_command's hosts are not read: see above). */
function roleNames(layer: Table): string[] {
  const hosts = Array.isArray(layer.hosts) ? layer.hosts.map(asTable) : [];
  const processes = Object.values(asTable(layer.processes)).map(asTable);
  return [...hosts, ...processes].flatMap((t) => (Array.isArray(t.roles) ? t.roles.filter((r): r is string => typeof r === 'string') : []));
}

function hostNames(hosts: unknown): string[] {
  if (!Array.isArray(hosts)) return [];
  return hosts.flatMap((h) => {
    const t = asTable(h);
    const name = typeof t.name === 'string' ? t.name : typeof t.address === 'string' ? t.address : undefined;
    return name ? [name] : [];
  });
}

function readToml(file: string): Table | undefined {
  try {
    return parse(readFileSync(file, 'utf8')) as Table;
  } catch {
    return undefined;
  }
}

function asTable(value: unknown): Table {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Table) : {};
}
