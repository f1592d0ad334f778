// Typed access to one TOML table, driven by its schema (schema.ts). Creating a
// reader first reports unknown keys (a typo is better reported as "did you
// mean" than as the missing key it was meant to be); `fields()` then reads
// every key the schema declares, checking type, bounds and rules, and fills
// defaults. Each problem is recorded in Issues and reading goes on, so one
// run reports every problem in the file.
import { describeValue, type Issues } from './issues.js';
import type { TomlPath } from './path.js';
import { suggest } from './suggest.js';
import { camel, SCHEMA, type Field, type Fields, type TableKind, type TableSchema, type StringField, type StringsField } from './schema.js';

export type RawTable = Record<string, unknown>;

export function isTable(v: unknown): v is RawTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Drops undefined fields, so printed and compared configs hold only what is set. */
export function compact<T extends object>(obj: T): T {
  for (const key of Object.keys(obj) as (keyof T)[]) if (obj[key] === undefined) delete obj[key];
  return obj;
}

export class TableReader<K extends TableKind = TableKind> {
  readonly schema: TableSchema;
  /** Keys an unknown key was probably meant to be: their absence is not reported again. */
  private readonly guessed = new Set<string>();
  constructor(
    readonly issues: Issues,
    readonly table: RawTable,
    readonly path: TomlPath,
    readonly kind: K,
    /** Keys beyond the schema's that this table also accepts. */
    extraKeys: readonly string[] = [],
  ) {
    this.schema = SCHEMA[kind] as TableSchema;
    const allowed = [...Object.keys(this.schema), ...extraKeys];
    for (const key of Object.keys(table)) {
      if (allowed.includes(key)) continue;
      const guess = suggest(key, allowed);
      if (guess) this.guessed.add(guess);
      issues.attempt(() => issues.unknownKey(path, key, kind, allowed));
    }
  }

  has(key: string): boolean {
    return this.table[key] !== undefined;
  }

  at(key: string): TomlPath {
    return [...this.path, key];
  }

  example(key: string): string {
    return this.schema[key]?.example ?? '"…"';
  }

  /** Every declared (non-custom) key, read, checked and defaulted, under its camelCase name. */
  fields(): Fields<(typeof SCHEMA)[K]> {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(this.schema)) {
      if (field.type === 'custom') continue;
      const value = this.issues.attempt(() => this.read(key, field));
      out[camel(key)] = value ?? copyDefault(field);
    }
    return compact(out) as Fields<(typeof SCHEMA)[K]>;
  }

  /** One key by its schema, or undefined when absent. Throws (into Issues.attempt) on a bad value. */
  read(key: string, field: Field = this.schema[key]): unknown {
    const v = this.table[key];
    if (v === undefined) {
      if ('required' in field && field.required && !this.guessed.has(key)) this.issues.missing(this.path, key, field.example);
      return undefined;
    }
    switch (field.type) {
      case 'string':
        return this.checkString(key, field, v);
      case 'integer': {
        const ok = typeof v === 'bigint' && v >= BigInt(field.min) && v <= BigInt(field.max);
        if (!ok) this.issues.wrongValue(this.at(key), `an integer from ${field.min} to ${field.max}`, v, field.example);
        return Number(v);
      }
      case 'boolean':
        if (typeof v !== 'boolean') this.issues.wrongValue(this.at(key), 'true or false', v, field.example);
        return v;
      case 'choice':
        if (typeof v !== 'string' || !field.values.includes(v)) {
          this.issues.wrongValue(this.at(key), `one of ${field.values.map((x) => JSON.stringify(x)).join(', ')}`, v, field.example);
        }
        return v;
      case 'strings':
        return this.checkStrings(key, field, v);
      case 'custom':
        return v;
    }
  }

  private checkString(key: string, field: StringField, v: unknown): string {
    const path = this.at(key);
    if (typeof v !== 'string' || (field.pattern && !field.pattern.test(v)) || (field.required && v.trim() === '')) {
      this.issues.wrongValue(path, field.expected ?? 'a string', v, field.example);
    }
    if (v.length > field.maxLength) {
      this.issues.fail(
        path,
        'value',
        `${this.issues.name(path)} is ${v.length} characters long; at most ${field.maxLength} are accepted. Fix: write ${key} = ${field.example}.`,
      );
    }
    if (field.oneLine && /[\r\n]/.test(v.trim())) {
      this.issues.fail(
        path,
        'value',
        `${this.issues.name(path)} contains a line break, got ${describeValue(v)}; it must stay on one line (systemd and the remote shell read one line). Fix: write it on one line, e.g. ${key} = ${field.example}, or put the steps in a script in the release.`,
      );
    }
    const broken = field.rule?.(v);
    if (broken)
      this.issues.fail(path, 'value', `${this.issues.name(path)} ${broken.problem}, got ${describeValue(v)}. Fix: ${broken.fix}.`);
    return v;
  }

  private checkStrings(key: string, field: StringsField, v: unknown): string[] {
    const { maxItems, maxLength } = field;
    if (!Array.isArray(v)) this.issues.wrongValue(this.at(key), 'an array of strings', v, this.example(key));
    if (v.length > maxItems)
      this.issues.fail(
        this.at(key),
        'value',
        `${this.issues.name(this.at(key))} has ${v.length} items; at most ${maxItems} are accepted. Fix: write ${key} = ${this.example(key)}.`,
      );
    v.forEach((item, n) => {
      const path = [...this.path, key, n];
      if (typeof item !== 'string' || item === '' || item.length > maxLength) {
        this.issues.attempt(() =>
          this.issues.fail(
            path,
            'value',
            `${this.issues.name(path)} must be a non-empty string of at most ${maxLength} characters, got ${describeValue(item)}. Fix: write ${key} = ${this.example(key)}.`,
          ),
        );
        return;
      }
      const broken = field.rule?.(item);
      if (broken)
        this.issues.attempt(() =>
          this.issues.fail(path, 'value', `${this.issues.name(path)} ${broken.problem}, got ${describeValue(item)}. Fix: ${broken.fix}.`),
        );
    });
    return v as string[];
  }

  /** A sub-table ([webserver] or webserver = { … }). */
  subTable(key: string): RawTable | undefined {
    const v = this.table[key];
    if (v === undefined) return undefined;
    if (!isTable(v)) {
      const name = this.issues.name(this.at(key));
      this.issues.fail(
        this.at(key),
        'value',
        `${name} must be a table, got ${describeValue(v)}. Fix: write a [${name}] header on its own line, with its keys below it.`,
      );
    }
    return v;
  }
}

function copyDefault(field: Field): unknown {
  if (!('default' in field)) return undefined;
  return Array.isArray(field.default) ? [...field.default] : field.default;
}
