// Issue 18 #6 and #11 on a real host, with the wheel example as a Django-like
// app: its release_command writes into the new release as collectstatic does
// (static/ with subdirectories and files), Caddy serves them through
// [webserver.statics], and once live the release is read-only for the app
// user; prune and down delete all of it. A redeploy with a changed env never
// rewrites a release that has been live: 1.4.0, then 1.4.0_2, then 1.4.0_3,
// and `rollback --to 1.4.0` brings back the env the first one ran with.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { appToml, createProject, type Project } from '../helpers/project.js';

const APP_DIR = '/srv/deployer/statics';
const USER = 'dp-statics';
let host: TestHost;
let project: Project;

before(async () => {
  host = await startHost();
  project = createProject(
    'python-app',
    [host],
    appToml({
      app: 'statics',
      example: 'python-app',
      top: `# What collectstatic does: STATIC_ROOT in the release (its working directory).
release_command = "hello-migrate && mkdir -p static/css/sub && printf 'body{}\\\\n' > static/css/site.css && printf '%s\\\\n' \\"$NOTE\\" > static/note.txt && printf 'deep\\\\n' > static/css/sub/deep.css"`,
      settings: { versions_to_keep: 5, envfile: 'app.env' },
      webserver: '[webserver.statics]\n"/static" = "static"',
      timeout: 20,
    }),
  );
  project.setVersion('1.4.0');
  writeNote('note-first');
});
after(async () => {
  project?.cleanup();
  await host?.down();
});

function writeNote(note: string): void {
  writeFileSync(join(project.dir, 'app.env'), `NOTE=${note}\nMIGRATE_MARKER=/tmp/migrate-marker\n`);
}
const root = async (cmd: string) => (await host.ssh(cmd, { user: 'root' })).stdout.trim();
const get = async (path: string) => {
  const r = await httpGet(host.httpPort, path, 'statics.localhost');
  return `${r.status} ${r.body.trim()}`;
};
/** Exit code of `touch PATH` as the app user. */
const touchAsApp = async (path: string) => (await host.ssh(`runuser -u ${USER} -- touch ${path}`, { user: 'root' })).code;

test('release_command writes static/ into the new release under the default app user; Caddy serves it', async () => {
  const r = await project.run(['deploy']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(await root(`readlink ${APP_DIR}/current`), 'v1.4.0');
  assert.equal(await get('/static/note.txt'), '200 note-first');
  assert.equal(await get('/static/css/site.css'), '200 body{}');
  assert.equal(await get('/static/css/sub/deep.css'), '200 deep');
  assert.equal(await get('/'), '200 hello-app 1.4.0');
});

test("once live, the release is read-only for the app user: what it made is the SSH user's, .env 0640 in its group", async () => {
  const rel = `${APP_DIR}/v1.4.0`;
  for (const p of [
    `${rel}/x`,
    `${rel}/static/x`,
    `${rel}/static/css/sub/x`,
    `${rel}/static/css/site.css`,
    `${rel}/.venv/x`,
    `${APP_DIR}/current/x`,
  ])
    assert.notEqual(await touchAsApp(p), 0, `${USER} could write ${p}`);
  assert.equal(await root(`find ${rel} -user ${USER} | head -n 3`), '');
  assert.equal(await root(`find ${rel} -perm /022 ! -type l | head -n 3`), '');
  assert.equal(
    await root(`stat -c '%U %G %a' ${rel}/static ${rel}/static/css/site.css ${rel}/.env`),
    `deploy ${USER} 755\ndeploy ${USER} 644\ndeploy ${USER} 640`,
  );
  // The app still reads all of it.
  assert.equal(await root(`runuser -u ${USER} -- cat ${rel}/static/note.txt`), 'note-first');
  // `app exec` runs as the app user: it cannot write the live release either.
  const exec = await project.run([
    'app',
    'exec',
    '--',
    'sh',
    '-c',
    'id -un; touch static/y 2>/dev/null && echo writable || echo read-only',
  ]);
  assert.equal(exec.code, 0, exec.stderr);
  assert.match(exec.stdout, new RegExp(`${USER}\\s+read-only`));
});

test('a redeploy with a changed env gets v1.4.0_2, then v1.4.0_3; v1.4.0 is never rewritten', async () => {
  const envOf = (rel: string) => root(`sha256sum < ${APP_DIR}/${rel}/.env`);
  const first = await envOf('v1.4.0');
  writeNote('note-second');
  let r = await project.run(['deploy']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(await root(`readlink ${APP_DIR}/current`), 'v1.4.0_2');
  assert.equal(await get('/static/note.txt'), '200 note-second');
  assert.equal(await envOf('v1.4.0'), first);
  const second = await envOf('v1.4.0_2');
  writeNote('note-third');
  r = await project.run(['deploy']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  // The live one is v1.4.0_2: the deploy of 1.4.0 neither reuses v1.4.0 (it has been live) nor rewrites v1.4.0_2.
  assert.equal(await root(`readlink ${APP_DIR}/current`), 'v1.4.0_3');
  assert.match(r.stdout + r.stderr, /release 1\.4\.0 has been deployed before and would change: deploying as release 1\.4\.0_3/);
  assert.equal(await get('/static/note.txt'), '200 note-third');
  assert.equal(await envOf('v1.4.0'), first);
  assert.equal(await envOf('v1.4.0_2'), second);
  assert.match(await root(`cat ${APP_DIR}/v1.4.0/.env`), /NOTE=.?note-first/);
});

test('rollback --to 1.4.0 brings back the env it ran with, and its statics', async () => {
  const r = await project.run(['rollback', '--to', '1.4.0', '--yes']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(await root(`readlink ${APP_DIR}/current`), 'v1.4.0');
  assert.match(await root(`cat ${APP_DIR}/.env`), /NOTE=.?note-first/);
  assert.equal(await get('/static/note.txt'), '200 note-first');
  assert.notEqual(await touchAsApp(`${APP_DIR}/current/static/x`), 0);
});

test('prune and down delete every release, the files the app user made included', async () => {
  assert.equal(await root(`ls ${APP_DIR}/v1.4.0_3/static/css/sub`), 'deep.css');
  const r = await project.run(['prune', '--keep', '1', '--yes']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  // The current release and the last good one stay (1.4.0_2: 1.4.0_3 was rolled back).
  assert.equal(await root(`ls -d ${APP_DIR}/v* | tr '\\n' ' '`), `${APP_DIR}/v1.4.0 ${APP_DIR}/v1.4.0_2`);
  const down = await project.run(['down', '--yes']);
  assert.equal(down.code, 0, down.stdout + down.stderr);
  assert.equal(await root(`test -e ${APP_DIR} && echo yes || echo no`), 'no');
  assert.equal(await root(`getent passwd ${USER} || echo none`), 'none');
});
