// The deploy's day-two steps: backup_before_release's snapshot before
// release_command, and deploy --maintenance around it (src/plan/releaseBackup.ts,
// src/plan/maintenanceMode.ts).
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { planDeploy, type DeployPlanInput, type ReleaseFile } from '../../src/plan/planDeploy.js';
import { describeStep, type Step } from '../../src/remote/steps.js';
import type { Config } from '../../src/config/types.js';
import { freshState, makeConfig, makeHost, textFile } from './render-helpers.js';

const files: ReleaseFile[] = [
  { path: 'app.whl', local: '/tmp/app.whl', sha256: 'a'.repeat(64), size: 10, mode: 0o644, label: 'artifact' },
  textFile('.env', 'A=1\n'),
  textFile('.deployer/units/shop-web.service', '[Service]\n', 'unit shop-web.service'),
  textFile('.deployer/instances', 'restart shop-web.service\n'),
];
const input = (over: Partial<Config>, extra: Partial<DeployPlanInput> = {}): DeployPlanInput => ({
  config: makeConfig({
    app: 'shop',
    appName: 'shop',
    installationMode: 'python-package',
    stage: undefined,
    releaseCommand: 'shop migrate',
    ...over,
  }),
  host: makeHost(),
  version: '1.0.0',
  artifact: 'app.whl',
  files,
  state: freshState({ current: '0.9.0', releases: ['0.9.0'] }),
  time: 't',
  by: 'me',
  action: 'deploy',
  ...extra,
});
const isRelease = (s: Step) => s.kind === 'app-command' && s.command === 'shop migrate';

test('backup_before_release: the release copy of the backup script writes an archive into the backups dir, just before release_command', () => {
  const p = planDeploy(input({ backupBeforeRelease: true, backups: { keep: 3 } }));
  const i = p.prepare.steps.findIndex((s) => s.kind === 'run' && s.argv[1]?.endsWith('/.deployer/backup.sh'));
  assert.ok(i >= 0, 'a backup step');
  const step = p.prepare.steps[i];
  assert.ok(step.kind === 'run');
  assert.equal(step.sudo, true);
  assert.deepEqual(step.argv, [
    '/bin/bash',
    '/srv/deployer/shop/v1.0.0/.deployer/backup.sh',
    'file',
    '/srv/deployer/shop',
    '/srv/deployer/shop/data',
    'shop',
    '-',
    makeHost().name,
    '/srv/deployer/shop/backups',
    '3',
    `shop-${makeHost().name}`,
  ]);
  assert.match(describeStep(step), /back up the data dir into \/srv\/deployer\/shop\/backups/);
  const release = p.prepare.steps.findIndex(isRelease);
  assert.ok(release > i, 'release_command runs after the backup');
  // Nothing was switched when it fails: it is in prepare, whose failure switches nothing.
  assert.ok(!p.prepare.steps.slice(0, release).some((s) => s.kind === 'switch-current' || s.kind === 'reload-caddy'));
});

test('backup_before_release keeps 7 archives without [backups]; off by default', () => {
  const on = planDeploy(input({ backupBeforeRelease: true }));
  const step = on.prepare.steps.find((s) => s.kind === 'run' && s.argv[1]?.endsWith('/.deployer/backup.sh'));
  assert.ok(step && step.kind === 'run');
  assert.equal(step.argv[9], '7');
  const off = planDeploy(input({}));
  assert.ok(!off.prepare.steps.some((s) => s.kind === 'run' && s.argv[1]?.endsWith('/.deployer/backup.sh')));
});

const page = { page: '<p>down</p>', note: 'migrating' };
const isOn = (s: Step) => s.kind === 'write' && s.path === '/srv/deployer/shop/.maintenance';
const isOff = (s: Step) => s.kind === 'remove' && s.paths.includes('/srv/deployer/shop/.maintenance');

test('deploy --maintenance: the page is written before the backup and release_command, and removed whichever way the deploy ends', () => {
  const p = planDeploy(input({ backupBeforeRelease: true }, { maintenance: page }));
  const steps = p.prepare.steps;
  const on = steps.findIndex(isOn);
  const backup = steps.findIndex((s) => s.kind === 'run' && s.argv[1]?.endsWith('/.deployer/backup.sh'));
  assert.ok(on >= 0 && on < backup && backup < steps.findIndex(isRelease));
  const onStep = steps[on];
  assert.ok(onStep.kind === 'write');
  assert.equal(onStep.content, page.page);
  assert.equal(onStep.mode, '0644');
  // The history records it on, then off.
  const logged = (s: Step | undefined) =>
    s?.kind === 'append-line' ? (JSON.parse(s.line) as { action: string; result: string }) : undefined;
  assert.deepEqual(
    { action: logged(steps[on + 1])?.action, result: logged(steps[on + 1])?.result },
    { action: 'deploy --maintenance', result: 'migrating' },
  );
  // Off: a failed prepare, a failed switch, the commit and the rollback.
  assert.ok(p.prepare.onFail?.some(isOff));
  assert.ok(p.switch.onFail?.some(isOff));
  assert.ok(p.switch.verdict?.commit.some(isOff));
  assert.ok(p.switch.verdict?.rollback.some(isOff));
  // After the commit's records: the release is live when the site comes back.
  const commit = p.switch.verdict!.commit;
  assert.ok(commit.findIndex(isOff) > commit.findIndex((s) => s.kind === 'write' && s.path.endsWith('/.versions')));
  assert.ok(describeStep(commit.find(isOff)!).startsWith('remove /srv/deployer/shop/.maintenance'));
});

test('deploy --maintenance when the mode is already on: it stays on (no step); a plain deploy never touches it', () => {
  const found = freshState({ current: '0.9.0', releases: ['0.9.0'], maintenance: true });
  const p = planDeploy(input({}, { maintenance: page, state: found }));
  const all = [
    ...p.prepare.steps,
    ...(p.prepare.onFail ?? []),
    ...(p.switch.onFail ?? []),
    ...p.switch.verdict!.commit,
    ...p.switch.verdict!.rollback,
  ];
  assert.ok(!all.some((s) => isOn(s) || isOff(s)));
  const plain = planDeploy(input({}));
  const plainAll = [
    ...plain.prepare.steps,
    ...(plain.prepare.onFail ?? []),
    ...plain.switch.verdict!.commit,
    ...plain.switch.verdict!.rollback,
  ];
  assert.ok(!plainAll.some((s) => isOn(s) || isOff(s)));
});
