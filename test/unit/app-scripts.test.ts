// `deployer app …` planned: unit selection, the command lines, and the
// scripts run in a real local bash with stub systemctl/sudo/journalctl, so
// what is emitted is checked by what it does.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { journalUnits, selectUnitBases, unitMatchesBases } from '../../src/app/processUnits.js';
import { logsCommandLine, renderControlScript, renderStatusScript } from '../../src/app/appScripts.js';
import { stubHost, type StubHost } from '../helpers/stubHost.js';
import { formatHostStatus, formatUptime, parseStatusOutput, siteUrls } from '../../src/app/statusView.js';
import { redactEnvText } from '../../src/app/envView.js';
import { joinFiles } from '../../src/app/cat.js';
import { signalExitCode } from '../../src/app/appExec.js';
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
type ControlSpec = Parameters<typeof renderControlScript>[0];

/** The control script of `action` on the stub host's app dir (1 s to come up, no health path unless `over` says). */
const control = (s: { appDir: string }, action: ControlSpec['action'], bases: string[], over: Partial<ControlSpec> = {}) =>
  renderControlScript({ layout: { appDir: s.appDir }, action, bases, sshUser: 'deploy', waitSec: 1, health: NO_PATH, ...over });

/** A stub host (units inactive unless stated; only systemctl's changes logged) with an app dir. */
function stubs(states: Record<string, string>): { host: StubHost; log: string; appDir: string } {
  const host = stubHost({ defaultState: 'inactive', logQueries: false });
  for (const [unit, state] of Object.entries(states)) host.setUnit(unit, { ActiveState: state });
  const d = host.dir;
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
  return { host, log: host.logFile, appDir };
}

test('restart of one process touches only its instances; a socket is started, never restarted', () => {
  const s = stubs({
    'shop-web@8000.service': 'active',
    'shop-web@8001.service': 'active',
    'shop-api.socket': 'active',
    'shop-api.service': 'active',
  });
  let r = s.host.run(control(s, 'restart', ['shop-web']));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(readFileSync(s.log, 'utf8'), 'systemctl restart -- shop-web@8000.service shop-web@8001.service\n');
  assert.match(r.stdout, /^@@state shop-web@8000\.service active$/m);
  assert.doesNotMatch(r.stdout, /shop-web-admin/);
  r = s.host.run(control(s, 'restart', ['shop-api']));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(readFileSync(s.log, 'utf8'), /^systemctl restart -- shop-api\.service\nsystemctl start -- shop-api\.socket\n$/m);
});

test('start reports a unit that does not come up (exit 1, its log lines); stop of everything stops every unit', () => {
  const s = stubs({ 'shop-web-admin.service': 'failed' });
  let r = s.host.run(control(s, 'start', ['shop-web-admin']));
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^@@state shop-web-admin\.service failed$/m);
  assert.match(r.stderr, /shop-web-admin\.service is failed; its last log lines:\njournal lines of the unit/);
  assert.ok(s.host.calls().includes('journalctl --no-pager -o cat -n 10 -u shop-web-admin.service'), s.host.calls().join('\n'));
  r = s.host.run(control(s, 'stop', []));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(
    readFileSync(s.log, 'utf8'),
    /^systemctl stop -- shop-web@8000\.service shop-web@8001\.service shop-web-admin\.service shop-api\.socket shop-api\.service$/m,
  );
});

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
    const r = await s.host.runAsync(control(s, 'restart', [], { waitSec: 2, health }));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(
      readFileSync(s.log, 'utf8'),
      [
        'systemctl restart -- shop-worker.service',
        `systemctl restart -- ${units[0]}`,
        `GET /healthz on ${portOf(units[0])} Host shop.example`,
        `systemctl restart -- ${units[1]}`,
        `GET /healthz on ${portOf(units[1])} Host shop.example`,
        '',
      ].join('\n'),
    );
    assert.match(r.stdout, new RegExp(`^@@web-restart rolling ${units.join(' ')}$`, 'm'));
    assert.match(r.stdout, new RegExp(`^@@state ${units[1]} active$`, 'm'));

    // One instance: in place, and said so.
    writeFileSync(join(s.appDir, 'v1', '.deployer', 'web-instances'), `restart ${units[0]}\n`);
    const one = await s.host.runAsync(control(s, 'restart', ['shop-web'], { waitSec: 2, health }));
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
    const r = await s.host.runAsync(control(s, 'restart', ['shop-web'], { health }));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(readFileSync(s.log, 'utf8'), `systemctl restart -- ${units[0]}\njournalctl --no-pager -o cat -n 10 -u ${units[0]}\n`);
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
  const r = s.host.run(control(s, 'restart', [], { layout: { appDir: join(s.appDir, 'none') } }));
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^@@error nothing is deployed in .*none \(no current release\)$/m);
});

test('status script output parses into unit states with uptime', () => {
  const s = stubs({ 'shop-web@8000.service': 'active', 'shop-web@8001.service': 'failed' });
  const r = s.host.run(renderStatusScript({ appDir: s.appDir }, ['shop-web']));
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
