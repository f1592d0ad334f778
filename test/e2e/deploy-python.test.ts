// The wheel example deployed into a real host: Caddy serves it, v2 replaces
// v1, release_command runs before the switch, a failing one changes nothing,
// a redeploy of the same artifact uploads nothing and reloads no units, the
// whole deploy uses one SSH connection, and the secret never shows.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { appToml, createProject, resultEvent, type CliResult, type Project } from '../helpers/project.js';

const SENTINEL = 'sentinel-S3CRET-value-7f3a';
const APP_DIR = '/srv/deployer/hello-app';
let host: TestHost;
let project: Project;
const outputs: CliResult[] = [];

const base = appToml({
  app: 'hello-app',
  example: 'python-app',
  top: `release_command = "hello-migrate && echo \\"$(readlink ${APP_DIR}/current || echo none) -> $(basename \\"$PWD\\")\\" >> /tmp/release-marker"`,
  settings: { versions_to_keep: 3, envfile: 'app.env' },
  site: 'hello.localhost',
  timeout: 20,
});

async function deploy(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const r = await project.run(['deploy', '--json', ...args], { env: { DEPLOY_TEST_TOKEN: SENTINEL, ...env } });
  outputs.push(r);
  return r;
}

async function served(): Promise<string> {
  const r = await httpGet(host.httpPort, '/', 'hello.localhost');
  return `${r.status} ${r.body.trim()}`;
}

before(async () => {
  host = await startHost();
  project = createProject('python-app', [host], base);
  writeEnv('');
});

function writeEnv(extra: string): void {
  writeFileSync(join(project.dir, 'app.env'), `API_TOKEN=$DEPLOY_TEST_TOKEN\nMIGRATE_MARKER=/tmp/migrate-marker\n${extra}`);
}
after(async () => {
  project?.cleanup();
  await host?.down();
});

test("deploy v1: Caddy serves it, .env is 0640, owned by the deploy user and the app user's group", async () => {
  const r = await deploy();
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await served(), '200 hello-app 1.0.0');
  const st = await host.ssh(`stat -L -c '%a %U %G' ${APP_DIR}/.env ${APP_DIR}/current/.env`, { user: 'root' });
  assert.equal(st.stdout.trim(), '640 deploy dp-hello-app\n640 deploy dp-hello-app');
  // The secret reached the app's environment.
  const env = await host.ssh(`cat ${APP_DIR}/.env`, { user: 'root' });
  assert.match(env.stdout, new RegExp(`API_TOKEN=.?${SENTINEL}`));
});

test('deploy v2: release_command runs before the switch, then the same URL serves v2', async () => {
  project.setVersion('2.0.0');
  const r = await deploy();
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await served(), '200 hello-app 2.0.0');
  const marker = await host.ssh('cat /tmp/release-marker', { user: 'root' });
  // When v2.0.0's release command ran, current still pointed at v1.0.0.
  assert.match(marker.stdout, /^v1\.0\.0 -> v2\.0\.0$/m);
  const migrate = await host.ssh('tail -n 1 /tmp/migrate-marker', { user: 'root' });
  assert.match(migrate.stdout, /^2\.0\.0 /);
});

test('a failing release_command stops the deploy and the old release keeps serving', async () => {
  project.setVersion('3.0.0');
  writeEnv('MIGRATE_FAIL=1\n');
  const r = await deploy();
  writeEnv('');
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stdout + r.stderr, /release command/);
  assert.equal(await served(), '200 hello-app 2.0.0');
  const versions = await host.ssh(`cat ${APP_DIR}/.versions`, { user: 'root' });
  assert.match(versions.stdout, /^3\.0\.0\tfailed\t/m);
  assert.equal((await host.ssh(`readlink ${APP_DIR}/current`, { user: 'root' })).stdout.trim(), 'v2.0.0');
});

test('redeploying the same artifact uploads nothing and does no daemon-reload', async () => {
  project.setVersion('2.0.0');
  const r = await deploy();
  assert.equal(r.code, 0, r.stderr);
  const res = resultEvent(r);
  assert.ok(res, 'a result event');
  const h = res.data.hosts[0];
  assert.equal(h.uploads, 0);
  assert.equal(h.daemonReload, false);
  assert.equal(h.installSkipped, true);
  assert.equal(await served(), '200 hello-app 2.0.0');
});

test('a whole deploy uses exactly one SSH connection (sshd log) and few exec channels', async () => {
  const count = async () =>
    Number(
      (
        await host.ssh('journalctl -u ssh --no-pager -o cat | grep -c "Accepted publickey for deploy" || true', { user: 'root' })
      ).stdout.trim(),
    );
  const before = await count();
  project.setVersion('2.1.0');
  const r = await deploy();
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await count()) - before, 1);
  assert.ok((resultEvent(r)!.data.hosts[0].execChannels as number) <= 6);
});

test('the secret value never appears in any output', () => {
  assert.ok(outputs.length >= 5);
  for (const r of outputs) {
    assert.ok(!r.stdout.includes(SENTINEL), 'stdout leaks the secret');
    assert.ok(!r.stderr.includes(SENTINEL), 'stderr leaks the secret');
  }
});

test('config --json shows env keys but not the secret', async () => {
  const r = await project.run(['config', '--json'], { env: { DEPLOY_TEST_TOKEN: SENTINEL } });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.includes(SENTINEL));
});
