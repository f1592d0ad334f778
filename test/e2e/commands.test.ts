// The day-to-day commands against a real host with the binary example
// deployed twice: `releases`, `lock status` (free, and held by a paused
// deploy), `server exec` (as the deploy user, and --appenv), `templates
// export` whose edited copy the next deploy installs, and `rollback --to
// <TAB>` completing the versions installed on the host.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, type TestHost } from '../helpers/testhost.js';
import { appToml, createProject, waitForPause, type CliResult, type Project } from '../helpers/project.js';

let host: TestHost;
let project: Project;

const base = appToml({ app: 'hello-cmd', settings: { envfile: 'app.env' }, timeout: 20, health: 'port = 8000' });

const cli = (args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult> => project.run(args, { env });
const root = async (cmd: string) => (await host.ssh(cmd, { user: 'root' })).stdout.trim();

before(async () => {
  host = await startHost();
  project = createProject('binary-app', [host], base);
  writeFileSync(join(project.dir, 'app.env'), 'RELEASE_NOTE=note-cmd\n');
  let r = await cli(['deploy']);
  assert.equal(r.code, 0, r.stderr);
  project.setVersion('1.0.1');
  r = await cli(['deploy']);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  project?.cleanup();
  await host?.down();
});

test('releases lists what is installed, with status, and marks the live one', async () => {
  const r = await cli(['releases']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^h1: hello-cmd$/m);
  assert.match(r.stdout, /^ {2}\* 1\.0\.1 +good +\d{4}-\d\d-\d\dT\S+ by \S.* {2}\(live\)$/m);
  assert.match(r.stdout, /^ {4}1\.0\.0 +good +\d{4}-/m);
  assert.ok(r.stdout.indexOf('1.0.1') < r.stdout.indexOf('1.0.0'), 'newest first');
  const json = await cli(['releases', '--json']);
  const result = json.events.find((e) => e.type === 'result') as {
    data: { hosts: Array<{ live: string; releases: Array<{ release: string; live: boolean }> }> };
  };
  assert.equal(result.data.hosts[0].live, '1.0.1');
  assert.deepEqual(
    result.data.hosts[0].releases.map((x) => [x.release, x.live]),
    [
      ['1.0.1', true],
      ['1.0.0', false],
    ],
  );
});

test('lock status: free, then the paused deploy that holds it, and since when', async () => {
  let r = await cli(['lock', 'status']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'h1: free\n');
  const { child, result } = project.start(['deploy'], { env: { DEPLOYER_TEST_PAUSE_AT: 'locked' } });
  try {
    await waitForPause(child, 'locked');
    r = await cli(['lock', 'status']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^h1: locked by \\S+ pid ${child.pid}: deployer deploy 1\\.0\\.1 \\(since \\d{4}-\\S+Z\\), held for \\d+s$`, 'm'),
    );
    const json = await cli(['lock', 'status', '--json']);
    const data = (json.events.find((e) => e.type === 'result') as { data: { hosts: Array<{ locked: boolean; since: string }> } }).data;
    assert.equal(data.hosts[0].locked, true);
    assert.ok(Date.now() - Date.parse(data.hosts[0].since) < 120_000);
  } finally {
    child.kill('SIGKILL');
    await result;
  }
  // The lock died with the client.
  const deadline = Date.now() + 10_000;
  while ((r = await cli(['lock', 'status'])).stdout !== 'h1: free\n' && Date.now() < deadline)
    await new Promise((res) => setTimeout(res, 300));
  assert.equal(r.stdout, 'h1: free\n');
});

test('server exec runs as the deploy user; --appenv in the app environment; exit codes and one-string commands', async () => {
  let r = await cli(['server', 'exec', 'echo "$(id -un) $PWD ${RELEASE_NOTE-none}"; exit 4']);
  assert.equal(r.code, 4, r.stderr);
  assert.equal(r.stdout, 'deploy /home/deploy none\n');
  r = await cli(['server', 'exec', '--appenv', '--', 'sh', '-c', 'echo "$(id -un) $PWD $RELEASE_NOTE $PORT"']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'deploy /srv/deployer/hello-cmd/current note-cmd 8000\n');
  // The deploy user may use sudo (the app user may not, by design).
  r = await cli(['server', 'exec', 'sudo -n true && echo root-ok']);
  assert.equal(r.stdout, 'root-ok\n', r.stderr);
});

test('templates export: the edited copy is what the next deploy installs; the comment names the command', async () => {
  const live = await root('cat /etc/caddy/sites/hello-cmd.caddy');
  assert.match(live, /^# `deployer templates export caddy\.site\.hbs` and edit \.deployer\/caddy\.site\.hbs/m);
  assert.doesNotMatch(live, /node_modules/);
  let r = await cli(['templates', 'export', 'caddy.site.hbs']);
  assert.equal(r.code, 0, r.stderr);
  const copy = join(project.dir, '.deployer', 'caddy.site.hbs');
  writeFileSync(copy, readFileSync(copy, 'utf8').replace('encode gzip', 'encode gzip\n\theader X-Edited-By "templates-export-test"'));
  r = await cli(['templates', 'export', 'caddy.site.hbs']);
  assert.equal(r.code, 2);
  r = await cli(['redeploy']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(await root('cat /etc/caddy/sites/hello-cmd.caddy'), /header X-Edited-By "templates-export-test"/);
});

test('rollback --to <TAB> offers the versions installed on the host (not the live one)', async () => {
  const r = await cli(['--completion', 'complete', '--shell', 'bash', '--', 'rollback', '--to', '']);
  assert.equal(r.code, 0, r.stderr);
  const live = (await root('readlink /srv/deployer/hello-cmd/current')).replace(/^v/, '');
  const offered = r.stdout.split('\n').filter(Boolean);
  assert.ok(offered.includes('1.0.0'), r.stdout);
  assert.ok(!offered.includes(live), r.stdout);
  // A host that does not answer: nothing, quickly, and no error text.
  await host.stopProxy(22);
  try {
    const started = Date.now();
    const dead = await cli(['--completion', 'complete', '--shell', 'bash', '--', 'rollback', '--to', '']);
    assert.equal(dead.code, 0);
    assert.equal(dead.stdout, '');
    assert.equal(dead.stderr, '');
    assert.ok(Date.now() - started < 8_000, `took ${Date.now() - started} ms`);
  } finally {
    await host.startProxy(22);
  }
});
