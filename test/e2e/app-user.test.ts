// The app user: by default a dedicated system user per app and stage (no
// login shell, no home, not in sudo), created by the deploy and removed by
// `down`. The app, its release command, hooks and `app exec` run as it and
// read the release's env (group-readable, 0640); the hardened units let the
// app write its data dir (DEPLOYER_DATA_DIR, kept across releases) and not
// its release. `app_user` names another user explicitly, the SSH user too.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { appToml, createProject, type Project } from '../helpers/project.js';

let host: TestHost;
let app: Project;

before(async () => {
  host = await startHost();
  app = createProject(
    'binary-app',
    [host],
    appToml({
      app: 'asuser',
      settings: { strategy: 'restart', envfile: 'app.env' },
      top: `release_command = "echo \\"$(id -un) $RELEASE_NOTE\\" > /tmp/release-as"`,
      processes: `checker = '''sh -c "id -Gn > \${DEPLOYER_DATA_DIR}/groups; (sudo -n true 2>/dev/null && echo sudo-ok || echo sudo-refused) > \${DEPLOYER_DATA_DIR}/sudo; (touch \${DEPLOYER_DATA_DIR}/../current/x 2>/dev/null && echo release-writable || echo release-readonly) > \${DEPLOYER_DATA_DIR}/release; date +%s%N >> \${DEPLOYER_DATA_DIR}/starts; exec sleep infinity"'''`,
      timeout: 10,
      extra: `[hooks]
pre_build = "echo \\"pre_build $DEPLOYER_VERSION\\" > hooks-local.log"
post_deploy_local = "echo \\"post_deploy_local $DEPLOYER_VERSION\\" >> hooks-local.log"
pre_switch = "echo \\"pre_switch $(id -un) $(readlink /srv/deployer/asuser/current || echo none)\\" >> /tmp/hooks.log"
post_deploy = "echo \\"post_deploy $(id -un) $(readlink /srv/deployer/asuser/current)\\" >> /tmp/hooks.log"
on_failure = "echo \\"on_failure $(id -un) $DEPLOYER_VERSION $DEPLOYER_OUTCOME $(readlink /srv/deployer/asuser/current) $RELEASE_NOTE\\" >> /tmp/end-hooks.log"
always = "echo \\"always $(id -un) $DEPLOYER_VERSION $DEPLOYER_OUTCOME $(readlink /srv/deployer/asuser/current)\\" >> /tmp/end-hooks.log"
on_failure_local = "echo \\"on_failure_local $DEPLOYER_VERSION $DEPLOYER_OUTCOME\\" >> end-hooks-local.log"
always_local = "echo \\"always_local $DEPLOYER_VERSION $DEPLOYER_OUTCOME\\" >> end-hooks-local.log"`,
    }),
  );
  writeFileSync(join(app.dir, 'app.env'), 'HELLO_DEBUG_ENV=1\nRELEASE_NOTE=secret-note\n');
});
after(async () => {
  app?.cleanup();
  await host?.down();
});

const root = async (cmd: string) => (await host.ssh(cmd, { user: 'root' })).stdout.trim();

test('the release command and the service run as the dedicated app user and read the env', async () => {
  assert.equal(await root('getent passwd dp-asuser || echo none'), 'none');
  const r = await app.run(['deploy']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await root('cat /tmp/release-as'), 'dp-asuser secret-note');
  assert.equal(await root('systemctl show -p User --value asuser-web.service'), 'dp-asuser');
  const env = await httpGet(host.httpPort, '/env/RELEASE_NOTE', 'asuser.localhost');
  assert.equal(env.body.trim(), 'secret-note');
  assert.equal(await root('stat -L -c "%a %U %G" /srv/deployer/asuser/.env'), '640 deploy dp-asuser');
  // Nobody else reads the secrets.
  assert.match(await root('su -s /bin/sh nobody -c "cat /srv/deployer/asuser/.env" 2>&1 || true'), /Permission denied/);
});

test('the dedicated user has no login shell, no home, no sudo; the app writes its data dir and not its release', async () => {
  const [, , , , comment, home, shell] = (await root('getent passwd dp-asuser')).split(':');
  assert.match(comment, /^deployer app user for asuser [0-9a-f]{12}$/);
  assert.equal(home, '/nonexistent');
  assert.equal(shell, '/usr/sbin/nologin');
  assert.equal(await root('test -e /nonexistent && echo yes || echo no'), 'no');
  assert.equal(await root('id -nG dp-asuser'), 'dp-asuser');
  assert.notEqual((await host.ssh('runuser -u dp-asuser -- sudo -n true', { user: 'root' })).code, 0);
  assert.equal(await root('stat -c "%U %G %a" /srv/deployer/asuser/data'), 'dp-asuser dp-asuser 750');
  // What the running service saw (the checker process writes into DEPLOYER_DATA_DIR).
  for (let i = 0; i < 50 && (await root('cat /srv/deployer/asuser/data/release 2>/dev/null')) === ''; i++)
    await new Promise((r) => setTimeout(r, 200));
  assert.equal(await root('cat /srv/deployer/asuser/data/groups'), 'dp-asuser');
  assert.equal(await root('cat /srv/deployer/asuser/data/sudo'), 'sudo-refused');
  assert.equal(await root('cat /srv/deployer/asuser/data/release'), 'release-readonly');
  assert.equal(await root('test -e /srv/deployer/asuser/current/x && echo yes || echo no'), 'no');
  assert.equal(
    await root('systemctl show -p NoNewPrivileges -p ProtectSystem -p ProtectHome -p PrivateTmp asuser-web.service | sort | tr "\\n" " "'),
    'NoNewPrivileges=yes PrivateTmp=yes ProtectHome=yes ProtectSystem=strict',
  );
});

test('hooks run where and when they should', async () => {
  assert.equal(readFileSync(join(app.dir, 'hooks-local.log'), 'utf8'), 'pre_build 1.0.0\npost_deploy_local 1.0.0\n');
  // pre_switch runs before the switch (nothing live yet), post_deploy after it, both as the app user.
  assert.equal(
    (await host.ssh('cat /tmp/hooks.log', { user: 'root' })).stdout,
    'pre_switch dp-asuser none\npost_deploy dp-asuser v1.0.0\n',
  );
});

test('app exec runs as the app user with the app env and DEPLOYER_DATA_DIR', async () => {
  const r = await app.run(['app', 'exec', '--', 'sh', '-c', 'echo "$(id -un) $RELEASE_NOTE $DEPLOYER_DATA_DIR"']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /dp-asuser secret-note \/srv\/deployer\/asuser\/data/);
});

test('on_failure and always hooks run at the end, on the host as the app user and locally, with the version and outcome', async () => {
  const { readFileSync } = await import('node:fs');
  // The successful first deploy (above) ran only the `always` ones.
  assert.equal((await host.ssh('cat /tmp/end-hooks.log', { user: 'root' })).stdout, 'always dp-asuser 1.0.0 success v1.0.0\n');
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
    'always dp-asuser 1.0.0 success v1.0.0\non_failure dp-asuser 2.0.0 failure v1.0.0 secret-note\nalways dp-asuser 2.0.0 failure v1.0.0\n',
  );
  assert.equal(
    readFileSync(join(app.dir, 'end-hooks-local.log'), 'utf8'),
    'always_local 1.0.0 success\non_failure_local 2.0.0 failure\nalways_local 2.0.0 failure\n',
  );
});

test('the data dir outlives a release; down removes the app and its dedicated user', async () => {
  const starts = await root('wc -l < /srv/deployer/asuser/data/starts');
  app.setVersion('1.0.1');
  const r = await app.run(['deploy']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await root('readlink /srv/deployer/asuser/current'), 'v1.0.1');
  for (let i = 0; i < 50 && (await root('wc -l < /srv/deployer/asuser/data/starts')) === starts; i++)
    await new Promise((res) => setTimeout(res, 200));
  assert.equal(Number(await root('wc -l < /srv/deployer/asuser/data/starts')), Number(starts) + 1);
  const down = await app.run(['down', '--yes']);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(await root('getent passwd dp-asuser || echo none'), 'none');
  assert.equal(await root('test -e /srv/deployer/asuser && echo yes || echo no'), 'no');
});

test('app_user = the SSH user, explicitly: the app runs as deploy; deployer creates and removes no user', async () => {
  await root('rm -f /tmp/release-as /tmp/hooks.log /tmp/end-hooks.log'); // left by the removed user; /tmp is sticky
  // Top level, before the tables (writeConfig appends after [hooks]).
  const file = join(app.dir, 'deployer.toml');
  writeFileSync(file, 'app_user = "deploy"\n' + readFileSync(file, 'utf8'));
  const r = await app.run(['deploy']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await root('systemctl show -p User --value asuser-web.service'), 'deploy');
  assert.equal(await root('cat /tmp/release-as'), 'deploy secret-note');
  assert.equal(await root('getent passwd dp-asuser || echo none'), 'none');
  assert.equal(await root('stat -L -c "%a %U" /srv/deployer/asuser/.env'), '600 deploy');
  const down = await app.run(['down', '--yes']);
  assert.equal(down.code, 0, down.stderr);
  assert.match(await root('getent passwd deploy'), /^deploy:/);
});
