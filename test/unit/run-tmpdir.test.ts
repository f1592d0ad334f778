// test/run.mjs runs the tests in a private TMPDIR: a test that leaves
// something in it fails the run (counted in `N passed, N failed`, the
// leftover named), and the directory is gone afterwards either way.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '../helpers/timed.js';
import { repoRoot } from '../helpers/project.js';
import { tempDir } from '../helpers/tmp.js';

/** A copy of run.mjs in a tree whose only suite `leaky` holds `body` as its one test file; its output and its temp dir's parent. */
function runSuite(body: string): { code: number | null; stdout: string; outerTmp: string } {
  const root = tempDir('deployer-runmjs-');
  mkdirSync(join(root, 'test'));
  copyFileSync(join(repoRoot, 'test', 'run.mjs'), join(root, 'test', 'run.mjs'));
  mkdirSync(join(root, 'dist', 'test', 'leaky'), { recursive: true });
  writeFileSync(join(root, 'dist', 'test', 'leaky', 'a.test.js'), body);
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
  const outerTmp = join(root, 'tmp');
  mkdirSync(outerTmp);
  const r = spawnSync(process.execPath, [join(root, 'test', 'run.mjs'), 'leaky'], {
    encoding: 'utf8',
    env: { ...process.env, NODE_TEST_CONTEXT: undefined, TMPDIR: outerTmp },
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, outerTmp };
}

const testFile = (what: string) =>
  `import { test } from 'node:test';\nimport { mkdtempSync, rmSync } from 'node:fs';\nimport { tmpdir } from 'node:os';\nimport { join } from 'node:path';\ntest('t', () => { ${what} });\n`;

test('a test that leaves a dir in TMPDIR fails the run, named in the output; the private TMPDIR is removed', () => {
  const r = runSuite(testFile("mkdtempSync(join(tmpdir(), 'left-behind-'));"));
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /the tests left 1 entries in TMPDIR/);
  assert.match(r.stdout, /^ {2}left-behind-\w+$/m);
  assert.match(r.stdout, /^1 passed, 1 failed$/m);
  assert.deepEqual(readdirSync(r.outerTmp), []);
});

test('a test that removes what it made passes; nothing is left in the outer temp dir', () => {
  const r = runSuite(testFile("rmSync(mkdtempSync(join(tmpdir(), 'tidy-')), { recursive: true });"));
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /^1 passed, 0 failed$/m);
  assert.equal(existsSync(r.outerTmp), true);
  assert.deepEqual(readdirSync(r.outerTmp), []);
});
