// The GitHub Actions side without a host: log groups, colour from
// FORCE_COLOR, the step's outputs and the step summary's URL and time.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { wantsColor } from '../../src/context.js';
import { renderGithubOutputs, renderStepSummary, writeGithubOutputs } from '../../src/deploy/summary.js';
import { siteUrls } from '../../src/deploy/urls.js';
import { Reporter, type Writer } from '../../src/output/reporter.js';
import { makeConfig, makeHost } from './render-helpers.js';
import { tempDir } from '../helpers/tmp.js';

function capture(): Writer & { text: string } {
  const w = { text: '', write: (s: string) => void (w.text += s) };
  return w;
}

test('in GitHub Actions build output is one group and each host its own, printed when the host is done', () => {
  const err = capture();
  const r = new Reporter({ github: true, stdout: capture(), stderr: err });
  r.emit({ type: 'phase', phase: 'build', status: 'start' });
  r.emit({ type: 'output', stream: 'stdout', text: 'compiling\n' });
  r.emit({ type: 'output', stream: 'stdout', text: 'linking\n' });
  r.emit({ type: 'phase', phase: 'build', status: 'done', ms: 5 });
  r.emit({ type: 'output', host: 'h1', stream: 'stdout', text: 'migrated 3' });
  r.emit({ type: 'output', host: 'h2', stream: 'stdout', text: 'migrated 0' });
  r.emit({ type: 'phase', phase: 'live', label: '1.0.0 is live', host: 'h2', status: 'done' });
  r.emit({ type: 'phase', phase: 'live', label: '1.0.0 is live', host: 'h1', status: 'done' });
  // No host outcome (table) follows here: the held live lines come out at the end.
  r.finish(0, 'deploy');
  assert.equal(
    err.text,
    [
      '::group::build output',
      '│ compiling',
      '│ linking',
      '::endgroup::',
      '✓ build (5 ms)',
      '::group::h2',
      'migrated 0',
      '::endgroup::',
      '::group::h1',
      'migrated 3',
      '::endgroup::',
      '[h2] ✓ 1.0.0 is live',
      '[h1] ✓ 1.0.0 is live',
      '',
    ].join('\n'),
  );
});

test("a failure prints the hosts' held lines in their groups before the error", () => {
  const err = capture();
  const r = new Reporter({ github: true, stdout: capture(), stderr: err });
  r.emit({ type: 'output', host: 'h1', stream: 'stdout', text: 'Traceback: boom' });
  r.fail('hello 1.0.0 failed its checks on h1', undefined, undefined, { exitCode: 7 });
  assert.match(err.text, /^::group::h1\nTraceback: boom\n::endgroup::\n::error title=deployer::hello 1\.0\.0 failed/);
});

test('outside GitHub nothing is held back', () => {
  const err = capture();
  const r = new Reporter({ stdout: capture(), stderr: err });
  r.emit({ type: 'output', host: 'h1', stream: 'stdout', text: 'migrated 3' });
  assert.equal(err.text, '[h1] │ migrated 3\n');
});

test('FORCE_COLOR colours without a TTY and wins over NO_COLOR; 0 and false turn it off', () => {
  assert.equal(wantsColor({}, false), false);
  assert.equal(wantsColor({ FORCE_COLOR: '1' }, false), true);
  assert.equal(wantsColor({ FORCE_COLOR: '1', NO_COLOR: '1' }, false), true);
  assert.equal(wantsColor({ FORCE_COLOR: '0' }, true), false);
  assert.equal(wantsColor({ FORCE_COLOR: 'false' }, true), false);
  assert.equal(wantsColor({ NO_COLOR: '1' }, true), false);
  assert.equal(wantsColor({}, true), true);
  const err = capture();
  new Reporter({ color: true, stdout: capture(), stderr: err }).emit({ type: 'phase', phase: 'build', status: 'done' });
  assert.equal(err.text, '\x1b[32m✓\x1b[39m build\n');
});

test('url and version go to GITHUB_OUTPUT as name=value lines', () => {
  assert.equal(
    renderGithubOutputs({ url: 'https://shop.example/', version: '1.2.3', missing: undefined }),
    'url=https://shop.example/\nversion=1.2.3\n',
  );
  const dir = tempDir('deployer-out-');
  try {
    const file = join(dir, 'out');
    writeGithubOutputs({ GITHUB_OUTPUT: file }, { url: 'http://a/', version: '1' });
    assert.equal(readFileSync(file, 'utf8'), 'url=http://a/\nversion=1\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the step summary gives the URL and the total time', () => {
  const host = {
    host: 'h1',
    uploads: 1,
    uploadedBytes: 1,
    installSkipped: false,
    daemonReload: true,
    caddyReload: true,
    healthy: true,
    pruned: [],
  };
  const md = renderStepSummary(makeConfig(), '1.0.0', [host], true, { urls: ['https://shop.example/'], totalMs: 12_345 });
  assert.match(md, /^<https:\/\/shop\.example\/>$/m);
  assert.match(md, /^Total time: 12\.3 s$/m);
});

test('site URLs: https for a domain, http where the address says so, the host address for the catch-all site', () => {
  const cfg = (domains: string[]) => makeConfig({ webserver: { ...makeConfig().webserver, domains } });
  assert.deepEqual(siteUrls(cfg(['shop.example', 'http://plain.example', '*.wild.example']), makeHost()), [
    'https://shop.example/',
    'http://plain.example/',
  ]);
  assert.deepEqual(siteUrls(cfg([]), makeHost({ address: '203.0.113.10' })), ['http://203.0.113.10/']);
  assert.deepEqual(siteUrls(cfg([':8080']), makeHost({ address: '2001:db8::1' })), ['http://[2001:db8::1]:8080/']);
});
