// The command line of `app exec` / `app shell` (remote/app-env.sh), run for
// real in a local bash against a local app dir, with a stub systemctl that
// answers like systemd for the web units.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appCommandLine, execArgv, plainCommandLine, stopCommandLine } from '../../src/app/enter.js';
import { pidMarkerFilter } from '../../src/ssh/streamCommand.js';
import { stubHost } from '../helpers/stubHost.js';

const user = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();

/** An app dir with a current release, a tool on the .appenv PATH, on a stub host (its bin is the app dir's bin). */
function appDir(instances: string, units: Record<string, { port?: string; active: boolean }>) {
  const host = stubHost({ defaultState: 'inactive' });
  for (const [unit, u] of Object.entries(units)) {
    host.setUnit(unit, { ActiveState: u.active ? 'active' : 'inactive', Environment: u.port ? `LANG=C PORT=${u.port} X=*` : '' });
  }
  const d = host.dir;
  mkdirSync(join(d, 'v1', 'bin'), { recursive: true });
  mkdirSync(join(d, 'v1', '.deployer'));
  symlinkSync('v1', join(d, 'current'));
  writeFileSync(join(d, 'v1', 'bin', 'hello-tool'), '#!/bin/sh\necho "tool $GREETING"\n');
  chmodSync(join(d, 'v1', 'bin', 'hello-tool'), 0o755);
  writeFileSync(join(d, 'v1', '.deployer', 'instances'), instances);
  writeFileSync(join(d, '.appenv'), `export GREETING='hi there'\nexport PATH='${d}/v1/bin':'${host.bin}':$PATH\n`);
  return d;
}

const run = (d: string, argv: string[]) => {
  const line = appCommandLine({ appDir: d, webUnitStem: 'shop-web', sshUser: user, appUser: user, argv, reportPid: false });
  return spawnSync('bash', ['-c', line], { encoding: 'utf8', cwd: tmpdir(), env: { PATH: `${d}/bin:${process.env.PATH}` } });
};

test('exec command line: sudo -u only for another user; argv survives quoting; env, PATH and cwd come from the app dir', () => {
  assert.match(
    appCommandLine({ appDir: '/srv/a', webUnitStem: 'a-web', sshUser: 'deploy', appUser: 'app', argv: ['id'], reportPid: false }),
    /^sudo -n -u app -- bash -c /,
  );
  assert.match(
    appCommandLine({ appDir: '/srv/a', webUnitStem: 'a-web', sshUser: 'deploy', appUser: 'deploy', argv: ['id'], reportPid: false }),
    /^bash -c /,
  );
  const d = appDir('', {});
  const r = run(d, ['sh', '-c', 'hello-tool; pwd; printf "<%s>" "$@"; exit 7', 'sh', "it's", 'a b', '$(touch pwned)']);
  assert.equal(r.status, 7, r.stderr);
  assert.equal(r.stdout, `tool hi there\n${d}/current\n<it's><a b><$(touch pwned)>`);
  assert.equal(existsSync(join(d, 'pwned')), false);
  // No .appenv: a clear message, not a half-set environment.
  const missing = run(join(d, 'nope'), ['true']);
  assert.equal(missing.status, 127);
  assert.match(missing.stderr, /cannot read .*nope\/\.appenv/);
});

test('one word is a command line run by bash (as Kamal users type it); several words are argv', () => {
  assert.deepEqual(execArgv(['python manage.py shell']), ['bash', '-c', 'python manage.py shell']);
  assert.deepEqual(execArgv(['printf', '%s', 'a b']), ['printf', '%s', 'a b']);
  const d = appDir('', {});
  const r = run(d, execArgv(['hello-tool && echo "$GREETING" | tr a-z A-Z']));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'tool hi there\nHI THERE\n');
});

test('PORT comes from the live web unit: the first active instance, else the first listed; never from a worker', () => {
  const instances =
    'restart shop-web@8000.service\nrestart shop-web@8001.service\nrestart shop-web-admin.service\nrestart shop-worker@1.service\n';
  const printPort = ['sh', '-c', 'echo "${PORT-unset}"'];
  // 8000 is down (a blue/green switch in progress): the running 8001 is the one.
  let d = appDir(instances, {
    'shop-web@8000.service': { port: '8000', active: false },
    'shop-web@8001.service': { port: '8001', active: true },
    'shop-web-admin.service': { port: '9999', active: true },
  });
  assert.equal(run(d, printPort).stdout, '8001\n');
  d = appDir(instances, {
    'shop-web@8000.service': { port: '8000', active: false },
    'shop-web@8001.service': { port: '8001', active: false },
  });
  assert.equal(run(d, printPort).stdout, '8000\n');
  // A web unit without PORT (upstream on a socket) and only workers: no PORT.
  d = appDir('restart shop-web.service\nrestart shop-worker.service\n', {
    'shop-web.service': { active: true },
    'shop-worker.service': { port: '7000', active: true },
  });
  assert.equal(run(d, printPort).stdout, 'unset\n');
  // Blue-green: the release's web instances are listed in web-instances, not in instances.
  d = appDir('restart shop-worker.service\n', {
    'shop-web@8002.service': { port: '8002', active: true },
    'shop-worker.service': { port: '7000', active: true },
  });
  writeFileSync(join(d, 'v1', '.deployer', 'web-instances'), 'restart shop-web@8002.service\n');
  assert.equal(run(d, printPort).stdout, '8002\n');
});

test('the process-group marker: printed first on stderr, the group the command runs in, and taken out of the stream', () => {
  const d = appDir('', {});
  const line = appCommandLine({
    appDir: d,
    webUnitStem: 'shop-web',
    sshUser: user,
    appUser: user,
    argv: ['sh', '-c', 'ps -o pgid= -p "$$" | tr -d " "; echo oops >&2'],
    reportPid: true,
  });
  // stdin not a socket, or bash reads ~/.bashrc thinking sshd started it.
  const r = spawnSync('bash', ['-c', line], {
    encoding: 'utf8',
    cwd: tmpdir(),
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, `@@deployer-pgid ${r.stdout.trim()}\noops\n`);
  const plain = spawnSync('bash', ['-c', plainCommandLine(['sh', '-c', 'ps -o pgid= -p "$$" | tr -d " "'])], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  assert.equal(plain.stderr, `@@deployer-pgid ${plain.stdout.trim()}\n`);

  const marked = filterChunks(['@@deployer-', 'pgid 4242\nfirst line\n', 'second\n']);
  assert.deepEqual(marked.pids, [4242]);
  assert.equal(marked.passed, 'first line\nsecond\n');
  // No marker (a command that did not report): everything passes, the PID is unknown.
  const unmarked = filterChunks(['bash: error\n']);
  assert.deepEqual(unmarked.pids, [undefined]);
  assert.equal(unmarked.passed, 'bash: error\n');
});

/** What pidMarkerFilter passes on and the PIDs it reports, for `chunks` of a stream. */
function filterChunks(chunks: string[]): { passed: string; pids: Array<number | undefined> } {
  let passed = '';
  const pids: Array<number | undefined> = [];
  const f = pidMarkerFilter(
    (b) => (passed += b.toString()),
    (p: number | undefined) => pids.push(p),
  );
  for (const c of chunks) f(Buffer.from(c));
  return { passed, pids };
}

test('stop.sh signals the whole reported process group, and a group already gone is no error', async () => {
  // Its own process group, as sshd gives each session (setsid).
  // `sleep 31 &` ignores SIGINT (a non-interactive shell's background job): KILL is the backstop the client sends after 3 s.
  const child = spawn('bash', ['-c', plainCommandLine(['sh', '-c', 'sleep 31 & exec sleep 32'])], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH },
  });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const deadline = Date.now() + 5000;
  while (!/@@deployer-pgid \d+\n/.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const pid = Number(/@@deployer-pgid (\d+)/.exec(err)?.[1]);
  assert.equal(pid, child.pid);
  const closed = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
  const started = Date.now();
  const stop = spawnSync('bash', ['-c', stopCommandLine(pid, 'INT', false)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(stop.status, 0, stop.stderr);
  assert.equal(await closed, 'SIGINT');
  assert.ok(Date.now() - started < 3000);
  // The group's background sleep ignored INT; KILL ends it, and a PID already gone is fine.
  assert.equal(spawnSync('pgrep', ['-g', String(pid)]).status, 0);
  assert.equal(spawnSync('bash', ['-c', stopCommandLine(pid, 'KILL', false)], { stdio: 'ignore' }).status, 0);
  const gone = Date.now() + 2000;
  while (spawnSync('pgrep', ['-g', String(pid)]).status === 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
  assert.equal(spawnSync('pgrep', ['-g', String(pid)]).status, 1);
  assert.equal(spawnSync('bash', ['-c', stopCommandLine(99999999, 'KILL', false)], { stdio: 'ignore' }).status, 0);
  // Never the whole user's processes.
  assert.equal(spawnSync('bash', ['-c', stopCommandLine(1, 'KILL', false)], { stdio: 'ignore' }).status, 2);
  assert.match(stopCommandLine(1, 'INT', true), /^sudo -n bash -c /);
});
