// Every test has a time limit (test/helpers/timed.ts): a hanging test fails in
// its own time with a message, and the runner counts it as failed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from '../helpers/timed.js';
import { tempDir } from '../helpers/tmp.js';

const timedModule = fileURLToPath(new URL('../helpers/timed.js', import.meta.url));

test('a hanging test fails after its limit, with a message', () => {
  const dir = tempDir('deployer-timeout-');
  const file = join(dir, 'hang.test.mjs');
  writeFileSync(
    file,
    `import { test } from ${JSON.stringify(timedModule)};\n` +
      // Without a limit this test would pass after 5 s.
      `test('hangs', () => new Promise((resolve) => setTimeout(resolve, 5000)));\n`,
  );
  const res = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], {
    encoding: 'utf8',
    // Without NODE_TEST_CONTEXT the child runs as a runner of its own, not as our subtest.
    env: { ...process.env, NODE_TEST_CONTEXT: undefined, DEPLOYER_TEST_TIMEOUT_MS: '300' },
    timeout: 20_000,
  });
  assert.notEqual(res.status, 0, 'a timed-out test fails the run');
  assert.match(res.stdout, /timed out after 300ms/);
});
