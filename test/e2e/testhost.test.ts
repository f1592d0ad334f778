// The test host itself: it boots to `running`, has what deploys need (sudo,
// Caddy with /etc/caddy/sites, python3 venv), its proxies can be cut and
// restored, and `down()` leaves nothing behind.
import { after, before, describe, test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { httpGet, startHost, testhostBaseDir, testhostCgroupGroup, type TestHost } from '../helpers/testhost.js';

/** Resolves true when something accepts a TCP connection on 127.0.0.1:port. */
function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(3000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** The instance's cgroup dirs that exist, in every hierarchy testhost.sh may use. */
function existingCgroupDirs(name: string): string[] {
  return ['/sys/fs/cgroup', '/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified']
    .map((root) => join(root, testhostCgroupGroup(), name))
    .filter((dir) => existsSync(dir));
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mountPoint) => mountPoint === dir || mountPoint.startsWith(dir + '/'));
}

/** PIDs whose command line names the instance dir (nspawn, the proxies). */
function processesMentioning(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

describe('test host', () => {
  let host: TestHost;

  before(async () => {
    const t0 = Date.now();
    host = await startHost();
    console.log(`${host.name} booted in ${((Date.now() - t0) / 1000).toFixed(2)}s (script: ${host.bootSeconds}s to running)`);
  });
  after(() => host?.down());

  test('deploy has passwordless sudo and systemd is running', async () => {
    const r = await host.ssh('sudo -n systemctl is-system-running', { user: 'deploy' });
    assert.equal(r.stdout.trim(), 'running', r.stderr);
    assert.equal(r.code, 0);
    const who = await host.ssh('id -un', { user: 'deploy' });
    assert.equal(who.stdout.trim(), 'deploy');
  });

  test('its network keeps queued connections when a listener closes (net.ipv4.tcp_migrate_req = 1, as server bootstrap sets)', async () => {
    const r = await host.ssh('cat /proc/sys/net/ipv4/tcp_migrate_req', { user: 'deploy' });
    assert.equal(r.stdout.trim(), '1', r.stderr);
  });

  test('the known_hosts file pins the host key', () => {
    assert.match(host.hostKeyLine, new RegExp(`^\\[127\\.0\\.0\\.1\\]:${host.sshPort} ssh-ed25519 AAAA`));
    assert.equal(readFileSync(host.knownHostsPath, 'utf8').trim(), host.hostKeyLine);
  });

  test('Caddy is active and serves a site dropped into /etc/caddy/sites', async () => {
    const active = await host.ssh('systemctl is-active caddy');
    assert.equal(active.stdout.trim(), 'active');
    const site = ':80 {\n\trespond "hello from {host}" 200\n}\n';
    const write = await host.ssh('cat > /etc/caddy/sites/probe.caddy && systemctl reload caddy', { input: site });
    assert.equal(write.code, 0, write.stderr);
    const res = await httpGet(host.httpPort, '/', 'probe.example');
    assert.equal(res.status, 200);
    assert.equal(res.body, 'hello from probe.example');
  });

  test('python3 -m venv makes a working virtual environment', async () => {
    const r = await host.ssh('python3 -m venv /tmp/venv && /tmp/venv/bin/python -c "import sys; print(sys.prefix)"', { user: 'deploy' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '/tmp/venv');
  });

  test('stopping the ssh proxy cuts connections until it is started again', async () => {
    const long = host.ssh('sleep 20; echo finished');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await host.stopProxy(22);
    const cut = await long;
    assert.notEqual(cut.code, 0);
    assert.doesNotMatch(cut.stdout, /finished/);
    assert.equal(await canConnect(host.sshPort), false);
    await host.startProxy(22);
    const again = await host.ssh('echo back');
    assert.equal(again.stdout.trim(), 'back');
  });

  test('a proxy started with an RTT delays every round trip by it, and passes bytes intact and in order', async () => {
    const rtt = 200;
    await host.startProxy(22, rtt);
    try {
      // The SSH banner: the connection's handshake, then the banner's way back (1.5 RTT at least).
      const t0 = performance.now();
      const banner = await new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: host.sshPort });
        s.once('data', (d) => {
          s.destroy();
          resolve(d.toString());
        });
        s.once('error', reject);
      });
      assert.match(banner, /^SSH-2\.0-/);
      assert.ok(performance.now() - t0 >= 1.5 * rtt - 5, `the banner came ${(performance.now() - t0).toFixed(0)} ms after the connect`);
      // 4 MiB (as hex) through the delay line, its digest back: nothing lost or reordered.
      const data = Buffer.alloc(2 << 20);
      for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
      const input = data.toString('hex');
      const r = await host.ssh('sha256sum', { user: 'deploy', input });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.split(' ')[0], createHash('sha256').update(input).digest('hex'));
    } finally {
      await host.startProxy(22);
    }
  });

  test('down() leaves no directory, process, mount, cgroup or port behind', async () => {
    const instanceDir = join(testhostBaseDir(), 'instances', host.name);
    // Everything checked below exists while the host is up (so the checks can fail).
    assert.ok(existsSync(instanceDir));
    assert.ok(existingCgroupDirs(host.name).length > 0);
    assert.ok(mountsUnder(instanceDir).length > 0);
    assert.ok(processesMentioning(instanceDir).length > 0);
    assert.equal(await canConnect(host.sshPort), true);
    assert.equal(await canConnect(host.httpPort), true);

    const t0 = Date.now();
    await host.down();
    console.log(`down took ${((Date.now() - t0) / 1000).toFixed(2)}s`);

    assert.equal(existsSync(instanceDir), false);
    assert.deepEqual(existingCgroupDirs(host.name), []);
    assert.deepEqual(mountsUnder(instanceDir), []);
    assert.deepEqual(processesMentioning(instanceDir), []);
    assert.equal(await canConnect(host.sshPort), false);
    assert.equal(await canConnect(host.httpPort), false);
  });
});
