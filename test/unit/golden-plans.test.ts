// Golden plans: for a few canonical deploys, every step's describeStep and
// stepArgv, exactly, in test/golden/*.txt. A change to what deployer runs on
// a host shows as a diff of those files (UPDATE_GOLDEN=1 rewrites them).
// Inputs are fixed (time, user, versions, checksums) so the text is stable.
import { test } from '../helpers/timed.js';
import type { Config } from '../../src/config/types.js';
import { planDeploy, type DeployPlanInput, type HostDeployPlan, type ReleaseFile } from '../../src/plan/planDeploy.js';
import { planRollback } from '../../src/plan/maintenance.js';
import type { RemoteState } from '../../src/remote/state.js';

import { describeStep, stepArgv, type ScriptSpec, type Step } from '../../src/remote/steps.js';
import { shellJoin } from '../../src/shell/quote.js';
import { matchGolden } from '../helpers/golden.js';
import { blueGreenFiles, freshState, shopBlueGreenConfig, makeConfig, makeHost, shopSite, textFile } from './render-helpers.js';

const who = { time: '2026-01-02T03:04:05Z', by: 'ci@build' };
const webUnit = '[Service]\nWorkingDirectory=/srv/deployer/shop/.web/%i\nExecStart=/srv/deployer/shop/.web/%i/.venv/bin/shop\n';
const workerUnit = '[Service]\nExecStart=/srv/deployer/shop/current/.venv/bin/shop-worker\n';
const siteFor = shopSite;
const wheel = (version: string): ReleaseFile => ({
  path: `shop-${version}-py3-none-any.whl`,
  local: `/home/me/shop/dist/shop-${version}-py3-none-any.whl`,
  sha256: (version === '1.0.0' ? 'a' : 'b').repeat(64),
  size: 4096,
  mode: 0o644,
  label: 'artifact',
});
const shopFiles = (version: string): ReleaseFile[] =>
  blueGreenFiles(wheel(version), { web: webUnit, worker: workerUnit }, 'DATABASE_URL=postgres://db/shop\n');
const blueGreen = shopBlueGreenConfig(10);

const deploy = (config: Config, version: string, artifact: string, files: ReleaseFile[], state: RemoteState): HostDeployPlan =>
  planDeploy({ config, host: makeHost(), version, artifact, files, state, ...who, action: 'deploy' } satisfies DeployPlanInput);

/** Each step as `describeStep` over `$ stepArgv` (shell-quoted), section by section. */
function planText(title: string, sections: Array<[string, Step[] | undefined]>): string {
  const out = [`# ${title}`];
  for (const [name, steps] of sections) {
    if (!steps?.length) continue;
    out.push('', `## ${name}`);
    for (const step of steps) out.push(describeStep(step), `  $ ${shellJoin(stepArgv(step))}`);
  }
  return out.join('\n') + '\n';
}
const scriptSections = (phase: string, spec: ScriptSpec): Array<[string, Step[] | undefined]> => [
  [phase, spec.steps],
  [`${phase}: on failure`, spec.onFail],
  [`${phase}: commit`, spec.verdict?.commit],
  [`${phase}: rollback`, spec.verdict?.rollback],
];
function deployText(title: string, p: HostDeployPlan): string {
  const uploads = p.uploads.map((u) => `upload ${u.label} -> ${u.remote} (${u.size} bytes, sha256 ${u.sha256.slice(0, 12)})`);
  const text = planText(title, [...scriptSections('prepare', p.prepare), ...scriptSections('switch', p.switch)]);
  return uploads.length ? text.replace('\n', `\n\n## uploads\n${uploads.join('\n')}\n`) : text;
}

/** A host where 1.0.0 of the blue-green app serves from slot a. */
const live = freshState({
  current: '1.0.0',
  releases: ['1.0.0'],
  liveSlot: 'a',
  versions: [{ version: '1.0.0', status: 'good', time: '2026-01-01T00:00:00Z', sha: 'a'.repeat(12), by: 'ci@build' }],
  units: { 'shop-web@.service': webUnit, 'shop-worker.service': workerUnit },
  caddySite: siteFor('127.0.0.1:8000'),
  currentFiles: Object.fromEntries(shopFiles('1.0.0').map((f) => [f.path, f.sha256])),
  currentVenv: true,
  releaseSwitch: {
    '1.0.0': {
      units: { 'shop-web@.service': webUnit, 'shop-worker.service': workerUnit },
      caddySite: siteFor('127.0.0.1:8000'),
      instances: 'restart shop-worker.service\n',
    },
  },
});

test('golden: the first deploy of a wheel, blue-green, on a fresh host', () => {
  const p = deploy(blueGreen, '1.0.0', wheel('1.0.0').path, shopFiles('1.0.0'), freshState());
  matchGolden('first-wheel-blue-green.txt', deployText('first deploy of shop 1.0.0 (wheel, blue-green) on a fresh host', p));
});

test('golden: a code-only redeploy (a new wheel; env, units and site unchanged), blue-green', () => {
  const p = deploy(blueGreen, '1.1.0', wheel('1.1.0').path, shopFiles('1.1.0'), live);
  matchGolden('code-change-blue-green.txt', deployText('shop 1.0.0 -> 1.1.0, only the wheel changed (blue-green, live in slot a)', p));
});

test('golden: a binary deploy with the restart strategy, on a fresh host', () => {
  const config = makeConfig({
    app: 'pulse',
    appName: 'pulse',
    installationMode: 'binary',
    distfile: 'dist/pulse',
    strategy: 'restart',
    processes: [{ name: 'web', command: 'pulse serve', replicas: 1, socket: false }],
  } as Partial<Config>);
  const unit = '[Service]\nExecStart=/srv/deployer/pulse/current/pulse serve\n';
  const files: ReleaseFile[] = [
    { path: 'pulse', local: '/home/me/pulse/dist/pulse', sha256: 'c'.repeat(64), size: 8_000_000, mode: 0o755, label: 'artifact' },
    textFile('.env', 'PULSE_KEY=x\n', '.env', 0o600),
    textFile('.deployer/units/pulse-web.service', unit, 'unit pulse-web.service'),
    textFile('.deployer/caddy.site', 'pulse.example.com {\n\treverse_proxy 127.0.0.1:8000\n}\n', 'Caddy site'),
    textFile('.deployer/instances', 'restart pulse-web.service\n'),
  ];
  const p = deploy(config, '2.0.0', 'pulse', files, freshState());
  matchGolden('binary-restart.txt', deployText('first deploy of pulse 2.0.0 (binary, restart strategy) on a fresh host', p));
});

test('golden: a rollback of the blue-green app from 1.1.0 (live in slot b) to 1.0.0', () => {
  const state = freshState({
    ...live,
    current: '1.1.0',
    releases: ['1.0.0', '1.1.0'],
    liveSlot: 'b',
    caddySite: siteFor('127.0.0.1:8001'),
    versions: [{ version: '1.1.0', status: 'good', time: '2026-01-02T00:00:00Z', sha: 'b'.repeat(12), by: 'ci@build' }, ...live.versions],
    releaseSwitch: { ...live.releaseSwitch, '1.1.0': { ...live.releaseSwitch!['1.0.0'], caddySite: siteFor('127.0.0.1:8001') } },
  });
  const spec = planRollback(blueGreen, makeHost(), state, '1.0.0', who);
  matchGolden(
    'rollback-blue-green.txt',
    planText('rollback of shop 1.1.0 -> 1.0.0 (blue-green, live in slot b)', scriptSections('rollback', spec)),
  );
});
