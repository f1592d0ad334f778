// The formatter's check runs with the tests (so in CI): code that `npm run
// format` would change fails here, naming the files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from '../helpers/timed.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const prettier = `${root}node_modules/.bin/prettier`;

test('the sources are formatted (npm run format)', { timeout: 180_000 }, () => {
  assert.ok(existsSync(prettier), `prettier is not installed at ${prettier}: run npm ci`);
  const res = spawnSync(prettier, ['--check', 'src/**/*.ts', 'test/**/*.{ts,mjs}', 'bench/**/*.ts'], { cwd: root, encoding: 'utf8' });
  assert.equal(res.status, 0, `not formatted; run \`npm run format\`:\n${res.stdout}${res.stderr}`);
});
