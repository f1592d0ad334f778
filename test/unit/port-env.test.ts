// Finding 2 of issue 18: a PORT in env must never override the instance's
// PORT (systemd's EnvironmentFile= wins over Environment=). deployer leaves it
// out of every .env and .appenv it writes, and says so once per deploy.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { buildReleaseFiles, portInEnvWarning, withoutPort } from '../../src/deploy/releaseFiles.js';
import { Redactor } from '../../src/output/redact.js';
import { makeConfig, makeHost } from './render-helpers.js';

const ENTRIES = [
  { key: 'PORT', value: '8000' },
  { key: 'DJANGO_SETTINGS_MODULE', value: 'mysite.settings' },
  { key: 'DB_PORT', value: '5432' },
];

test('withoutPort drops PORT and nothing else', () => {
  assert.deepEqual(
    withoutPort(ENTRIES).map((e) => e.key),
    ['DJANGO_SETTINGS_MODULE', 'DB_PORT'],
  );
});

test('the warning names the fix, and the hosts when there are several', () => {
  const one = makeConfig();
  assert.match(portInEnvWarning(one, new Map([['vps1', ENTRIES]])) ?? '', /^the env sets PORT, .*Fix: remove PORT from env/);
  assert.equal(portInEnvWarning(one, new Map([['vps1', withoutPort(ENTRIES)]])), undefined);
  const two = makeConfig({ hosts: [makeHost(), makeHost({ name: 'vps2', address: '203.0.113.11' })] });
  const envs = new Map([
    ['vps1', withoutPort(ENTRIES)],
    ['vps2', ENTRIES],
  ]);
  assert.match(portInEnvWarning(two, envs) ?? '', /^the env sets PORT \(host vps2\)/);
});

for (const strategy of ['blue-green', 'restart'] as const) {
  test(`${strategy}: the release's .env and .appenv have no PORT; the web unit sets its own`, async () => {
    const config = makeConfig({ strategy });
    const files = await buildReleaseFiles({
      config,
      host: makeHost(),
      artifact: { path: '/nonexistent/hello.whl', name: 'hello.whl', sha256: 'x', size: 1 },
      env: {},
      redactor: new Redactor(),
      entries: ENTRIES,
    });
    const text = (path: string) => String(files.find((f) => f.path === path)?.content ?? '');
    assert.doesNotMatch(text('.env'), /^PORT=/m);
    assert.match(text('.env'), /^DB_PORT=/m);
    assert.doesNotMatch(text('.appenv'), /^export PORT=/m);
    assert.match(text('.appenv'), /^export DB_PORT=/m);
    const unit = files.find((f) => f.path.startsWith('.deployer/units/hello-production-web'));
    assert.match(String(unit?.content), strategy === 'blue-green' ? /^Environment=PORT=%i$/m : /^Environment=PORT=8000$/m);
  });
}
