// The blue-green switch as planned data: the order of its steps (the old web
// instances serve until the new ones passed their gate; Caddy moves with a
// reload), its commit (drain) and its revert (the old slot is never restarted).
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import type { Config } from '../../src/config/types.js';
import { chooseRelease, isNoop, planDeploy, sha256, type DeployPlanInput, type ReleaseFile } from '../../src/plan/planDeploy.js';
import { planRollback } from '../../src/plan/maintenance.js';
import { previewDeploy } from '../../src/plan/preview.js';
import type { RemoteState } from '../../src/remote/state.js';
import type { Step } from '../../src/remote/steps.js';
import { blueGreenFiles, freshState, shopBlueGreenConfig, makeHost, shopSite, textFile } from './render-helpers.js';

const text = textFile;
const webUnit = '[Service]\nWorkingDirectory=/srv/deployer/shop/.web/%i\n';
const siteFor = shopSite;
const files: ReleaseFile[] = blueGreenFiles(
  { path: 'app.whl', local: '/tmp/app.whl', sha256: 'a'.repeat(64), size: 10, mode: 0o644, label: 'artifact' },
  { web: webUnit, worker: '[Service]\nworker\n' },
);
const config = shopBlueGreenConfig(7);
const state = freshState;
const input = (s: RemoteState, version = '1.1.0'): DeployPlanInput => ({
  config,
  host: makeHost(),
  version,
  artifact: 'app.whl',
  files,
  state: s,
  time: 't',
  by: 'me',
  action: 'deploy',
});
const kinds = (steps: Step[]) => steps.map((s) => (s.kind === 'run' ? `run ${s.desc}` : s.kind));

/** A host where 1.0.0 serves from slot b. */
const live = state({
  current: '1.0.0',
  releases: ['1.0.0'],
  liveSlot: 'b',
  versions: [{ version: '1.0.0', status: 'good', time: 't', sha: 's', by: 'me' }],
  units: { 'shop-web@.service': webUnit, 'shop-worker.service': '[Service]\nworker\n' },
  caddySite: siteFor('127.0.0.1:8001'),
  releaseSwitch: {
    '1.0.0': {
      units: { 'shop-web@.service': webUnit, 'shop-worker.service': '[Service]\nworker\n' },
      caddySite: siteFor('127.0.0.1:8001'),
      instances: 'restart shop-worker.service\n',
    },
  },
});

test('a deploy starts the release in the idle slot, gates it, then moves Caddy; workers restart after', () => {
  const p = planDeploy(input(live));
  assert.deepEqual(kinds(p.switch.steps), [
    'web-start',
    'web-gate',
    'run select the Caddy site for slot a',
    'install-site',
    'reload-caddy',
    'switch-current',
    'start-units',
    'wait-units',
  ]);
  const start = p.switch.steps[0];
  assert.ok(start.kind === 'web-start');
  assert.deepEqual(start.units, ['shop-web@8000.service']);
  assert.deepEqual(start.ports, [8000]);
  assert.equal(start.release, 'v1.1.0');
  const gate = p.switch.steps[1];
  assert.ok(gate.kind === 'web-gate');
  assert.equal(gate.host, 'shop.example.com');
  assert.equal(gate.path, '/healthz');
  // The release's caddy.site is uploaded with slot a's content.
  assert.ok(p.uploads.some((u) => u.label === 'Caddy site' && u.content === siteFor('127.0.0.1:8000')));
  // No step restarts or stops the old slot during the switch.
  assert.ok(
    !p.switch.steps.some(
      (s) =>
        (s.kind === 'start-units' && s.restart.some((u) => u.startsWith('shop-web'))) ||
        s.kind === 'web-stop' ||
        s.kind === 'stop-unlisted',
    ),
  );
});

test('commit: the new slot is kept and recorded, the old one drains for drain_seconds then stops', () => {
  const commit = planDeploy(input(live)).switch.verdict!.commit;
  assert.deepEqual(commit[0], {
    kind: 'web-commit',
    drainUnit: 'shop-web-drain',
    drainSec: 7,
    units: ['shop-web@8000.service'],
    old: ['shop-web@8001.service'],
  });
  assert.deepEqual(commit[1], { kind: 'write', path: '/srv/deployer/shop/.web/live', mode: '0644', content: 'a\n' });
});

test("revert: the old release's site again (its slot never stopped), then the new instances stop", () => {
  const p = planDeploy(input(live));
  for (const revert of [p.switch.onFail!, p.switch.verdict!.rollback]) {
    const k = kinds(revert);
    assert.ok(k.indexOf('install-site') >= 0 && k.indexOf('install-site') < k.indexOf('web-stop'), k.join(', '));
    const site = revert.find((s) => s.kind === 'install-site');
    assert.ok(site && site.kind === 'install-site' && site.from === '/srv/deployer/shop/v1.0.0/.deployer/caddy.site');
    const stop = revert.find((s) => s.kind === 'web-stop');
    assert.deepEqual(stop && stop.kind === 'web-stop' && stop.units, ['shop-web@8000.service']);
    assert.ok(
      !revert.some((s) => s.kind === 'stop-unlisted' && s.templates.includes('shop-web@.service')),
      'the old slot is not "unlisted"',
    );
    assert.ok(!revert.some((s) => s.kind === 'start-units' && [...s.restart, ...s.start].some((u) => u.startsWith('shop-web'))));
  }
});

/** A host where 1.0.0 was deployed with strategy = "restart": shop-web.service serves on 8000. */
const restartEra = state({
  current: '1.0.0',
  releases: ['1.0.0'],
  versions: [{ version: '1.0.0', status: 'good', time: 't', sha: 's', by: 'me' }],
  units: { 'shop-web.service': '[Service]\nold\n', 'shop-worker.service': '[Service]\nworker\n' },
  caddySite: siteFor('127.0.0.1:8000'),
  releaseSwitch: {
    '1.0.0': {
      units: { 'shop-web.service': '[Service]\nold\n', 'shop-worker.service': '[Service]\nworker\n' },
      caddySite: siteFor('127.0.0.1:8000'),
      instances: 'restart shop-web.service\nrestart shop-worker.service\n',
    },
  },
});

test('the first blue-green deploy over a restart deploy starts in slot b; the old web unit serves until the commit', () => {
  const p = planDeploy(input(restartEra));
  const k = kinds(p.switch.steps);
  const start = p.switch.steps.find((s) => s.kind === 'web-start');
  assert.ok(start && start.kind === 'web-start');
  assert.deepEqual(start.ports, [8001]);
  // It is installed and serving: web-start must not stop it.
  assert.deepEqual(start.stale, []);
  assert.ok(k.indexOf('install-unit') < k.indexOf('web-start'));
  // The switch neither stops nor removes it: it is the old slot.
  assert.ok(
    !p.switch.steps.some(
      (s) =>
        ((s.kind === 'remove-unit' || s.kind === 'retire-unit') && s.name === 'shop-web.service') ||
        (s.kind === 'start-units' && [...s.restart, ...s.start].includes('shop-web.service')),
    ),
    k.join(', '),
  );
  // The commit drains it with the old slot, then removes its file (it is not stopped by that).
  const commit = p.switch.verdict!.commit;
  assert.deepEqual(commit.slice(0, 3), [
    { kind: 'web-commit', drainUnit: 'shop-web-drain', drainSec: 7, units: ['shop-web@8001.service'], old: ['shop-web.service'] },
    { kind: 'retire-unit', unitDir: '/etc/systemd/system', name: 'shop-web.service' },
    { kind: 'daemon-reload' },
  ]);
});

test('a revert of the first blue-green deploy points Caddy back at the restart-era web unit, never restarting it', () => {
  const p = planDeploy(input(restartEra));
  for (const revert of [p.switch.onFail!, p.switch.verdict!.rollback]) {
    const k = kinds(revert);
    // Still installed: not reinstalled; still running: started (a no-op), not restarted.
    assert.ok(!revert.some((s) => s.kind === 'install-unit' && s.name === 'shop-web.service'), k.join(', '));
    const units = revert.find((s) => s.kind === 'start-units');
    assert.ok(units && units.kind === 'start-units');
    assert.deepEqual(units.restart, ['shop-worker.service']);
    assert.deepEqual(units.start, ['shop-web.service']);
    const site = revert.find((s) => s.kind === 'install-site');
    assert.ok(site && site.kind === 'install-site' && site.from === '/srv/deployer/shop/v1.0.0/.deployer/caddy.site');
    // The web template (and with it every instance) goes only after Caddy moved back and the new slot stopped.
    const removeTemplate = k.findIndex(
      (_, i) => revert[i].kind === 'remove-unit' && (revert[i] as { name: string }).name === 'shop-web@.service',
    );
    assert.ok(removeTemplate > k.indexOf('reload-caddy') && removeTemplate > k.indexOf('web-stop'), k.join(', '));
    assert.equal(k[removeTemplate + 1], 'daemon-reload');
  }
});

test('once the restart-era web unit is retired, the next deploy stops it should its drain still be pending', () => {
  const after = state({ ...live, units: { 'shop-web@.service': webUnit, 'shop-worker.service': '[Service]\nworker\n' } });
  for (const steps of [
    planDeploy(input(after)).switch.steps,
    planRollback(
      config,
      makeHost(),
      {
        ...after,
        current: '1.1.0',
        releases: ['1.0.0', '1.1.0'],
        releaseSwitch: { ...live.releaseSwitch, '1.1.0': live.releaseSwitch!['1.0.0'] },
      },
      '1.0.0',
      { time: 't', by: 'me' },
    ).steps,
  ]) {
    const start = steps.find((s) => s.kind === 'web-start');
    assert.ok(start && start.kind === 'web-start');
    assert.deepEqual(start.stale, ['shop-web.service']);
  }
});

test('a rollback from a restart-era release to a blue-green one keeps the old web unit until its commit too', () => {
  const back = state({
    ...restartEra,
    releases: ['0.9.0', '1.0.0'],
    releaseSwitch: { ...restartEra.releaseSwitch, '0.9.0': live.releaseSwitch!['1.0.0'] },
  });
  const spec = planRollback(config, makeHost(), back, '0.9.0', { time: 't', by: 'me' });
  assert.ok(!spec.steps.some((s) => s.kind === 'remove-unit' && s.name === 'shop-web.service'), kinds(spec.steps).join(', '));
  assert.deepEqual(spec.verdict!.commit[0], {
    kind: 'web-commit',
    drainUnit: 'shop-web-drain',
    drainSec: 7,
    units: ['shop-web@8001.service'],
    old: ['shop-web.service'],
  });
  assert.ok(spec.verdict!.commit.some((s) => s.kind === 'retire-unit' && s.name === 'shop-web.service'));
  const units = spec.verdict!.rollback.find((s) => s.kind === 'start-units');
  assert.ok(
    units && units.kind === 'start-units' && units.start.includes('shop-web.service') && !units.restart.includes('shop-web.service'),
  );
});

test("the live release again with nothing changed is still a no-op (its own slot's site is compared)", () => {
  const unchanged = state({
    ...live,
    current: '1.0.0',
    releaseFiles: {
      ...Object.fromEntries(files.map((f) => [f.path, f.sha256])),
      '.deployer/caddy.site': sha256(siteFor('127.0.0.1:8001')),
    },
  });
  const stamp = planDeploy(input(state())).prepare.steps.find((s) => s.kind === 'write');
  assert.ok(stamp && stamp.kind === 'write');
  unchanged.releaseFiles['.deployer/installed'] = sha256(stamp.content);
  assert.equal(chooseRelease(input(unchanged, '1.0.0')).release, '1.0.0');
  assert.equal(isNoop(planDeploy(input(unchanged, '1.0.0')), unchanged), true);
});

test('strategy = "restart" plans today\'s switch: restart in place, no slot', () => {
  const restart = { ...input(live), config: { ...config, strategy: 'restart' } as Config };
  const p = planDeploy(restart);
  assert.ok(!p.switch.steps.some((s) => s.kind.startsWith('web-')));
});

test('rollback to a blue-green release goes through the idle slot the same way', () => {
  const withOld = state({
    ...live,
    current: '1.1.0',
    liveSlot: 'a',
    releases: ['1.0.0', '1.1.0'],
    releaseSwitch: { ...live.releaseSwitch, '1.1.0': live.releaseSwitch!['1.0.0'] },
  });
  const spec = planRollback(config, makeHost(), withOld, '1.0.0', { time: 't', by: 'me' });
  const k = kinds(spec.steps);
  assert.deepEqual(k.slice(0, 5), ['web-start', 'web-gate', 'run select the Caddy site for slot b', 'install-site', 'reload-caddy']);
  const start = spec.steps[0];
  assert.ok(start.kind === 'web-start' && start.release === 'v1.0.0' && start.ports[0] === 8001);
  assert.equal(spec.verdict!.commit[0].kind, 'web-commit');
});

test('rollback brings the release back with as many web instances as it ran with (its web-instances), whatever replicas says now', () => {
  const ranWith3 = {
    ...live.releaseSwitch!['1.0.0'],
    webInstances: 'restart shop-web@8001.service\nrestart shop-web@8003.service\nrestart shop-web@8005.service\n',
  };
  const withOld = state({
    ...live,
    current: '1.1.0',
    liveSlot: 'a',
    releases: ['1.0.0', '1.1.0'],
    releaseSwitch: { '1.0.0': ranWith3, '1.1.0': { ...live.releaseSwitch!['1.0.0'], webInstances: 'restart shop-web@8000.service\n' } },
  });
  const spec = planRollback(config, makeHost(), withOld, '1.0.0', { time: 't', by: 'me' });
  const start = spec.steps[0];
  assert.ok(start.kind === 'web-start');
  assert.deepEqual(start.ports, [8001, 8003, 8005]);
  const commit = spec.verdict!.commit[0];
  assert.ok(commit.kind === 'web-commit');
  assert.deepEqual(commit.units, ['shop-web@8001.service', 'shop-web@8003.service', 'shop-web@8005.service']);
  // No record (a release deployed before web-instances existed): the config's replicas.
  const plain = planRollback(
    config,
    makeHost(),
    { ...withOld, releaseSwitch: { ...withOld.releaseSwitch, '1.0.0': live.releaseSwitch!['1.0.0'] } },
    '1.0.0',
    {
      time: 't',
      by: 'me',
    },
  );
  assert.ok(plain.steps[0].kind === 'web-start');
  assert.deepEqual(plain.steps[0].ports, [8001]);
});

test('the live release again with a stopped web instance: it starts again in the live slot and is gated there; Caddy untouched', () => {
  const stamp = planDeploy(input(state())).prepare.steps.find((s) => s.kind === 'write');
  assert.ok(stamp && stamp.kind === 'write');
  const stopped = state({
    ...live,
    releaseFiles: {
      ...Object.fromEntries(files.map((f) => [f.path, f.sha256])),
      '.deployer/caddy.site': sha256(siteFor('127.0.0.1:8001')),
      '.deployer/installed': sha256(stamp.content),
    },
    inactive: ['shop-worker.service', 'shop-web@8001.service'],
  });
  assert.equal(chooseRelease(input(stopped, '1.0.0')).release, '1.0.0');
  const p = planDeploy(input(stopped, '1.0.0'));
  assert.equal(isNoop(p, stopped), false);
  assert.deepEqual(p.uploads, []);
  const k = kinds(p.switch.steps);
  assert.deepEqual(k, ['heal-units', 'web-gate', 'wait-units']);
  assert.deepEqual(p.switch.steps[0], { kind: 'heal-units', units: ['shop-worker.service', 'shop-web@8001.service'] });
  const gate = p.switch.steps[1];
  assert.ok(gate.kind === 'web-gate');
  assert.deepEqual([gate.units, gate.ports, gate.path], [['shop-web@8001.service'], [8001], '/healthz']);
  const wait = p.switch.steps[2];
  assert.ok(wait.kind === 'wait-units' && wait.units.join() === 'shop-worker.service');
  for (const steps of [p.switch.verdict!.commit, p.switch.verdict!.rollback, p.switch.onFail!])
    assert.deepEqual(kinds(steps), ['append-line'], 'no slot change, no drain, nothing to revert');
});

/** 1.0.0 serves from slot b, and its release holds the same two slot sites as the files. */
const liveWithSlotSites = state({
  ...live,
  currentFiles: Object.fromEntries(files.filter((f) => f.path.startsWith('.deployer/caddy-')).map((f) => [f.path, f.sha256])),
});
const validates = (p: ReturnType<typeof planDeploy>) => p.prepare.steps.some((s) => s.kind === 'caddy-validate');

test('a code change whose site only moves to the other slot skips caddy validate; any other site change is validated', () => {
  // Both slot texts as the live release has them, Caddy on the live slot's: only the ports move.
  assert.equal(validates(planDeploy(input(liveWithSlotSites))), false);
  // A slot text that changed (a new domain, a new directive): validated.
  const changed = files.map((f) =>
    f.path === '.deployer/caddy-a.site' ? textFile(f.path, siteFor('127.0.0.1:8000') + '# new\n', f.label) : f,
  );
  assert.equal(validates(planDeploy({ ...input(liveWithSlotSites), files: changed })), true);
  // The installed site is not the live slot's (edited by hand, or another release's): validated.
  assert.equal(validates(planDeploy(input(state({ ...liveWithSlotSites, caddySite: siteFor('127.0.0.1:9999') })))), true);
  // Nothing known about the live release's files: validated.
  assert.equal(validates(planDeploy(input(live))), true);
});

test('the commit retires the web instances the probe found running that neither slot names (replicas 3 -> 1), not the stopped ones', () => {
  const s = state({
    ...live,
    templateInstances: {
      'shop-web@8001.service': 'active',
      'shop-web@8003.service': 'active',
      'shop-web@8005.service': 'deactivating',
      'shop-web@8007.service': 'inactive',
      'shop-web@8000.service': 'failed',
    },
  });
  const commit = planDeploy(input(s)).switch.verdict!.commit[0];
  assert.ok(commit.kind === 'web-commit');
  assert.deepEqual(commit.units, ['shop-web@8000.service']);
  assert.deepEqual(commit.old, ['shop-web@8001.service', 'shop-web@8003.service', 'shop-web@8005.service']);
  // `deployer plan` (and its --json) shows it after the switch.
  const preview = previewDeploy({ ...input(s), artifactName: 'app.whl', envHashes: {} });
  assert.equal(
    preview.switch.at(-1),
    'keep shop-web@8000.service; stop shop-web@8001.service, shop-web@8003.service, shop-web@8005.service after 7 s of drain',
  );
});
