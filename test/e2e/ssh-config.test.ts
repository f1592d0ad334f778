// Hosts the way the user's SSH reaches them: deployer.toml names only a Host
// alias of ~/.ssh/config (under a temporary HOME), which sets HostName, User,
// IdentityFile, IdentitiesOnly, UserKnownHostsFile and ProxyJump with two hops
// (the jump host's sshd from the machine, then the jump host's own sshd from
// inside it), part of it in an Included file. The target's sshd is not
// forwarded to the machine at all: it is reachable only from the jump host,
// over a veth pair between the two hosts' namespaces. Every hop's host key is
// checked; an encrypted key works with key_passphrase_env and fails clearly
// without it.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { FOREIGN_HOST_KEY, startHost, httpGet, linkHosts, type TestHost } from '../helpers/testhost.js';
import { appToml, createProject, type Project } from '../helpers/project.js';
import { tempDir } from '../helpers/tmp.js';

let jump: TestHost;
let target: TestHost;
let app: Project;
let home: string;
let targetAddr: string;
const SITE = 'hello-jump.localhost';
const PASS = 'correct horse battery';

const base = appToml({ app: 'hello-jump', site: SITE, timeout: 15 });

function writeToml(extraHost = ''): void {
  // Only the alias: user, port, key and known_hosts all come from ~/.ssh/config.
  writeFileSync(join(app.dir, 'deployer.toml'), `version = "1.0.0"\n${base}\n[[hosts]]\naddress = "app-prod"\n${extraHost}\n`);
}

function writeSshConfig(bastionKnown: string): void {
  const ssh = join(home, '.ssh');
  writeFileSync(join(ssh, 'known_hosts_prod'), `${targetAddr} ${target.hostKey}\n`);
  writeFileSync(join(ssh, 'known_hosts_bastion'), bastionKnown);
  writeFileSync(
    join(ssh, 'config'),
    `Include ${join(ssh, 'config.d')}/*.conf

Host app-prod
  HostName ${targetAddr}
  User deploy
  IdentityFile ${join(ssh, 'prod_key')}
  IdentitiesOnly yes
  UserKnownHostsFile ${join(ssh, 'known_hosts_prod')}
  ProxyJump bastion,bastion-inner
`,
  );
  writeFileSync(
    join(ssh, 'config.d', 'bastion.conf'),
    `Host bastion
  HostName 127.0.0.1
  Port ${jump.sshPort}
  User deploy
  IdentityFile ${jump.keyPath}
  UserKnownHostsFile ${join(ssh, 'known_hosts_bastion')}

Host bastion-inner
  HostName 127.0.0.1
  User deploy
  IdentityFile ${jump.keyPath}
  UserKnownHostsFile ${join(ssh, 'known_hosts_bastion')}
`,
  );
}

const goodBastionKnown = (): string => `${jump.hostKeyLine}\n127.0.0.1 ${jump.hostKey}\n`;

const run = (args: string[], env: NodeJS.ProcessEnv = {}) => app.run(args, { env: { HOME: home, SSH_AUTH_SOCK: '', ...env } });

before(async () => {
  [jump, target] = await Promise.all([startHost({ forwards: [] }), startHost({ forwards: [80] })]);
  ({ b: targetAddr } = await linkHosts(jump, target));
  // The machine cannot reach the target's sshd at all.
  await target.stopProxy(22);
  home = tempDir('deployer-sshcfg-home-');
  mkdirSync(join(home, '.ssh', 'config.d'), { recursive: true, mode: 0o700 });
  copyFileSync(target.keyPath, join(home, '.ssh', 'prod_key'));
  app = createProject('binary-app', [target], base);
});
after(async () => {
  app?.cleanup();
  if (home) rmSync(home, { recursive: true, force: true });
  await Promise.all([jump?.down(), target?.down()]);
});

test('the target sshd is not reachable from the machine', async () => {
  const refused = await new Promise<boolean>((resolve) => {
    const s = connect(target.sshPort, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
  assert.ok(refused, `127.0.0.1:${target.sshPort} still answers`);
});

test('a deploy to a Host alias goes through two ProxyJump hops, with every setting from ~/.ssh/config', async () => {
  writeSshConfig(goodBastionKnown());
  writeToml();
  const r = await run(['deploy', '--yes', '-v']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const res = await httpGet(target.httpPort, '/', SITE);
  assert.equal(`${res.status} ${res.body.trim()}`, '200 hello-bin 1.0.0');
  // Logged in as the config's user, from the jump host's address on the link
  // (the check itself needs the machine's way in for a moment).
  await target.startProxy(22);
  const log = await target.ssh('journalctl -u ssh --no-pager -o cat | grep "Accepted publickey for deploy" | tail -n 1', { user: 'root' });
  await target.stopProxy(22);
  assert.match(log.stdout, new RegExp(`Accepted publickey for deploy from ${targetAddr.replace(/\d+$/, '')}\\d+`));
});

test('a hop whose host key does not match its known_hosts stops the connection before anything runs', async () => {
  // The outer hop is right, the inner hop (the jump host's own sshd) is not.
  writeSshConfig(`${jump.hostKeyLine}\n127.0.0.1 ${FOREIGN_HOST_KEY}\n`);
  writeToml();
  const r = await run(['deploy', '--yes']);
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stderr, /REMOTE HOST KEY CHANGED for bastion-inner \(127\.0\.0\.1:22 via bastion\)/);
  assert.match(
    r.stderr,
    new RegExp(`ssh-keygen -f ${join(home, '.ssh', 'known_hosts_bastion').replace(/[.]/g, '\\.')} -R '127\\.0\\.0\\.1'`),
  );
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('an encrypted IdentityFile: a clear error without a passphrase, a deploy with key_passphrase_env', async () => {
  writeSshConfig(goodBastionKnown());
  execFileSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', PASS, '-f', join(home, '.ssh', 'prod_key')]);
  writeToml();
  const refused = await run(['deploy', '--yes'], { CI: 'true' });
  assert.equal(refused.code, 3, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /prod_key/);
  assert.match(refused.stderr, /key_passphrase_env/);
  assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');

  writeToml('key_passphrase_env = "PROD_KEY_PASSPHRASE"');
  const missing = await run(['deploy', '--yes'], { CI: 'true' });
  assert.equal(missing.code, 3, missing.stderr);
  assert.match(missing.stderr, /PROD_KEY_PASSPHRASE, but it is not set/);

  const ok = await run(['deploy', '--yes'], { CI: 'true', PROD_KEY_PASSPHRASE: PASS });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.ok(!(ok.stdout + ok.stderr).includes(PASS), 'the passphrase is never printed');
});
