// The blue-green functions of remote/web.sh, run in a real bash with stubbed
// sudo, systemctl, journalctl and systemd-run (each logs its argv), against
// a real HTTP server on loopback standing in for the new instances.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { mkdirSync, readlinkSync, writeFileSync, existsSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { readRemoteScript } from '../../src/remote/scriptFiles.js';
import { bashWords, stubHost, type BashResult, type StubHost } from '../helpers/stubHost.js';

function bash(stub: StubHost, call: string[], prelude = ''): Promise<BashResult> {
  return stub.runAsync(`${readRemoteScript('phase.sh')}\n${readRemoteScript('web.sh')}\n${prelude}\n${bashWords(call)}\n`);
}

async function server(status: () => number): Promise<{ server: Server; port: number; hosts: string[] }> {
  const hosts: string[] = [];
  const s = createServer((req, res) => {
    hosts.push(`${req.url} ${req.headers.host}`);
    res.statusCode = status();
    res.end('x');
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { server: s, port: (s.address() as AddressInfo).port, hosts };
}

test('dp_web_start links each port to the release, cancels a pending drain, starts the instances', async () => {
  const stub = stubHost();
  const app = join(stub.dir, 'app dir');
  mkdirSync(join(app, '.web'), { recursive: true });
  symlinkSync('../v1.0.0', join(app, '.web', '8002')); // an instance left over from an earlier deploy
  const r = await bash(
    stub,
    ['dp_web_start', app, 'v1.2.3', 'hello-web-drain', 'hello-web@8002.service', '8002', 'hello-web@8003.service', '8003'],
    `export DP_TEST_LINK=${bashWords([join(app, '.web', '8002')])}`,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readlinkSync(join(app, '.web', '8002')), '../v1.2.3');
  assert.equal(readlinkSync(join(app, '.web', '8003')), '../v1.2.3');
  const log = stub.calls();
  // One call stops a pending drain and any leftover instance of the slot, before the links change and the instances start.
  const stop = log.indexOf('systemctl stop -- hello-web-drain.timer hello-web-drain.service hello-web@8002.service hello-web@8003.service');
  assert.ok(stop >= 0 && stop < log.indexOf('systemctl start -- hello-web@8002.service hello-web@8003.service'), log.join('\n'));
  assert.equal(log[stop + 1], 'link at stop: ../v1.0.0', 'a leftover instance is stopped before its link changes');
  assert.ok(!existsSync(join(app, '.web', '8002.next')));
  assert.match(r.stdout, /^@@web-started hello-web@8002\.service hello-web@8003\.service$/m);
});

test("dp_web_gate passes once every instance answers its health check with the site's Host header", async () => {
  const stub = stubHost();
  let n = 0;
  const s = await server(() => (++n < 3 ? 503 : 200)); // warming up, then healthy
  try {
    const r = await bash(stub, [
      'dp_web_gate',
      '5000',
      '200',
      '/healthz',
      '200',
      'shop.example.com',
      'hello-web@8002.service',
      String(s.port),
    ]);
    assert.equal(r.code, 0, r.stderr);
    // FIRST_MS STABLE_MS UNIT: the stable window (200 ms here) is part of the account.
    const healthy = /^@@web-healthy (\d+) (\d+) hello-web@8002\.service$/m.exec(r.stdout);
    assert.ok(healthy && Number(healthy[2]) >= 200, r.stdout);
    assert.ok(s.hosts.length >= 3);
    assert.deepEqual([...new Set(s.hosts)], ['/healthz shop.example.com']);
  } finally {
    s.server.close();
  }
});

test('dp_web_gate fails at its timeout when the check keeps answering the wrong status, naming it', async () => {
  const stub = stubHost();
  const s = await server(() => 500);
  try {
    const t0 = Date.now();
    const r = await bash(stub, ['dp_web_gate', '800', '100', '/healthz', '200', 'h', 'hello-web@8002.service', String(s.port)]);
    assert.equal(r.code, 1);
    assert.ok(Date.now() - t0 < 5000);
    assert.match(r.stderr, new RegExp(`GET /healthz on port ${s.port} answered 500, expected 200`));
    assert.match(r.stdout, /@@unit-failed timeout/);
  } finally {
    s.server.close();
  }
});

test('dp_web_gate fails when an instance restarts after its first good answer, inside the stability window', async () => {
  const stub = stubHost();
  // The app answers once, then crashes and systemd restarts it (NRestarts goes up).
  const s = await server(() => {
    stub.setUnit('hello-web@8002.service', { ActiveState: 'active', NRestarts: 1 });
    return 200;
  });
  try {
    const r = await bash(stub, [
      'dp_web_gate',
      '5000',
      '1000',
      '/healthz',
      '200',
      'shop.example.com',
      'hello-web@8002.service',
      String(s.port),
    ]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /^@@unit-failed hello-web@8002\.service$/m);
    assert.doesNotMatch(r.stdout, /@@web-healthy/);
    assert.match(r.stderr, /restarted 1 times/);
  } finally {
    s.server.close();
  }
});

test('dp_web_gate fails at once when an instance has failed, with its journal', async () => {
  const stub = stubHost();
  stub.setUnit('hello-web@8002.service', { ActiveState: 'failed' });
  const t0 = Date.now();
  const r = await bash(stub, ['dp_web_gate', '20000', '100', '/healthz', '200', 'h', 'hello-web@8002.service', '1']);
  assert.equal(r.code, 1);
  assert.ok(Date.now() - t0 < 5000, 'not waiting for the timeout');
  assert.match(r.stdout, /@@unit-failed hello-web@8002\.service/);
  assert.match(r.stderr, /journal lines of the unit/);
});

test('dp_web_gate without a health path: any HTTP answer will do; nothing listening is a failure', async () => {
  const stub = stubHost();
  const s = await server(() => 404);
  try {
    const ok = await bash(stub, ['dp_web_gate', '3000', '100', '', '200', 'h', 'hello-web@8002.service', String(s.port)]);
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    s.server.close();
  }
  const closed = await bash(stub, ['dp_web_gate', '500', '100', '', '200', 'h', 'hello-web@8002.service', String(s.port)]);
  assert.equal(closed.code, 1);
  assert.match(closed.stderr, /answered nothing/);
});

// Issue 18, finding 3: a failed gate says what the instance listens on instead.
// The listener is real (this test's own HTTP server, read from /proc); only
// the unit's cgroup is stubbed (dp_unit_pids names this process).
test('dp_web_gate at its timeout names what the failing instance listens on instead of its port', async () => {
  const stub = stubHost();
  const s = await server(() => 200);
  try {
    const pids = `dp_unit_pids() { [ "$1" = pulse-web@8001.service ] && echo ${process.pid}; return 0; }`;
    const r = await bash(stub, ['dp_web_gate', '300', '100', '/healthz', '200', 'h', 'pulse-web@8001.service', '1'], pids);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`^@@web-listens pulse-web@8001\\.service 1 (.* )?127\\.0\\.0\\.1:${s.port}( |$)`, 'm'));
    assert.match(r.stderr, new RegExp(`^pulse-web@8001\\.service listens on (.*, )?127\\.0\\.0\\.1:${s.port}(, .*)?, not 1$`, 'm'));
    assert.doesNotMatch(r.stdout, /@@web-addr-in-use/);
    // An instance that does listen on its port (it answers the wrong status, say) gets no @@web-listens.
    const own = await bash(stub, ['dp_web_listens', 'pulse-web@8001.service', String(s.port)], pids);
    assert.doesNotMatch(own.stdout, /@@web-listens/);
  } finally {
    s.server.close();
  }
});

test('dp_web_gate: an instance that listens on nothing, or that died on "address already in use", is said so', async () => {
  const stub = stubHost();
  // The script's own bash: a process with no listening socket.
  const none = await bash(
    stub,
    ['dp_web_gate', '300', '100', '/healthz', '200', 'h', 'pulse-web@8001.service', '1'],
    'dp_unit_pids() { echo $$; }',
  );
  assert.match(none.stdout, /^@@web-listens pulse-web@8001\.service 1 $/m);
  assert.match(none.stderr, /listens on no TCP port, not 1/);
  // It crashed: the gate ends at once, and the log names the cause.
  writeFileSync(join(stub.dir, 'journal'), "[ERROR] Connection in use: ('127.0.0.1', 8000)\n[Errno 98] Address already in use\n");
  stub.setUnit('pulse-web@8001.service', { ActiveState: 'failed', NRestarts: 2 });
  const dead = await bash(
    stub,
    ['dp_web_gate', '20000', '100', '/healthz', '200', 'h', 'pulse-web@8001.service', '1'],
    'dp_unit_pids() { :; }',
  );
  assert.equal(dead.code, 1);
  assert.match(dead.stdout, /^@@web-addr-in-use pulse-web@8001\.service$/m);
  assert.doesNotMatch(dead.stdout, /@@web-listens/, 'no processes: nothing to say about listeners');
});

test('dp_hex_addr reads /proc/net/tcp and tcp6 addresses', async () => {
  const stub = stubHost();
  const r = await bash(
    stub,
    [
      'bash',
      '-c',
      'for a in 0100007F:1F40 00000000:1F41 00000000000000000000000001000000:1F42 00000000000000000000000000000000:0050 B80D0120000000000000000001000000:01BB; do dp_hex_addr "$a"; done',
    ],
    'export -f dp_hex_addr',
  );
  assert.deepEqual(r.stdout.trim().split('\n'), ['127.0.0.1:8000', '0.0.0.0:8001', '[::1]:8002', '[::]:80', '[2001:db8:0:0:0:0:0:1]:443']);
});

test("dp_web_commit enables the new slot, and schedules the old one's stop after the drain", async () => {
  const stub = stubHost();
  const r = await bash(stub, [
    'dp_web_commit',
    'hello-web-drain',
    '10',
    'hello-web@8002.service',
    '--',
    'hello-web@8000.service',
    'hello-web.service',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const log = stub.calls();
  assert.ok(log.includes('systemctl enable --no-reload --quiet -- hello-web@8002.service'), log.join('\n'));
  assert.ok(log.includes('systemctl disable --no-reload --quiet -- hello-web@8000.service hello-web.service'));
  assert.ok(
    log.includes(
      'systemd-run --quiet --unit=hello-web-drain --on-active=10s --timer-property=AccuracySec=100ms -- systemctl stop -- hello-web@8000.service hello-web.service',
    ),
    log.join('\n'),
  );
  assert.ok(!log.some((l) => /^systemctl stop .*hello-web@8000/.test(l)), 'not stopped before the drain');

  const now = stubHost();
  const r0 = await bash(now, ['dp_web_commit', 'hello-web-drain', '0', 'hello-web@8002.service', '--', 'hello-web@8000.service']);
  assert.equal(r0.code, 0, r0.stderr);
  assert.ok(now.calls().includes('systemctl stop --no-block -- hello-web@8000.service'), now.calls().join('\n'));
});

test('dp_web_commit retires the old units it is given, and only names a running instance of the template it was not given', async () => {
  const stub = stubHost();
  // Replicas 3 -> 1: the plan passes the strays the probe saw (8003, 8005); 8007 started after the probe.
  writeFileSync(
    join(stub.dir, 'list-units'),
    [
      'hello-web@8000.service loaded active running hello web',
      'hello-web@8001.service loaded active running hello web',
      'hello-web@8003.service loaded active running hello web',
      'hello-web@8005.service loaded active running hello web',
      'hello-web@8007.service loaded active running hello web',
    ].join('\n') + '\n',
  );
  const r = await bash(stub, [
    'dp_web_commit',
    'hello-web-drain',
    '5',
    'hello-web@8000.service',
    '--',
    'hello-web@8001.service',
    'hello-web@8003.service',
    'hello-web@8005.service',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const log = stub.calls();
  assert.ok(log.includes('systemctl list-units --plain --no-legend -- hello-web@*.service'), log.join('\n'));
  assert.ok(
    log.includes(
      'systemd-run --quiet --unit=hello-web-drain --on-active=5s --timer-property=AccuracySec=100ms -- systemctl stop -- hello-web@8001.service hello-web@8003.service hello-web@8005.service',
    ),
    log.join('\n'),
  );
  assert.match(r.stdout, /^@@web-retired hello-web@8001\.service hello-web@8003\.service hello-web@8005\.service$/m);
  assert.match(r.stdout, /^@@warn hello-web@8007\.service runs, and it was not there when deployer looked at the host/m);
  assert.ok(!log.some((l) => l.includes('hello-web@8007')), 'not stopped nor disabled');
});

test('dp_web_start stops the stale units after -- with the pending drain; none of them is a slot instance', async () => {
  const stub = stubHost();
  const app = join(stub.dir, 'app');
  mkdirSync(app);
  const r = await bash(stub, ['dp_web_start', app, 'v2', 'hello-web-drain', 'hello-web@8000.service', '8000', '--', 'hello-web.service']);
  assert.equal(r.code, 0, r.stderr);
  const log = stub.calls();
  assert.equal(
    log[0],
    'systemctl stop -- hello-web-drain.timer hello-web-drain.service hello-web@8000.service hello-web.service',
    log.join('\n'),
  );
  assert.ok(log.includes('systemctl start -- hello-web@8000.service'), log.join('\n'));
  assert.equal(readlinkSync(join(app, '.web', '8000')), '../v2');
  assert.ok(!existsSync(join(app, '.web', '--')) && !existsSync(join(app, '.web', 'hello-web.service')));
  assert.match(r.stdout, /^@@web-started hello-web@8000\.service$/m);
});

test('dp_retire_unit disables the restart-era web unit and removes its file without stopping it (the drain does)', async () => {
  const stub = stubHost();
  const unitDir = join(stub.dir, 'units');
  mkdirSync(unitDir);
  writeFileSync(join(unitDir, 'hello-web.service'), '[Service]\n');
  const r = await bash(stub, ['dp_retire_unit', unitDir, 'hello-web.service']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(existsSync(join(unitDir, 'hello-web.service')), false);
  assert.deepEqual(stub.calls(), ['systemctl disable --no-reload --quiet -- hello-web.service']);
  assert.match(r.stdout, /^@@unit-removed hello-web\.service$/m);
});

test('dp_heal_units resets failed units, then starts them (running ones are left alone by start)', async () => {
  const stub = stubHost();
  const r = await bash(stub, ['dp_heal_units', 'hello-web@8001.service', 'hello-worker.service']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(stub.calls(), [
    'systemctl reset-failed -- hello-web@8001.service hello-worker.service',
    'systemctl start -- hello-web@8001.service hello-worker.service',
  ]);
  assert.match(r.stdout, /^@@restarted hello-web@8001\.service hello-worker\.service$/m);
});

test('dp_web_start refuses a slot port another process listens on (the gate would take it for the new instance), changing no link', async () => {
  const stub = stubHost();
  const app = join(stub.dir, 'app');
  mkdirSync(join(app, '.web'), { recursive: true });
  symlinkSync('../v1.0.0', join(app, '.web', '8002'));
  const s = await server(() => 200); // a stray process on the port
  try {
    const r = await bash(stub, ['dp_web_start', app, 'v1.2.3', 'hello-web-drain', `hello-web@${s.port}.service`, String(s.port)]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, new RegExp(`port ${s.port}, where deployer starts hello-web@${s.port}, is taken by another process`));
    assert.ok(!stub.calls().some((l) => l.startsWith('systemctl start')), stub.calls().join('\n'));
    assert.equal(existsSync(join(app, '.web', String(s.port))), false, 'no link for the port');
    assert.equal(existsSync(join(app, '.web', `${s.port}.next`)), false, 'nor a half-made one');
    assert.doesNotMatch(r.stdout, /@@web-started/);
  } finally {
    s.server.close();
  }
});

test("dp_caddy_load POSTs the Caddyfile to Caddy's admin API: 200 loaded, 400 refused with Caddy's reason, no listener or another answer left to systemctl", async () => {
  const stub = stubHost();
  const caddyfile = join(stub.dir, 'Caddyfile');
  const text = '# héllo\nimport /etc/caddy/sites/*.caddy\n';
  writeFileSync(caddyfile, text);
  const seen: Array<{ method?: string; url?: string; headers: Record<string, unknown>; body: string }> = [];
  let status = 200;
  const s = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.statusCode = status;
      res.end(status === 400 ? '{"error":"adapting config using caddyfile: unknown directive: reverse_proxxy"}' : '');
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = String((s.address() as AddressInfo).port);
  try {
    let r = await bash(stub, ['dp_caddy_load', '127.0.0.1', port, caddyfile]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].method, 'POST');
    assert.equal(seen[0].url, '/load');
    assert.equal(seen[0].headers['content-type'], 'text/caddyfile');
    assert.equal(seen[0].headers['cache-control'], 'must-revalidate');
    assert.equal(seen[0].headers.host, `localhost:${port}`);
    assert.equal(seen[0].body, text.trimEnd());
    status = 400;
    r = await bash(stub, ['dp_caddy_load', '127.0.0.1', port, caddyfile]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Caddy refused the new config:[\s\S]*unknown directive: reverse_proxxy/);
    status = 404; // not Caddy's admin API
    r = await bash(stub, ['dp_caddy_load', '127.0.0.1', port, caddyfile]);
    assert.equal(r.code, 2);
  } finally {
    s.close();
  }
  // Nothing listens: 2, and not a word on stderr.
  const free = createServer();
  await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
  const closed = String((free.address() as AddressInfo).port);
  await new Promise((r) => free.close(r));
  const r = await bash(stub, ['dp_caddy_load', '127.0.0.1', closed, caddyfile]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, '');
});

test('dp_reload_caddy reloads the way the plan says: the admin API (never systemctl when it no longer answers), or systemctl', async () => {
  for (const [load, code] of [
    [0, 0],
    [1, 1],
    [2, 1],
  ] as const) {
    const stub = stubHost();
    const r = await bash(stub, [
      'eval',
      `dp_caddy_load() { echo "load $*" >&2; return ${load}; }; dp_reload_caddy /etc/caddy/Caddyfile admin-api 127.0.0.1:2019`,
    ]);
    assert.equal(r.code, code, `load ${load}: ${r.stderr}`);
    assert.match(r.stderr, /^load 127\.0\.0\.1 2019 \/etc\/caddy\/Caddyfile$/m);
    assert.equal(stub.calls().includes('systemctl reload caddy'), false, `load ${load}: ${stub.calls().join('\n')}`);
    assert.equal(/^@@caddy-reload$/m.test(r.stdout), code === 0);
    if (load === 2) assert.match(r.stderr, /admin API on 127\.0\.0\.1:2019 no longer answers as it did when deployer looked at the host/);
  }
  const stub = stubHost();
  let r = await bash(stub, ['eval', 'dp_caddy_load() { echo called >&2; }; dp_reload_caddy /etc/caddy/Caddyfile systemctl']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(stub.calls(), ['systemctl reload caddy']);
  assert.doesNotMatch(r.stderr, /called/);
  assert.match(r.stdout, /^@@caddy-reload$/m);
  r = await bash(stub, ['dp_reload_caddy', '/etc/caddy/Caddyfile']);
  assert.equal(r.code, 1, 'no way given: no reload');
});

test('dp_wait_units (phase.sh): one systemctl call per poll for all units; stable units pass, a restart or a failure ends the wait at once', async () => {
  const stub = stubHost();
  let r = await bash(stub, ['dp_wait_units', '5000', '300', 'a.service', 'b.service']);
  assert.equal(r.code, 0, r.stderr);
  const shows = stub.calls().filter((l) => l.startsWith('systemctl show'));
  assert.ok(shows.length >= 2, shows.join('\n'));
  assert.ok(
    shows.every((l) => l === 'systemctl show -p ActiveState -p NRestarts -- a.service b.service'),
    shows.join('\n'),
  );
  // b restarts while the wait runs (its NRestarts goes up): it fails naming b, well before the timeout.
  const stub2 = stubHost();
  // Once the wait has read the counts it compares against (its first systemctl call is over when the second starts), b restarts.
  const restart = setInterval(() => {
    if (stub2.calls().filter((l) => l.startsWith('systemctl show')).length >= 2) {
      clearInterval(restart);
      stub2.setUnit('b.service', { ActiveState: 'active', NRestarts: 1 });
    }
  }, 20);
  const t = Date.now();
  r = await bash(stub2, ['dp_wait_units', '20000', '10000', 'a.service', 'b.service']);
  clearInterval(restart);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^@@unit-failed b\.service$/m);
  assert.match(r.stderr, /b\.service is active \(restarted 1 times\)/);
  assert.ok(Date.now() - t < 5000, `${Date.now() - t} ms`);
  const stub3 = stubHost();
  stub3.setUnit('a.service', { ActiveState: 'failed' });
  r = await bash(stub3, ['dp_wait_units', '20000', '1000', 'a.service', 'b.service']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^@@unit-failed a\.service$/m);
});
