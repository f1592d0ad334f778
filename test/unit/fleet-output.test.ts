// The renderers fed recorded event streams (test/fixtures/events/: real
// deploys to two test hosts, recorded with --json), and the same streams
// widened to 50 hosts with long names: the plain output stays one line per
// phase plus the table, the live view one line per wave, --json carries the
// host on every host's event and ends each host with a `host` event, and in
// GitHub Actions each failed host gets one annotation.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeployerEvent } from '../../src/output/events.js';
import { Reporter, type Writer } from '../../src/output/reporter.js';
import { FleetState } from '../../src/output/fleetState.js';
import { hostTable, middleCut } from '../../src/output/hostTable.js';
import { schemasIn, validate } from '../helpers/jsonSchema.js';
import { repoRoot } from './render-helpers.js';

const schemas = schemasIn(readFileSync(join(repoRoot, 'docs', 'json.md'), 'utf8'));

function recorded(name: string): DeployerEvent[] {
  return readFileSync(join(repoRoot, 'test', 'fixtures', 'events', `${name}.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { schema: _s, time: _t, ...e } = JSON.parse(l) as Record<string, unknown>;
      return e as DeployerEvent;
    });
}

const longName = (i: number) => `web-eu-central-1-production-tier-app-${String(i).padStart(3, '0')}.fleet.example.com`;

/** The 2-host stream as if it went to `n` hosts: each host's events repeated for its share of the fleet. */
function widen(events: DeployerEvent[], n: number): DeployerEvent[] {
  const names = Array.from({ length: n }, (_, i) => longName(i + 1));
  const out: DeployerEvent[] = [];
  for (const e of events) {
    if ('host' in e && e.host) {
      const from = e.host === 'h1' ? 0 : 1;
      for (let i = from; i < n; i += 2) out.push({ ...e, host: names[i] } as DeployerEvent);
    } else if (e.type === 'log' && e.hosts) out.push({ ...e, hosts: names });
    else out.push(e);
  }
  return out;
}

/** Hosts `failed` fail their health check: an error line each, and a failed outcome. */
function failing(events: DeployerEvent[], failed: string[]): DeployerEvent[] {
  return events.flatMap((e): DeployerEvent[] => {
    if (e.type === 'host' && failed.includes(e.host))
      return [
        { type: 'log', level: 'error', host: e.host, message: `health check failed: GET /healthz answered 500` },
        { ...e, result: 'failed', rolledBack: true, version: '1.0.0', message: 'health check failed: GET /healthz answered 500' },
      ];
    if (e.type === 'result') return [{ ...e, ok: false }];
    return [e];
  });
}

function capture(columns?: number): Writer & { text: string; columns?: number; rows?: number } {
  const w = { text: '', columns, rows: 40, write: (s: string) => void (w.text += s) };
  return w;
}

function render(events: DeployerEvent[], opts: { verbose?: boolean; github?: boolean; json?: boolean; code?: number } = {}) {
  const out = capture();
  const err = capture();
  const r = new Reporter({ ...opts, stdout: out, stderr: err });
  for (const e of events) r.emit(e);
  if (opts.code) r.fail('hello 1.0.1 failed its checks', undefined, undefined, { exitCode: opts.code });
  r.finish(opts.code ?? 0, 'deploy');
  return { out: out.text, err: err.text, lines: err.text.split('\n').filter(Boolean) };
}

test('a first deploy to 2 hosts, plain: no line per file, the DNS warning once naming both hosts, the table, the URL', () => {
  const { lines } = render(recorded('deploy-first-2-hosts'));
  assert.equal(recorded('deploy-first-2-hosts').filter((e) => e.type === 'upload' && e.bytes === e.total).length, 16);
  assert.equal(lines.filter((l) => /uploaded|uploading/.test(l)).length, 0, lines.join('\n'));
  assert.match(lines.join('\n'), /^✓ upload — 16 files, [\d.]+ KiB to 2 hosts \(/m);
  const warnings = lines.filter((l) => l.includes('warning:'));
  assert.equal(warnings.length, 1, lines.join('\n'));
  assert.ok(warnings[0].startsWith('[h1, h2] warning: rec.example.invalid does not resolve'), warnings[0]);
  const table = lines.findIndex((l) => /^host +version +result +time$/.test(l));
  assert.ok(table > 0, lines.join('\n'));
  assert.match(lines[table + 1], /^h1 +1\.0\.0 +live +[\d.]+ m?s$/);
  assert.match(lines[table + 2], /^h2 +1\.0\.0 +live +[\d.]+ m?s$/);
  assert.ok(lines.some((l) => l === 'rec 1.0.0: http://rec.example.invalid/'));
  assert.ok(!lines.some((l) => /is live —/.test(l)), 'the table replaces the per-host live lines');
  assert.ok(lines.length <= 20, `${lines.length} lines:\n${lines.join('\n')}`);
});

test('-v keeps the detail: each file uploaded, each remote step, each host live line', () => {
  const { lines } = render(recorded('deploy-first-2-hosts'), { verbose: true });
  assert.equal(lines.filter((l) => /^\[h[12]\] uploaded /.test(l)).length, 16);
  assert.ok(lines.filter((l) => /^\[h[12]\] {3}· /.test(l)).length > 10);
  assert.equal(lines.filter((l) => /^\[h[12]\] ✓ 1\.0\.0 is live — /.test(l)).length, 2);
});

test('an unchanged deploy: the table says it, no per-host line besides', () => {
  const { lines } = render(recorded('deploy-unchanged-2-hosts'));
  assert.ok(!lines.some((l) => l.includes('is already live')), lines.join('\n'));
  assert.equal(lines.filter((l) => / unchanged +[\d.]+ m?s$/.test(l)).length, 2, lines.join('\n'));
});

test('50 hosts with long names, plain: the lines are bounded (phases, one table row per host), every row within 80 columns', () => {
  const events = widen(recorded('deploy-first-2-hosts'), 50);
  const { lines } = render(events);
  const rows = lines.filter((l) => l.startsWith('web-eu-'));
  assert.equal(rows.length, 50);
  assert.ok(lines.length <= 50 + 20, `${lines.length} lines`);
  for (const l of [...rows, lines.find((l) => l.startsWith('host '))!]) assert.ok(l.length <= 80, `${l.length}: ${l}`);
  // Names cut in the middle keep their distinct number.
  assert.equal(new Set(rows.map((r) => r.split(' ')[0])).size, 50);
  assert.ok(
    rows.some((r) => r.includes('…') && r.includes('001')),
    rows[0],
  );
  assert.equal(lines.filter((l) => l.includes('warning:')).length, 1);
});

test('--json: every host event carries its host, one host event per host before the result, all valid per docs/json.md', () => {
  const events = widen(recorded('deploy-first-2-hosts'), 50);
  const { out } = render(events, { json: true });
  const lines = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const e of lines) assert.deepEqual(validate(e, schemas.event), [], JSON.stringify(e));
  for (const e of lines)
    // (`output` without a host is the local build's.)
    if (['upload', 'step'].includes(String(e.type))) assert.equal(typeof e.host, 'string', JSON.stringify(e));
  const hosts = lines.filter((e) => e.type === 'host');
  assert.equal(hosts.length, 50);
  assert.equal(new Set(hosts.map((h) => h.host)).size, 50);
  assert.equal(lines.at(-1)!.type, 'result');
});

test('GitHub Actions: one ::error titled with the host per failed host, besides the run error', () => {
  const bad = [longName(3), longName(18), longName(41)];
  const { lines } = render(failing(widen(recorded('deploy-first-2-hosts'), 50), bad), { github: true, code: 7 });
  const hostErrors = lines.filter((l) => l.startsWith('::error title=deployer: '));
  assert.deepEqual(hostErrors.map((l) => l.slice('::error title=deployer: '.length, l.indexOf('::', 2))).sort(), bad);
  for (const l of hostErrors) assert.match(l, /::health check failed: GET \/healthz answered 500$/);
  assert.equal(lines.filter((l) => l.startsWith('::error title=deployer::')).length, 1, 'the run error too');
  const rows = lines.filter((l) => l.includes('FAILED, rolled back'));
  assert.equal(rows.length, 3, lines.join('\n'));
});

test('the live view: one line per wave, never one per host, the failing hosts named, each cut to the width', () => {
  const s = new FleetState();
  const names = Array.from({ length: 50 }, (_, i) => longName(i + 1));
  s.see({ type: 'phase', phase: 'lock', status: 'done' });
  for (const host of names) s.see({ type: 'upload', host, file: 'artifact', bytes: 512, total: 1024 });
  assert.deepEqual(s.lines(200), ['… 50 hosts: uploading 50% 25.0/50.0 KiB — 0 done, 0 failed']);
  s.see({ type: 'wave', wave: 1, of: 3, kind: 'canary', hosts: names.slice(0, 1), status: 'done' });
  s.see({ type: 'wave', wave: 2, of: 3, kind: 'batch', hosts: names.slice(1, 13), status: 'start' });
  for (const host of names.slice(1, 4)) s.see({ type: 'log', level: 'error', host, message: 'health check failed' });
  s.see({ type: 'wave', wave: 3, of: 3, kind: 'batch', hosts: names.slice(13), status: 'start' });
  const lines = s.lines(79);
  assert.equal(lines.length, 3, lines.join('\n'));
  assert.match(lines[0], /^✓ wave 1\/3 \(1 host\): 0 done, 0 failed$/);
  assert.match(lines[1], /^… wave 2\/3 \(12 hosts\): uploading 50% .* — 0 done, 3 failed \(web-eu-c…$/);
  for (const l of lines) assert.ok(l.length <= 79, l);
  assert.match(s.lines(400)[1], /3 failed \(web-eu-central-1-production-tier-app-002\.fleet\.example\.com, .*-003\..*, .*-004\..*\)$/);
});

test('the table fits: long names cut in the middle, results and times aligned', () => {
  const t = hostTable(
    [
      { type: 'host', host: 'h1', version: '1.0.0', result: 'live', ms: 1200 },
      { type: 'host', host: longName(7), version: '1.0.0', result: 'failed', rolledBack: true, ms: 900 },
      { type: 'host', host: 'db', result: 'failed', ms: 95 },
    ],
    60,
  );
  assert.equal(t[0].replace(/ +/g, ' '), 'host version result time');
  for (const l of t) assert.ok(l.length <= 60, `${l.length}: ${l}`);
  assert.equal(new Set(t.map((l) => l.length)).size, 1, t.join('\n'));
  assert.match(t[3], /^db +- +FAILED +95 ms$/);
  assert.equal(middleCut('abcdefghij', 5), 'ab…ij');
});
