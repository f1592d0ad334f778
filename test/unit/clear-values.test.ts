// Which config values the Redactor keeps in clear: everything deployer.toml
// shows outside the env and [secrets], plus the names and URLs derived from
// the domains.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { clearValues } from '../../src/deploy/clearValues.js';
import { makeConfig, makeHost, makeProcess } from './render-helpers.js';

test('clear values: app, stage, domains with their names and URLs, hosts, commands, hooks and paths; never env or [secrets]', () => {
  const config = makeConfig({
    env: 'SECRET_KEY=top-secret-value',
    releaseCommand: 'python -m mysite migrate',
    hooks: { postDeploy: 'mysite warm-cache' },
    processes: [makeProcess('web', 'gunicorn mysite.wsgi --bind 127.0.0.1:$PORT')],
    webserver: { ...makeConfig().webserver, domains: ['http://mysite.test:8080', '*.mysite.test'], statics: { '/static': 'staticfiles' } },
    hosts: [makeHost({ name: 'web1', address: 'web1.example.net', domains: ['eu.mysite.test'], env: 'TOKEN=host-secret-value' })],
    secrets: { adapter: 'doppler', options: { token: 'adapter-secret-value' } },
  });
  const clear = new Set(clearValues(config));
  for (const v of [
    'hello',
    'hello-production',
    'production',
    'http://mysite.test:8080',
    'mysite.test:8080',
    'mysite.test',
    'https://mysite.test',
    'http://mysite.test:8080/',
    'eu.mysite.test',
    'https://eu.mysite.test/',
    'web1',
    'web1.example.net',
    'deploy',
    'python -m mysite migrate',
    'mysite warm-cache',
    'gunicorn mysite.wsgi --bind 127.0.0.1:$PORT',
    '/static',
    'staticfiles',
  ])
    assert.ok(clear.has(v), `${v} is shown in clear`);
  for (const v of clear) assert.doesNotMatch(v, /secret-value/, `${v}: env and [secrets] values are never kept in clear`);
});
