// Where each TOML path is written in the source: its key and its value.
// Filled by the scanner in locate.ts; read by Issues to put file:line:col in
// front of every message.
import { pathKey, type TomlPath } from './path.js';

export interface Position {
  line: number;
  column: number;
}

interface Entry {
  key: Position;
  value: Position;
}

export class PositionIndex {
  private readonly entries = new Map<string, Entry>();

  record(path: TomlPath, key: Position, value: Position = key): void {
    const k = pathKey(path);
    if (!this.entries.has(k)) this.entries.set(k, { key, value });
  }

  /** True when `path` itself is written (not only an ancestor). */
  has(path: TomlPath): boolean {
    return this.entries.has(pathKey(path));
  }

  /**
   * Where `path` is written: its value (or its key), else the nearest
   * ancestor that is written (a table header for a missing key), else 1:1.
   */
  locate(path: TomlPath, at: 'key' | 'value' = 'value'): Position {
    const exact = this.entries.get(pathKey(path));
    if (exact) return exact[at];
    for (let n = path.length - 1; n > 0; n--) {
      const found = this.entries.get(pathKey(path.slice(0, n)));
      if (found) return found.key;
    }
    return { line: 1, column: 1 };
  }
}
