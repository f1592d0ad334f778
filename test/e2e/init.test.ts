// `deployer init` with flags writes a file that deploys as it is to a fresh
// host: address and SSH port apart (host:port is refused with a hint), the
// key file, and with no domain a site only this app answers to.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { httpGet, startHost, type TestHost } from '../helpers/testhost.js';
import { repoRoot, runCli } from '../helpers/project.js';
import { tempDir } from '../helpers/tmp.js';

let host: TestHost;
let dir = '';

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { cwd: dir, env: { HOME: dir, ...env }, timeoutMs: 240_000 });

before(async () => {
  host = await startHost();
  dir = tempDir('deployer-init-');
  copyFileSync(join(repoRoot, 'examples', 'binary-app', 'hello.c'), join(dir, 'hello.c'));
  // The version comes from git (init writes no version line): a clean tagged tree.
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', 'hello.c');
  git('commit', '-qm', 'app');
  git('tag', '1.0.0');
});
after(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await host?.down();
});

test('init refuses host:port and says how to give the port', async () => {
  const r = await cli(['init', '--app', 'hello-init', '--mode', 'binary', '--host', `127.0.0.1:${host.sshPort}`, '--web', 'app_binary']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`includes a port: give the address "127\\.0\\.0\\.1" and the port separately \\(--port ${host.sshPort}\\)`),
  );
});

test('init with flags writes a file that deploys as is to a fresh host, served at http://<app>.localhost', async () => {
  let r = await cli([
    'init',
    '--app',
    'hello-init',
    '--mode',
    'binary',
    '--host',
    '127.0.0.1',
    '--port',
    String(host.sshPort),
    '--key-file',
    host.keyPath,
    '--web',
    'app_binary',
    '--distfile',
    'dist/hello-bin',
    '--build-command',
    `mkdir -p dist && cc -O2 -DVERSION='"init-1"' -o dist/hello-bin hello.c`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const text = readFileSync(join(dir, 'deployer.toml'), 'utf8');
  assert.match(text, new RegExp(`^port = ${host.sshPort}$`, 'm'));
  assert.match(text, /^domains = \["http:\/\/hello-init\.localhost"\]$/m);
  assert.doesNotMatch(text, /":80"\]/);
  r = await cli(['deploy'], { DEPLOYER_KNOWN_HOSTS: host.hostKeyLine });
  assert.equal(r.code, 0, r.stderr);
  const page = await httpGet(host.httpPort, '/', 'hello-init.localhost');
  assert.equal(page.status, 200);
  assert.equal(page.body.trim(), 'hello-bin init-1');
  // The site names only this app: another name on the same host is not taken by it.
  const site = (await host.ssh('cat /etc/caddy/sites/hello-init.caddy', { user: 'root' })).stdout;
  assert.match(site, /^http:\/\/hello-init\.localhost \{/m);
});
