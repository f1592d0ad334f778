// Every shell script in the tree parses (`bash -n`) and is shellcheck-clean
// (an exception is a `# shellcheck disable=...` with its reason, inline).
// CI installs shellcheck (scripts/setup.sh); a laptop without it skips that
// half, and CI=true without it fails.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const SKIP = new Set(['node_modules', 'dist', '.git']);

function shellFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return shellFiles(path);
    return name.endsWith('.sh') ? [path] : [];
  });
}

const files = [...shellFiles(root), join(root, '.ci', 'run')];

test('the tree has the shell scripts this test is meant to check', () => {
  const names = files.map((f) => relative(root, f));
  for (const expected of ['remote/phase.sh', 'remote/probe.sh', 'scripts/setup.sh', 'test/host/testhost.sh', '.ci/run']) {
    assert.ok(names.includes(expected), `${expected} not found among ${names.join(', ')}`);
  }
});

test('bash -n: every shell script parses', () => {
  for (const f of files) {
    const r = spawnSync('bash', ['-n', f], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${relative(root, f)}: ${r.stderr}`);
  }
});

const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;

test(
  'shellcheck reports nothing on any shell script',
  { skip: !hasShellcheck && !process.env.CI ? 'shellcheck is not installed (CI installs it)' : false },
  () => {
    assert.ok(hasShellcheck, 'shellcheck is not installed: scripts/setup.sh installs the Debian package');
    const r = spawnSync('shellcheck', ['--shell=bash', '--format=gcc', ...files], { encoding: 'utf8', cwd: root });
    assert.equal(r.status, 0, `shellcheck findings:\n${r.stdout}${r.stderr}`);
  },
);
