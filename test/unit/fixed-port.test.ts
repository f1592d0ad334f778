// Finding 4 of issue 18: under blue-green a web command that binds a slot's
// port itself (and never mentions PORT) is refused at config time; the
// bad-config corpus (fixed-port-*.toml) checks the message and its position.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { fixedPortIn } from '../../src/config/rules.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { tempDir } from '../helpers/tmp.js';

function loadText(text: string, stage?: string) {
  const dir = tempDir('fixed-port-');
  writeFileSync(join(dir, 'deployer.toml'), text);
  return loadConfig({ cwd: dir, stage, home: '/home/tester' });
}

const SLOTS = [8000, 8001];

test('fixed ports in the forms servers take them are found, with the command rewritten to $PORT', () => {
  const cases: Array<[string, number, string, string]> = [
    ['gunicorn app.wsgi --bind 127.0.0.1:8000', 8000, '127.0.0.1:8000', 'gunicorn app.wsgi --bind 127.0.0.1:$PORT'],
    ['gunicorn app.wsgi -b 127.0.0.1:8001 -w 2', 8001, '127.0.0.1:8001', 'gunicorn app.wsgi -b 127.0.0.1:$PORT -w 2'],
    ['uvicorn app:app --host 127.0.0.1 --port 8000', 8000, '--port 8000', 'uvicorn app:app --host 127.0.0.1 --port $PORT'],
    ['uvicorn app:app --port=8000', 8000, '--port=8000', 'uvicorn app:app --port=$PORT'],
    ['busybox httpd -f -p 8001', 8001, '-p 8001', 'busybox httpd -f -p $PORT'],
    ['app -p8000', 8000, '-p8000', 'app -p$PORT'],
    [
      'waitress-serve --listen="127.0.0.1:8000" app:app',
      8000,
      '--listen="127.0.0.1:8000"',
      'waitress-serve --listen="127.0.0.1:$PORT" app:app',
    ],
    ['webfsd -F -p 8000 -r /srv', 8000, '-p 8000', 'webfsd -F -p $PORT -r /srv'],
    ['uwsgi --http :8000', 8000, ':8000', 'uwsgi --http :$PORT'],
  ];
  for (const [command, port, word, fixed] of cases) assert.deepEqual(fixedPortIn(command, SLOTS), { port, word, fixed }, command);
});

test('a command that mentions PORT, binds another port, or has a number that is no address passes', () => {
  for (const command of [
    'gunicorn app.wsgi --bind 127.0.0.1:$PORT',
    'gunicorn app.wsgi --bind 127.0.0.1:${PORT}',
    'sh -c "exec app --port ${PORT:-8000}"',
    'gunicorn app.wsgi --bind 127.0.0.1:9000',
    'gunicorn app.wsgi --timeout 8000 --max-requests 8001',
    'hello-app',
    'app --metrics-port 9100',
  ])
    assert.equal(fixedPortIn(command, SLOTS), undefined, command);
  assert.equal(fixedPortIn('app --db-port 8000', SLOTS)?.port, 8000, 'an option named *port takes a port');
  assert.equal(fixedPortIn('app $DB_PORT --port 8000', SLOTS)?.port, 8000, 'DB_PORT is not PORT');
});

const base = (top = '') => `app = "shop"
distfile = "dist/shop.whl"
installation_mode = "python-package"
${top}
[[hosts]]
address = "10.0.0.1"
`;

test('strategy = "restart", a socket or a unix upstream run one copy: a fixed port is theirs to choose', () => {
  const web = 'web = "gunicorn shop.wsgi --bind 127.0.0.1:8000"';
  assert.equal(loadText(`${base('strategy = "restart"')}[processes]\n${web}\n`).strategy, 'restart');
  const staged = `${base()}[processes]\n${web}\n[stages.dev]\nstrategy = "restart"\n`;
  assert.equal(loadText(staged, 'dev').strategy, 'restart', 'a stage that restarts may bind its port');
  assert.throws(() => loadText(staged), /fixed port 8000/, 'the base config, deployed without --stage, may not');
  loadText(
    `${base('strategy = "restart"')}[processes]\n${web}\n[stages.dev]\nprocesses.web = "gunicorn shop.wsgi --bind 127.0.0.1:$PORT"\n`,
    'dev',
  );
  loadText(`${base()}[processes]\nweb = "gunicorn shop.wsgi --bind unix:/run/shop.sock"\n[webserver]\nupstream = "unix//run/shop.sock"\n`);
  // The default upstream is 127.0.0.1:8000, so 8002 (slot a with replicas = 2) is a slot port, 8004 is not.
  assert.throws(() => loadText(`${base()}[processes]\nweb = { command = "app --port 8002", replicas = 2 }\n`), /fixed port 8002/);
  loadText(`${base()}[processes]\nweb = { command = "app --port 8004", replicas = 2 }\n`);
});
