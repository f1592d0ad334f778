// planDeploy and friends on hand-made remote state: what is uploaded,
// copied, installed, and when a deploy gets a release directory of its own.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { chooseRelease, isNoop, planDeploy, sha256, type DeployPlanInput, type ReleaseFile } from '../../src/plan/planDeploy.js';
import type { RemoteState } from '../../src/remote/state.js';
import { freshState, makeConfig, makeHost, textFile } from './render-helpers.js';
import { releaseRecord } from '../helpers/remoteState.js';

const text = textFile;
const files: ReleaseFile[] = [
  { path: 'app.whl', local: '/tmp/app.whl', sha256: 'a'.repeat(64), size: 10, mode: 0o644, label: 'artifact' },
  text('.env', 'A=1\n'),
  text('.deployer/units/shop-web.service', '[Service]\n', 'unit shop-web.service'),
  text('.deployer/instances', 'restart shop-web.service\n'),
];
const emptyState = freshState;
const input = (state: RemoteState, version = '1.0.0'): DeployPlanInput => ({
  config: makeConfig({ app: 'shop', appName: 'shop', installationMode: 'python-package' }),
  host: makeHost(),
  version,
  artifact: 'app.whl',
  files,
  state,
  time: 't',
  by: 'me',
  action: 'deploy',
});
const liveFiles = Object.fromEntries(files.map((f) => [f.path, f.sha256]));

test('a first deploy uploads everything and installs', () => {
  const p = planDeploy(input(emptyState()));
  assert.equal(p.uploads.length, files.length);
  assert.equal(p.summary.installSkipped, false);
  assert.ok(p.prepare.steps.some((s) => s.kind === 'run' && s.argv.includes('venv')));
});

test('files the live release has are copied on the host, and its venv reused', () => {
  const p = planDeploy(input(emptyState({ current: '0.9.0', releases: ['0.9.0'], currentFiles: liveFiles, currentVenv: true }), '1.0.0'));
  assert.deepEqual(
    p.uploads.map((u) => u.label),
    [],
  );
  assert.equal(p.summary.copied.length, files.length);
  assert.equal(p.summary.venvReused, true);
  // All of them in one step (one process on the host), after the release dir exists.
  const copies = p.prepare.steps.filter((s) => s.kind === 'run' && s.argv[0] === 'dp_copy_files');
  assert.equal(copies.length, 1);
  const copy = copies[0];
  assert.ok(copy.kind === 'run');
  assert.deepEqual(copy.argv.slice(1), ['/srv/deployer/shop/v0.9.0', '/srv/deployer/shop/v1.0.0', ...files.map((f) => f.path)]);
  assert.equal(copy.desc, `copy ${files.length} unchanged files from the live release`);
  const mkdirR = p.prepare.steps.findIndex((s) => s.kind === 'mkdir' && s.path === '/srv/deployer/shop/v1.0.0');
  assert.ok(mkdirR >= 0 && mkdirR < p.prepare.steps.indexOf(copy));
});

/** A host where 1.0.0 is live with exactly these files installed (its install stamp included). */
function liveAsPlanned(over: Partial<RemoteState> = {}): RemoteState {
  const stamp = planDeploy(input(emptyState())).prepare.steps.find((s) => s.kind === 'write');
  assert.ok(stamp && stamp.kind === 'write');
  return emptyState({
    current: '1.0.0',
    releases: ['1.0.0'],
    versions: [{ version: '1.0.0', status: 'good', time: 't', sha: 's', by: 'me' }],
    releaseFiles: { ...liveFiles, '.deployer/installed': sha256(stamp.content) },
    units: { 'shop-web.service': '[Service]\n' },
    ...over,
  });
}

test('the live version again with nothing changed is a no-op on the same release', () => {
  const state = liveAsPlanned();
  const chosen = chooseRelease(input(state));
  assert.equal(chosen.release, '1.0.0');
  assert.equal(isNoop(planDeploy(input(state)), state), true);
  // A stopped service makes it a real deploy again.
  assert.equal(
    isNoop(planDeploy(input({ ...state, inactive: ['shop-web.service'] })), { ...state, inactive: ['shop-web.service'] }),
    false,
  );
});

test('the live version again with a change gets its own release directory', () => {
  const state = emptyState({
    current: '1.0.0',
    releases: ['1.0.0', '1.0.0_2'],
    versions: [{ version: '1.0.0', status: 'good', time: 't', sha: 's', by: 'me' }],
    releaseFiles: { ...liveFiles, '.env': sha256('A=0\n') },
  });
  const chosen = chooseRelease(input(state));
  assert.equal(chosen.release, '1.0.0_3');
  const p = planDeploy({ ...input(chosen.state), version: chosen.release });
  assert.equal(p.releaseDir, '/srv/deployer/shop/v1.0.0_3');
  assert.deepEqual(
    p.uploads.map((u) => u.label),
    ['.env'],
  );
  // Reverting goes back to the live release, not to the new directory.
  assert.ok(p.switch.verdict!.rollback.some((s) => s.kind === 'switch-current' && s.release === 'v1.0.0'));
});

test('the switch is explicit steps: only what differs is installed, systemd reloads only then, Caddy only when its site changes', () => {
  const same = emptyState({ current: '0.9.0', releases: ['0.9.0'], units: { 'shop-web.service': '[Service]\n' } });
  let kinds = planDeploy(input(same)).switch.steps.map((s) => s.kind);
  assert.deepEqual(kinds, ['switch-current', 'start-units', 'wait-units']);
  const changed = emptyState({
    current: '0.9.0',
    releases: ['0.9.0'],
    units: { 'shop-web.service': '[Service]\nOld=1\n', 'shop-old.service': 'x' },
    caddySite: 'old site',
  });
  const p = planDeploy(input(changed));
  kinds = p.switch.steps.map((s) => s.kind);
  // A site that goes leaves Caddy first, before any unit stops (src/plan/activate.ts).
  assert.deepEqual(kinds, [
    'remove-site',
    'reload-caddy',
    'remove-unit',
    'install-unit',
    'daemon-reload',
    'switch-current',
    'start-units',
    'wait-units',
  ]);
  assert.deepEqual(p.summary.unitsChanged, ['shop-web.service']);
  assert.deepEqual(p.summary.unitsRemoved, ['shop-old.service']);
  // Reverting puts back the live release's units (the removed one too).
  const back = p.switch.verdict!.rollback;
  assert.deepEqual(
    back.filter((s) => s.kind === 'install-unit').map((s) => s.kind === 'install-unit' && s.from),
    ['/srv/deployer/shop/v0.9.0/.deployer/units/shop-old.service', '/srv/deployer/shop/v0.9.0/.deployer/units/shop-web.service'],
  );
  assert.ok(back.some((s) => s.kind === 'switch-current' && s.release === 'v0.9.0'));
});

test('chooseRelease gives the live version its own directory exactly when a plan for it would change it (a stopped service only is healed in place)', () => {
  const good = [{ version: '1.0.0', status: 'good' as const, time: 't', sha: 's', by: 'me' }];
  const installed = sha256(`mode python-package\napp.whl ${'a'.repeat(64)}\n`);
  const base = {
    current: '1.0.0',
    releases: ['1.0.0'],
    versions: good,
    releaseFiles: { ...liveFiles, '.deployer/installed': installed },
    units: { 'shop-web.service': '[Service]\n' },
  };
  const states = [
    emptyState(base),
    emptyState({ ...base, inactive: ['shop-web.service'] }),
    emptyState({ ...base, units: {} }),
    emptyState({ ...base, units: { ...base.units, 'shop-x.service': 'x' } }),
    emptyState({ ...base, releaseFiles: { ...base.releaseFiles, '.env': 'other' } }),
    emptyState({ ...base, releaseFiles: liveFiles }),
    emptyState({ ...base, versions: [{ ...good[0], status: 'failed' }] }),
  ];
  const noops = states.map((s) => isNoop(planDeploy(input(s)), s));
  assert.deepEqual(noops, [true, false, false, false, false, false, false]);
  const sameDir = states.map((s) => chooseRelease(input(s)).release === '1.0.0');
  assert.deepEqual(sameDir, [true, true, false, false, false, false, false]);
});

test('a deploy that prunes old releases records the prune in the history log', () => {
  const good = (version: string) => ({ version, status: 'good' as const, time: 't', sha: 's', by: 'me' });
  const state = emptyState({
    current: '0.3.0',
    releases: ['0.1.0', '0.2.0', '0.3.0'],
    versions: [good('0.3.0'), good('0.2.0'), good('0.1.0')],
  });
  const p = planDeploy({
    ...input(state),
    config: makeConfig({ app: 'shop', appName: 'shop', installationMode: 'python-package', versionsToKeep: 2 }),
  });
  assert.deepEqual(p.summary.prune, ['0.1.0', '0.2.0']);
  const commit = p.switch.verdict?.commit ?? [];
  const lines = commit.filter((s) => s.kind === 'append-line').map((s) => (s.kind === 'append-line' ? JSON.parse(s.line) : undefined));
  assert.deepEqual(
    lines.map((l) => l.action),
    ['deploy', 'prune'],
  );
  assert.equal(lines[1].from, '0.1.0 0.2.0');
  assert.match(lines[1].result, /^removed 2 \(versions_to_keep = 2, after deploy 1\.0\.0\)$/);
});

test('the live version again with a stopped service: that service starts again in place, nothing else changes', () => {
  const state = liveAsPlanned({ inactive: ['shop-web.service'] });
  const p = planDeploy(input(state));
  assert.equal(isNoop(p, state), false);
  assert.deepEqual(p.summary.healing, ['shop-web.service']);
  assert.deepEqual(p.uploads, []);
  assert.deepEqual(p.prepare.steps, []);
  assert.deepEqual(p.switch.steps, [
    { kind: 'heal-units', units: ['shop-web.service'] },
    { kind: 'wait-units', units: ['shop-web.service'], timeoutSec: 30, stableSec: 1 },
  ]);
  // Only the history line: no record of releases rewritten, nothing pruned, nothing to revert.
  for (const steps of [p.switch.verdict!.commit, p.switch.verdict!.rollback, p.switch.onFail!]) {
    assert.deepEqual(
      steps.map((s) => s.kind),
      ['append-line'],
    );
  }
  assert.match(JSON.stringify(p.switch.verdict!.commit), /ok, started shop-web.service again/);
  assert.match(JSON.stringify(p.switch.verdict!.rollback), /did not start again; 1.0.0 stays live/);
});

test('a release dir that has been live is never rewritten: a changed redeploy of its version gets a new v<version>_<n>', () => {
  // Issue 18 #11: live as 1.0.0_2; a redeploy of 1.0.0 with another env wrote it into v1.0.0 and switched to it.
  const withEnv = (env: string) => files.map((f) => (f.path === '.env' ? text('.env', env) : f));
  const onHost = (env: string) => ({
    ...Object.fromEntries(withEnv(env).map((f) => [f.path, f.sha256])),
    '.deployer/installed': sha256(`mode python-package\napp.whl ${'a'.repeat(64)}\n`),
    // What release_command made in it (statics) does not make it another release.
    'static/site.css': sha256('body{}'),
  });
  const rec = releaseRecord;
  const state = emptyState({
    current: '1.0.0_2',
    liveSlot: undefined,
    releases: ['1.0.0', '1.0.0_2'],
    versions: [rec('1.0.0_2'), rec('1.0.0')],
    releaseFiles: onHost('A=1\n'),
    currentFiles: onHost('A=2\n'),
    units: { 'shop-web.service': '[Service]\n' },
  });
  const deployEnv = (env: string, s = state) => {
    const i = { ...input(s), files: withEnv(env) };
    const chosen = chooseRelease(i);
    return { chosen, plan: planDeploy({ ...i, version: chosen.release, state: chosen.state }) };
  };
  const touches = (p: ReturnType<typeof planDeploy>, dir: string) =>
    [...p.prepare.steps, ...p.switch.steps].filter((s) => JSON.stringify(s).includes(`${dir}/`)).map((s) => s.kind);

  // Another env: a new directory; v1.0.0 keeps its .env, the rest is copied from the live one.
  const changed = deployEnv('A=3\n');
  assert.equal(changed.chosen.release, '1.0.0_3');
  assert.equal(changed.plan.releaseDir, '/srv/deployer/shop/v1.0.0_3');
  assert.deepEqual(
    changed.plan.uploads.map((u) => u.label),
    ['.env'],
  );
  assert.deepEqual(touches(changed.plan, '/srv/deployer/shop/v1.0.0'), []);
  assert.ok(changed.plan.prepare.steps.some((s) => s.kind === 'run' && s.argv[0] === 'dp_copy_files' && s.argv[1].endsWith('/v1.0.0_2')));
  // Its version dir's record is there whatever its status: a failed release is not rewritten either.
  assert.equal(deployEnv('A=3\n', { ...state, versions: [rec('1.0.0_2'), rec('1.0.0', 'failed')] }).chosen.release, '1.0.0_3');
  // _3 taken (a dir, or a record): the next free one.
  assert.equal(deployEnv('A=3\n', { ...state, releases: [...state.releases, '1.0.0_3'] }).chosen.release, '1.0.0_4');

  // The env v1.0.0 ran with: switched back to as it is, nothing written into it.
  const back = deployEnv('A=1\n');
  assert.equal(back.chosen.release, '1.0.0');
  assert.deepEqual(back.plan.uploads, []);
  assert.equal(back.plan.summary.installSkipped, true);
  assert.deepEqual(
    back.plan.prepare.steps.filter((s) => s.kind === 'move' || s.kind === 'write' || s.kind === 'mkdir'),
    [],
  );

  // The live one's env: the live release as it is, a deploy that changes nothing.
  const same = deployEnv('A=2\n');
  assert.equal(same.chosen.release, '1.0.0_2');
  assert.equal(isNoop(same.plan, same.chosen.state), true);

  // A v1.0.0 with no record (a deploy cut short before its prepare ended) is resumed.
  const half = deployEnv('A=3\n', { ...state, versions: [rec('1.0.0_2')] });
  assert.equal(half.chosen.release, '1.0.0');
  assert.deepEqual(
    half.plan.uploads.map((u) => u.label),
    ['.env'],
  );
});
