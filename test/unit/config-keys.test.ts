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

test('site addresses: the forms Caddy takes are accepted in webserver.domains and hosts[].domains alike', () => {
  const ok = [
    'example.com',
    'www.Example.COM.',
    '*.example.com',
    'http://shop.localhost',
    'https://example.com:8443',
    'http://hello.test:8080/',
    ':80',
    'http://:8080',
    '203.0.113.10',
    'http://[2001:db8::1]:8080',
    'bücher.example',
    'shop_1.internal/app/*',
  ];
  for (const d of ok) {
    const q = JSON.stringify(d);
    const config = parse(
      `${base}\n[webserver]\ndomains = [${q}]\n\n[[hosts]]\naddress = "10.0.0.1"\ndomains = [${q}]\n\n[processes]\nweb = "x"\n`,
    );
    assert.deepEqual(config.hosts[0].domains, [d], d);
    assert.deepEqual(config.webserver.domains, [d], d);
  }
});

test('a host domain that would write Caddy directives is refused like a webserver one, with its position and fix', () => {
  const hostDomains = (d: string) =>
    `${base}${tail.replace('address = "10.0.0.1"', `address = "10.0.0.1"\ndomains = [${JSON.stringify(d)}]`)}`;
  const cases: Array<[string, RegExp]> = [
    ['eu.shop.example\n:80 {\n\troot * /\n\tfile_server\n}', /hosts\[0\]\.domains\[0\] contains a line break/],
    ['eu.shop.example {', /contains a quote, brace, #, ; or backslash/],
    ['eu.shop.example"', /contains a quote, brace/],
    ['eu.shop.example # x', /contains a quote, brace, #/],
    ['eu.shop.example www.shop.example', /holds more than one address/],
    ['eu..shop', /is not a site address/],
    ['eu.shop.example:99999', /has port 99999, outside 1 to 65535/],
    ['', /must be a non-empty string/],
  ];
  for (const [d, want] of cases) {
    assert.throws(
      () => parse(hostDomains(d)),
      (e: Error) => {
        assert.match(e.message, /^deployer\.toml:7:12: hosts\[0\]\.domains\[0\] /, JSON.stringify(d));
        assert.match(e.message, want, JSON.stringify(d));
        assert.match(e.message, /Fix: .+\.$/);
        assert.ok(!e.message.includes('\n'), 'one paragraph');
        return true;
      },
    );
  }
  assert.throws(() => parse(hostDomains('a.example, b.example')), {
    message: /Fix: write one address per item: domains = \["a\.example", "b\.example"\]\.$/,
  });
});
