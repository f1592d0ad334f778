// Stages sharing a host without touching each other, and one deploy across
// four hosts: prepared everywhere before any switch, and rolled back
// everywhere when one host fails its health check after switching.
import { test, before, after, describe } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { appToml, createProject, hostToml, type Project } from '../helpers/project.js';
import { useFleet } from '../helpers/fleet.js';

const sh = async (h: TestHost, cmd: string) => (await h.ssh(cmd, { user: 'root' })).stdout.trim();
const get = async (h: TestHost, site: string) => {
  const r = await httpGet(h.httpPort, '/', site);
  return `${r.status} ${r.body.trim()}`;
};

describe('stages on one host', () => {
  let host: TestHost;
  let app: Project;
  const base = appToml({
    app: 'shop',
    settings: { strategy: 'restart' },
    site: null,
    timeout: 8,
    extra: [
      '[stages.staging]',
      'webserver = { domains = ["http://staging.localhost"], upstream = "127.0.0.1:8010" }',
      '[stages.production]',
      'webserver = { domains = ["http://prod.localhost"], upstream = "127.0.0.1:8020" }',
    ].join('\n'),
  });
  before(async () => {
    host = await startHost();
    app = createProject('binary-app', [host], base);
  });
  after(async () => {
    app?.cleanup();
    await host?.down();
  });

  test('staging and production serve their own releases on their own domains', async () => {
    app.setVersion('1.0.0');
    for (const stage of ['staging', 'production']) {
      const r = await app.run(['deploy', '--stage', stage]);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal(await get(host, 'staging.localhost'), '200 hello-bin 1.0.0');
    assert.equal(await get(host, 'prod.localhost'), '200 hello-bin 1.0.0');
    assert.equal(await sh(host, 'systemctl is-active shop-staging-web.service shop-production-web.service'), 'active\nactive');
  });

  test('deploying staging leaves production’s release, units and history untouched', async () => {
    const snapshot = () =>
      sh(
        host,
        'cd /srv/deployer && { readlink shop-production/current; sha256sum shop-production/.versions .deployer/shop-production.history /etc/systemd/system/shop-production-* /etc/caddy/sites/shop-production.caddy; systemctl show -p ActiveEnterTimestamp shop-production-web.service; }',
      );
    const before = await snapshot();
    app.setVersion('2.0.0');
    const r = await app.run(['deploy', '--stage', 'staging']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await get(host, 'staging.localhost'), '200 hello-bin 2.0.0');
    assert.equal(await get(host, 'prod.localhost'), '200 hello-bin 1.0.0');
    assert.equal(await snapshot(), before);
  });
});

describe('four hosts', () => {
  const fleet = useFleet(4, 'binary-app', () => base);
  const hosts = fleet.hosts;
  const base = appToml({
    app: 'fleet',
    settings: { rollback: 'all', release_command: 'test ! -e /tmp/refuse-release' },
    timeout: 8,
  });
  // Host i gets its own env, so one host can be made unhealthy.
  function writeConfig(version: string, unhealthy?: number): void {
    const hostBlocks = hostToml(hosts, (i) => `env = "HELLO_HEALTH_STATUS=${unhealthy === i ? 500 : 200}"`);
    writeFileSync(join(fleet.app.dir, 'deployer.toml'), `version = "${version}"\n${base}\n${hostBlocks}`);
  }
  const all = async (site = 'fleet.localhost') => Promise.all(hosts.map((h) => get(h, site)));

  test('a deploy goes to all four hosts over one connection each', async () => {
    writeConfig('1.0.0');
    const r = await fleet.app.run(['deploy', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await all(), Array(4).fill('200 hello-bin 1.0.0'));
    const res = r.events.find((e) => e.type === 'result') as { data: { hosts: Array<{ host: string; execChannels: number }> } };
    assert.deepEqual(res.data.hosts.map((h) => h.host).sort(), ['h1', 'h2', 'h3', 'h4']);
    // Each host's outcome: one `host` event, before the result.
    const outcomes = r.events.filter((e) => e.type === 'host');
    assert.deepEqual(
      outcomes.map((e) => `${e.host} ${e.result} ${e.version}`).sort(),
      ['h1', 'h2', 'h3', 'h4'].map((h) => `${h} live 1.0.0`),
    );
  });

  test('one host failing its health check after the switch puts all four back on the old release', async () => {
    writeConfig('2.0.0', 2);
    const r = await fleet.app.run(['deploy']);
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stderr, /h3/);
    // Quiet: no line per file; the table names the failed host and the ones taken back with it.
    assert.doesNotMatch(r.stderr, /uploaded /);
    assert.match(r.stderr, /^h3 +1\.0\.0 +FAILED, rolled back +\d/m);
    for (const h of ['h1', 'h2', 'h4']) assert.match(r.stderr, new RegExp(`^${h} +1\\.0\\.0 +rolled back +\\d`, 'm'));
    assert.deepEqual(await all(), Array(4).fill('200 hello-bin 1.0.0'));
    for (const h of hosts) assert.equal(await sh(h, 'readlink /srv/deployer/fleet/current'), 'v1.0.0');
  });

  test('one host failing preparation means no host switches', async () => {
    await hosts[1].ssh('touch /tmp/refuse-release', { user: 'root' });
    try {
      writeConfig('3.0.0');
      const r = await fleet.app.run(['deploy']);
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, /h2/);
      assert.match(r.stderr, /No host was switched/);
      assert.deepEqual(await all(), Array(4).fill('200 hello-bin 1.0.0'));
      for (const h of hosts) assert.equal(await sh(h, 'readlink /srv/deployer/fleet/current'), 'v1.0.0');
    } finally {
      await hosts[1].ssh('rm -f /tmp/refuse-release', { user: 'root' });
    }
    // And with the cause gone, the same deploy goes through everywhere.
    const ok = await fleet.app.run(['deploy']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(await all(), Array(4).fill('200 hello-bin 3.0.0'));
  });
});
