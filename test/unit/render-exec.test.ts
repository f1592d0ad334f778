// ExecStart resolution, names, upstreams and the process checks of buildViews.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import {
  buildViews,
  caddySitePath,
  renderExecStart,
  resolveProgram,
  shellLikeVariables,
  splitCommand,
  unitBaseName,
  upstreamAddresses,
} from '../../src/render/index.js';
import { makeConfig, makeHost, makeProcess } from './render-helpers.js';

const python = makeConfig();
const binary = makeConfig({ installationMode: 'binary', distfile: 'dist/hello-bin-{version}' });

test('splitCommand separates the first word, quoted or not', () => {
  assert.deepEqual(splitCommand('  hello-app --port 80 '), { program: 'hello-app', rest: '--port 80' });
  assert.deepEqual(splitCommand('"my prog" -x "a b"'), { program: 'my prog', rest: '-x "a b"' });
  assert.deepEqual(splitCommand('gunicorn'), { program: 'gunicorn', rest: '' });
  assert.throws(() => splitCommand('   '), ConfigError);
  assert.throws(() => splitCommand('"open'), ConfigError);
});

test('python mode: programs come from the stable venv link', () => {
  assert.equal(resolveProgram(python, 'gunicorn'), '/srv/deployer/hello-production/.venv/bin/gunicorn');
  assert.equal(resolveProgram(python, '/usr/bin/env'), '/usr/bin/env');
  assert.equal(resolveProgram(python, './bin/run'), '/srv/deployer/hello-production/current/bin/run');
});

test('binary mode: app_binary or the artifact name means the stable binary link', () => {
  assert.equal(resolveProgram(binary, 'app_binary'), '/srv/deployer/hello-production/app_binary');
  assert.equal(resolveProgram(binary, 'hello-bin'), '/srv/deployer/hello-production/app_binary');
  assert.equal(resolveProgram(binary, 'hello-bin-'), '/srv/deployer/hello-production/app_binary');
  assert.equal(resolveProgram(binary, 'sh'), 'sh', 'other programs are left to systemd');
  const plain = makeConfig({ installationMode: 'binary', distfile: 'dist/hello-bin' });
  assert.equal(resolveProgram(plain, 'hello-bin'), '/srv/deployer/hello-production/app_binary');
});

test('binary mode: the app name also means the binary, and the word written stays argv[0] (systemd "@")', () => {
  assert.equal(resolveProgram(binary, 'hello'), '/srv/deployer/hello-production/app_binary', 'the app name');
  assert.equal(resolveProgram(binary, 'hello-production'), '/srv/deployer/hello-production/app_binary', 'the app name with its stage');
  assert.equal(resolveProgram(python, 'hello'), '/srv/deployer/hello-production/.venv/bin/hello', 'python mode is unchanged');
  assert.equal(renderExecStart(binary, 'hello --port 8000'), '@/srv/deployer/hello-production/app_binary hello --port 8000');
  const busybox = makeConfig({ installationMode: 'binary', distfile: 'dist/busybox' });
  assert.equal(
    renderExecStart(busybox, 'busybox httpd -f -p 127.0.0.1:8000'),
    '@/srv/deployer/hello-production/app_binary busybox httpd -f -p 127.0.0.1:8000',
  );
  assert.equal(renderExecStart(busybox, 'sh -c true'), 'sh -c true', 'other programs get no "@"');
});

test('renderExecStart keeps the arguments as written, doubling %', () => {
  assert.equal(
    renderExecStart(python, 'gunicorn hello.wsgi -b 127.0.0.1:${PORT} --log "a b"'),
    '/srv/deployer/hello-production/.venv/bin/gunicorn hello.wsgi -b 127.0.0.1:${PORT} --log "a b"',
  );
  assert.equal(
    renderExecStart(binary, "app_binary --fmt '%d items'"),
    "@/srv/deployer/hello-production/app_binary app_binary --fmt '%%d items'",
  );
  assert.throws(() => renderExecStart(python, 'a\nb'), ConfigError);
});

// systemd expands `${NAME}` anywhere but `$NAME` only as a word of its own
// (systemd.service(5)), so the arguments are rewritten for a shell-like result.
test('$NAME inside a word becomes ${NAME}, which systemd expands there too (gunicorn, uvicorn, a word of its own)', () => {
  const gunicorn = 'gunicorn mysite.wsgi --bind 127.0.0.1:$PORT --workers 2';
  assert.equal(
    renderExecStart(python, gunicorn),
    '/srv/deployer/hello-production/.venv/bin/gunicorn mysite.wsgi --bind 127.0.0.1:${PORT} --workers 2',
  );
  assert.equal(shellLikeVariables('--host 127.0.0.1 --port $PORT'), '--host 127.0.0.1 --port $PORT', 'a word of its own stays');
  assert.equal(shellLikeVariables('$PORT'), '$PORT');
  assert.equal(shellLikeVariables('-b 127.0.0.1:${PORT}'), '-b 127.0.0.1:${PORT}', 'the braced form stays');
  assert.equal(shellLikeVariables('--port=$PORT --url=http://$HOST:$PORT/x'), '--port=${PORT} --url=http://${HOST}:${PORT}/x');
  assert.equal(shellLikeVariables('$PORT. $A$B $PORT'), '${PORT}. ${A}${B} $PORT');
  assert.equal(shellLikeVariables('-p\t$PORT\t'), '-p\t$PORT\t', 'tabs separate words too');
});

test('quoting: "…" keeps the value whole, \'…\' keeps $ literal, $$ and \\$ are a literal $', () => {
  assert.equal(shellLikeVariables('"$PORT"'), '"${PORT}"', 'double quotes: one piece, never split');
  assert.equal(shellLikeVariables('--msg "port $PORT of ${HOST}"'), '--msg "port ${PORT} of ${HOST}"');
  assert.equal(
    shellLikeVariables("sh -c 'exec app --port $PORT ${X}'"),
    "sh -c 'exec app --port $$PORT $${X}'",
    'single quotes: for the program to expand',
  );
  assert.equal(shellLikeVariables("'$$'"), "'$$$$'", 'two literal dollars in single quotes');
  assert.equal(shellLikeVariables('--price $$5 --tag \\$HOME'), '--price $$5 --tag $$HOME');
  assert.equal(shellLikeVariables('\\"$PORT'), '\\"${PORT}', 'an escaped quote opens nothing');
  assert.equal(shellLikeVariables('a$ $1 ${ $'), 'a$$ $$1 $${ $$', 'a $ before no name is literal');
  assert.equal(shellLikeVariables('${PORT:-8000}'), '${PORT:-8000}', "anything in braces is systemd's");
  // % is doubled after the rewrite, and the program word is left alone.
  assert.equal(renderExecStart(python, 'app --fmt %d:$PORT'), '/srv/deployer/hello-production/.venv/bin/app --fmt %%d:${PORT}');
});

test('unit and site names follow appName (which carries the stage)', () => {
  assert.equal(unitBaseName(python, 'web'), 'hello-production-web');
  assert.equal(unitBaseName(python, makeProcess('worker', 'x')), 'hello-production-worker');
  assert.equal(caddySitePath(makeConfig({ appName: 'hello', stage: undefined, appsDir: '/opt/apps/' })), '/etc/caddy/sites/hello.caddy');
});

test('upstreams: one address per web replica, unix sockets as Caddy spells them', () => {
  assert.deepEqual(upstreamAddresses('127.0.0.1:9000', 9000, 2), ['127.0.0.1:9000', '127.0.0.1:9001']);
  assert.deepEqual(upstreamAddresses('localhost:9000', undefined, 1), ['localhost:9000']);
  assert.deepEqual(upstreamAddresses('unix//run/hello.sock', undefined, 1), ['unix//run/hello.sock']);
  assert.throws(() => upstreamAddresses('unix//run/hello.sock', undefined, 2), ConfigError);
});

test('buildViews refuses process combinations systemd cannot express', () => {
  const bad = [
    makeProcess('web', 'x', { timer: 'daily' }),
    makeProcess('job', 'x', { timer: 'daily', replicas: 2 }),
    makeProcess('job', 'x', { timer: 'daily', socket: true }),
    makeProcess('worker', 'x', { socket: true }),
    makeProcess('web', 'x', { socket: true, replicas: 2 }),
    makeProcess('worker', 'x', { replicas: 0 }),
  ];
  for (const p of bad) {
    assert.throws(
      () => buildViews(makeConfig({ processes: [p] }), makeHost()),
      (err: unknown) => err instanceof ConfigError && err.message.startsWith(`processes.${p.name}:`),
      JSON.stringify(p),
    );
  }
});

test('web replicas need a port', () => {
  const config = makeConfig({
    processes: [makeProcess('web', 'x', { replicas: 2 })],
    webserver: { enabled: false, domains: [], upstream: 'unix//run/x.sock', statics: {} },
  });
  assert.throws(() => buildViews(config, makeHost()), /has no port/);
});

test('a socket-activated web process listens on the upstream socket', () => {
  const config = makeConfig({
    processes: [makeProcess('web', 'x', { socket: true })],
    webserver: { enabled: true, domains: [], upstream: 'unix//run/hello.sock', statics: {} },
  });
  const views = buildViews(config, makeHost());
  assert.equal(views.units.find((u) => u.name === 'hello-production-web.socket')?.view.listen, '/run/hello.sock');
  assert.deepEqual(views.caddy?.view.upstreams, ['unix//run/hello.sock']);
  assert.equal(views.units[0].view.port, null);
});
