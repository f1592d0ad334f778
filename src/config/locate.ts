// smol-toml gives values but no positions, so this small scanner walks the
// source text and records where each TOML path is written: table headers
// ([a.b], the n-th [[hosts]]), keys (dotted or quoted), values, array
// elements and inline tables. It runs only on text smol-toml has already
// accepted, so it can be forgiving; it never throws (a surprise just ends
// the scan and later lookups fall back to an ancestor or line 1).
import { pathKey, type PathSegment, type TomlPath } from './path.js';
import { PositionIndex, type Position } from './positions.js';

export { PositionIndex, type Position } from './positions.js';

export function indexPositions(source: string): PositionIndex {
  const scanner = new Scanner(source);
  try {
    scanner.scanDocument();
  } catch {
    // Best effort: keep what was recorded before the surprise.
  }
  return scanner.index;
}

class Scanner {
  readonly index = new PositionIndex();
  private i = 0;
  private readonly lineStarts: number[] = [0];
  /** How many [[x]] blocks each array-of-tables path has seen so far. */
  private readonly arrayCounts = new Map<string, number>();

  constructor(private readonly s: string) {
    for (let k = 0; k < s.length; k++) if (s[k] === '\n') this.lineStarts.push(k + 1);
  }

  scanDocument(): void {
    let table: PathSegment[] = [];
    for (;;) {
      this.skipBlank(true);
      if (this.i >= this.s.length) return;
      const start = this.i;
      if (this.s.startsWith('[[', this.i)) {
        this.i += 2;
        const keys = this.readKey().map((k) => k.name);
        this.i = this.closing(']]');
        const header = this.resolveHeader(keys, true);
        const k = pathKey(header);
        const n = this.arrayCounts.get(k) ?? 0;
        this.arrayCounts.set(k, n + 1);
        table = [...header, n];
        this.recordHeader(header, start);
        this.index.record(table, this.pos(start));
      } else if (this.s[this.i] === '[') {
        this.i += 1;
        const keys = this.readKey().map((k) => k.name);
        this.i = this.closing(']');
        table = this.resolveHeader(keys);
        this.recordHeader(table, start);
      } else {
        this.readKeyValue(table);
      }
      this.guard(start);
    }
  }

  /**
   * [hosts.extra] after [[hosts]] means the last hosts element; the last key
   * of a [[x]] header itself names the array, not an element of it.
   */
  private resolveHeader(keys: string[], arrayHeader = false): PathSegment[] {
    const out: PathSegment[] = [];
    keys.forEach((key, n) => {
      out.push(key);
      if (arrayHeader && n === keys.length - 1) return;
      const count = this.arrayCounts.get(pathKey(out));
      if (count !== undefined) out.push(count - 1);
    });
    return out;
  }

  /** A header also marks its implicit parent tables, if not seen before. */
  private recordHeader(path: TomlPath, offset: number): void {
    const at = this.pos(offset);
    for (let n = 1; n <= path.length; n++) this.index.record(path.slice(0, n), at);
  }

  private readKeyValue(table: TomlPath): void {
    const parts = this.readKey();
    const path: PathSegment[] = [...table];
    // Parents of a dotted key (a.b = 1 marks a); the full key is recorded with its value.
    parts.forEach((part, n) => {
      path.push(part.name);
      if (n < parts.length - 1) this.index.record(path, this.pos(part.offset));
    });
    this.skipSpaces();
    if (this.s[this.i] === '=') this.i += 1;
    this.skipSpaces();
    this.readValue(path, parts.length ? parts[parts.length - 1].offset : this.i);
  }

  private readValue(path: TomlPath, keyOffset: number): void {
    this.index.record(path, this.pos(keyOffset), this.pos(this.i));
    const c = this.s[this.i];
    if (c === '"' || c === "'") return this.skipString();
    if (c === '[') return this.readArray(path);
    if (c === '{') return this.readInlineTable(path);
    while (this.i < this.s.length && !',]}\n#'.includes(this.s[this.i])) this.i += 1;
  }

  private readArray(path: TomlPath): void {
    this.i += 1;
    for (let n = 0; ; n++) {
      this.skipBlank(true);
      if (this.i >= this.s.length || this.s[this.i] === ']') break;
      const at = this.i;
      this.readValue([...path, n], at);
      this.guard(at);
      this.skipBlank(true);
      if (this.s[this.i] === ',') this.i += 1;
    }
    this.i += 1;
  }

  private readInlineTable(path: TomlPath): void {
    this.i += 1;
    for (;;) {
      this.skipBlank(true);
      if (this.i >= this.s.length || this.s[this.i] === '}') break;
      const at = this.i;
      this.readKeyValue(path);
      this.guard(at);
      this.skipBlank(true);
      if (this.s[this.i] === ',') this.i += 1;
    }
    this.i += 1;
  }

  /** A dotted key: bare, "basic" or 'literal' parts separated by dots. */
  private readKey(): { name: string; offset: number }[] {
    const parts: { name: string; offset: number }[] = [];
    for (;;) {
      this.skipSpaces();
      const offset = this.i;
      const c = this.s[this.i];
      let name: string;
      if (c === '"' || c === "'") {
        this.skipString();
        const raw = this.s.slice(offset, this.i);
        name = c === "'" ? raw.slice(1, -1) : decodeBasic(raw);
      } else {
        const m = /^[A-Za-z0-9_-]+/.exec(this.s.slice(this.i, this.i + 256));
        if (!m) throw new Error('locate: no key');
        name = m[0];
        this.i += name.length;
      }
      parts.push({ name, offset });
      this.skipSpaces();
      if (this.s[this.i] !== '.') return parts;
      this.i += 1;
    }
  }

  private skipString(): void {
    const q = this.s[this.i];
    const triple = this.s.startsWith(q.repeat(3), this.i);
    this.i += triple ? 3 : 1;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '\\' && q === '"') {
        this.i += 2;
        continue;
      }
      if (c === q) {
        if (!triple) {
          this.i += 1;
          return;
        }
        if (this.s.startsWith(q.repeat(3), this.i)) {
          this.i += 3;
          // Up to two quotes may end the content right before the delimiter.
          for (let extra = 0; extra < 2 && this.s[this.i] === q; extra++) this.i += 1;
          return;
        }
      }
      this.i += 1;
    }
  }

  /** Ends the scan when a loop stops advancing (text it cannot follow). */
  private guard(before: number): void {
    if (this.i <= before) throw new Error('locate: no progress');
  }

  private closing(delimiter: string): number {
    const end = this.s.indexOf(delimiter, this.i);
    if (end < 0) throw new Error('locate: unclosed header');
    return end + delimiter.length;
  }

  private skipSpaces(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i += 1;
  }

  /** Spaces, newlines and comments. */
  private skipBlank(newlines: boolean): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) this.i += 1;
      else if (c === '#') while (this.i < this.s.length && this.s[this.i] !== '\n') this.i += 1;
      else return;
    }
  }

  private pos(offset: number): Position {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo] + 1 };
  }
}

function decodeBasic(raw: string): string {
  try {
    return JSON.parse(raw.replace(/\\U([0-9A-Fa-f]{8})/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)).replace(/"/g, '\\"')));
  } catch {
    return raw.slice(1, -1);
  }
}
