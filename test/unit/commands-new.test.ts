// The pure parts of `releases`, `lock status` and `templates export`, and
// `templates export` run for real (the built CLI in a temp project).
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatReleases, releaseRows } from '../../src/app/releases.js';
import { formatDuration, formatLockStatus, holderSince } from '../../src/app/lock.js';
import { TEMPLATE_NAMES } from '../../src/commands/templates.js';
import { bundledTemplatesDir } from '../../src/render/renderer.js';
import { completeWords } from '../../src/completion/complete.js';
import { buildProgram } from '../../src/program.js';
import { parseVersions } from '../../src/plan/versions.js';
import { tempDir } from '../helpers/tmp.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

test('releases: installed ones in .versions order with their status, unrecorded dirs last, the live one marked', () => {
  const versions = parseVersions(
    '# header\n1.0.2\tfailed\t2026-01-03T00:00:00Z\tabc\tbob@ci\n1.0.1_2\tgood\t2026-01-02T00:00:00Z\tabc\talice@lap\n1.0.0\tgood\t2026-01-01T00:00:00Z\tabc\talice@lap\n0.9.0\tgood\t2025-12-01T00:00:00Z\tabc\tx\n',
  );
  const rows = releaseRows({ releases: ['1.0.0', '1.0.1_2', '1.0.2', '1.0.3'], versions, current: '1.0.1_2' });
  assert.deepEqual(
    rows.map((r) => [r.release, r.status, r.live]),
    [
      ['1.0.2', 'failed', false],
      ['1.0.1_2', 'good', true],
      ['1.0.0', 'good', false],
      ['1.0.3', 'unrecorded', false],
    ],
  );
  assert.equal(
    formatReleases('h1', 'shop', rows),
    [
      'h1: shop',
      '    1.0.2    failed      2026-01-03T00:00:00Z by bob@ci',
      '  * 1.0.1_2  good        2026-01-02T00:00:00Z by alice@lap  (live)',
      '    1.0.0    good        2026-01-01T00:00:00Z by alice@lap',
      '    1.0.3    unrecorded',
    ].join('\n'),
  );
  assert.equal(formatReleases('h1', 'shop', []), 'h1: shop has no releases installed');
});

test('lock status: free, or the holder with how long it has held the lock', () => {
  const holder = 'alice@laptop pid 42: deployer deploy (since 2026-01-01T10:00:00.000Z)';
  assert.equal(holderSince(holder), '2026-01-01T10:00:00.000Z');
  assert.equal(holderSince('someone odd'), undefined);
  const now = Date.parse('2026-01-01T10:03:05Z');
  assert.equal(
    formatLockStatus({ host: 'h1', locked: true, holder, since: holderSince(holder) }, now),
    `h1: locked by ${holder}, held for 3m 5s`,
  );
  assert.equal(formatLockStatus({ host: 'h2', locked: false }, now), 'h2: free');
  assert.equal(formatDuration(2 * 3600_000 + 60_000), '2h 1m');
});

test('templates export: the names offered are the bundled files, and TAB completes them', async () => {
  assert.deepEqual(
    [...TEMPLATE_NAMES],
    readdirSync(bundledTemplatesDir())
      .filter((f) => f.endsWith('.hbs'))
      .sort(),
  );
  const r = await completeWords(buildProgram(), ['templates', 'export', 'w'], () => []);
  assert.deepEqual(
    r.candidates.map((c) => c.value),
    ['web.service.hbs', 'worker.service.hbs'],
  );
  const top = await completeWords(buildProgram(), [''], () => []);
  for (const name of ['releases', 'lock', 'templates', 'version'])
    assert.ok(
      top.candidates.some((c) => c.value === name),
      name,
    );
  const server = await completeWords(buildProgram(), ['server', ''], () => []);
  assert.ok(server.candidates.some((c) => c.value === 'exec'));
});

test('templates export copies into .deployer/ beside the config, refuses to overwrite without --force, all or nothing', () => {
  const dir = tempDir('templates-export-');
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, encoding: 'utf8' });
  let r = cli('templates', 'export', 'caddy.site.hbs');
  assert.equal(r.status, 0, r.stderr);
  const copy = join(dir, '.deployer', 'caddy.site.hbs');
  assert.equal(readFileSync(copy, 'utf8'), readFileSync(join(bundledTemplatesDir(), 'caddy.site.hbs'), 'utf8'));
  assert.match(r.stderr, /wrote \.deployer\/caddy\.site\.hbs/);
  writeFileSync(copy, 'my edits');
  // All: one exists, so none is written.
  r = cli('templates', 'export');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /\.deployer\/caddy\.site\.hbs already exists; nothing was written/);
  assert.match(r.stderr, /--force/);
  assert.equal(readFileSync(copy, 'utf8'), 'my edits');
  assert.equal(existsSync(join(dir, '.deployer', 'web.service.hbs')), false);
  r = cli('templates', 'export', '--force');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(join(dir, '.deployer')).sort(), [...TEMPLATE_NAMES]);
  assert.notEqual(readFileSync(copy, 'utf8'), 'my edits');
  // With -c, beside that config file.
  r = cli('-c', 'sub/deployer.toml', 'templates', 'export', 'timer.hbs');
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(join(dir, 'sub', '.deployer', 'timer.hbs')));
  r = cli('templates', 'export', 'nope.hbs');
  assert.equal(r.status, 2);
});
