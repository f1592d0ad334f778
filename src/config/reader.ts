// Typed access to one TOML table. Creating a reader first rejects unknown
// keys (a typo is better reported as "did you mean" than as the missing key
// it was meant to be); each getter checks one value's type and range and
// throws the matching ConfigError.
import { describeValue, type Issues } from './issues.js';
import type { TomlPath } from './path.js';
import { exampleFor, KEYS, type TableKind } from './schema.js';

export type RawTable = Record<string, unknown>;

export function isTable(v: unknown): v is RawTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Drops undefined fields, so printed and compared configs hold only what is set. */
export function compact<T extends object>(obj: T): T {
  for (const key of Object.keys(obj) as (keyof T)[]) if (obj[key] === undefined) delete obj[key];
  return obj;
}

interface StringRule {
  required?: boolean;
  pattern?: RegExp;
  /** What a matching value looks like, for the message. */
  expected?: string;
}

export class TableReader {
  constructor(
    readonly issues: Issues,
    readonly table: RawTable,
    readonly path: TomlPath,
    readonly kind: TableKind,
    /** Keys beyond the schema's that this table also accepts. */
    extraKeys: readonly string[] = [],
  ) {
    const allowed = [...KEYS[kind], ...extraKeys];
    for (const key of Object.keys(table)) if (!allowed.includes(key)) issues.unknownKey(path, key, kind, allowed);
  }

  has(key: string): boolean {
    return this.table[key] !== undefined;
  }

  at(key: string): TomlPath {
    return [...this.path, key];
  }

  example(key: string): string {
    return exampleFor(this.kind, key);
  }

  string(key: string, rule: StringRule & { required: true }): string;
  string(key: string, rule?: StringRule): string | undefined;
  string(key: string, rule: StringRule = {}): string | undefined {
    const v = this.table[key];
    if (v === undefined) {
      if (rule.required) this.issues.missing(this.path, key, this.example(key));
      return undefined;
    }
    if (typeof v !== 'string' || (rule.pattern && !rule.pattern.test(v)) || (rule.required && v.trim() === '')) {
      this.issues.wrongValue(this.at(key), rule.expected ?? 'a string', v, this.example(key));
    }
    return v;
  }

  integer(key: string, min: number, max?: number): number | undefined {
    const v = this.table[key];
    if (v === undefined) return undefined;
    const ok = typeof v === 'bigint' && v >= BigInt(min) && (max === undefined || v <= BigInt(max));
    if (!ok) {
      const expected = max === undefined ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
      this.issues.wrongValue(this.at(key), expected, v, this.example(key));
    }
    return Number(v);
  }

  boolean(key: string): boolean | undefined {
    const v = this.table[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') this.issues.wrongValue(this.at(key), 'true or false', v, this.example(key));
    return v;
  }

  choice<T extends string>(key: string, values: readonly T[], required = false): T | undefined {
    const expected = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
    const v = this.table[key];
    if (v === undefined) {
      if (required) this.issues.missing(this.path, key, this.example(key));
      return undefined;
    }
    if (typeof v !== 'string' || !values.includes(v as T)) this.issues.wrongValue(this.at(key), expected, v, this.example(key));
    return v as T;
  }

  strings(key: string): string[] | undefined {
    const v = this.table[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) this.issues.wrongValue(this.at(key), 'an array of strings', v, this.example(key));
    v.forEach((item, n) => {
      if (typeof item !== 'string' || item === '') {
        this.issues.fail([...this.path, key, n], 'value', `${this.issues.name([...this.path, key, n])} must be a non-empty string, got ${describeValue(item)}. Fix: write ${key} = ${this.example(key)}.`);
      }
    });
    return v as string[];
  }

  /** A sub-table ([webserver] or webserver = { … }). */
  subTable(key: string): RawTable | undefined {
    const v = this.table[key];
    if (v === undefined) return undefined;
    if (!isTable(v)) {
      const name = this.issues.name(this.at(key));
      this.issues.fail(this.at(key), 'value', `${name} must be a table, got ${describeValue(v)}. Fix: write a [${name}] header on its own line, with its keys below it.`);
    }
    return v;
  }
}
