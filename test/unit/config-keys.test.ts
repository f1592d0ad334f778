// Keys added for the deploy strategy, the health check's Host header, key
// passphrases and failure hooks: read from the file, defaulted when absent.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { parseConfig } from '../../src/config/parse.js';
import { healthCheckHost } from '../../src/config/healthHost.js';
import { repoRoot } from './config-helpers.js';

const home = '/home/tester';
const base = `app = "shop"\ndistfile = "dist/shop.whl"\ninstallation_mode = "python-package"\n`;
const tail = `\n[[hosts]]\naddress = "10.0.0.1"\n\n[processes]\nweb = "gunicorn shop.wsgi"\n`;

function parse(text: string) {
  return parseConfig(text, { file: '/p/deployer.toml', root: '/p', displayName: 'deployer.toml', home });
}

test('strategy, drain_seconds and health_check.host have their defaults when absent', () => {
  const config = parse(base + tail);
  assert.equal(config.strategy, 'blue-green');
  assert.equal(config.drainSeconds, 10);
  assert.equal(config.healthCheck.host, undefined);
  assert.deepEqual(config.hooks, {});
  assert.equal(config.hosts[0].keyPassphraseEnv, undefined);
});

test('the documented example sets every new key, and they reach the resolved config', () => {
  const config = loadConfig({ file: 'deployer.example.toml', cwd: join(repoRoot, 'docs'), home });
  assert.equal(config.strategy, 'blue-green');
  assert.equal(config.drainSeconds, 10);
  assert.equal(config.healthCheck.host, 'example.com');
  assert.equal(config.hosts[0].keyPassphraseEnv, 'SSH_KEY_PASSPHRASE');
  assert.deepEqual(
    [config.hooks.onFailureLocal, config.hooks.alwaysLocal, config.hooks.onFailure, config.hooks.always],
    ['./notify.sh failed', './notify.sh done', 'myapp report-failure', 'myapp cleanup-tmp'],
  );
});

test('strategy "restart" and drain_seconds = 0 are accepted', () => {
  const config = parse(base + 'strategy = "restart"\ndrain_seconds = 0\n' + tail);
  assert.equal(config.strategy, 'restart');
  assert.equal(config.drainSeconds, 0);
});

test('the health check sends health_check.host, else the first domain without scheme or path', () => {
  const host = { domains: ['eu.shop.example'] };
  const hc = { status: 200, timeout: 30 };
  const web = { enabled: true, upstream: '127.0.0.1:8000', statics: {} };
  assert.equal(
    healthCheckHost({ healthCheck: { ...hc, host: 'api.shop' }, webserver: { ...web, domains: ['shop.example'] } }, host),
    'api.shop',
  );
  assert.equal(healthCheckHost({ healthCheck: hc, webserver: { ...web, domains: ['http://shop.example/'] } }, host), 'shop.example');
  assert.equal(healthCheckHost({ healthCheck: hc, webserver: { ...web, domains: [] } }, host), 'eu.shop.example');
  assert.equal(healthCheckHost({ healthCheck: hc, webserver: { ...web, domains: [':80'] } }, { domains: [] }), undefined);
});

test('a health_check.host with a scheme is refused with its position', () => {
  assert.throws(() => parse(base + tail + '\n[health_check]\nhost = "https://shop.example"\n'), {
    message: /^deployer\.toml:12:8: health_check\.host must be a host name/,
  });
});
