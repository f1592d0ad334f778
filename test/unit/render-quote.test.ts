// Quoting for systemd and Caddy. Expected strings were checked once against
// the real parsers (systemd-analyze verify --man=no dumps the parsed
// Environment=/ExecStart=; `caddy adapt` shows the parsed tokens).
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { caddyQuote, systemdEscape, systemdQuote } from '../../src/render/index.js';

const NASTY = 'a b "q" \'s\' 100% $HOME \\ end\nline2';

test('systemdQuote leaves plain words bare and doubles %', () => {
  assert.equal(systemdQuote('PORT=8000'), 'PORT=8000');
  assert.equal(systemdQuote('/srv/app/v1.2.3'), '/srv/app/v1.2.3');
  assert.equal(systemdQuote('50%'), '50%%');
  assert.equal(systemdQuote('$HOME'), '$HOME', 'Environment= does not expand $');
});

test('systemdQuote double-quotes spaces, quotes, backslashes and newlines', () => {
  assert.equal(systemdQuote(NASTY), '"a b \\"q\\" \'s\' 100%% $HOME \\\\ end\\nline2"');
  assert.equal(systemdQuote(''), '""');
  assert.equal(systemdQuote('tab\there'), '"tab\\there"');
  assert.equal(systemdQuote('bell\x07'), '"bell\\x07"');
});

test('systemdQuote in exec context also doubles $ (ExecStart expands $VAR)', () => {
  assert.equal(systemdQuote(NASTY, 'exec'), '"a b \\"q\\" \'s\' 100%% $$HOME \\\\ end\\nline2"');
  assert.equal(systemdQuote('$x', 'exec'), '$$x');
});

test('systemdEscape doubles % and refuses line breaks', () => {
  assert.equal(systemdEscape('/srv/my apps/x'), '/srv/my apps/x');
  assert.equal(systemdEscape('100% "done"'), '100%% "done"');
  assert.throws(() => systemdEscape('a\nb'), ConfigError);
});

test('caddyQuote leaves plain tokens bare', () => {
  assert.equal(caddyQuote('example.com'), 'example.com');
  assert.equal(caddyQuote('http://hello.localhost'), 'http://hello.localhost');
  assert.equal(caddyQuote('127.0.0.1:8000'), '127.0.0.1:8000');
  assert.equal(caddyQuote(':80'), ':80');
  assert.equal(caddyQuote('/static/*'), '/static/*');
  assert.equal(caddyQuote('50%$'), '50%$');
});

test('caddyQuote double-quotes whitespace, quotes, braces and #', () => {
  assert.equal(caddyQuote('/srv/my apps/x'), '"/srv/my apps/x"');
  assert.equal(caddyQuote('/a"b'), '"/a\\"b"');
  assert.equal(caddyQuote('/x#y'), '"/x#y"');
  assert.equal(caddyQuote('/br{ace}'), '"/br{ace}"');
  assert.equal(caddyQuote("/it's"), '"/it\'s"');
  assert.equal(caddyQuote('/nl\nx'), '"/nl\nx"');
  assert.equal(caddyQuote(''), '""');
  assert.equal(caddyQuote('/back\\slash'), '"/back\\slash"');
});

test('caddyQuote uses a backtick token when a backslash meets a quote', () => {
  // Inside "…" Caddy reads \" as a quote, so a value with \" or a trailing \ cannot be written there.
  assert.equal(caddyQuote('/a\\"b'), '`/a\\"b`');
  assert.equal(caddyQuote('/end\\'), '`/end\\`');
  assert.throws(() => caddyQuote('/a\\"b`'), ConfigError);
});
