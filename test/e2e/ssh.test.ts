// The SSH layer against a real host: key auth as deploy, host key verified
// against known_hosts before anything runs, refused on a wrong key.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, type TestHost } from '../helpers/testhost.js';
import { SshSession } from '../../src/ssh/session.js';
import { prewarmScripts } from '../../src/ssh/sendScript.js';
import { SshError } from '../../src/errors.js';
import type { HostConfig } from '../../src/config/types.js';
import { tempDir } from '../helpers/tmp.js';

let host: TestHost;
before(async () => {
  host = await startHost({ forwards: [] });
});
after(() => host?.down());

const cfg = (over: Partial<HostConfig> = {}): HostConfig => ({
  name: 'h',
  address: '127.0.0.1',
  user: 'deploy',
  port: host.sshPort,
  keyFile: host.keyPath,
  knownHosts: host.knownHostsPath,
  hostKeyPolicy: 'strict',
  domains: [],
  ...over,
});

/** A count a root command prints on the host. */
async function countOnHost(command: string): Promise<number> {
  const r = await host.ssh(command, { user: 'root' });
  return Number(r.stdout.trim());
}

const acceptedLogins = () => countOnHost('journalctl -u ssh --no-pager -o cat | grep -c "Accepted publickey for deploy" || true');

test('connects as deploy with the key, verifies the host key, runs sudo', async () => {
  const s = await SshSession.connect(cfg(), { env: {} });
  try {
    const r = await s.run('sudo -n systemctl is-system-running', 'is-system-running');
    assert.equal(r.stdout.trim(), 'running');
    const who = await s.run('id -un', 'id');
    assert.equal(who.stdout.trim(), 'deploy');
    assert.equal(s.execCount, 2);
  } finally {
    s.close();
  }
});

test('a wrong known_hosts entry is refused before any command runs', async () => {
  const dir = tempDir('deployer-kh-');
  const wrong = join(dir, 'known_hosts');
  // A valid ed25519 key that is not the host's.
  writeFileSync(wrong, `[127.0.0.1]:${host.sshPort} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n`);
  const before = await acceptedLogins();
  await assert.rejects(SshSession.connect(cfg({ knownHosts: wrong }), { env: {} }), (e: unknown) => {
    assert.ok(e instanceof SshError);
    assert.match(e.message, /REMOTE HOST KEY CHANGED/);
    assert.match(e.message, /Nothing was run/);
    return true;
  });
  // sshd logged no login as deploy: the client stopped before authenticating.
  assert.equal(await acceptedLogins(), before);
});

test('an unknown host is refused in strict mode and saved with accept-new', async () => {
  const dir = tempDir('deployer-kh-');
  const kh = join(dir, 'known_hosts');
  writeFileSync(kh, '');
  await assert.rejects(SshSession.connect(cfg({ knownHosts: kh }), { env: {} }), /is not in .*known_hosts/);
  const s = await SshSession.connect(cfg({ knownHosts: kh, hostKeyPolicy: 'accept-new' }), { env: {} });
  s.close();
  assert.equal(readFileSync(kh, 'utf8').trim(), host.hostKeyLine.trim());
  // And now strict mode accepts it.
  const s2 = await SshSession.connect(cfg({ knownHosts: kh }), { env: {} });
  s2.close();
});

test('the key and known_hosts can come from environment variables (CI)', async () => {
  const env = { CI_KEY: readFileSync(host.keyPath, 'utf8').trim(), CI_KH: host.hostKeyLine };
  const s = await SshSession.connect(cfg({ keyFile: undefined, knownHosts: undefined, keyEnv: 'CI_KEY', knownHostsEnv: 'CI_KH' }), { env });
  try {
    assert.equal((await s.run('true', 'true')).code, 0);
  } finally {
    s.close();
  }
});

test('a refused key names the user and the key source', async () => {
  const dir = tempDir('deployer-key-');
  const { execFileSync } = await import('node:child_process');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
  await assert.rejects(SshSession.connect(cfg({ keyFile: join(dir, 'k') }), { env: {} }), /refused every key offered/);
});

test('the key can come from ssh-agent', async () => {
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync('ssh-agent', ['-s'], { encoding: 'utf8' });
  const sock = /SSH_AUTH_SOCK=([^;]+);/.exec(out)![1];
  const pid = /SSH_AGENT_PID=(\d+);/.exec(out)![1];
  try {
    execFileSync('ssh-add', [host.keyPath], { env: { SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
    const s = await SshSession.connect(cfg({ keyFile: undefined }), { env: { SSH_AUTH_SOCK: sock } });
    try {
      assert.equal((await s.run('id -un', 'id')).stdout.trim(), 'deploy');
    } finally {
      s.close();
    }
  } finally {
    process.kill(Number(pid));
  }
});

/** The reader processes (SCRIPT_READER) deploy has on the host, waiting or running. */
const readers = () => countOnHost("pgrep -u deploy -fc 'read -r dp_n' || true");

test('a channel opened ahead runs the next script (it was waiting before the script was known); an unused one leaves nothing behind', async () => {
  const s = await SshSession.connect(cfg(), { env: {} });
  try {
    // Without prewarm the script's channel opens when the script is sent: its shell is brand new.
    const age = "ps -o etimes= -p $$ | tr -d ' '\n";
    assert.ok(Number((await s.execScript(age)).stdout) < 2);
    prewarmScripts(s);
    await new Promise((r) => setTimeout(r, 2500));
    const r = await s.execScript(age);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Number(r.stdout) >= 2, `the script ran in a shell started ${r.stdout.trim()} s before`);
    // Taking it opened the next one; the count is of scripts run, not of channels opened ahead.
    assert.equal(s.execCount, 2);
    assert.equal((await s.execScript('echo "$1"\n')).stdout, '\n');
    assert.equal(s.execCount, 3);
  } finally {
    s.close();
  }
  // The one left open exits at close(), having run nothing.
  let left = await readers();
  for (let i = 0; i < 50 && left > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    left = await readers();
  }
  assert.equal(left, 0);
});
