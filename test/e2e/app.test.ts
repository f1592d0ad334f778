// `deployer app …` against a real host, with the binary example deployed
// (a web process and a worker with two replicas): status, logs (and -f until
// Ctrl-C), start/stop/restart (which wait for the deploy lock), exec, shell
// (through a real pty made by `script`), and cat env|units|caddy.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { appToml, cliPath, createProject, waitForPause, type CliResult, type Project } from '../helpers/project.js';

const SECRET = 'tok-S3CRET-app-91c2';
const DIR = '/srv/deployer/hello-bin';
let host: TestHost;
let project: Project;

const base = appToml({
  app: 'hello-bin',
  settings: { strategy: 'restart', envfile: 'app.env' },
  processes: `worker = { command = "/bin/sh -c 'while true; do echo worker-tick; sleep 1; done'", replicas = 2 }`,
  timeout: 20,
  health: 'port = 8000',
});

const cli = (args: string[]): Promise<CliResult> => project.run(args);
const root = async (cmd: string) => (await host.ssh(cmd, { user: 'root' })).stdout.trim();
const mainPid = (unit: string) => root(`systemctl show -p MainPID --value ${unit}`);
const served = async () => {
  const r = await httpGet(host.httpPort, '/', 'hello-bin.localhost');
  return `${r.status} ${r.body.trim()}`;
};

before(async () => {
  host = await startHost();
  project = createProject('binary-app', [host], base);
  writeFileSync(join(project.dir, 'app.env'), `HELLO_DEBUG_ENV=1\nRELEASE_NOTE=note-1\nAPI_TOKEN=${SECRET}\n`);
  const r = await cli(['deploy']);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  project?.cleanup();
  await host?.down();
});

test('status: version, URL, and every unit active with its uptime', async () => {
  const r = await cli(['app', 'status']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^h1: hello-bin 1\.0\.0 \(good, deployed .* by /m);
  assert.match(r.stdout, /^ {2}url: http:\/\/hello-bin\.localhost$/m);
  for (const unit of ['hello-bin-web.service', 'hello-bin-worker@1.service', 'hello-bin-worker@2.service']) {
    assert.match(r.stdout, new RegExp(`^  ${unit.replace(/[.@]/g, '\\$&')} +active \\(running\\) +up (\\d+[dhms] ?)+, pid \\d+`, 'm'));
  }
  const json = await cli(['app', 'status', 'worker', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const result = json.events.find((e) => e.type === 'result') as {
    data: { hosts: Array<{ version: string; units: Array<{ unit: string; pid: number }> }> };
  };
  assert.equal(result.data.hosts[0].version, '1.0.0');
  assert.deepEqual(
    result.data.hosts[0].units.map((u) => u.unit),
    ['hello-bin-worker@1.service', 'hello-bin-worker@2.service'],
  );
  assert.equal(String(result.data.hosts[0].units[0].pid), await mainPid('hello-bin-worker@1.service'));
});

test('logs: one process (all its replicas), -n; an unknown process lists the known ones', async () => {
  const r = await cli(['app', 'logs', 'worker', '-n', '6']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 6, r.stdout);
  // Only the worker's lines: its output, or systemd's lines about its instances.
  for (const l of lines) assert.match(l, /hello-bin-worker\[\d+\]: worker-tick$|systemd\[1\]: .*hello-bin-worker@[12]\.service/);
  assert.match(r.stdout, /worker-tick/);
  const web = await cli(['app', 'logs', 'web']);
  assert.match(web.stdout, /hello-bin-web\[\d+\]: hello-bin 1\.0\.0 listening/);
  assert.doesNotMatch(web.stdout, /worker-tick/);
  const bad = await cli(['app', 'logs', 'wrker']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /no process named "wrker"/);
  assert.match(bad.stderr, /known processes: web, worker/);
});

test('logs -f streams new lines until Ctrl-C, then exits 0 and leaves no journalctl behind', async () => {
  const { child, result } = project.start(['app', 'logs', 'web', '-f', '-n', '1']);
  let seen = '';
  child.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
  // The one old line shows journalctl is following; then make new ones.
  const ready = Date.now() + 20_000;
  while (!seen.includes('\n') && Date.now() < ready) await new Promise((r) => setTimeout(r, 100));
  seen = '';
  await root('systemctl restart hello-bin-web.service');
  const deadline = Date.now() + 15_000;
  while (!/hello-bin 1\.0\.0 stopping[\s\S]*hello-bin 1\.0\.0 listening/.test(seen) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 200));
  child.kill('SIGINT');
  const r = await result;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /hello-bin 1\.0\.0 stopping[\s\S]*hello-bin 1\.0\.0 listening/);
  await new Promise((res) => setTimeout(res, 500));
  assert.equal(await root('pgrep -c journalctl || true'), '0');
});

test('restart one process: only its units get new PIDs; stop and start the workers', async () => {
  const web = await mainPid('hello-bin-web.service');
  const w1 = await mainPid('hello-bin-worker@1.service');
  let r = await cli(['app', 'restart', 'web']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /restarted hello-bin-web\.service/);
  assert.notEqual(await mainPid('hello-bin-web.service'), web);
  assert.equal(await mainPid('hello-bin-worker@1.service'), w1);
  assert.equal(await served(), '200 hello-bin 1.0.0');

  r = await cli(['app', 'stop', 'worker']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    await root('systemctl is-active hello-bin-worker@1.service hello-bin-worker@2.service hello-bin-web.service || true'),
    'inactive\ninactive\nactive',
  );
  const status = await cli(['app', 'status']);
  assert.match(status.stdout, /hello-bin-worker@2\.service +inactive \(dead\)/);

  r = await cli(['app', 'start']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    await root('systemctl is-active hello-bin-worker@1.service hello-bin-worker@2.service hello-bin-web.service'),
    'active\nactive\nactive',
  );
});

test('restart waits for the deploy lock (refused at once, or with --lock-wait); status still answers', async () => {
  // Hold the app's lock from the host, as a running deploy would.
  const lock = `${DIR}/../.deployer/hello-bin.lock`;
  const holder = host.ssh(`flock ${lock} sleep 12`, { user: 'root' });
  const held = Date.now() + 10_000;
  while ((await root(`flock -n ${lock} true && echo free || echo held`)) === 'free' && Date.now() < held)
    await new Promise((r) => setTimeout(r, 100));
  const refused = await cli(['app', 'restart']);
  assert.equal(refused.code, 6, refused.stderr);
  assert.match(refused.stderr, /is locked by/);
  const status = await cli(['app', 'status']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^ {2}locked: /m);
  const waited = await cli(['app', 'restart', 'web', '--lock-wait', '30']);
  assert.equal(waited.code, 0, waited.stderr);
  assert.match(waited.stderr, /waiting up to 30s for the lock/);
  await holder;
});

test('exec runs in the app environment as the app user; its exit code becomes ours; argv is kept word for word', async () => {
  let r = await cli(['app', 'exec', '--', 'sh', '-c', 'echo "$RELEASE_NOTE|$PWD|$(id -un)"; exit 3']);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stdout, `note-1|${DIR}/current|dp-hello-bin\n`);
  r = await cli(['app', 'exec', '--', 'printf', '<%s>', 'a b', "it's", '$(id)', '-n']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "<a b><it's><$(id)><-n>");

  // Ctrl-C stops the remote command too, and we exit 130.
  const { child, result } = project.start(['app', 'exec', '--', 'sleep', '301']);
  const deadline = Date.now() + 20_000;
  while ((await root('pgrep -c -x -f "sleep 301" || true')) === '0' && Date.now() < deadline)
    await new Promise((res) => setTimeout(res, 200));
  child.kill('SIGINT');
  assert.equal((await result).code, 130);
  await new Promise((res) => setTimeout(res, 500));
  assert.equal(await root('pgrep -c -x -f "sleep 301" || true'), '0');
});

test('exec of one string runs it through the shell, as Kamal users type it, with PORT as the live web unit has it', async () => {
  const unitEnv = await root('systemctl show -p Environment --value hello-bin-web.service');
  assert.match(unitEnv, /(^| )PORT=8000( |$)/);
  const r = await cli(['app', 'exec', 'echo "$RELEASE_NOTE port=$PORT" | tr a-z A-Z; test "$PWD" = /srv/deployer/hello-bin/current']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'NOTE-1 PORT=8000\n');
  // The same environment in a one-word command and in several words.
  const words = await cli(['app', 'exec', '--', 'sh', '-c', 'echo $PORT']);
  assert.equal(words.stdout, '8000\n');
});

test('Ctrl-C that arrives while exec is still wiring the channel stops the remote command at once (issue 9 #9)', async () => {
  // The pause point holds the CLI for 3 s after the remote command started and before
  // Ctrl-C is wired to it: the window in which a SIGINT used to be lost.
  const { child, result } = project.start(['app', 'exec', '--', 'sleep', '302'], { env: { DEPLOYER_TEST_PAUSE_AT: 'exec-started' } });
  await waitForPause(child, 'exec-started', 60_000);
  const sent = Date.now();
  child.kill('SIGINT');
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const r = await result;
  clearTimeout(killer);
  const took = Date.now() - sent;
  assert.equal(r.code, 130, `exit ${r.code} ${r.signal} after ${took} ms: ${r.stderr}`);
  assert.ok(took < 10_000, `the CLI returned ${took} ms after Ctrl-C`);
  const deadline = Date.now() + 5_000;
  while ((await root('pgrep -c -x -f "sleep 302" || true')) !== '0' && Date.now() < deadline)
    await new Promise((res) => setTimeout(res, 200));
  assert.equal(await root('pgrep -c -x -f "sleep 302" || true'), '0', 'the remote command is still running');
});

test('shell: an interactive bash in the app environment through a pty, window size passed on; refused without a TTY', async () => {
  // `script` gives the CLI a real terminal (33x101); the test types into it.
  const child = spawn('script', ['-qefc', `stty rows 33 cols 101; ${process.execPath} ${cliPath} app shell`, '/dev/null'], {
    cwd: project.dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', TERM: 'xterm' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const waitFor = async (re: RegExp) => {
    const deadline = Date.now() + 20_000;
    while (!re.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, re);
  };
  const closed = new Promise<number | null>((r) => child.on('close', r));
  try {
    await waitFor(/\$ $/m); // the remote prompt
    child.stdin.write('echo "MARK-$((6*7)) $RELEASE_NOTE $(id -un) $PWD"; stty size\n');
    await waitFor(/MARK-42 note-1 dp-hello-bin \/srv\/deployer\/hello-bin\/current\r*\n33 101/);
    child.stdin.write('exit 5\n');
    assert.equal(await closed, 5, out);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }

  const r = await cli(['app', 'shell']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /app shell needs a terminal/);
});

test('cat env redacts every value unless --show-secrets; cat units and cat caddy print what is installed', async () => {
  let r = await cli(['app', 'cat', 'env']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'HELLO_DEBUG_ENV=[REDACTED]\nRELEASE_NOTE=[REDACTED]\nAPI_TOKEN=[REDACTED]\n');
  r = await cli(['app', 'cat', 'env', '--show-secrets']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^API_TOKEN=${SECRET}$`, 'm'));
  assert.equal(r.stdout, (await root(`cat ${DIR}/.env`)) + '\n');

  r = await cli(['app', 'cat', 'units']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    [...r.stdout.matchAll(/^# (\/etc\/systemd\/system\/\S+)$/gm)].map((m) => m[1]),
    ['/etc/systemd/system/hello-bin-web.service', '/etc/systemd/system/hello-bin-worker@.service'],
  );
  assert.ok(r.stdout.includes(await root('cat /etc/systemd/system/hello-bin-worker@.service')));

  r = await cli(['app', 'cat', 'caddy']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, (await root('cat /etc/caddy/sites/hello-bin.caddy')) + '\n');
  assert.match(r.stdout, /^http:\/\/hello-bin\.localhost \{/m);
});
