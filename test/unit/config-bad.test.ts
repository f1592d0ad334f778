// Every file in test/fixtures/config/bad/ must fail with exactly one
// ConfigError whose message starts with `<file>:<line>:<col>: ` and contains
// the text after the position on the fixture's first line:
//   # expect: 8:8 hosts[0].port
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, ExitCode } from '../../src/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { configFixtures } from './config-helpers.js';

const dir = join(configFixtures, 'bad');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.toml'))
  .sort();

test('the bad-config corpus is big enough to mean something', () => {
  assert.ok(files.length >= 15, `only ${files.length} fixtures`);
});

for (const name of files) {
  test(`bad/${name}`, () => {
    const first = readFileSync(join(dir, name), 'utf8').split('\n')[0];
    const m = /^# expect: (\d+):(\d+) (.+)$/.exec(first);
    assert.ok(m, `${name}: first line must be "# expect: LINE:COL text"`);
    const [, line, col, text] = m;
    let caught: unknown;
    try {
      loadConfig({ file: name, cwd: dir, home: '/home/tester' });
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof ConfigError, `${name}: expected a ConfigError, got ${String(caught)}`);
    assert.equal(caught.exitCode, ExitCode.config);
    const message = caught.message;
    assert.ok(message.startsWith(`${name}:${line}:${col}: `), `${name}: expected position ${line}:${col}, got: ${message}`);
    assert.ok(message.includes(text), `${name}: expected ${JSON.stringify(text)} in: ${message}`);
    // One paragraph: no line breaks, and it ends by telling the fix or the likely key.
    assert.ok(!message.includes('\n'), `${name}: message spans lines: ${message}`);
    assert.match(message, /(Fix: .+|Did you mean "[^"]+"\?)$/, `${name}: no fix in: ${message}`);
  });
}
