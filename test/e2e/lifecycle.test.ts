// The binary example through a release's whole life on a real host: v1, v2,
// a release that cannot start and one whose health check answers 500 (both
// rolled back automatically), rollback with the release's own .env, prune
// with versions_to_keep, history, and `down` next to an app with a shared
// name prefix.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { appToml, createProject, type Project } from '../helpers/project.js';

let host: TestHost;
let app: Project;
const DIR = '/srv/deployer/hello-bin';

const base = (name: string, domain: string) =>
  appToml({
    app: name,
    settings: { versions_to_keep: 3, envfile: 'app.env' },
    site: domain,
    port: name === 'hello-bin' ? 8000 : 8100,
    timeout: 8,
  });

function env(p: Project, note: string, extra = ''): void {
  writeFileSync(join(p.dir, 'app.env'), `HELLO_DEBUG_ENV=1\nRELEASE_NOTE=${note}\n${extra}`);
}

async function deploy(p: Project, version: string, note: string, extra = '') {
  p.setVersion(version);
  env(p, note, extra);
  return p.run(['deploy']);
}

const get = async (path = '/', site = 'hello-bin.localhost') => {
  const r = await httpGet(host.httpPort, path, site);
  return `${r.status} ${r.body.trim()}`;
};
const sh = async (cmd: string) => (await host.ssh(cmd, { user: 'root' })).stdout.trim();

before(async () => {
  host = await startHost();
  app = createProject('binary-app', [host], base('hello-bin', 'hello-bin.localhost'));
});
after(async () => {
  app?.cleanup();
  await host?.down();
});

test('v1 then v2 of the binary are served through Caddy', async () => {
  let r = await deploy(app, '1.0.0', 'note-1');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await get(), '200 hello-bin 1.0.0');
  r = await deploy(app, '2.0.0', 'note-2');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await get(), '200 hello-bin 2.0.0');
  assert.equal(await get('/env/RELEASE_NOTE'), '200 note-2');
});

test('a release whose service exits at start is rolled back automatically', async () => {
  const r = await deploy(app, '2.1.0', 'note-bad', 'HELLO_EXIT_AT_START=1\n');
  assert.equal(r.code, 7, r.stderr);
  assert.match(r.stderr, /HELLO_EXIT_AT_START=1, exiting/); // the unit's own log lines are shown
  assert.equal(await get(), '200 hello-bin 2.0.0');
  assert.match(await sh(`cat ${DIR}/.versions`), /^2\.1\.0\tfailed\t/m);
  assert.equal(await sh(`readlink ${DIR}/current`), 'v2.0.0');
});

test('a release whose health check answers 500 is rolled back automatically', async () => {
  const r = await deploy(app, '2.2.0', 'note-500', 'HELLO_HEALTH_STATUS=500\n');
  assert.equal(r.code, 7, r.stderr);
  assert.match(r.stderr, /answered 500/);
  assert.equal(await get(), '200 hello-bin 2.0.0');
  assert.equal(await get('/env/RELEASE_NOTE'), '200 note-2');
  assert.match(await sh(`cat ${DIR}/.versions`), /^2\.2\.0\tfailed\t/m);
});

test('rollback brings back the previous good release with its own .env', async () => {
  const r = await app.run(['rollback']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await get(), '200 hello-bin 1.0.0');
  assert.equal(await get('/env/RELEASE_NOTE'), '200 note-1');
  assert.match(await sh(`cat ${DIR}/.versions`), /^2\.0\.0\trolled-back\t/m);
  const to = await app.run(['rollback', '--to', '2.0.0']);
  assert.equal(to.code, 0, to.stderr);
  assert.equal(await get(), '200 hello-bin 2.0.0');
});

test('after more deploys, versions_to_keep = 3 leaves exactly three releases, newest first', async () => {
  for (const v of ['3.0.0', '4.0.0', '5.0.0']) {
    const r = await deploy(app, v, `note-${v}`);
    assert.equal(r.code, 0, r.stderr);
  }
  const dirs = (await sh(`cd ${DIR} && ls -d v*/`)).split('\n').map((d) => d.replace(/\/$/, ''));
  assert.deepEqual(dirs.sort(), ['v3.0.0', 'v4.0.0', 'v5.0.0']);
  assert.equal(await sh(`readlink ${DIR}/current`), 'v5.0.0');
  const versions = (await sh(`grep -v '^#' ${DIR}/.versions | cut -f1`)).split('\n');
  assert.deepEqual(versions, ['5.0.0', '4.0.0', '3.0.0']);
});

test('prune never removes the last good release, and drops failed ones first', async () => {
  let r = await deploy(app, '6.0.0', 'note-6', 'HELLO_HEALTH_STATUS=500\n');
  assert.equal(r.code, 7);
  r = await app.run(['prune', '--keep', '1']);
  assert.equal(r.code, 2, 'without a terminal, prune needs --yes');
  assert.match(r.stderr, /--yes/);
  r = await app.run(['prune', '--keep', '1', '--yes']);
  assert.equal(r.code, 0, r.stderr);
  const dirs = (await sh(`cd ${DIR} && ls -d v*/`)).split('\n');
  assert.deepEqual(dirs, ['v5.0.0/']);
  assert.equal(await get(), '200 hello-bin 5.0.0');
});

test('deploying the live version again with a breaking change leaves the live release, with its .env, intact', async () => {
  app.setVersion('5.0.0');
  env(app, 'note-broken', 'HELLO_HEALTH_STATUS=500\n');
  let r = await app.run(['deploy']);
  assert.equal(r.code, 7, r.stderr);
  assert.match(r.stderr, /as release 5\.0\.0_2/);
  assert.equal(await get(), '200 hello-bin 5.0.0');
  assert.equal(await get('/env/RELEASE_NOTE'), '200 note-5.0.0');
  assert.equal(await sh(`readlink ${DIR}/current`), 'v5.0.0');
  assert.match(await sh(`cat ${DIR}/.versions`), /^5\.0\.0_2\tfailed\t/m);
  env(app, 'note-fixed');
  r = await app.run(['deploy']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await get('/env/RELEASE_NOTE'), '200 note-fixed');
  assert.equal(await sh(`readlink ${DIR}/current`), 'v5.0.0_3');
});

test('history lists deploys, failures, rollbacks and prunes', async () => {
  const r = await app.run(['history', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const res = r.events.find((e) => e.type === 'result') as { data: { entries: Array<{ action: string; result: string; to?: string }> } };
  const actions = res.data.entries.map((e) => `${e.action}:${e.to ?? ''}:${e.result}`);
  assert.ok(actions.includes('deploy:5.0.0:ok'), actions.join('\n'));
  assert.ok(
    actions.some((a) => a.startsWith('deploy:2.2.0:failed')),
    actions.join('\n'),
  );
  assert.ok(actions.includes('rollback:1.0.0:ok'), actions.join('\n'));
  assert.ok(
    actions.some((a) => a.startsWith('prune:')),
    actions.join('\n'),
  );
  const text = await app.run(['history']);
  assert.match(text.stdout, /rollback\s+2\.0\.0 -> 1\.0\.0\s+ok/);
});

test('down removes one app and leaves another whose name shares its prefix', async () => {
  const other = createProject('binary-app', [host], base('hello-bin-admin', 'admin.localhost'));
  try {
    env(other, 'admin');
    const r = await other.run(['deploy']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await get('/', 'admin.localhost'), '200 hello-bin 1.0.0');
    const down = await app.run(['down', '--yes']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(await sh(`test -e ${DIR} && echo present || echo gone`), 'gone');
    assert.equal(await sh('ls /etc/systemd/system | grep -c "^hello-bin-web" || true'), '0');
    assert.equal(await sh('ls /etc/caddy/sites'), 'hello-bin-admin.caddy');
    assert.equal(await get('/', 'admin.localhost'), '200 hello-bin 1.0.0');
    // One web instance of the other app runs (blue-green names it by port).
    assert.equal(await sh("systemctl list-units --plain --no-legend --state=active 'hello-bin-admin-web*.service' | wc -l"), '1');
    assert.equal(await sh('test -d /srv/deployer/hello-bin-admin/current && echo ok'), 'ok');
  } finally {
    other.cleanup();
  }
});
