// Text compared with a file in the repository: golden plans (test/golden/,
// Kamal-style: any change shows as a reviewed diff) and template snapshots.
// The variable named (UPDATE_GOLDEN, UPDATE_SNAPSHOTS) =1 rewrites the files.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from './project.js';

export function matchFile(path: string, actual: string, update: string): void {
  if (process.env[update] === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `${path} is missing: run the tests with ${update}=1 and review it`);
  assert.equal(actual, readFileSync(path, 'utf8'), `output differs from ${path} (${update}=1 rewrites it; review the diff)`);
}

/** Compares with test/golden/<name>. */
export const matchGolden = (name: string, actual: string): void =>
  matchFile(join(repoRoot, 'test', 'golden', name), actual, 'UPDATE_GOLDEN');
