import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { parse } from 'smol-toml';
import { loadConfig } from '../../src/config/load.js';
import { formatConfig, redactConfig, redactEnv } from '../../src/config/show.js';
import { configFixtures } from './config-helpers.js';

const config = loadConfig({ file: 'good.toml', cwd: configFixtures, home: '/home/tester' });

test('env text keeps its keys and loses its values', () => {
  assert.equal(redactEnv('A=1\n# comment\nexport B="two words"\nC=$REF\n'), 'A=[REDACTED]\nB=[REDACTED]\nC=[REDACTED]\n');
  assert.equal(redactEnv(''), '');
});

test('redactConfig redacts top-level and host env, and leaves the input alone', () => {
  const r = redactConfig(config);
  assert.equal(r.env, 'DEBUG=[REDACTED]\nAPI_TOKEN=[REDACTED]\n');
  assert.equal(r.hosts[0].env, 'WORKERS=[REDACTED]\n');
  assert.equal(r.hosts[1].env, undefined);
  assert.equal(config.env, 'DEBUG=false\nAPI_TOKEN=$SHOP_API_TOKEN\n', 'the loaded config is not modified');
  assert.equal(config.hosts[0].env, 'WORKERS=4');
  const json = JSON.stringify(r);
  for (const leaked of ['DEBUG=false', 'SHOP_API_TOKEN', 'WORKERS=4']) assert.ok(!json.includes(leaked), leaked);
});

test("the printed config is valid TOML with the file's keys and resolved values", () => {
  const text = formatConfig(redactConfig(config));
  // Through JSON: smol-toml's tables have a null prototype, which deepEqual tells apart.
  const back = JSON.parse(JSON.stringify(parse(text)));
  assert.equal(back.app, 'shop');
  assert.equal(back.installation_mode, 'python-package');
  assert.equal(back.versions_to_keep, 3);
  assert.equal(back.env, 'DEBUG=[REDACTED]\nAPI_TOKEN=[REDACTED]\n');
  assert.equal(back.hosts.length, 2);
  assert.equal(back.hosts[1].user, 'deploy', 'defaults are printed');
  assert.equal(back.hosts[1].port, 22);
  assert.deepEqual(back.processes.worker, { command: 'celery -A shop worker', replicas: 3, socket: false });
  assert.equal(back.processes.nightly.timer, '*-*-* 02:00:00');
  assert.equal(back.webserver.port, 9000);
  assert.deepEqual(back.webserver.statics, { '/static': 'staticfiles' });
  assert.deepEqual(back.secrets, { adapter: 'doppler', project: 'shop', config: 'prd' });
  assert.equal(back.hooks.post_deploy, 'shop warm');
  assert.match(text, /^# .*good\.toml: app name shop\n# stages declared: staging, production\n/);
  assert.ok(!text.includes('DEBUG=false'));
});

test('a stage shows in the header and the app name', () => {
  const staging = loadConfig({ file: 'good.toml', cwd: configFixtures, home: '/home/tester', stage: 'staging' });
  assert.match(formatConfig(staging), /^# .*good\.toml with \[stages\.staging\]: app name shop-staging\n/);
});
