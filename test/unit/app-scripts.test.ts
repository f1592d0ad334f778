// `deployer app …` planned: unit selection, the command lines, and the
// scripts run in a real local bash with stub systemctl/sudo/journalctl, so
// what is emitted is checked by what it does.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { journalUnits, selectUnitBases, unitMatchesBases } from '../../src/app/processes.js';
import { logsCommandLine, renderControlScript, renderStatusScript } from '../../src/app/scripts.js';
import { formatHostStatus, formatUptime, parseStatusOutput, siteUrls } from '../../src/app/statusView.js';
import { redactEnvText } from '../../src/app/envView.js';
import { joinFiles } from '../../src/app/cat.js';
import { signalExitCode } from '../../src/app/exec.js';
import { makeConfig, makeHost, makeProcess } from './render-helpers.js';

const config = makeConfig({
  appName: 'shop',
  processes: [
    makeProcess('web', 'shop-web', { replicas: 2 }),
    makeProcess('web-admin', 'shop-admin'),
    makeProcess('worker', 'shop-worker', { replicas: 3 }),
    makeProcess('nightly', 'shop-report', { timer: 'daily' }),
  ],
});

test('journal units: replicas by template pattern, timers with their timer; an unknown process lists the known ones', () => {
  assert.deepEqual(journalUnits(config, 'web'), ['shop-web@*.service']);
  assert.deepEqual(journalUnits(config, 'nightly'), ['shop-nightly.service', 'shop-nightly.timer']);
  assert.deepEqual(journalUnits(config), [
    'shop-web@*.service',
    'shop-web-admin.service',
    'shop-worker@*.service',
    'shop-nightly.service',
    'shop-nightly.timer',
  ]);
  assert.deepEqual(journalUnits(makeConfig({ appName: 'a', processes: [makeProcess('web', 'x', { socket: true })] })), [
    'a-web.service',
    'a-web.socket',
  ]);
  assert.throws(
    () => journalUnits(config, 'wrker'),
    (e: unknown) =>
      e instanceof ConfigError &&
      /no process named "wrker"/.test(e.message) &&
      e.hint === 'known processes: web, web-admin, worker, nightly',
  );
});

test('a unit belongs to a stem only as <stem>. or <stem>@ (web does not take web-admin)', () => {
  const bases = selectUnitBases(config, 'web');
  assert.deepEqual(bases, ['shop-web']);
  assert.equal(unitMatchesBases('shop-web@8000.service', bases), true);
  assert.equal(unitMatchesBases('shop-web.socket', bases), true);
  assert.equal(unitMatchesBases('shop-web-admin.service', bases), false);
});

test('logs: journalctl through sudo -n, -n 100 by default, none with --since, -f last', () => {
  assert.equal(
    logsCommandLine({ units: ['shop-web@*.service'], sshUser: 'deploy', follow: false }),
    "sudo -n journalctl --no-pager -u 'shop-web@*.service' -n 100",
  );
  assert.equal(
    logsCommandLine({ units: ['a.service'], sshUser: 'root', follow: true, since: '1 hour ago' }),
    "journalctl --no-pager -u a.service --since '1 hour ago' -f",
  );
  assert.equal(
    logsCommandLine({ units: ['a.service', 'b.timer'], sshUser: 'deploy', follow: false, lines: 5, since: 'today' }),
    'sudo -n journalctl --no-pager -u a.service -u b.timer -n 5 --since today',
  );
});

const NO_PATH = { path: '', status: 200, host: '' };

/** A bin dir with stub sudo (runs its arguments), systemctl and journalctl that log calls. */
function stubs(states: Record<string, string>): { bin: string; log: string; appDir: string } {
  const d = mkdtempSync(join(tmpdir(), 'deployer-ctl-'));
  const bin = join(d, 'bin');
  mkdirSync(bin);
  const log = join(d, 'calls.log');
  const stateLines = Object.entries(states)
    .map(([u, s]) => `${u}) echo ${s} ;;`)
    .join(' ');
  writeFileSync(join(bin, 'sudo'), '#!/bin/bash\n[ "$1" = -n ] && shift\nexec "$@"\n');
  writeFileSync(join(bin, 'journalctl'), `#!/bin/bash\necho "journal $*" >&2\n`);
  writeFileSync(
    join(bin, 'systemctl'),
    `#!/bin/bash
if [ "$1" = show ]; then
  unit=\${@: -1}
  if [[ " $* " == *" --value "* ]]; then case $unit in ${stateLines} *) echo inactive ;; esac; exit 0; fi
  st=$(case $unit in ${stateLines} *) echo inactive ;; esac)
  printf 'MainPID=42\\nNRestarts=0\\nActiveState=%s\\nSubState=running\\nActiveEnterTimestamp=Mon 2024-01-01 00:00:00 UTC\\n' "$st"
  exit 0
fi
echo "$*" >> ${JSON.stringify(log)}
`,
  );
  for (const f of ['sudo', 'journalctl', 'systemctl']) chmodSync(join(bin, f), 0o755);
  const appDir = join(d, 'app');
  mkdirSync(join(appDir, 'v1', '.deployer'), { recursive: true });
  spawnSync('ln', ['-s', 'v1', join(appDir, 'current')]);
  writeFileSync(
    join(appDir, 'v1', '.deployer', 'instances'),
    [
      'restart shop-web@8000.service',
      'restart shop-web@8001.service',
      'restart shop-web-admin.service',
      'start shop-api.socket',
      'restart shop-api.service',
      '',
    ].join('\n'),
  );
  return { bin, log, appDir };
}

function runScript(script: string, bin: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-s'], { input: script, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('restart of one process touches only its instances; a socket is started, never restarted', () => {
  const s = stubs({
    'shop-web@8000.service': 'active',
    'shop-web@8001.service': 'active',
    'shop-api.socket': 'active',
    'shop-api.service': 'active',
  });
  let r = runScript(
    renderControlScript({
      layout: { appDir: s.appDir },
      action: 'restart',
      bases: ['shop-web'],
      sshUser: 'deploy',
      waitSec: 1,
      health: NO_PATH,
    }),
    s.bin,
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(readFileSync(s.log, 'utf8'), 'restart -- shop-web@8000.service shop-web@8001.service\n');
  assert.match(r.stdout, /^@@state shop-web@8000\.service active$/m);
  assert.doesNotMatch(r.stdout, /shop-web-admin/);
  r = runScript(
    renderControlScript({
      layout: { appDir: s.appDir },
      action: 'restart',
      bases: ['shop-api'],
      sshUser: 'deploy',
      waitSec: 1,
      health: NO_PATH,
    }),
    s.bin,
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(readFileSync(s.log, 'utf8'), /^restart -- shop-api\.service\nstart -- shop-api\.socket\n$/m);
});

test('start reports a unit that does not come up (exit 1, its log lines); stop of everything stops every unit', () => {
  const s = stubs({ 'shop-web-admin.service': 'failed' });
  let r = runScript(
    renderControlScript({
      layout: { appDir: s.appDir },
      action: 'start',
      bases: ['shop-web-admin'],
      sshUser: 'deploy',
      waitSec: 1,
      health: NO_PATH,
    }),
    s.bin,
  );
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^@@state shop-web-admin\.service failed$/m);
  assert.match(
    r.stderr,
    /shop-web-admin\.service is failed; its last log lines:\njournal --no-pager -o cat -n 10 -u shop-web-admin\.service/,
  );
  r = runScript(
    renderControlScript({ layout: { appDir: s.appDir }, action: 'stop', bases: [], sshUser: 'deploy', waitSec: 1, health: NO_PATH }),
    s.bin,
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(
    readFileSync(s.log, 'utf8'),
    /^stop -- shop-web@8000\.service shop-web@8001\.service shop-web-admin\.service shop-api\.socket shop-api\.service$/m,
  );
});

/** runScript without blocking the event loop (the test's HTTP servers must answer meanwhile). */
function runScriptAsync(script: string, bin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-s'], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(script);
  });
}

/** Blue-green web instances on real loopback ports answering `statuses`; each health check is appended to log.path. */
async function webInstances(log: { path: string }, statuses: number[]): Promise<{ servers: Server[]; units: string[] }> {
  const servers: Server[] = [];
  const units: string[] = [];
  for (const status of statuses) {
    const srv = createServer((req, res) => {
      appendFileSync(log.path, `GET ${req.url} on ${(srv.address() as AddressInfo).port} Host ${req.headers.host}\n`);
      res.statusCode = status;
      res.end('x');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    servers.push(srv);
    units.push(`shop-web@${(srv.address() as AddressInfo).port}.service`);
  }
  return { servers, units };
}

const portOf = (unit: string) => unit.replace(/^shop-web@|\.service$/g, '');

test('restart of a blue-green web process rolls: one live instance at a time, each healthy on its port before the next', async () => {
  const log = { path: '' };
  const { servers, units } = await webInstances(log, [200, 200]);
  try {
    const s = stubs({ 'shop-worker.service': 'active', ...Object.fromEntries(units.map((u) => [u, 'active'])) });
    // The calls log, with each health check in order between the restarts.
    log.path = s.log;
    writeFileSync(join(s.appDir, 'v1', '.deployer', 'instances'), 'restart shop-worker.service\n');
    writeFileSync(join(s.appDir, 'v1', '.deployer', 'web-instances'), units.map((u) => `restart ${u}\n`).join(''));
    const health = { path: '/healthz', status: 200, host: 'shop.example' };
    const r = await runScriptAsync(
      renderControlScript({ layout: { appDir: s.appDir }, action: 'restart', bases: [], sshUser: 'deploy', waitSec: 2, health }),
      s.bin,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(
      readFileSync(s.log, 'utf8'),
      [
        'restart -- shop-worker.service',
        `restart -- ${units[0]}`,
        `GET /healthz on ${portOf(units[0])} Host shop.example`,
        `restart -- ${units[1]}`,
        `GET /healthz on ${portOf(units[1])} Host shop.example`,
        '',
      ].join('\n'),
    );
    assert.match(r.stdout, new RegExp(`^@@web-restart rolling ${units.join(' ')}$`, 'm'));
    assert.match(r.stdout, new RegExp(`^@@state ${units[1]} active$`, 'm'));

    // One instance: in place, and said so.
    writeFileSync(join(s.appDir, 'v1', '.deployer', 'web-instances'), `restart ${units[0]}\n`);
    const one = await runScriptAsync(
      renderControlScript({ layout: { appDir: s.appDir }, action: 'restart', bases: ['shop-web'], sshUser: 'deploy', waitSec: 2, health }),
      s.bin,
    );
    assert.equal(one.code, 0, one.stdout + one.stderr);
    assert.match(one.stdout, new RegExp(`^@@web-restart in-place ${units[0]}$`, 'm'));
  } finally {
    servers.forEach((srv) => srv.close());
  }
});

test('a rolling restart stops at the first instance that does not come back healthy; the next is never touched', async () => {
  const log = { path: '' };
  const { servers, units } = await webInstances(log, [500, 200]);
  try {
    const s = stubs(Object.fromEntries(units.map((u) => [u, 'active'])));
    log.path = join(s.appDir, 'hits.log');
    writeFileSync(join(s.appDir, 'v1', '.deployer', 'instances'), '');
    writeFileSync(join(s.appDir, 'v1', '.deployer', 'web-instances'), units.map((u) => `restart ${u}\n`).join(''));
    const health = { path: '/healthz', status: 200, host: '' };
    const r = await runScriptAsync(
      renderControlScript({ layout: { appDir: s.appDir }, action: 'restart', bases: ['shop-web'], sshUser: 'deploy', waitSec: 1, health }),
      s.bin,
    );
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(readFileSync(s.log, 'utf8'), `restart -- ${units[0]}\n`);
    assert.match(
      readFileSync(log.path, 'utf8'),
      new RegExp(`^GET /healthz on ${portOf(units[0])} Host 127\\.0\\.0\\.1:${portOf(units[0])}$`, 'm'),
    );
    assert.match(
      r.stdout,
      new RegExp(
        `^@@error ${units[0]} did not answer GET /healthz with 200 on port ${portOf(units[0])} within 1 s \\(last answer: 500\\); the instances after it were not restarted$`,
        'm',
      ),
    );
  } finally {
    servers.forEach((srv) => srv.close());
  }
});

test('control on a host with nothing deployed says so', () => {
  const s = stubs({});
  const r = runScript(
    renderControlScript({
      layout: { appDir: join(s.appDir, 'none') },
      action: 'restart',
      bases: [],
      sshUser: 'deploy',
      waitSec: 1,
      health: NO_PATH,
    }),
    s.bin,
  );
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^@@error nothing is deployed in .*none \(no current release\)$/m);
});

test('status script output parses into unit states with uptime', () => {
  const s = stubs({ 'shop-web@8000.service': 'active', 'shop-web@8001.service': 'failed' });
  const r = runScript(renderStatusScript({ appDir: s.appDir }, ['shop-web']), s.bin);
  assert.equal(r.code, 0, r.stderr);
  const units = parseStatusOutput(r.stdout);
  assert.deepEqual(
    units.map((u) => [u.unit, u.active, u.pid]),
    [
      ['shop-web@8000.service', 'active', 42],
      ['shop-web@8001.service', 'failed', 42],
    ],
  );
  const now = Math.floor(Date.now() / 1000);
  const expected = now - Date.UTC(2024, 0, 1) / 1000;
  assert.ok(Math.abs(units[0].uptimeSec! - expected) < 5, `uptime ${units[0].uptimeSec} vs ${expected}`);
  assert.equal(units[1].uptimeSec, undefined);
});

test('status text: version, URL, one line per unit', () => {
  const text = formatHostStatus({
    host: 'vps1',
    app: 'shop',
    version: '1.2.0',
    release: { version: '1.2.0', status: 'good', time: '2024-05-01T10:00:00.000Z', sha: 'abc', by: 'me@laptop' },
    urls: ['https://shop.example'],
    units: [{ unit: 'shop-web.service', active: 'active', sub: 'running', uptimeSec: 3725, pid: 9 }],
  });
  assert.equal(
    text,
    'vps1: shop 1.2.0 (good, deployed 2024-05-01 10:00:00Z by me@laptop)\n  url: https://shop.example\n  shop-web.service  active (running)      up 1h 2m, pid 9',
  );
  assert.equal(formatHostStatus({ host: 'h', app: 'shop', urls: [], units: [] }), 'h: shop is not deployed');
  assert.equal(formatUptime(59), '59s');
  assert.equal(formatUptime(90061), '1d 1h');
  assert.deepEqual(
    siteUrls(
      makeConfig({
        webserver: { enabled: true, domains: ['shop.example', 'http://shop.localhost'], upstream: '127.0.0.1:8000', statics: {} },
      }),
      makeHost({ domains: ['eu.shop.example'] }),
    ),
    ['https://shop.example', 'http://shop.localhost', 'https://eu.shop.example'],
  );
});

test('cat env: every value redacted, multi-line values too', () => {
  const env = "# Written by deployer\nAPI_TOKEN=s3cret-value\nMULTI='line one\nSNEAKY=line two'\nPLAIN=x\n";
  const out = redactEnvText(env);
  assert.equal(out, 'API_TOKEN=[REDACTED]\nMULTI=[REDACTED]\nPLAIN=[REDACTED]\n');
  assert.doesNotMatch(out, /s3cret|line|SNEAKY/);
  assert.equal(
    joinFiles([
      { path: '/a', text: 'x' },
      { path: '/b', text: 'y\n' },
    ]),
    '# /a\nx\n\n# /b\ny\n',
  );
});

test('a command killed by a signal exits like in a shell', () => {
  assert.equal(signalExitCode('TERM'), 143);
  assert.equal(signalExitCode('KILL'), 137);
  assert.equal(signalExitCode(undefined), 129);
});
