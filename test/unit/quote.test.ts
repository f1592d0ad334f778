import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { shellQuote, shellJoin } from '../../src/shell/quote.js';

test('plain words stay bare', () => {
  assert.equal(shellQuote('systemctl'), 'systemctl');
  assert.equal(shellQuote('/srv/app/v1.2.3'), '/srv/app/v1.2.3');
  assert.equal(shellQuote('--no-index'), '--no-index');
});

test('empty string becomes two quotes', () => {
  assert.equal(shellQuote(''), "''");
});

test('dangerous characters are single-quoted', () => {
  assert.equal(shellQuote('a b'), "'a b'");
  assert.equal(shellQuote('$(touch x)'), "'$(touch x)'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
  assert.equal(shellQuote('~'), "'~'");
  assert.equal(shellQuote('*'), "'*'");
});

test('a real shell gets back exactly the original words', () => {
  const nasty = ['a b', "it's", '$(id)', '`id`', 'x;y', 'new\nline', '"dq"', '\\back', '*', '~', '', 'é ü', '$HOME', '!hist', "''", '-n'];
  const script = `for a in ${shellJoin(nasty)}; do printf '%s\\0' "$a"; done`;
  const out = execFileSync('bash', ['-c', script]).toString();
  assert.deepEqual(out.split('\0').slice(0, -1), nasty);
});

test('shellJoin refuses an empty argv', () => {
  assert.throws(() => shellJoin([]));
});
