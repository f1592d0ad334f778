// Issue 18, finding 3: a failed blue-green gate says why, joining what the
// host saw (remote/web.sh's @@web-listens / @@web-addr-in-use) with the cause
// the config shows. Env values never appear, only their names.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { explainGate } from '../../src/deploy/gateWhy.js';
import { parseMarkers } from '../../src/remote/protocol.js';

const markers = (text: string) => parseMarkers(text);

test('a fixed port in the command: the instance, what it listens on, and the command rewritten with $PORT', () => {
  const why = explainGate(markers('@@web-listens pulse-web@8001.service 8001 127.0.0.1:8000\n'), {
    command: 'gunicorn pulse.wsgi --bind 127.0.0.1:8000',
    env: [],
  });
  assert.deepEqual(why, [
    'pulse-web@8001.service listens on 127.0.0.1:8000, not 8001: the web command binds port 8000 itself ("127.0.0.1:8000"); use $PORT: "gunicorn pulse.wsgi --bind 127.0.0.1:$PORT"',
  ]);
});

test('a port from the env: PORT, or another variable by name only', () => {
  const env = [
    { key: 'PORT', value: '8000' },
    { key: 'GUNICORN_CMD_ARGS', value: '--bind 127.0.0.1:8000 --secret-ish-s3cr3t' },
    { key: 'WORKERS', value: '18000' },
  ];
  const [why] = explainGate(markers('@@web-listens pulse-web@8003.service 8003 127.0.0.1:8000 [::1]:8000\n'), {
    command: 'gunicorn pulse.wsgi',
    env,
  });
  assert.equal(
    why,
    "pulse-web@8003.service listens on 127.0.0.1:8000, [::1]:8000, not 8003: the env sets PORT to 8000; remove PORT from env; the env's GUNICORN_CMD_ARGS names port 8000; bind $PORT in the web command instead",
  );
  assert.doesNotMatch(why, /s3cr3t/);
});

test('no listener, "address already in use", and nothing at all', () => {
  const command = 'hello-app --listen 127.0.0.1:8000';
  assert.deepEqual(
    explainGate(markers('@@web-listens a@8001.service 8001 \n@@web-addr-in-use a@8001.service\n@@unit-failed a@8001.service\n'), {
      command,
      env: [],
    }),
    [
      'a@8001.service listens on no TCP port, not 8001',
      'a@8001.service\'s log says "address already in use": another process holds the port it binds: the web command binds port 8000 itself ("127.0.0.1:8000"); use $PORT',
    ],
  );
  assert.deepEqual(explainGate(markers('@@unit-failed timeout\n'), { command, env: [] }), []);
  assert.deepEqual(
    explainGate(markers('@@web-listens a@8001.service 8001 127.0.0.1:9000\n'), { command: 'hello-app', env: [] }),
    ['a@8001.service listens on 127.0.0.1:9000, not 8001'],
    'no visible cause: only what the host saw',
  );
});
