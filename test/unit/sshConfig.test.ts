// ~/.ssh/config without a host: what `ssh -G` says minus OpenSSH's defaults,
// deployer.toml winning over it, ProxyJump hops each configured by their own
// Host block, and the ssh-config parser (with Include) when there is no ssh.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostConfig } from '../../src/config/types.js';
import { applySshConfig, readSshConfig, resolveRoute, valuesFromDumps } from '../../src/ssh/sshConfig.js';
import { tempDir } from '../helpers/tmp.js';

const defaults = `user root
hostname app-prod
port 22
identitiesonly no
identityfile ~/.ssh/id_rsa
identityfile ~/.ssh/id_ed25519
userknownhostsfile /root/.ssh/known_hosts /root/.ssh/known_hosts2
`;
const resolved = `user deploy
hostname 10.0.0.5
port 2222
identitiesonly yes
identityfile ~/.ssh/id_rsa
identityfile ~/.ssh/id_ed25519
identityfile /keys/prod
userknownhostsfile /keys/known_prod
proxyjump ops@bastion:2200,inner
`;

const host = (over: Partial<HostConfig> = {}): HostConfig => ({
  name: 'app-prod',
  address: 'app-prod',
  user: 'deploy',
  port: 22,
  hostKeyPolicy: 'strict',
  domains: [],
  defaulted: ['user', 'port'],
  ...over,
});

test('ssh -G minus OpenSSH defaults gives only what the config set', () => {
  const v = valuesFromDumps(resolved, defaults);
  assert.deepEqual(
    { ...v, via: undefined },
    {
      hostname: '10.0.0.5',
      user: 'deploy',
      port: 2222,
      identityFiles: ['/keys/prod'],
      identitiesOnly: true,
      userKnownHostsFiles: ['/keys/known_prod'],
      proxyJump: ['ops@bastion:2200', 'inner'],
      via: undefined,
    },
  );
  const none = valuesFromDumps(defaults, defaults);
  assert.deepEqual([none.hostname, none.user, none.port, none.identityFiles, none.proxyJump], [undefined, undefined, undefined, [], []]);
});

test('values written in deployer.toml win over ~/.ssh/config', () => {
  const v = valuesFromDumps(resolved.replace('user deploy', 'user admin'), defaults);
  const fromSsh = applySshConfig(host(), v, {});
  assert.deepEqual([fromSsh.address, fromSsh.user, fromSsh.port, fromSsh.knownHosts], ['10.0.0.5', 'admin', 2222, '/keys/known_prod']);
  const written = applySshConfig(host({ user: 'root', port: 2022, knownHosts: '/mine', defaulted: [] }), v, {});
  assert.deepEqual([written.address, written.user, written.port, written.knownHosts], ['10.0.0.5', 'root', 2022, '/mine']);
  // known_hosts from the environment (CI) also wins over UserKnownHostsFile.
  assert.equal(applySshConfig(host(), v, { DEPLOYER_KNOWN_HOSTS: 'x' }).knownHosts, undefined);
});

test("ProxyJump hops: user@host:port from the spec, the rest from each hop's own Host block", async () => {
  const dumps: Record<string, string> = {
    'app-prod': resolved,
    bastion: 'user ops\nhostname 203.0.113.7\nport 22\nuserknownhostsfile /keys/known_bastion\n',
    inner: 'user jumper\nhostname 127.0.0.1\nport 22\n',
  };
  const run = (args: string[]): string => {
    const alias = args[args.length - 1];
    return args.includes('/dev/null') ? defaults.replace('app-prod', alias) : dumps[alias];
  };
  const route = await resolveRoute(host(), {}, run);
  assert.deepEqual(
    route.jumps?.map((j) => `${j.user}@${j.address}:${j.port} ${j.knownHosts}`),
    [
      'ops@203.0.113.7:2200 /keys/known_bastion',
      // No UserKnownHostsFile of its own: checked against the target's.
      'jumper@127.0.0.1:22 /keys/known_prod',
    ],
  );
});

test('without an ssh binary the ssh-config parser reads ~/.ssh/config, Include included', async () => {
  const home = tempDir('deployer-sshcfg-');
  const saved = process.env.HOME;
  try {
    mkdirSync(join(home, '.ssh', 'conf.d'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'config'), 'Include conf.d/*.conf\n\nHost *\n  IdentitiesOnly yes\n');
    writeFileSync(
      join(home, '.ssh', 'conf.d', 'prod.conf'),
      'Host app-prod\n  HostName 10.0.0.9\n  Port 2200\n  User ops\n  IdentityFile ~/.ssh/prod\n  ProxyJump bastion\n',
    );
    process.env.HOME = home;
    const v = await readSshConfig('app-prod', () => undefined);
    assert.deepEqual(
      [v.hostname, v.port, v.user, v.identityFiles, v.identitiesOnly, v.proxyJump],
      ['10.0.0.9', 2200, 'ops', ['~/.ssh/prod'], true, ['bastion']],
    );
    assert.match(v.via, /ssh-config parser/);
    assert.equal(applySshConfig(host(), v, {}).identityFiles?.[0], join(home, '.ssh', 'prod'));
  } finally {
    process.env.HOME = saved;
    rmSync(home, { recursive: true, force: true });
  }
});

test('ssh -G for many aliases at once: the dumps come back per alias, the defaults rewritten for each', async () => {
  const { sshDumps, defaultsFor, splitDumps } = await import('../../src/ssh/sshDumps.js');
  assert.deepEqual(splitDumps('a 1\n\x1e0\nb 2\n\x1e255\n'), [
    { text: 'a 1\n', ok: true },
    { text: 'b 2\n', ok: false },
  ]);
  assert.equal(
    defaultsFor('host One\nuser x\nhostname one\nport 22\n', 'One', 'Two.Example'),
    'host Two.Example\nuser x\nhostname two.example\nport 22\n',
  );
  // The real ssh, when there is one: each alias's dumps are the ones `ssh -G` gives it alone.
  const aliases = ['alpha.example', 'Beta.Example', '10.0.0.7'];
  const batched = await Promise.all(aliases.map((a) => sshDumps(a, '/dev/null')));
  if (batched[0][0] === undefined) return; // no ssh binary on this machine: the parser's path, tested above
  for (const [i, a] of aliases.entries()) {
    const alone = await runSshAlone(['-F', '/dev/null', '-G', '--', a]);
    assert.equal(batched[i][0], alone, a);
    assert.equal(batched[i][1], alone, `${a}: defaults`);
  }
});

async function runSshAlone(args: string[]): Promise<string | undefined> {
  const { runSshOnce } = await import('../../src/ssh/sshDumps.js');
  return runSshOnce(args);
}
