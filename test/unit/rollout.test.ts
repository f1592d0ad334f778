// [rollout]: the waves (canary, batches, percentages, rounding), the limit of
// failed hosts, the config's checks, and the decisions of a rollout over fake
// hosts (what each host was asked to do, and what it was never asked).
import { test, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RolloutConfig } from '../../src/config/rollout.js';
import type { Config } from '../../src/config/types.js';
import type { Context } from '../../src/context.js';
import { parseConfig } from '../../src/config/parse.js';
import { ConfigError, DeployerError } from '../../src/errors.js';
import { deploy } from '../../src/deploy/deployFlow.js';
import { rollBackInWaves } from '../../src/deploy/rollbackWaves.js';
import { describeInterruption, interruptedHosts } from '../../src/deploy/interrupt.js';
import type { DeployerEvent } from '../../src/output/events.js';
import { countOf, failureLimit, formatWaves, planWaves, waveVerdict } from '../../src/plan/rollout.js';
import { makeTestContext } from '../helpers/context.js';
import { FakeRemote, type FakeHostSettings } from '../helpers/fakeRemote.js';
import { tempDir } from '../helpers/tmp.js';
import { schemasIn, validate } from '../helpers/jsonSchema.js';
import { makeConfig, makeHost, repoRoot } from './render-helpers.js';

const names = (n: number) => Array.from({ length: n }, (_, i) => `web${i + 1}`);
const ro = (r: Partial<RolloutConfig>): RolloutConfig => ({ canary: 0, canaryWait: 0, maxFailed: 0, ...r });
const shape = (waves: Array<{ kind: string; items: string[] }>) => waves.map((w) => `${w.kind}:${w.items.join(',')}`);

test('waves: no [rollout] is one wave of every host; a canary goes first, alone; batches take the rest in order', () => {
  assert.deepEqual(shape(planWaves(names(3), undefined)), ['all:web1,web2,web3']);
  assert.deepEqual(shape(planWaves(names(6), ro({ canary: 1, batch: 2 }))), [
    'canary:web1',
    'batch:web2,web3',
    'batch:web4,web5',
    'batch:web6',
  ]);
  // A canary without batch: the rest in one wave.
  assert.deepEqual(shape(planWaves(names(4), ro({ canary: 2 }))), ['canary:web1,web2', 'batch:web3,web4']);
  // More canaries than hosts: every host is a canary.
  assert.deepEqual(shape(planWaves(names(2), ro({ canary: 5, batch: 1 }))), ['canary:web1,web2']);
  assert.deepEqual(planWaves([], ro({ canary: 1 })), []);
  assert.deepEqual(
    planWaves(names(3), ro({ batch: 1 })).map((w) => w.index),
    [1, 2, 3],
  );
});

test('waves: a percentage is of the selected hosts and rounds up (never a wave of 0); max_failed rounds down', () => {
  // The issue's bench: 20 hosts, canary 1, batch "25%": 1, then 5, 5, 5, 4.
  assert.deepEqual(
    planWaves(names(20), ro({ canary: 1, batch: '25%' })).map((w) => w.items.length),
    [1, 5, 5, 5, 4],
  );
  assert.deepEqual(
    planWaves(names(3), ro({ batch: '10%' })).map((w) => w.items.length),
    [1, 1, 1],
  );
  assert.equal(countOf('25%', 6, 'up'), 2);
  assert.equal(countOf('10%', 15, 'down'), 1);
  assert.equal(countOf(3, 15, 'down'), 3);
  assert.equal(failureLimit(undefined, 10), 0);
  assert.equal(failureLimit(ro({ maxFailed: '10%' }), 9), 0);
  assert.equal(failureLimit(ro({ maxFailed: '50%' }), 6), 3);
  assert.equal(failureLimit(ro({ maxFailed: 2 }), 6), 2);
});

test('verdict: past max_failed the rollout stops; "all" then takes everyone back, "host" only the failed', () => {
  assert.deepEqual(waveVerdict(0, 0, 'all'), { stop: false, everyone: false });
  assert.deepEqual(waveVerdict(1, 0, 'all'), { stop: true, everyone: true });
  assert.deepEqual(waveVerdict(2, 2, 'all'), { stop: false, everyone: false });
  assert.deepEqual(waveVerdict(3, 2, 'all'), { stop: true, everyone: true });
  assert.deepEqual(waveVerdict(3, 2, 'host'), { stop: true, everyone: false });
  assert.deepEqual(waveVerdict(1, 2, 'host'), { stop: false, everyone: false });
  // A failed canary stops the rollout even under max_failed.
  assert.deepEqual(waveVerdict(1, 2, 'all', true), { stop: true, everyone: true });
  assert.deepEqual(waveVerdict(1, 2, 'host', true), { stop: true, everyone: false });
});

test('plan text: one line per wave and where the rollout stops', () => {
  const text = formatWaves(names(6), ro({ canary: 1, canaryWait: 30, batch: 2, maxFailed: 1 }), 'host');
  assert.match(text, /^Rollout in 4 waves:\n {2}wave 1\/4 \(canary, watched 30 s\): web1\n {2}wave 2\/4: web2, web3\n/);
  assert.match(text, /stops at 2 failed hosts \(max_failed = 1\); then the failed hosts go back/);
});

// ---- config ------------------------------------------------------------------

const base = `app = "shop"\ndistfile = "dist/shop.whl"\ninstallation_mode = "python-package"\n\n[[hosts]]\naddress = "10.0.0.1"\n\n[processes]\nweb = "gunicorn shop.wsgi"\n`;
const parse = (text: string) => parseConfig(text, { file: '/p/deployer.toml', root: '/p', displayName: 'deployer.toml', home: '/home/t' });

test('[rollout]: counts and percentages are read; canary_wait defaults to 30, max_failed to 0; no table, no rollout', () => {
  assert.equal(parse(base).rollout, undefined);
  assert.deepEqual(parse(base + '\n[rollout]\ncanary = 1\nbatch = "25%"\n').rollout, {
    canary: 1,
    canaryWait: 30,
    batch: '25%',
    maxFailed: 0,
  });
  assert.deepEqual(parse(base + '\n[rollout]\nbatch = 2\nmax_failed = "10%"\ncanary_wait = 5\n').rollout, {
    canary: 0,
    canaryWait: 5,
    batch: 2,
    maxFailed: '10%',
  });
});

test('[rollout]: a bad batch, max_failed or canary, and an unknown key, are ConfigErrors with line, key and fix', () => {
  const bad = (toml: string, re: RegExp) =>
    assert.throws(
      () => parse(base + '\n[rollout]\n' + toml + '\n'),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, re);
        return true;
      },
    );
  bad(
    'batch = 0',
    /^deployer\.toml:12:9: rollout\.batch must be a whole number of hosts \(1 or more\) or a percentage .*got 0\. Fix: write batch = 2/,
  );
  bad('batch = "0%"', /rollout\.batch must be .*got "0%"/);
  bad('batch = "150%"', /rollout\.batch must be .*got "150%"/);
  bad('batch = "a quarter"', /rollout\.batch must be/);
  bad('max_failed = -1', /^deployer\.toml:12:14: rollout\.max_failed must be .*Fix: write max_failed = 2/);
  bad('max_failed = 2.5', /rollout\.max_failed must be .*got 2\.5/);
  bad('canary = -1', /rollout\.canary must be an integer from 0 to 1000.*Fix: write canary = 1/);
  bad('canari = 1', /unknown key "canari" in rollout\. Did you mean "canary"\?/);
});

// ---- decisions over fake hosts ------------------------------------------------

const root = tempDir('deployer-rollout-');
mkdirSync(join(root, 'dist'));
writeFileSync(join(root, 'dist', 'hello_app-1.0.0-py3-none-any.whl'), 'wheel bytes');
after(() => rmSync(root, { recursive: true, force: true }));

function fleet(rollout: RolloutConfig | undefined, rollback: 'all' | 'host' = 'all'): Config {
  return makeConfig({
    root,
    file: join(root, 'deployer.toml'),
    hosts: names(6).map((name, i) => makeHost({ name, address: `203.0.113.${i + 10}` })),
    healthCheck: { path: '/healthz', status: 200, timeout: 1 },
    rollback,
    ...(rollout ? { rollout } : {}),
  });
}

const live = { state: { current: '0.9.0', releases: ['0.9.0'] } };

/** `act` over six fake hosts; what each host was asked after its lock ("" when never touched) and the --json events. */
async function onFleet(settings: Record<string, FakeHostSettings>, act: (ctx: Context) => Promise<unknown>) {
  const hosts: Record<string, FakeRemote> = {};
  const { ctx, out } = makeTestContext({
    cwd: root,
    reporterOptions: { json: true },
    connect: async (host) => (hosts[host.name] = new FakeRemote(host.name, settings[host.name])),
  });
  let error: DeployerError | undefined;
  await act(ctx).catch((e: unknown) => {
    if (!(e instanceof DeployerError)) throw e;
    error = e;
  });
  const events = out
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const did = Object.fromEntries(Object.entries(hosts).map(([n, h]) => [n, h.calls.slice(1).join(', ')]));
  return { error, hosts, events, did };
}

/** Each host's settings over a starting state. */
const withState = (state: FakeHostSettings, settings: Record<string, FakeHostSettings>) =>
  Object.fromEntries(names(6).map((n) => [n, { ...state, ...settings[n] }]));

const run = (cfg: Config, settings: Record<string, FakeHostSettings> = {}) =>
  onFleet(withState(live, settings), (ctx) =>
    deploy(ctx, { action: 'deploy', lockWait: 0, timings: false }, { config: cfg, version: '1.0.0' }),
  );

const waves = (events: Array<Record<string, unknown>>) =>
  events.filter((e) => e.type === 'wave' && e.status === 'start').map((e) => (e.hosts as string[]).join(','));

test('rollout: canary 1, batch 2 over 6 hosts: every lock first, then one wave after another, each committed', async () => {
  const r = await run(fleet({ canary: 1, canaryWait: 4, batch: 2, maxFailed: 0 }, 'host'));
  assert.equal(r.error, undefined);
  assert.deepEqual(waves(r.events), ['web1', 'web2,web3', 'web4,web5', 'web6']);
  for (const h of Object.values(r.hosts)) assert.equal(r.did[h.name], 'upload 6, prepare, switch, decide commit');
  // Every lock was taken before the first upload.
  const kinds = r.events.filter((e) => e.type === 'phase' && !e.host && e.status !== 'start').map((e) => e.phase);
  assert.ok(kinds.indexOf('lock') < kinds.indexOf('upload'));
  assert.equal(kinds.filter((k) => k === 'canary').length, 1);
  // The wave events and the canary phase are in the --json contract (docs/json.md).
  const schema = schemasIn(readFileSync(join(repoRoot, 'docs', 'json.md'), 'utf8')).event;
  for (const e of r.events.filter((x) => x.type === 'wave' || x.phase === 'canary'))
    assert.deepEqual(validate(e, schema), [], JSON.stringify(e));
  // The canary was checked again while watched (4 s, every 2 s): more requests than the others.
  assert.ok(r.hosts.web1.hostHeaders.length > r.hosts.web2.hostHeaders.length);
});

test('rollout: rollback = "all" holds every verdict until the last wave passed, then commits all', async () => {
  const r = await run(fleet({ canary: 1, canaryWait: 0, batch: 2, maxFailed: 0 }, 'all'));
  assert.equal(r.error, undefined);
  for (const h of Object.values(r.hosts)) assert.equal(r.did[h.name], 'upload 6, prepare, switch, decide commit');
  const commits = r.events.filter((e) => e.type === 'phase' && e.phase === 'commit');
  assert.equal(commits.length, 1, 'one commit, at the end');
});

test('rollout: a canary that fails stops there; the other 5 hosts are never touched', async () => {
  for (const policy of ['all', 'host'] as const) {
    const r = await run(fleet({ canary: 1, canaryWait: 0, batch: 2, maxFailed: 0 }, policy), { web1: { health: [500] } });
    assert.ok(r.error, policy);
    assert.equal(r.did.web1, 'upload 6, prepare, switch, decide rollback');
    for (const n of names(6).slice(1)) assert.equal(r.did[n], '', `${n} untouched (${policy})`);
    assert.match(r.error!.message, /not touched \(the rollout stopped before them\): web2, web3, web4, web5, web6/);
    const last = r.events.filter((e) => e.type === 'wave').at(-1)!;
    assert.deepEqual(last.untouched, ['web2', 'web3', 'web4', 'web5', 'web6']);
  }
});

test('rollout: after a stop the end hooks run only on the hosts reached', async () => {
  const cfg = { ...fleet({ canary: 1, canaryWait: 0, batch: 2, maxFailed: 0 }, 'all'), hooks: { onFailure: 'notify', always: 'tidy' } };
  const r = await run(cfg, { web1: { health: [500] } });
  assert.ok(r.error);
  assert.match(r.did.web1, /on_failure hook in .*always hook in /);
  for (const n of names(6).slice(1)) assert.equal(r.did[n], '', `${n} untouched`);
});

test('rollout: a canary that goes bad while watched is rolled back', async () => {
  // Verify: the app (200), the site (200); then watched: 500.
  const r = await run(fleet({ canary: 1, canaryWait: 6, batch: 2, maxFailed: 0 }, 'all'), { web1: { health: [200, 200, 500] } });
  assert.ok(r.error);
  assert.equal(r.did.web1, 'upload 6, prepare, switch, decide rollback');
  assert.equal(r.did.web2, '');
  assert.match(r.error!.message, /web1/);
});

// Hosts web2, web4, web5 fail (waves: web1 | web2,web3 | web4,web5 | web6), max_failed = 2.
const three = { web2: { health: [500] }, web4: { health: [500] }, web5: { health: [500] } };

test('rollout: 3 failures with max_failed = 2 under "all": the stop takes every switched host back, web6 untouched', async () => {
  const r = await run(fleet({ canary: 1, canaryWait: 0, batch: 2, maxFailed: 2 }, 'all'), three);
  assert.ok(r.error);
  for (const n of ['web1', 'web2', 'web3', 'web4', 'web5']) assert.equal(r.did[n], 'upload 6, prepare, switch, decide rollback', n);
  assert.equal(r.did.web6, '');
});

test('rollout: 3 failures with max_failed = 2 under "host": the failed go back alone, the passed keep it, web6 untouched', async () => {
  const r = await run(fleet({ canary: 1, canaryWait: 0, batch: 2, maxFailed: 2 }, 'host'), three);
  assert.ok(r.error);
  for (const n of ['web1', 'web3']) assert.equal(r.did[n], 'upload 6, prepare, switch, decide commit', n);
  for (const n of ['web2', 'web4', 'web5']) assert.equal(r.did[n], 'upload 6, prepare, switch, decide rollback', n);
  assert.equal(r.did.web6, '');
});

test('rollout: failures under max_failed go back alone and the rollout goes on to the last wave', async () => {
  const r = await run(fleet({ canary: 1, canaryWait: 0, batch: 2, maxFailed: 2 }, 'all'), { web2: { health: [500] } });
  assert.ok(r.error, 'a failed host still fails the deploy');
  assert.equal(r.did.web2, 'upload 6, prepare, switch, decide rollback');
  for (const n of ['web1', 'web3', 'web4', 'web5', 'web6']) assert.equal(r.did[n], 'upload 6, prepare, switch, decide commit', n);
});

test('rollout: a prepare that fails in a later wave takes the held hosts back ("all")', async () => {
  const r = await run(fleet({ canary: 1, canaryWait: 0, batch: 2, maxFailed: 0 }, 'all'), { web4: { prepareFailsAt: 'install' } });
  assert.ok(r.error);
  for (const n of ['web1', 'web2', 'web3']) assert.equal(r.did[n], 'upload 6, prepare, switch, decide rollback', n);
  assert.equal(r.did.web4, 'upload 6, prepare');
  assert.equal(r.did.web6, '');
});

test('no [rollout]: every host at once, as before (one wave, no wave events)', async () => {
  const r = await run(fleet(undefined, 'all'), { web3: { health: [500] } });
  assert.ok(r.error);
  for (const n of names(6)) assert.equal(r.did[n], 'upload 6, prepare, switch, decide rollback', n);
  assert.equal(r.events.filter((e) => e.type === 'wave').length, 0);
});

// ---- rollback of a fleet, rolled out the same way --------------------------------

const rec = (version: string) => ({ version, status: 'good' as const, time: '2026-01-01T00:00:00Z', sha: '', by: 't' });
const twoReleases = { state: { current: '1.0.0', releases: ['0.9.0', '1.0.0'], versions: [rec('1.0.0'), rec('0.9.0')] } };

const rollBack = (cfg: Config, settings: Record<string, FakeHostSettings> = {}) =>
  onFleet(withState(twoReleases, settings), (ctx) =>
    rollBackInWaves(ctx, cfg, { lock: true, lockWait: 0, command: 'rollback' }, undefined, { time: 't', by: 'b' }),
  );

test('rollback in waves: every lock first, then the waves; all commit at the end', async () => {
  const r = await rollBack(fleet({ canary: 1, canaryWait: 0, batch: 2, maxFailed: 0 }, 'all'));
  assert.equal(r.error, undefined);
  assert.deepEqual(waves(r.events), ['web1', 'web2,web3', 'web4,web5', 'web6']);
  for (const n of names(6)) assert.equal(r.did[n], 'switch, decide commit', n);
  for (const h of Object.values(r.hosts)) assert.ok(h.lockReleased);
});

test('rollback in waves: a canary that fails stops it; the other hosts are not touched', async () => {
  const r = await rollBack(fleet({ canary: 1, canaryWait: 0, batch: 2, maxFailed: 0 }, 'host'), { web1: { health: [500] } });
  assert.ok(r.error);
  assert.equal(r.did.web1, 'switch, decide rollback');
  for (const n of names(6).slice(1)) assert.equal(r.did[n], '', n);
  assert.match(r.error!.message, /not touched \(the rollout stopped before them\): web2, web3, web4, web5, web6/);
});

test('rollback in waves: past max_failed under "all", every host that went back is undone', async () => {
  const r = await rollBack(fleet({ canary: 1, canaryWait: 0, batch: 2, maxFailed: 0 }, 'all'), { web3: { health: [500] } });
  assert.ok(r.error);
  for (const n of ['web1', 'web2', 'web3']) assert.equal(r.did[n], 'switch, decide rollback', n);
  assert.equal(r.did.web4, '');
});

test('rollback in waves: the canary is watched for canary_wait too; one that goes bad while watched stops it', async () => {
  // Its check after the switch (200), then watched: 500.
  const r = await rollBack(fleet({ canary: 1, canaryWait: 6, batch: 2, maxFailed: 0 }, 'host'), { web1: { health: [200, 500] } });
  assert.ok(r.error);
  assert.equal(r.did.web1, 'switch, decide rollback');
  for (const n of names(6).slice(1)) assert.equal(r.did[n], '', n);
  assert.match(r.error!.message, /web1: rollback to 0\.9\.0 failed its checks \(health check failed while watched as the canary/);
  // A canary that stays healthy is checked again while watched, then the rollout goes on.
  const ok = await rollBack(fleet({ canary: 1, canaryWait: 4, batch: 2, maxFailed: 0 }, 'host'));
  assert.equal(ok.error, undefined);
  assert.ok(ok.hosts.web1.hostHeaders.length > ok.hosts.web2.hostHeaders.length);
  for (const n of names(6)) assert.equal(ok.did[n], 'switch, decide commit', n);
});

// ---- each host's outcome: its own time, and a row even when the deploy stopped --------

const hostEvents = (events: Array<Record<string, unknown>>) =>
  Object.fromEntries(events.filter((e) => e.type === 'host').map((e) => [e.host as string, e]));
const eventSchema = () => schemasIn(readFileSync(join(repoRoot, 'docs', 'json.md'), 'utf8')).event;

test('host events: each host its own time, from its connect to its verdict; untouched hosts have none', async () => {
  // web2 fails its check (the retries take the fake clock's seconds), under max_failed = 1: the later waves end after it.
  const r = await run(fleet({ canary: 1, canaryWait: 0, batch: 2, maxFailed: 1 }, 'host'), { web2: { health: [500] } });
  assert.ok(r.error);
  const h = hostEvents(r.events);
  assert.deepEqual(Object.keys(h), names(6));
  assert.equal(h.web1.ms, 0, 'the canary ended before web2 was even switched');
  assert.ok((h.web2.ms as number) > 0);
  for (const n of ['web3', 'web4', 'web5', 'web6']) assert.ok((h[n].ms as number) >= (h.web2.ms as number), n);
  assert.deepEqual(
    names(6).map((n) => `${h[n].result} ${h[n].wave}`),
    ['live 1', 'failed 2', 'live 2', 'live 3', 'live 3', 'live 4'],
  );
  for (const e of Object.values(h)) assert.deepEqual(validate(e, eventSchema()), [], JSON.stringify(e));

  const canary = await run(fleet({ canary: 1, canaryWait: 0, batch: 2, maxFailed: 0 }, 'all'), { web1: { health: [500] } });
  const c = hostEvents(canary.events);
  assert.equal(c.web1.result, 'failed');
  assert.equal(typeof c.web1.ms, 'number');
  for (const n of names(6).slice(1)) {
    const { type, host, result, version, wave, ms } = c[n];
    assert.deepEqual(
      { type, host, result, version, wave, ms },
      { type: 'host', host: n, result: 'untouched', version: '0.9.0', wave: n === 'web6' ? 4 : n < 'web4' ? 2 : 3, ms: undefined },
    );
  }
});

test('a deploy that stops before the verdict still gives every host its outcome: failed with the reason, not switched, untouched', async () => {
  // A lock refused on one host: it failed, why; the others were not touched.
  const locked = await run(fleet(undefined), { web3: { lockedBy: 'ci@runner pid 7 since 2026-01-01T00:00:00Z' } });
  assert.ok(locked.error);
  const l = hostEvents(locked.events);
  assert.deepEqual(Object.keys(l), names(6));
  assert.equal(l.web3.result, 'failed');
  assert.match(String(l.web3.message), /locked/);
  for (const n of ['web1', 'web2', 'web4', 'web5', 'web6']) assert.equal(l[n].result, 'untouched', n);

  // A prepare that fails on one host of a rollout's wave: the held hosts went back, its wave-mate is prepared but
  // not switched, the last wave untouched.
  const prep = await run(fleet({ canary: 1, canaryWait: 0, batch: 2, maxFailed: 0 }, 'all'), { web4: { prepareFailsAt: 'install' } });
  assert.ok(prep.error);
  const p = hostEvents(prep.events);
  assert.deepEqual(
    names(6).map((n) => p[n].result),
    ['rolled-back', 'rolled-back', 'rolled-back', 'failed', 'stopped', 'untouched'],
  );
  assert.match(String(p.web4.message), /install failed/);
  // The wave that stopped ends failed, naming its failed host and the hosts never reached; the error does not say
  // that no host was switched.
  const last = prep.events.filter((e) => e.type === 'wave').at(-1)!;
  assert.deepEqual([last.status, last.failed, last.untouched], ['failed', ['web4'], ['web6']]);
  assert.doesNotMatch(prep.error!.message, /No host was switched/);
  assert.match(prep.error!.message, /The rollout stopped in this wave/);
  assert.equal(p.web5.version, '0.9.0');
  for (const e of Object.values(p)) assert.deepEqual(validate(e, eventSchema()), [], JSON.stringify(e));

  // People see the table too, before the error.
  const { ctx, err } = makeTestContext({
    cwd: root,
    connect: async (host) => new FakeRemote(host.name, { ...live, ...(host.name === 'web2' ? { prepareFailsAt: 'install' } : {}) }),
  });
  await assert.rejects(deploy(ctx, { action: 'deploy', lockWait: 0, timings: false }, { config: fleet(undefined), version: '1.0.0' }));
  ctx.reporter.fail('the deploy failed');
  const text = err.join('');
  assert.match(text, /host +version +result +time\nweb1 +0\.9\.0 +not switched +\d+ ms\nweb2 +0\.9\.0 +FAILED +\d+ ms\n/);
});

test('Ctrl-C in a rollout: no later wave starts (its hosts untouched), the wave at work stops before its switch', async () => {
  const stop = new AbortController();
  let prepared = 0;
  let events: readonly DeployerEvent[] = [];
  const r = await onFleet(withState(live, {}), (ctx) => {
    // What the Ctrl-C handler reads (src/deploy/deployFlow.ts).
    events = ctx.reporter.events;
    // The second wave's prepare is done when the signal comes.
    ctx.pause = async (point) => void (point === 'prepared' && ++prepared === 2 && stop.abort());
    return deploy(
      ctx,
      { action: 'deploy', lockWait: 0, timings: false },
      { config: fleet({ canary: 1, canaryWait: 0, batch: 2, maxFailed: 0 }, 'host'), version: '1.0.0' },
      stop.signal,
    );
  });
  assert.equal(r.error?.exitCode, 130);
  assert.equal(r.did.web1, 'upload 6, prepare, switch, decide commit');
  for (const n of ['web2', 'web3']) assert.equal(r.did[n], 'upload 6, prepare', n);
  for (const n of ['web4', 'web5', 'web6']) assert.equal(r.did[n], '', n);
  // Interrupted, the deploy reports nothing more itself: the interruption does (src/deploy/interrupt.ts).
  assert.equal(r.events.filter((e) => e.type === 'host').length, 0);
  const seen = { events, hosts: names(6), version: '1.0.0', rollback: 'host' as const };
  assert.deepEqual(
    interruptedHosts(seen).map((e) => `${e.host} ${e.result}${e.message ? `: ${e.message}` : ''}`),
    [
      'web1 live',
      'web2 interrupted: in wave 2/4: reverting to the previous release (the switch got no verdict)',
      'web3 interrupted: in wave 2/4: reverting to the previous release (the switch got no verdict)',
      'web4 untouched: its wave had not started: nothing was sent to it',
      'web5 untouched: its wave had not started: nothing was sent to it',
      'web6 untouched: its wave had not started: nothing was sent to it',
    ],
  );
  const e = describeInterruption(events, names(6), '1.0.0', { signal: 'SIGTERM', rollback: 'host' });
  assert.equal(e.exitCode, 130);
  assert.match(e.message, /^interrupted \(SIGTERM\) during wave 2\/4 \(the switch\); no further wave started, web4, web5, web6 untouched/);
  assert.match(e.details!, /^web1: 1\.0\.0 committed in wave 1\/4\nweb2: in wave 2\/4: reverting/);
  assert.match(e.details!, /\nweb6: untouched \(its wave had not started: nothing was sent to it\)$/);
  // rollback = "all": the hosts of a wave that passed wait for the last wave's verdict, so they revert.
  const held = interruptedHosts({ ...seen, rollback: 'all' });
  assert.equal(held[0].result, 'interrupted');
  assert.match(held[0].message!, /passed in wave 1\/4, waiting for the last wave's verdict: reverting to the previous release/);
});

test('Ctrl-C during the upload of a deploy to every host at once: no prepare and no switch starts after it', async () => {
  const stop = new AbortController();
  const r = await onFleet(withState(live, {}), (ctx) => {
    ctx.pause = async (point) => void (point === 'uploaded' && stop.abort());
    return deploy(ctx, { action: 'deploy', lockWait: 0, timings: false }, { config: fleet(undefined), version: '1.0.0' }, stop.signal);
  });
  assert.equal(r.error?.exitCode, 130);
  for (const n of names(6)) assert.equal(r.did[n], 'upload 6', n);
});
