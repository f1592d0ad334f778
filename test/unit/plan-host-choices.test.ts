// The choices the host used to make on its own, now made by the planner from
// what the probe found and shown in the steps: which template instances a
// switch (and its revert) stops, which web instances the commit retires, and
// how Caddy reloads.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { planDeploy, sha256, type DeployPlanInput, type ReleaseFile } from '../../src/plan/planDeploy.js';
import { planDown, planRollback } from '../../src/plan/maintenance.js';
import { parseProbeOutput } from '../../src/remote/probe.js';
import type { RemoteState } from '../../src/remote/state.js';

import { describeStep, stepArgv, type Step } from '../../src/remote/steps.js';
import { freshState, makeConfig, makeHost, textFile } from './render-helpers.js';

const text = textFile;
const instances = (...n: number[]) => n.map((i) => `restart shop-worker@${i}.service\n`).join('');
const worker = '[Service]\nworker %i\n';
const site = 'shop.example.com {\n\treverse_proxy 127.0.0.1:8000\n}\n';
const releaseFiles = (running: string): ReleaseFile[] => [
  { path: 'app', local: '/tmp/app', sha256: 'b'.repeat(64), size: 10, mode: 0o755, label: 'artifact' },
  text('.env', 'A=1\n'),
  text('.deployer/units/shop-worker@.service', worker, 'unit shop-worker@.service'),
  text('.deployer/caddy.site', site, 'Caddy site'),
  text('.deployer/instances', running),
];
const config = makeConfig({ app: 'shop', appName: 'shop', installationMode: 'binary' });
const input = (state: RemoteState, files: ReleaseFile[]): DeployPlanInput => ({
  config,
  host: makeHost(),
  version: '2.0.0',
  artifact: 'app',
  files,
  state,
  time: 't',
  by: 'me',
  action: 'deploy',
});
/** 1.0.0 live, running workers 1 and 2; the probe also found 3 loaded (failed), a leftover of an earlier deploy. */
const live = (over: Partial<RemoteState> = {}) =>
  freshState({
    current: '1.0.0',
    releases: ['1.0.0'],
    versions: [{ version: '1.0.0', status: 'good', time: 't', sha: 's', by: 'me' }],
    units: { 'shop-worker@.service': worker },
    caddySite: 'old site\n',
    releaseSwitch: { '1.0.0': { units: { 'shop-worker@.service': worker }, caddySite: 'old site\n', instances: instances(1, 2) } },
    templateInstances: { 'shop-worker@1.service': 'active', 'shop-worker@2.service': 'active', 'shop-worker@3.service': 'failed' },
    ...over,
  });
const find = <K extends Step['kind']>(steps: Step[], kind: K) => steps.filter((s): s is Extract<Step, { kind: K }> => s.kind === kind);

test('a switch stops the instances the probe found that the release does not run, and says which', () => {
  const p = planDeploy(input(live(), releaseFiles(instances(1))));
  const [stop] = find(p.switch.steps, 'stop-unlisted');
  assert.deepEqual(stop.stop, ['shop-worker@2.service', 'shop-worker@3.service']);
  assert.deepEqual(stop.keep, ['shop-worker@1.service']);
  assert.equal(describeStep(stop), 'stop shop-worker@2.service, shop-worker@3.service: the release does not run them');
  assert.deepEqual(stepArgv(stop), [
    'dp_stop_unlisted',
    'shop-worker@.service',
    '--',
    'shop-worker@1.service',
    '--',
    'shop-worker@2.service',
    'shop-worker@3.service',
  ]);
  // Back on 1.0.0 (workers 1 and 2): only 3, which neither release runs.
  for (const revert of [p.switch.onFail!, p.switch.verdict!.rollback]) {
    assert.deepEqual(find(revert, 'stop-unlisted')[0].stop, ['shop-worker@3.service']);
  }
});

test('a revert stops what the switch started beyond the previous release, though the probe never saw it', () => {
  const p = planDeploy(
    input(
      live({ templateInstances: { 'shop-worker@1.service': 'active', 'shop-worker@2.service': 'active' } }),
      releaseFiles(instances(1, 2, 3, 4)),
    ),
  );
  const [stop] = find(p.switch.steps, 'stop-unlisted');
  assert.deepEqual(stop.stop, []);
  assert.equal(describeStep(stop), 'stop no instance of shop-worker@.service: none runs that the release does not');
  assert.deepEqual(find(p.switch.onFail!, 'stop-unlisted')[0].stop, ['shop-worker@3.service', 'shop-worker@4.service']);
});

test('Caddy reloads through the admin API the probe found, else with systemctl: in the switch, the revert, rollback and down', () => {
  for (const [caddyAdmin, via, argv, line] of [
    ['127.0.0.1:2019', 'admin-api', ['admin-api', '127.0.0.1:2019'], 'reload Caddy through its admin API on 127.0.0.1:2019'],
    [undefined, 'systemctl', ['systemctl'], 'reload Caddy with systemctl reload caddy'],
  ] as const) {
    const state = live({ caddyAdmin });
    const p = planDeploy(input(state, releaseFiles(instances(1))));
    const rollback = planRollback(
      config,
      makeHost(),
      {
        ...state,
        releases: ['0.9.0', '1.0.0'],
        releaseSwitch: {
          ...state.releaseSwitch,
          '0.9.0': { units: { 'shop-worker@.service': worker }, caddySite: site, instances: instances(1) },
        },
      },
      '0.9.0',
      { time: 't', by: 'me' },
    );
    const reloads = [
      ...p.switch.steps,
      ...p.switch.onFail!,
      ...rollback.onFail!,
      ...planDown(config, makeHost(), state, { time: 't', by: 'me' }).steps,
    ].filter((s) => s.kind === 'reload-caddy');
    assert.equal(reloads.length, 4);
    for (const r of reloads) {
      assert.equal(r.kind === 'reload-caddy' && r.via, via);
      assert.deepEqual(stepArgv(r), ['dp_reload_caddy', '/etc/caddy/Caddyfile', ...argv]);
      assert.equal(describeStep(r), line);
    }
  }
});

test('the probe lines for these choices: @@instance UNIT ACTIVE_STATE and @@caddy-admin ADDRESS', () => {
  const s = parseProbeOutput(
    '@@instance shop-worker@1.service active\n@@instance shop-worker@2.service failed\n@@caddy-admin 127.0.0.1:2019\n@@end\n',
  );
  assert.deepEqual(s.templateInstances, { 'shop-worker@1.service': 'active', 'shop-worker@2.service': 'failed' });
  assert.equal(s.caddyAdmin, '127.0.0.1:2019');
  assert.equal(parseProbeOutput('@@end\n').caddyAdmin, undefined);
});
