// Roles and hosts_command on real hosts: a web+worker host and a worker-only
// host (no web unit, no Caddy site there), --role selecting hosts, the hosts
// taken from a command, and a command printing a bad entry touching nothing.
import { test, describe } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpGet, type TestHost } from '../helpers/testhost.js';
import { appToml, hostToml } from '../helpers/project.js';
import { useFleet } from '../helpers/fleet.js';

const sh = async (h: TestHost, cmd: string) => (await h.ssh(cmd, { user: 'root' })).stdout.trim();

describe('roles and hosts_command', () => {
  const fleet = useFleet(2, 'binary-app', () => base);
  const hosts = fleet.hosts;
  const base = appToml({
    app: 'roles',
    settings: { strategy: 'restart' },
    processes: 'worker = { command = "sleep infinity", roles = ["worker"] }',
    timeout: 8,
  }).replace('web = "app_binary"', 'web = { command = "app_binary", roles = ["web"] }');
  const webFirst = (i: number) => (i === 0 ? 'roles = ["web", "worker"]' : 'roles = ["worker"]');
  function writeConfig(version: string, top = '', withHosts = true, roles = webFirst): void {
    writeFileSync(
      join(fleet.app.dir, 'deployer.toml'),
      `version = "${version}"\n${top}${base}\n${withHosts ? hostToml(hosts, roles) : ''}`,
    );
  }
  /** The host tables hostToml writes, as the JSON a hosts_command prints. */
  function hostsJson(bad?: number): string {
    return JSON.stringify(
      hosts.map((h, i) => ({
        name: `h${i + 1}`,
        address: '127.0.0.1',
        port: bad === i ? 'x' : h.sshPort,
        user: 'deploy',
        key_file: h.keyPath,
        known_hosts: h.knownHostsPath,
        roles: i === 0 ? ['web', 'worker'] : ['worker'],
      })),
    );
  }
  const current = () => Promise.all(hosts.map((h) => sh(h, 'readlink /srv/deployer/roles/current || true')));

  test('the worker-only host gets the worker unit and no web unit or Caddy site; the site works through Caddy on the web host', async () => {
    writeConfig('1.0.0');
    const r = await fleet.app.run(['deploy']);
    assert.equal(r.code, 0, r.stderr);
    const [web, jobs] = hosts;
    assert.equal((await httpGet(web.httpPort, '/', 'roles.localhost')).body.trim(), 'hello-bin 1.0.0');
    assert.equal(await sh(web, 'systemctl is-active roles-web.service roles-worker.service'), 'active\nactive');
    assert.equal(await sh(jobs, 'systemctl is-active roles-worker.service'), 'active');
    assert.equal(await sh(jobs, 'ls /etc/systemd/system | grep "^roles-" || true'), 'roles-worker.service');
    assert.equal(await sh(jobs, 'ls /etc/caddy/sites 2>/dev/null | grep roles || echo none'), 'none');
    assert.equal(await sh(jobs, 'systemctl is-active roles-web.service || true'), 'inactive');
  });

  test('--role selects the hosts with the role: --role web deploys to the web host only', async () => {
    writeConfig('2.0.0');
    const r = await fleet.app.run(['deploy', '--role', 'web']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await current(), ['v2.0.0', 'v1.0.0']);
    const unknown = await fleet.app.run(['deploy', '--role', 'db']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /no host has the role "db"/);
  });

  test('hosts_command printing the two hosts deploys to them', async () => {
    writeFileSync(join(fleet.app.dir, 'hosts.json'), hostsJson());
    writeConfig('3.0.0', 'hosts_command = "cat hosts.json"\n', false);
    const r = await fleet.app.run(['deploy']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await current(), ['v3.0.0', 'v3.0.0']);
    assert.equal(await sh(hosts[1], 'ls /etc/systemd/system | grep "^roles-" || true'), 'roles-worker.service');
  });

  test('a hosts_command printing a bad entry fails with the command, the index and the key; nothing is touched on any host', async () => {
    const snapshot = () =>
      Promise.all(
        hosts.map((h) => sh(h, 'ls -a /srv/deployer/roles; cat /srv/deployer/roles/.versions; ls /etc/systemd/system | grep roles')),
      );
    const before = await snapshot();
    writeFileSync(join(fleet.app.dir, 'hosts.json'), hostsJson(1));
    writeConfig('4.0.0', 'hosts_command = "cat hosts.json"\n', false);
    const r = await fleet.app.run(['deploy']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /hosts_command \(cat hosts\.json\) printed an entry at \[1\] whose port must be an integer from 1 to 65535, got "x"/,
    );
    assert.deepEqual(await snapshot(), before);
    assert.deepEqual(await current(), ['v3.0.0', 'v3.0.0']);
  });

  test('web moves from h1 to h2: the web unit of h1 stops and its site goes (Caddy reloaded, not restarted; a foreign site kept); h2 serves', async () => {
    const [was, now] = hosts;
    await sh(was, 'echo "# not from deployer" > /etc/caddy/sites/other.caddy');
    const caddyPid = await sh(was, 'systemctl show -P MainPID caddy');
    writeConfig('5.0.0', '', true, (i) => (i === 0 ? 'roles = ["worker"]' : 'roles = ["web", "worker"]'));
    const r = await fleet.app.run(['deploy']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await sh(was, 'systemctl is-active roles-web.service || true'), 'inactive');
    assert.equal(await sh(was, 'ls /etc/systemd/system | grep "^roles-" || true'), 'roles-worker.service');
    assert.equal(await sh(was, 'ls /etc/caddy/sites'), 'other.caddy');
    assert.equal(await sh(was, 'systemctl is-active roles-worker.service caddy'), 'active\nactive');
    assert.equal(await sh(was, 'systemctl show -P MainPID caddy'), caddyPid, 'Caddy reloaded, not restarted');
    assert.equal((await httpGet(now.httpPort, '/', 'roles.localhost')).body.trim(), 'hello-bin 5.0.0');
  });
});
