// app_user: the app, its release command and `app exec` run as another user
// than the SSH user, and can read the release's env (group-readable, 0640).
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { createProject, type Project } from '../helpers/project.js';

let host: TestHost;
let app: Project;

before(async () => {
  host = await startHost();
  app = createProject(
    'binary-app',
    [host],
    `
app = "asuser"
# Unit names of a restart deploy (<app>-web.service); blue-green: zero-downtime.test.ts.
strategy = "restart"
build_command = "./build.sh"
distfile = "dist/hello-bin"
installation_mode = "binary"
app_user = "nobody"
envfile = "app.env"
release_command = "echo \\"$(id -un) $RELEASE_NOTE\\" > /tmp/release-as"

[processes]
web = "app_binary"

[webserver]
domains = ["http://asuser.localhost"]
upstream = "127.0.0.1:8000"

[health_check]
path = "/healthz"
timeout = 10

[hooks]
pre_build = "echo \\"pre_build $DEPLOYER_VERSION\\" > hooks-local.log"
post_deploy_local = "echo \\"post_deploy_local $DEPLOYER_VERSION\\" >> hooks-local.log"
pre_switch = "echo \\"pre_switch $(id -un) $(readlink /srv/deployer/asuser/current || echo none)\\" >> /tmp/hooks.log"
post_deploy = "echo \\"post_deploy $(id -un) $(readlink /srv/deployer/asuser/current)\\" >> /tmp/hooks.log"
on_failure = "echo \\"on_failure $(id -un) $DEPLOYER_VERSION $DEPLOYER_OUTCOME $(readlink /srv/deployer/asuser/current) $RELEASE_NOTE\\" >> /tmp/end-hooks.log"
always = "echo \\"always $(id -un) $DEPLOYER_VERSION $DEPLOYER_OUTCOME $(readlink /srv/deployer/asuser/current)\\" >> /tmp/end-hooks.log"
on_failure_local = "echo \\"on_failure_local $DEPLOYER_VERSION $DEPLOYER_OUTCOME\\" >> end-hooks-local.log"
always_local = "echo \\"always_local $DEPLOYER_VERSION $DEPLOYER_OUTCOME\\" >> end-hooks-local.log"
`,
  );
  writeFileSync(join(app.dir, 'app.env'), 'HELLO_DEBUG_ENV=1\nRELEASE_NOTE=secret-note\n');
});
after(async () => {
  app?.cleanup();
  await host?.down();
});

test('the release command and the service run as app_user and read the env', async () => {
  const r = await app.run(['deploy']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await host.ssh('cat /tmp/release-as', { user: 'root' })).stdout.trim(), 'nobody secret-note');
  assert.equal((await host.ssh('systemctl show -p User --value asuser-web.service', { user: 'root' })).stdout.trim(), 'nobody');
  const env = await httpGet(host.httpPort, '/env/RELEASE_NOTE', 'asuser.localhost');
  assert.equal(env.body.trim(), 'secret-note');
  const mode = await host.ssh('stat -L -c "%a %U %G" /srv/deployer/asuser/.env', { user: 'root' });
  assert.equal(mode.stdout.trim(), '640 deploy nogroup');
});

test('hooks run where and when they should', async () => {
  const { readFileSync } = await import('node:fs');
  assert.equal(readFileSync(join(app.dir, 'hooks-local.log'), 'utf8'), 'pre_build 1.0.0\npost_deploy_local 1.0.0\n');
  // pre_switch runs before the switch (nothing live yet), post_deploy after it, both as the app user.
  assert.equal((await host.ssh('cat /tmp/hooks.log', { user: 'root' })).stdout, 'pre_switch nobody none\npost_deploy nobody v1.0.0\n');
});

test('app exec runs as app_user with the app env', async () => {
  const r = await app.run(['app', 'exec', '--', 'sh', '-c', 'echo "$(id -un) $RELEASE_NOTE"']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /nobody secret-note/);
});

test('on_failure and always hooks run at the end, on the host as the app user and locally, with the version and outcome', async () => {
  const { readFileSync } = await import('node:fs');
  // The successful first deploy (above) ran only the `always` ones.
  assert.equal((await host.ssh('cat /tmp/end-hooks.log', { user: 'root' })).stdout, 'always nobody 1.0.0 success v1.0.0\n');
  assert.equal(readFileSync(join(app.dir, 'end-hooks-local.log'), 'utf8'), 'always_local 1.0.0 success\n');
  // A release that fails its health check: rolled back, then on_failure and always run in the release that serves again.
  app.setVersion('2.0.0');
  writeFileSync(join(app.dir, 'app.env'), 'HELLO_DEBUG_ENV=1\nRELEASE_NOTE=note-2\nHELLO_HEALTH_STATUS=500\n');
  try {
    const r = await app.run(['deploy']);
    assert.equal(r.code, 7, r.stderr);
  } finally {
    writeFileSync(join(app.dir, 'app.env'), 'HELLO_DEBUG_ENV=1\nRELEASE_NOTE=secret-note\n');
    app.setVersion('1.0.0');
  }
  assert.equal(
    (await host.ssh('cat /tmp/end-hooks.log', { user: 'root' })).stdout,
    'always nobody 1.0.0 success v1.0.0\non_failure nobody 2.0.0 failure v1.0.0 secret-note\nalways nobody 2.0.0 failure v1.0.0\n',
  );
  assert.equal(readFileSync(join(app.dir, 'end-hooks-local.log'), 'utf8'), 'always_local 1.0.0 success\non_failure_local 2.0.0 failure\nalways_local 2.0.0 failure\n');
});
