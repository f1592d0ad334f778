// [rollout] on six real hosts: a canary, then batches of two, in that order;
// a canary that fails stops there and the other five are not touched; three
// failures past max_failed = 2 end as each rollback policy says.
import { test, describe } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpGet, type TestHost } from '../helpers/testhost.js';
import { appToml, hostToml, waitForPause } from '../helpers/project.js';
import { useFleet } from '../helpers/fleet.js';

const sh = async (h: TestHost, cmd: string) => (await h.ssh(cmd, { user: 'root' })).stdout.trim();
const get = async (h: TestHost) => {
  const r = await httpGet(h.httpPort, '/', 'fleet.localhost');
  return `${r.status} ${r.body.trim()}`;
};

describe('rollout over six hosts', () => {
  const fleet = useFleet(6, 'binary-app', () => base('all'));
  const hosts = fleet.hosts;
  const base = (rollback: 'all' | 'host') =>
    appToml({
      app: 'fleet',
      settings: { rollback },
      timeout: 8,
      extra: '[rollout]\ncanary = 1\ncanary_wait = 2\nbatch = 2\nmax_failed = 2',
    });
  // Host i gets its own env, so the new release fails its health check only on the hosts named.
  function writeConfig(version: string, opts: { rollback?: 'all' | 'host'; unhealthy?: number[]; maxFailed?: number } = {}): void {
    const hostBlocks = hostToml(hosts, (i) => `env = "HELLO_HEALTH_STATUS=${opts.unhealthy?.includes(i) ? 500 : 200}"`);
    const text = base(opts.rollback ?? 'all').replace('max_failed = 2', `max_failed = ${opts.maxFailed ?? 0}`);
    writeFileSync(join(fleet.app.dir, 'deployer.toml'), `version = "${version}"\n${text}\n${hostBlocks}`);
  }
  const serving = () => Promise.all(hosts.map(get));
  const current = () => Promise.all(hosts.map((h) => sh(h, 'readlink /srv/deployer/fleet/current')));
  const releases = () => Promise.all(hosts.map((h) => sh(h, 'ls /srv/deployer/fleet | grep "^v" | sort | tr "\\n" " "')));

  test('canary = 1, batch = 2: the canary first, then waves of two, in host order; plan shows the waves', async () => {
    writeConfig('1.0.0');
    const plan = await fleet.app.run(['plan']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(
      plan.stdout,
      /Rollout in 4 waves:\n {2}wave 1\/4 \(canary, watched 2 s\): h1\n {2}wave 2\/4: h2, h3\n {2}wave 3\/4: h4, h5\n {2}wave 4\/4: h6/,
    );
    const r = await fleet.app.run(['deploy', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const waves = r.events.filter((e) => e.type === 'wave');
    assert.deepEqual(
      waves.map((e) => `${e.status} ${(e.hosts as string[]).join(',')}`),
      ['start h1', 'done h1', 'start h2,h3', 'done h2,h3', 'start h4,h5', 'done h4,h5', 'start h6', 'done h6'],
    );
    // Each wave's switch came after the previous wave ended.
    const kinds = r.events.filter((e) => e.type === 'wave' || (e.type === 'phase' && e.phase === 'switch')).map((e) => e.type);
    assert.deepEqual(kinds, ['wave', 'phase', 'wave', 'wave', 'phase', 'wave', 'wave', 'phase', 'wave', 'wave', 'phase', 'wave']);
    assert.ok(r.events.some((e) => e.type === 'phase' && e.phase === 'canary' && e.status === 'done'));
    assert.deepEqual(await serving(), Array(6).fill('200 hello-bin 1.0.0'));
  });

  test('Ctrl-C while the canary waits for its verdict: it reverts, no later wave starts; the table says interrupted and untouched', async () => {
    const before = await releases();
    writeConfig('1.5.0');
    const { child, result } = fleet.app.start(['deploy'], { env: { DEPLOYER_TEST_PAUSE_AT: 'switched' } });
    await waitForPause(child, 'switched');
    assert.equal(await get(hosts[0]), '200 hello-bin 1.5.0', 'the canary switched, its script waiting for the verdict');
    child.kill('SIGINT');
    const r = await result;
    assert.equal(r.code, 130, r.stderr);
    assert.match(
      r.stderr,
      /✗ interrupted \(Ctrl-C\) during wave 1\/4 \(the switch\); no further wave started, h2, h3, h4, h5, h6 untouched/,
    );
    assert.match(r.stderr, /\nh1 +- +INTERRUPTED\n(h[2-6] +- +untouched\n){5}/);
    assert.match(r.stderr, /h1: in wave 1\/4: reverting to the previous release \(the switch got no verdict\)/);
    // No verdict came: the canary's switch script reverts by itself once the connection is gone.
    for (let i = 0; i < 60 && (await get(hosts[0])) !== '200 hello-bin 1.0.0'; i++) await new Promise((ok) => setTimeout(ok, 500));
    assert.deepEqual(await serving(), Array(6).fill('200 hello-bin 1.0.0'));
    assert.deepEqual(await current(), Array(6).fill('v1.0.0'));
    assert.deepEqual((await releases()).slice(1), before.slice(1), 'no upload to the hosts of later waves');
  });

  test('a release that fails on the canary stops there, even under max_failed: the other five are not touched', async () => {
    const before = await releases();
    writeConfig('2.0.0', { unhealthy: [0], maxFailed: 2 });
    const r = await fleet.app.run(['deploy']);
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stderr, /not touched \(the rollout stopped before them\): h2, h3, h4, h5, h6/);
    assert.deepEqual(await serving(), Array(6).fill('200 hello-bin 1.0.0'));
    assert.deepEqual(await current(), Array(6).fill('v1.0.0'));
    const after = await releases();
    // The canary keeps the failed release's directory (marked failed); no other host got one.
    assert.deepEqual(after.slice(1), before.slice(1));
    assert.match(after[0], /v2\.0\.0/);
  });

  test('three failures with max_failed = 2 and rollback = "all": every switched host back on 1.0.0, h6 untouched', async () => {
    const before = await releases();
    writeConfig('3.0.0', { rollback: 'all', maxFailed: 2, unhealthy: [1, 3, 4] });
    const r = await fleet.app.run(['deploy']);
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stderr, /not touched \(the rollout stopped before them\): h6/);
    assert.deepEqual(await serving(), Array(6).fill('200 hello-bin 1.0.0'));
    assert.deepEqual(await current(), Array(6).fill('v1.0.0'));
    assert.equal((await releases())[5], before[5]);
  });

  test('three failures with max_failed = 2 and rollback = "host": the failed back on 1.0.0, the passed on 4.0.0, h6 untouched', async () => {
    const before = await releases();
    writeConfig('4.0.0', { rollback: 'host', maxFailed: 2, unhealthy: [1, 3, 4] });
    const r = await fleet.app.run(['deploy', '--json']);
    assert.equal(r.code, 7, r.stderr);
    // Each host its own time, from its connect to its verdict: the canary's ended waves before h4's; h6 has none.
    const ended = new Map(r.events.filter((e) => e.type === 'host').map((e) => [e.host, e]));
    assert.deepEqual(
      hosts.map((_, i) => `${ended.get(`h${i + 1}`)?.result} ${ended.get(`h${i + 1}`)?.wave}`),
      ['live 1', 'failed 2', 'live 2', 'failed 3', 'failed 3', 'untouched 4'],
    );
    assert.ok(Number(ended.get('h1')?.ms) < Number(ended.get('h4')?.ms), JSON.stringify([...ended.values()]));
    assert.equal(ended.get('h6')?.ms, undefined);
    assert.deepEqual(await current(), ['v4.0.0', 'v1.0.0', 'v4.0.0', 'v1.0.0', 'v1.0.0', 'v1.0.0']);
    assert.deepEqual(
      await serving(),
      [4, 1, 4, 1, 1, 1].map((v) => `200 hello-bin ${v}.0.0`),
    );
    assert.equal((await releases())[5], before[5]);
  });
});
