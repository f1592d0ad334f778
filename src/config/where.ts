// Where a key of the resolved config is written, as `file:line:col`, for a
// message about a value that only a host can judge (the ports another app
// holds there, src/plan/ports.ts). A stage's own value wins over the base's.
import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { indexPositions } from './locate.js';
import type { TomlPath } from './path.js';
import type { Config } from './types.js';

export function whereWritten(config: Pick<Config, 'file' | 'stage'>, path: TomlPath, cwd: string): string {
  const rel = relative(cwd, config.file);
  const name = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : config.file;
  try {
    const index = indexPositions(readFileSync(config.file, 'utf8'));
    const staged = config.stage ? ['stages', config.stage, ...path] : undefined;
    const pos = staged && index.has(staged) ? index.locate(staged) : index.locate(path);
    return `${name}:${pos.line}:${pos.column}`;
  } catch {
    return name;
  }
}
