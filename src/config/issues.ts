// Builds the one-paragraph message every config problem becomes:
//   deployer.toml:12:8: hosts[0].port must be an integer from 1 to 65535, got "22a". Fix: write port = 22.
// Paths are those of the merged config; `origin` maps them back to where the
// value is written (a stage overlay's value lives under stages.<name>.…).
// `fail` throws; `attempt` catches that throw, records the problem and lets
// validation go on, so `Problems.throwIfAny` reports them all at once.
import { ConfigError } from '../errors.js';
import type { PositionIndex } from './locate.js';
import { formatPath, lastKey, type TomlPath } from './path.js';
import { KEYS, type TableKind } from './schema.js';
import { suggest } from './suggest.js';

export type OriginMap = (path: TomlPath) => TomlPath;

/** Reported at most, so a file of garbage does not print thousands of lines. */
export const MAX_PROBLEMS = 20;

interface Problem {
  line: number;
  column: number;
  text: string;
}

/** Every problem found in one file (all stages), in file order, without duplicates. */
export class Problems {
  private readonly list: Problem[] = [];
  private readonly seen = new Set<string>();

  get count(): number {
    return this.list.length;
  }

  add(line: number, column: number, text: string): void {
    if (this.seen.has(text)) return;
    this.seen.add(text);
    this.list.push({ line, column, text });
    if (this.list.length >= MAX_PROBLEMS) this.throwIfAny(true);
  }

  /** One ConfigError listing every problem, one paragraph (line) each. */
  throwIfAny(truncated = false): void {
    if (this.list.length === 0) return;
    const sorted = [...this.list].sort((a, b) => a.line - b.line || a.column - b.column);
    const texts = sorted.map((p) => p.text);
    if (truncated) texts.push(`(stopped after ${MAX_PROBLEMS} problems; fix these and run again to see the rest)`);
    throw new ConfigError(texts.join('\n'), { problems: texts });
  }
}

/** Thrown by Issues.fail; carries the position so Problems can sort by it. */
class ProblemError extends ConfigError {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

export class Issues {
  constructor(
    private readonly fileName: string,
    private readonly index: PositionIndex,
    private readonly origin: OriginMap = (p) => p,
    readonly problems: Problems = new Problems(),
  ) {}

  /** Runs `fn`; a problem it reports is recorded (and undefined returned) instead of thrown. */
  attempt<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof ProblemError)) throw err;
      this.problems.add(err.line, err.column, err.message);
      return undefined;
    }
  }

  /** The path as written in the file (hosts[0].port, stages.prod.hosts[0].port). */
  name(path: TomlPath): string {
    return formatPath(this.origin(path));
  }

  /** `file:line:col` of a path's value (or key). */
  where(path: TomlPath, at: 'key' | 'value' = 'value'): string {
    const pos = this.index.locate(this.origin(path), at);
    return `${this.fileName}:${pos.line}:${pos.column}`;
  }

  fail(path: TomlPath, at: 'key' | 'value', text: string): never {
    const pos = this.index.locate(this.origin(path), at);
    throw new ProblemError(`${this.fileName}:${pos.line}:${pos.column}: ${text}`, pos.line, pos.column);
  }

  wrongValue(path: TomlPath, expected: string, value: unknown, example: string): never {
    const key = lastKey(path);
    this.fail(path, 'value', `${this.name(path)} must be ${expected}, got ${describeValue(value)}. Fix: write ${key} = ${example}.`);
  }

  missing(table: TomlPath, key: string, example: string): never {
    const path = [...table, key];
    const fix =
      table.length === 0
        ? `add ${key} = ${example} near the top of the file, before the first [table]`
        : `add ${key} = ${example} to ${this.name(table)}`;
    this.fail(path, 'key', `${this.name(path)} is required but missing. Fix: ${fix}.`);
  }

  unknownKey(table: TomlPath, key: string, kind: TableKind, allowed: readonly string[]): never {
    // The key's own origin: a stage's extra key sits in the merged top level but is written in the stage.
    const origin = this.origin([...table, key]).slice(0, -1);
    const where = origin.length === 0 ? 'at the top level' : `in ${formatPath(origin)}`;
    let text = `unknown key ${JSON.stringify(key)} ${where}.`;
    const guess = suggest(key, allowed);
    if (guess) text += ` Did you mean ${JSON.stringify(guess)}?`;
    else if (kind !== 'top' && KEYS.top.includes(key)) text += ` ${belowHeader(key)}`;
    else text += ` Fix: remove it, or use one of: ${allowed.join(', ')}.`;
    this.fail([...table, key], 'key', text);
  }
}

/**
 * A table that takes any key (processes, secrets options) just received a key
 * that is plainly a top-level one: the classic TOML trap of writing it below
 * a [table] header. Refuse it rather than run `release_command` as a service.
 */
export function checkNotTopLevelKey(issues: Issues, table: TomlPath, key: string): void {
  if (!MISPLACEABLE.includes(key)) return;
  const path = [...table, key];
  issues.fail(
    path,
    'key',
    `${issues.name(path)} looks like the top-level key ${key} written below the [${issues.name(table)}] header. ${belowHeader(key)}`,
  );
}

// Top-level keys nobody would choose as a process name or adapter option.
const MISPLACEABLE = KEYS.top.filter((k) => k !== 'app' && k !== 'version');

function belowHeader(key: string): string {
  return `Keys below a [table] header belong to that table. Fix: move ${key} above the first [table] header.`;
}

/** A value as the user wrote it, short; tables and arrays are not echoed. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value);
  if (typeof value === 'bigint') return value.toString();
  // Integers arrive as bigint, so every number here is a TOML float.
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(1) : String(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length ? 'an array' : 'an empty array';
  if (value instanceof Date) return 'a date';
  if (value && typeof value === 'object') return 'a table';
  return String(value);
}
