// `deployer status`: drift by hash against what a deploy would write now (the
// deploy's own buildReleaseFiles, no artifact), a host behind the fleet, the
// verdict's exit code, the per-host block, and the --json data's schema.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReleaseFiles } from '../../src/deploy/releaseFiles.js';
import { hashEnvValues } from '../../src/deploy/planFlow.js';
import { ExitCode } from '../../src/errors.js';
import { Redactor } from '../../src/output/redact.js';
import { slotSitePath } from '../../src/plan/slots.js';
import { parseProbeOutput } from '../../src/remote/probe.js';
import { desiredFrom, findDrift, missedDeploy, newestRelease, type Desired } from '../../src/status/drift.js';
import {
  formatHostReport,
  instanceOf,
  instanceReports,
  isHealthy,
  statusExitCode,
  statusVerdict,
  unreadableReport,
  type HostReport,
} from '../../src/status/statusView.js';
import { schemasIn, validate } from '../helpers/jsonSchema.js';
import { makeConfig, makeHost, repoRoot } from './render-helpers.js';

const SITE = '/etc/caddy/sites/hello.caddy';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function desired(strategy: 'blue-green' | 'restart', slot?: 'a' | 'b') {
  const files = await buildReleaseFiles({
    config: makeConfig({ strategy }),
    host: makeHost(),
    artifact: { path: '', name: 'not-built', sha256: '', size: 0 },
    env: {},
    redactor: new Redactor(),
    entries: [
      { key: 'SECRET_KEY', value: 's3cret' },
      { key: 'DEBUG', value: '0' },
    ],
  });
  const env = hashEnvValues(files.find((f) => f.path === '.env')!.content as string);
  return { files, d: desiredFrom(files, env, slot) };
}

/** The host as the probe reads it: exactly what a deploy wrote. */
const inSync = (d: Desired) => ({ units: { ...d.units }, caddySite: d.site, envHashes: { ...d.envHashes } });

test('desiredFrom: the units and site a deploy writes; blue-green takes the live slot’s site', async () => {
  const { files, d } = await desired('blue-green', 'b');
  assert.ok(
    Object.keys(d.units).some((n) => n.endsWith('-web@.service')),
    Object.keys(d.units).join(),
  );
  assert.equal(d.site, files.find((f) => f.path === slotSitePath('b'))?.content);
  assert.notEqual(d.site, files.find((f) => f.path === slotSitePath('a'))?.content);
  assert.deepEqual(Object.keys(d.envHashes).sort(), ['DEBUG', 'SECRET_KEY']);
  assert.ok(!JSON.stringify(d.envHashes).includes('s3cret'), 'hashes, never values');
});

for (const strategy of ['blue-green', 'restart'] as const) {
  test(`${strategy}: a host holding what a deploy writes has no drift`, async () => {
    const { d } = await desired(strategy, strategy === 'blue-green' ? 'a' : undefined);
    assert.deepEqual(findDrift(d, inSync(d), SITE), []);
  });
}

test('a hand-edited unit, a missing one and a left-over one: each says what differs and the fix', async () => {
  const { d: written } = await desired('restart');
  const [name] = Object.keys(written.units);
  const host = inSync(written);
  host.units[name] += '# hand edit\n';
  host.units['hello-old.service'] = 'x';
  // The config now makes a worker the host does not have yet.
  const d: Desired = { ...written, units: { ...written.units, 'hello-production-worker.service': 'y' } };
  const drift = findDrift(d, host, SITE);
  assert.deepEqual(
    drift.map((x) => [x.kind, x.name, x.change]),
    [
      ['unit', 'hello-old.service', 'extra'],
      ['unit', name, 'changed'],
      ['unit', 'hello-production-worker.service', 'missing'],
    ],
  );
  const changed = drift.find((x) => x.change === 'changed')!;
  assert.equal(
    changed.message,
    `unit ${name} differs from what a deploy writes: deployer deploy (or redeploy) rewrites it; hand edits are lost`,
  );
  assert.equal(changed.expectedSha256, sha(d.units[name]));
  assert.equal(changed.hostSha256, sha(host.units[name]));
});

test('the Caddy site edited on the host is drift', async () => {
  const { d } = await desired('restart');
  const drift = findDrift(d, { ...inSync(d), caddySite: `${d.site}# edit\n` }, SITE);
  assert.deepEqual(
    drift.map((x) => [x.kind, x.name, x.change]),
    [['site', SITE, 'changed']],
  );
  assert.match(drift[0].message, /^Caddy site \/etc\/caddy\/sites\/hello\.caddy differs from what a deploy writes: deployer deploy/);
});

test('env keys compared by hash: changed, added and removed keys named, values never', async () => {
  const { d } = await desired('restart');
  const host = inSync(d);
  host.envHashes.DEBUG = sha('1');
  host.envHashes.OLD = sha('x');
  delete host.envHashes.SECRET_KEY;
  const drift = findDrift(d, host, SITE);
  assert.deepEqual(
    drift.map((x) => [x.kind, x.name, x.change]),
    [
      ['env', 'SECRET_KEY', 'missing'],
      ['env', 'OLD', 'extra'],
      ['env', 'DEBUG', 'changed'],
    ],
  );
  assert.ok(!JSON.stringify(drift).includes('s3cret'));
});

test('the host side comes from the probe as deploy reads it (units, site, env hashes)', () => {
  const state = parseProbeOutput(
    ['@@unit hello-web.service a\\nb', `@@caddy site\\n`, `@@envhash A ${sha('1')}`, '@@end'].join('\n') + '\n',
  );
  const d: Desired = { units: { 'hello-web.service': 'a\nb' }, site: 'site\n', envHashes: { A: sha('1') } };
  assert.deepEqual(findDrift(d, state, SITE), []);
});

test('a host that missed the last deploy: behind the release that went live last', () => {
  const hosts = [
    { host: 'h1', release: '1.0.1', since: '2026-12-05T10:00:00.000Z' },
    { host: 'h2', release: '1.0.0', since: '2026-12-04T10:00:00.000Z' },
    { host: 'h3' },
  ];
  const newest = newestRelease(hosts);
  assert.equal(newest, '1.0.1');
  assert.equal(missedDeploy(hosts[0], newest), undefined);
  assert.match(
    missedDeploy(hosts[1], newest)!.message,
    /^runs 1\.0\.0 while the other hosts run 1\.0\.1: it missed the last deploy; deployer deploy --host h2/,
  );
  assert.equal(missedDeploy(hosts[2], newest)?.change, 'behind');
  assert.equal(newestRelease([{ host: 'h1' }]), undefined);
  // A redeploy that changed only one host's units: 1.0.1_2 there, 1.0.1 here; the same version.
  assert.equal(missedDeploy({ host: 'h1', release: '1.0.1' }, '1.0.1_2'), undefined);
  assert.equal(missedDeploy({ host: 'h1', release: '1.0.1_2' }, '1.0.1'), undefined);
});

test('instances: process and port from the unit name; a stopped one fails its gate', () => {
  assert.deepEqual(instanceOf('hello-web@8001.service', 'hello', ['web', 'worker']), { process: 'web', port: 8001 });
  assert.deepEqual(instanceOf('hello-worker.service', 'hello', ['web', 'worker']), { process: 'worker', port: undefined });
  const inst = instanceReports(
    [
      { unit: 'hello-web@8001.service', active: 'active', sub: 'running', restarts: 2 },
      { unit: 'hello-worker.service', active: 'inactive', sub: 'dead' },
    ],
    new Map([['hello-web@8001.service', { ok: true }]]),
    'hello',
    ['web', 'worker'],
  );
  assert.deepEqual(inst[1].gate, { ok: false, error: 'hello-worker.service is inactive (dead)' });
  assert.equal(isHealthy({ release: '1', instances: inst }), false);
  assert.equal(isHealthy({ release: '1', instances: inst.slice(0, 1), site: { ok: true } }), true);
  assert.equal(isHealthy({ release: '1', instances: inst.slice(0, 1), site: { ok: false } }), false);
  assert.equal(isHealthy({ release: undefined, instances: [] }), false);
});

const report = (extra: Partial<HostReport> = {}): HostReport => ({
  host: 'h1',
  app: 'hello',
  release: '1.0.0',
  since: '2026-12-05T10:00:00.000Z',
  releaseStatus: 'good',
  site: { ok: true },
  instances: [
    { unit: 'hello-web@8001.service', process: 'web', port: 8001, active: 'active', sub: 'running', restarts: 1, gate: { ok: true } },
  ],
  maintenance: false,
  drift: [],
  healthy: true,
  ...extra,
});

test('exit code: 0 healthy and in sync, 8 (state) on drift, 7 (unhealthy) wins over drift', () => {
  const drift = [{ kind: 'unit' as const, name: 'u', change: 'changed' as const, message: 'm' }];
  assert.equal(statusExitCode([report(), report({ host: 'h2' })]), ExitCode.ok);
  assert.equal(statusExitCode([report(), report({ host: 'h2', drift })]), ExitCode.state);
  assert.equal(statusExitCode([report({ healthy: false }), report({ host: 'h2', drift })]), ExitCode.unhealthy);
  assert.equal(statusVerdict([report({ healthy: false }), report({ host: 'h2', drift })]), 'unhealthy: h1; drift from the config: h2');
  assert.equal(statusVerdict([report()]), 'all 1 host healthy and in sync with the config');
});

test('the block a person reads: one head line, the lock, maintenance, the site, instances, drift lines', () => {
  const text = formatHostReport(
    report({
      lockedBy: 'ann@laptop pid 7: deployer deploy',
      maintenance: true,
      healthy: false,
      site: { ok: false, error: 'GET / through Caddy answered 502' },
      drift: [{ kind: 'unit', name: 'u', change: 'changed', message: 'unit u differs from what a deploy writes: fix' }],
    }),
  );
  assert.equal(
    text,
    [
      'h1: hello 1.0.0 live since 2026-12-05 10:00:00Z — UNHEALTHY, drift',
      '  locked by ann@laptop pid 7: deployer deploy',
      '  maintenance mode is on',
      '  site through Caddy: FAILED (GET / through Caddy answered 502)',
      '  hello-web@8001.service  ok  1 restart',
      '  drift: unit u differs from what a deploy writes: fix',
    ].join('\n'),
  );
  assert.equal(
    formatHostReport(report({ release: undefined, since: undefined, instances: [], site: undefined, healthy: false })),
    'h1: hello is not deployed — UNHEALTHY',
  );
});

test('a host that could not be read: unhealthy, its error in its block', () => {
  const r = unreadableReport('h2', 'hello', 'h2: cannot connect to 127.0.0.1:2222: connection refused');
  assert.equal(statusExitCode([report(), r]), ExitCode.unhealthy);
  assert.equal(formatHostReport(r), 'h2: could not be read — UNHEALTHY\n  h2: cannot connect to 127.0.0.1:2222: connection refused');
});

test('the --json data matches docs/json.md#status-result', () => {
  const schemas = schemasIn(readFileSync(join(repoRoot, 'docs', 'json.md'), 'utf8'));
  const schema = schemas['status-result'];
  assert.ok(schema?.properties, 'docs/json.md has the #status-result schema');
  const data = JSON.parse(
    JSON.stringify({
      version: 1,
      app: 'hello',
      hosts: [
        report(),
        unreadableReport('h3', 'hello', 'no'),
        report({ host: 'h2', lockedBy: 'x', drift: [{ kind: 'env', name: 'A', change: 'changed', message: 'm' }] }),
      ],
    }),
  );
  assert.deepEqual(validate(data, schema), []);
});
