// `app maintenance on|off` (src/plan/maintenanceMode.ts, src/app/maintenance.ts):
// the steps, the refusals, and the pages.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planMaintenance, siteServesMaintenance } from '../../src/plan/maintenanceMode.js';
import { maintenancePage } from '../../src/app/maintenance.js';
import { ConfigError, StateError } from '../../src/errors.js';
import { renderAll } from '../../src/render/index.js';
import { renderMaintenancePage } from '../../src/render/maintenancePage.js';
import { freshState, makeConfig, makeHost, makeRenderer } from './render-helpers.js';
import { tempDir } from '../helpers/tmp.js';

const renderer = () => makeRenderer();
const config = makeConfig();
const site = renderAll(config, makeHost(), renderer()).caddySite!.content;
const who = { time: '2026-01-01T00:00:00Z', by: 'me' };

test('the rendered site serves the mode; one rendered before it does not', () => {
  assert.equal(siteServesMaintenance(site), true);
  assert.equal(siteServesMaintenance(':80 {\n\treverse_proxy 127.0.0.1:8000\n}\n'), false);
  assert.equal(siteServesMaintenance(undefined), false);
});

test('on: the page written whole and a history line; off: removed and a history line', () => {
  const state = freshState({ current: '1.0.0', releases: ['1.0.0'], caddySite: site });
  const on = planMaintenance(config, makeHost(), state, { page: '<p>x</p>', note: 'msg' }, who);
  assert.deepEqual(on.steps[0], { kind: 'write', path: '/srv/deployer/hello-production/.maintenance', mode: '0644', content: '<p>x</p>' });
  assert.ok(on.steps[1].kind === 'append-line');
  assert.deepEqual(JSON.parse(on.steps[1].line), { ...who, action: 'maintenance on', host: makeHost().name, result: 'msg' });
  const off = planMaintenance(config, makeHost(), state, undefined, who);
  assert.deepEqual(off.steps[0], { kind: 'remove', paths: ['/srv/deployer/hello-production/.maintenance'] });
  assert.ok(off.steps[1].kind === 'append-line' && JSON.parse(off.steps[1].line).action === 'maintenance off');
});

test('on refuses a host whose site cannot serve it, saying how to fix it', () => {
  const old = freshState({ current: '1.0.0', releases: ['1.0.0'], caddySite: ':80 {\n}\n' });
  assert.throws(
    () => planMaintenance(config, makeHost(), old, { page: 'x', note: 'n' }, who),
    (e: unknown) => {
      assert.ok(e instanceof StateError);
      assert.match(e.message, /no maintenance block/);
      assert.match(String(e.hint), /templates export caddy\.site\.hbs --force/);
      return true;
    },
  );
  assert.throws(() => planMaintenance(config, makeHost(), freshState(), { page: 'x', note: 'n' }, who), /no Caddy site/);
  // Off always works (it removes a file).
  assert.equal(planMaintenance(config, makeHost(), old, undefined, who).steps[0].kind, 'remove');
});

test('the default page has the app name and the message, HTML-escaped', () => {
  const html = renderMaintenancePage(renderer(), config, 'Back at <14:00> & "soon"');
  assert.match(html, /hello is down for maintenance/);
  assert.match(html, /Back at &#60;14:00&#62; &#38; &#34;soon&#34;/);
  assert.match(html, /^<!doctype html>/);
});

test('--page: the file as it is, size-limited; --page with --message is refused', () => {
  const dir = tempDir('maint-page');
  writeFileSync(join(dir, 'p.html'), '<h1>later</h1>');
  assert.deepEqual(maintenancePage(config, { page: 'p.html', cwd: dir }), { page: '<h1>later</h1>', note: 'page p.html' });
  writeFileSync(join(dir, 'big.html'), 'x'.repeat(64 * 1024 + 1));
  assert.throws(() => maintenancePage(config, { page: 'big.html', cwd: dir }), /at most 65536 bytes/);
  assert.throws(() => maintenancePage(config, { page: 'nope.html', cwd: dir }), ConfigError);
  assert.throws(() => maintenancePage(config, { page: 'p.html', message: 'm', cwd: dir }), /separately/);
});
