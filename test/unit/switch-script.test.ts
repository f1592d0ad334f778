// The switch steps planDeploy decides, run by remote/phase.sh in a real bash
// with stub sudo/systemctl on PATH and temp dirs for the unit folder and the
// Caddy site: each step does exactly its one thing, in order.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { activateSteps, deactivateSteps } from '../../src/plan/activate.js';
import type { Layout } from '../../src/plan/layout.js';
import { renderScript } from '../../src/remote/phaseScript.js';
import type { Step } from '../../src/remote/steps.js';
import { stubHost } from '../helpers/stubHost.js';

function host() {
  const stub = stubHost();
  const d = stub.dir;
  // list-units answers with two running replicas of the template.
  stub.setListUnits(['shop-web@8000.service loaded active running x', 'shop-web@8001.service loaded active running x']);
  const appDir = join(d, 'apps', 'shop');
  const unitDir = join(d, 'units');
  mkdirSync(join(appDir, 'v2', '.deployer', 'units'), { recursive: true });
  mkdirSync(unitDir);
  writeFileSync(join(appDir, 'v2', '.deployer', 'units', 'shop-web@.service'), 'new web\n');
  writeFileSync(join(appDir, 'v2', '.deployer', 'caddy.site'), 'new site\n');
  writeFileSync(join(appDir, 'v2', '.env'), 'A=1\n');
  writeFileSync(join(unitDir, 'shop-web@.service'), 'old web\n');
  writeFileSync(join(unitDir, 'shop-old.service'), 'old\n');
  const L = {
    appDir,
    current: join(appDir, 'current'),
    unitDir,
    caddySite: join(d, 'sites', 'shop.caddy'),
    // Missing here: the reload falls back to `systemctl reload caddy` (the stub logs it).
    caddyfile: join(d, 'Caddyfile'),
    releaseDirName: (v: string) => `v${v}`,
  } as unknown as Layout;
  const run = (steps: Step[]) => {
    const r = stub.run(renderScript({ phaseLock: join(d, 'phase.lock'), steps }));
    return { ...r, calls: stub.calls().join('\n') };
  };
  return { L, run, appDir, unitDir };
}

test('activate: removes and installs the units it names, reloads systemd, switches, stops a scaled-down replica, restarts, installs the site', () => {
  const h = host();
  const steps = activateSteps(
    h.L,
    // The probe found both replicas loaded.
    {
      units: { 'shop-web@.service': 'old web\n', 'shop-old.service': 'old\n' },
      instances: ['shop-web@8000.service', 'shop-web@8001.service'],
    },
    {
      releaseDirName: 'v2',
      units: { 'shop-web@.service': 'new web\n' },
      caddySite: 'new site\n',
      instances: 'restart shop-web@8000.service\n',
    },
  );
  const r = h.run(steps);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(readFileSync(join(h.unitDir, 'shop-web@.service'), 'utf8'), 'new web\n');
  assert.equal(existsSync(join(h.unitDir, 'shop-old.service')), false);
  assert.equal(readlinkSync(join(h.appDir, 'current')), 'v2');
  assert.equal(readlinkSync(join(h.appDir, '.env')), 'current/.env');
  assert.equal(readFileSync(h.L.caddySite, 'utf8'), 'new site\n');
  assert.deepEqual(r.calls.trim().split('\n'), [
    'systemctl disable --no-reload --now --quiet -- shop-old.service',
    'systemctl daemon-reload',
    // The plan's choice, then a look for any the probe did not see.
    'systemctl disable --no-reload --now --quiet -- shop-web@8001.service',
    'systemctl list-units --all --plain --no-legend -- shop-web@*.service',
    'systemctl enable --no-reload --quiet -- shop-web@8000.service',
    'systemctl restart -- shop-web@8000.service',
    'systemctl reload caddy',
  ]);
  for (const m of [
    '@@unit-removed shop-old.service',
    '@@unit-changed shop-web@.service',
    '@@daemon-reload',
    '@@unit-stopped shop-web@8001.service',
    '@@restarted shop-web@8000.service',
    '@@caddy-reload',
  ]) {
    assert.ok(r.stdout.includes(m), `${m} missing from:\n${r.stdout}`);
  }
});

test('nothing changed: no unit is touched, systemd and Caddy are not reloaded, the services still restart', () => {
  const h = host();
  const r = h.run(
    activateSteps(
      h.L,
      { units: { 'shop-api.service': 'api\n' }, caddySite: 'site\n' },
      {
        releaseDirName: 'v2',
        units: { 'shop-api.service': 'api\n' },
        caddySite: 'site\n',
        instances: 'restart shop-api.service\nstart shop-api.socket\n',
      },
    ),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.calls.trim().split('\n'), [
    'systemctl enable --no-reload --quiet -- shop-api.service shop-api.socket',
    'systemctl restart -- shop-api.service',
    'systemctl start -- shop-api.socket',
  ]);
});

test('deactivate removes every unit of the app, the site and the current link', () => {
  const h = host();
  mkdirSync(join(h.L.caddySite, '..'), { recursive: true });
  writeFileSync(h.L.caddySite, 'site\n');
  spawnSync('ln', ['-s', 'v2', join(h.appDir, 'current')]);
  const r = h.run(deactivateSteps(h.L, { units: { 'shop-web@.service': 'old web\n', 'shop-old.service': 'old\n' }, caddySite: 'site\n' }));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(existsSync(join(h.unitDir, 'shop-web@.service')) || existsSync(join(h.unitDir, 'shop-old.service')), false);
  assert.equal(existsSync(h.L.caddySite), false);
  assert.equal(existsSync(join(h.appDir, 'current')), false);
  assert.match(r.calls, /stop -- shop-web@\*\.service/);
});

test('dp_copy_files copies the named files of the live release into the new one, dirs made, modes kept, in one cp', () => {
  const h = host();
  const live = join(h.appDir, 'v1');
  mkdirSync(join(live, '.deployer', 'units'), { recursive: true });
  writeFileSync(join(live, '.env'), 'SECRET=1\n', { mode: 0o600 });
  writeFileSync(join(live, '.deployer', 'units', 'shop-web@.service'), 'unit\n');
  writeFileSync(join(live, '-odd name'), 'x\n');
  mkdirSync(join(h.appDir, 'v3'));
  const r = h.run([
    {
      kind: 'run',
      argv: ['dp_copy_files', live, join(h.appDir, 'v3'), '.env', '.deployer/units/shop-web@.service', '-odd name'],
      desc: 'copy',
    },
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(h.appDir, 'v3', '.env'), 'utf8'), 'SECRET=1\n');
  assert.equal(statSync(join(h.appDir, 'v3', '.env')).mode & 0o777, 0o600);
  assert.equal(readFileSync(join(h.appDir, 'v3', '.deployer', 'units', 'shop-web@.service'), 'utf8'), 'unit\n');
  assert.equal(readFileSync(join(h.appDir, 'v3', '-odd name'), 'utf8'), 'x\n');
});

test('stop-unlisted stops only the instances the plan names; one the probe did not see is named and left running', () => {
  const h = host();
  // The probe saw only 8000; list-units now also shows 8001.
  const steps = activateSteps(
    h.L,
    { units: { 'shop-web@.service': 'new web\n' }, instances: ['shop-web@8000.service'] },
    { releaseDirName: 'v2', units: { 'shop-web@.service': 'new web\n' }, instances: 'restart shop-web@8000.service\n' },
  );
  const r = h.run(steps);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.ok(!r.calls.includes('shop-web@8001.service'), r.calls);
  assert.match(r.stdout, /^@@warn shop-web@8001\.service is there, and it was not when deployer looked at the host: left as it is/m);
  assert.doesNotMatch(r.stdout, /@@unit-stopped/);
});
