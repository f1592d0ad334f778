// `deployer server …` against a real host. bootstrap: with the Caddyfile's
// import line removed and apps_dir missing, the first run restores both
// (validated, caddy reloaded, a deployed site served again) and keeps
// net.ipv4.tcp_migrate_req = 1 in /etc/sysctl.d (the test host's /proc/sys is
// read-only, so it says it cannot apply it now); the second run
// reports no change and touches nothing. create-user: the new user logs in
// with the same key (OpenSSH client) and has passwordless sudo; a second run
// changes nothing.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { appToml, createProject, resultEvent, type Project } from '../helpers/project.js';

let host: TestHost;
let project: Project;
const APPS = '/srv/bootstrapped-apps';

const base = appToml({ app: 'hello-bin', settings: { apps_dir: APPS } });

const root = async (cmd: string) => (await host.ssh(cmd, { user: 'root' })).stdout.trim();
const served = async () => {
  const r = await httpGet(host.httpPort, '/', 'hello-bin.localhost');
  return `${r.status} ${r.body.trim()}`;
};
/** A fingerprint of everything bootstrap may touch, to prove a run changed nothing. */
const snapshot = () =>
  root(
    `stat -c '%n %U %a %Y' /etc/caddy/Caddyfile /etc/caddy/sites ${APPS} /etc/sysctl.d/60-deployer.conf; sha256sum /etc/caddy/Caddyfile /etc/sysctl.d/60-deployer.conf; systemctl show -p MainPID -p ExecMainStartTimestampMonotonic caddy; journalctl -u caddy --no-pager -o cat | grep -c 'load complete' || true`,
  );

/** OpenSSH as `user` with the test host's key (independent of deployer's SSH code). */
function sshAs(user: string, cmd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('ssh', ['-F', host.sshConfigPath, `${user}@${host.name}`, cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

before(async () => {
  host = await startHost();
  project = createProject('binary-app', [host], base);
});
after(async () => {
  project?.cleanup();
  await host?.down();
});

test('bootstrap restores the Caddy import and creates apps_dir; a deploy is then served', async () => {
  await root("sed -i '/^import \\/etc\\/caddy\\/sites/d' /etc/caddy/Caddyfile && systemctl reload caddy");
  assert.doesNotMatch(await root('cat /etc/caddy/Caddyfile'), /import/);
  assert.equal(await root(`test -e ${APPS} && echo yes || echo no`), 'no');

  const r = await project.run(['server', 'bootstrap']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /changed: added 'import \/etc\/caddy\/sites\/\*\.caddy' to \/etc\/caddy\/Caddyfile/);
  assert.match(r.stderr, /changed: reloaded caddy/);
  assert.match(r.stderr, new RegExp(`changed: created ${APPS} \\(owned by deploy\\)`));
  assert.match(r.stderr, /changed: wrote net\.ipv4\.tcp_migrate_req = 1 to \/etc\/sysctl\.d\/60-deployer\.conf/);
  assert.match(r.stderr, /✓ bootstrap — 4 changes/);
  assert.doesNotMatch(r.stderr, /installed /); // every package was there: apt-get never ran
  assert.match(await root('cat /etc/caddy/Caddyfile'), /^import \/etc\/caddy\/sites\/\*\.caddy$/m);
  assert.equal(await root(`stat -c '%U %a' ${APPS}`), 'deploy 755');
  assert.match(await root('cat /etc/sysctl.d/60-deployer.conf'), /^net\.ipv4\.tcp_migrate_req = 1$/m);
  assert.equal(await root('caddy validate --adapter caddyfile --config /etc/caddy/Caddyfile >/dev/null 2>&1 && echo valid'), 'valid');

  const d = await project.run(['deploy']);
  assert.equal(d.code, 0, d.stderr);
  assert.equal(await served(), '200 hello-bin 1.0.0');
});

test('bootstrap run again reports no change and changes nothing', async () => {
  const before = await snapshot();
  assert.match(before, /\n[1-9]\d*$/, 'caddy logs each config load, so a reload would show');
  const r = await project.run(['server', 'bootstrap', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const hosts = resultEvent(r)!.data.hosts as Array<{ changed: string[]; unchanged: string[] }>;
  assert.deepEqual(hosts[0].changed, []);
  assert.ok(hosts[0].unchanged.length >= 5, hosts[0].unchanged.join('; '));
  // The test host's /proc/sys is read-only (systemd-nspawn), and its harness set the value from outside
  // (test/host/testhost.sh): bootstrap finds it in place (the read-only case is in server-scripts.test).
  assert.ok(
    hosts[0].unchanged.some((l) => /^net\.ipv4\.tcp_migrate_req = 1$/.test(l)),
    hosts[0].unchanged.join('; '),
  );
  const plain = await project.run(['server', 'bootstrap']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stderr, /✓ bootstrap — no change/);
  assert.doesNotMatch(plain.stderr, /changed:/);
  assert.equal(await snapshot(), before);
  assert.equal(await served(), '200 hello-bin 1.0.0');
});

test('create-user: the new user logs in with the same key and has passwordless sudo; again: no change', async () => {
  assert.notEqual((await sshAs('ci-bot', 'true')).code, 0, 'ci-bot must not exist yet');
  const r = await project.run(['server', 'create-user', 'ci-bot']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /changed: created user ci-bot/);
  assert.match(r.stderr, /changed: wrote \/etc\/sudoers\.d\/90-deployer-ci-bot/);

  const login = await sshAs('ci-bot', 'id -un && sudo -n true && echo sudo-ok');
  assert.equal(login.code, 0, login.stderr);
  assert.equal(login.stdout, 'ci-bot\nsudo-ok\n');
  assert.equal(
    await root("stat -c '%U %a' /etc/sudoers.d/90-deployer-ci-bot /home/ci-bot/.ssh /home/ci-bot/.ssh/authorized_keys"),
    'root 440\nci-bot 700\nci-bot 600',
  );
  assert.equal(await root('visudo -c >/dev/null && echo ok'), 'ok');
  assert.equal(await root('ls /etc/sudoers.d | grep -c deployer-tmp || true'), '0');

  const before = await root('sha256sum /etc/sudoers.d/90-deployer-ci-bot /home/ci-bot/.ssh/authorized_keys; getent passwd ci-bot');
  const again = await project.run(['server', 'create-user', 'ci-bot']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /✓ create-user ci-bot — no change/);
  assert.equal(await root('sha256sum /etc/sudoers.d/90-deployer-ci-bot /home/ci-bot/.ssh/authorized_keys; getent passwd ci-bot'), before);
});

test('create-user refuses a bad name before connecting', async () => {
  const r = await project.run(['server', 'create-user', 'Bad.Name']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /"Bad\.Name" is not a valid user name/);
});
