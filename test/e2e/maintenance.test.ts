// Maintenance mode and backup_before_release on a real host, under load
// through Caddy (test/helpers/load.ts): every request answers either 503 with
// the maintenance page and Retry-After, or the app; none fails. A deploy while
// the mode is on keeps it on; `deploy --maintenance` has release_command see
// the 503 from outside and the app answer after it; every deploy leaves one
// archive in the backups dir.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { createProject, type Project } from '../helpers/project.js';
import { assertServedThrough, startLoad, type Sample } from '../helpers/load.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const app = 'mm';
const domain = `${app}.localhost`;
const appDir = `/srv/deployer/${app}`;
// release_command asks the site through Caddy, as a visitor, and records the status it saw.
const probeSite = [
  'import urllib.request as u',
  'try:',
  `    s = u.urlopen(u.Request("http://127.0.0.1/", headers={"Host": "${domain}"}), timeout=5).status`,
  'except Exception as x:',
  '    s = getattr(x, "code", "error")',
  `open("${appDir}/data/release-saw", "a").write(str(s) + "\\n")`,
].join('\n');
const base = `
app = "${app}"
build_command = "./build.sh"
distfile = "dist/hello-bin"
installation_mode = "binary"
backup_before_release = true
release_command = '''python3 -c '${probeSite}' '''

[processes]
web = "app_binary"

[webserver]
domains = ["http://${domain}"]
upstream = "127.0.0.1:8000"

[health_check]
path = "/healthz"
timeout = 15
`;

let host: TestHost;
let project: Project;
let deploys = 0;

/** The page's answer: 503, Retry-After, and the page (its text in `marker`). */
const maintenanceAnswer = (marker: string) => (status: number, headers: Record<string, unknown>, body: string) =>
  status === 503 && headers['retry-after'] === '300' && body.includes(marker) ? 'maintenance' : undefined;

/** 50 requests a second to the site through Caddy; the maintenance page (with `marker`) counts as an answer. */
const loadThroughCaddy = (marker: string) =>
  startLoad({ port: host.httpPort, host: domain, rate: 50, timeoutMs: 5000, maxMs: 180_000, accept: maintenanceAnswer(marker) });

async function deploy(version: string, args: string[] = []): Promise<void> {
  project.setVersion(version);
  const r = await project.run(['deploy', ...args]);
  assert.equal(r.code, 0, `deploy ${version}:\n${r.stderr}`);
  deploys++;
}

async function cli(args: string[]): Promise<void> {
  const r = await project.run(args);
  assert.equal(r.code, 0, `${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
}

const root = async (cmd: string) => (await host.ssh(cmd)).stdout.trim();

before(async () => {
  host = await startHost();
  project = createProject('binary-app', [host], base);
  writeFileSync(join(project.dir, 'maintenance.html'), '<!doctype html><h1>Custom page: back at noon</h1>\n');
  await deploy('1.0.0');
});
after(async () => {
  project?.cleanup();
  await host?.down();
});

test('maintenance on and off under load: every answer is the 503 page or the app, none fails; history records both', async () => {
  const load = loadThroughCaddy('Back soon');
  await sleep(1000);
  await cli(['app', 'maintenance', 'on', '--message', 'Back soon <b>']);
  const on = load.mark('on');
  await sleep(2000);
  // The health check path and deployer's own check still reach the app.
  assert.equal((await httpGet(host.httpPort, '/healthz', domain)).status, 200);
  const page = await httpGet(host.httpPort, '/anything', domain);
  assert.equal(page.status, 503);
  assert.match(page.body, /Back soon &#60;b&#62;/);
  const offAt = load.mark('off-start');
  await cli(['app', 'maintenance', 'off']);
  const off = load.mark('off');
  await sleep(2000);
  const samples = await load.stop();
  assertServedThrough('maintenance on/off', samples, ['1.0.0', 'maintenance'], 100);
  const during = samples.filter((s) => s.start > on && s.end < offAt);
  assert.ok(during.length > 20 && during.every((s) => s.version === 'maintenance'), 'while on, every request got the page');
  const afterOff = samples.filter((s) => s.start > off);
  assert.ok(afterOff.length > 20 && afterOff.every((s) => s.version === '1.0.0'), 'after off, the app answers');
  const history = await project.run(['history', '--json']);
  const actions = history.stdout.match(/maintenance (on|off)/g) ?? [];
  assert.deepEqual(actions.slice(0, 2).sort(), ['maintenance off', 'maintenance on']);
});

test('a deploy while maintenance is on keeps it on (custom page); off brings the new release', async () => {
  await cli(['app', 'maintenance', 'on', '--page', 'maintenance.html']);
  assert.equal(await root(`test -f ${appDir}/.maintenance && echo yes`), 'yes');
  await deploy('1.0.1');
  const page = await httpGet(host.httpPort, '/', domain);
  assert.equal(page.status, 503);
  assert.match(page.body, /Custom page: back at noon/);
  assert.equal((await httpGet(host.httpPort, '/healthz', domain)).status, 200);
  // release_command saw the page too: the mode was on all along.
  assert.equal(await root(`tail -n 1 ${appDir}/data/release-saw`), '503');
  await cli(['app', 'maintenance', 'off']);
  const r = await httpGet(host.httpPort, '/', domain);
  assert.equal(`${r.status} ${r.body.trim()}`, '200 hello-bin 1.0.1');
});

test('deploy --maintenance under load: release_command sees the 503, the new release answers after, none fails', async () => {
  const load = loadThroughCaddy('down for maintenance');
  await sleep(1000);
  await deploy('1.0.2', ['--maintenance']);
  const done = load.mark('deployed');
  await sleep(2000);
  const samples = await load.stop();
  assertServedThrough('deploy --maintenance', samples, ['1.0.1', '1.0.2', 'maintenance'], 100);
  assert.ok(
    samples.some((s) => s.version === 'maintenance'),
    'the page was served during the deploy',
  );
  assert.ok(
    samples.filter((s) => s.start > done).every((s) => s.version === '1.0.2'),
    'the new release answers once the deploy returned',
  );
  assert.equal(await root(`tail -n 1 ${appDir}/data/release-saw`), '503');
  assert.equal(await root(`test -e ${appDir}/.maintenance && echo on || echo off`), 'off');
  const history = await root(`cat /srv/deployer/.deployer/${app}.history`);
  assert.match(history, /"action":"deploy --maintenance".*"result":"default page"/);
  assert.match(history, /"action":"deploy --maintenance".*"result":"maintenance off"/);
});

test('backup_before_release leaves one archive per deploy in the backups dir', async () => {
  const archives = (await root(`ls ${appDir}/backups`)).split('\n').filter((f) => f.endsWith('.tar.gz'));
  assert.equal(archives.length, deploys, archives.join('\n'));
  assert.ok(archives.every((f) => f.startsWith(`${app}-`)));
});

test('a failed backup stops deploy --maintenance before release_command: nothing switched, the mode back off', async () => {
  const live = await root(`readlink ${appDir}/current`);
  const ran = await root(`wc -l < ${appDir}/data/release-saw`);
  // The backups dir is a file: the backup cannot write its archive.
  await root(`mv ${appDir}/backups ${appDir}/backups.kept && touch ${appDir}/backups`);
  try {
    project.setVersion('1.0.3');
    const r = await project.run(['deploy', '--maintenance']);
    assert.equal(r.code, 4, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /back up the data dir/);
  } finally {
    await root(`rm -f ${appDir}/backups && mv ${appDir}/backups.kept ${appDir}/backups`);
  }
  assert.equal(await root(`readlink ${appDir}/current`), live);
  assert.equal(await root(`wc -l < ${appDir}/data/release-saw`), ran, 'release_command did not run');
  assert.equal(await root(`test -e ${appDir}/.maintenance && echo on || echo off`), 'off');
  const r = await httpGet(host.httpPort, '/', domain);
  assert.equal(`${r.status} ${r.body.trim()}`, '200 hello-bin 1.0.2');
});
