// Snapshot tests: one per template, rendered from hand-built configs with the
// real files in templates/. Review a snapshot diff like code.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { renderAll, type RenderedHost } from '../../src/render/index.js';
import { makeConfig, makeHost, makeProcess, makeRenderer, matchSnapshot } from './render-helpers.js';
import { tempDir } from '../helpers/tmp.js';

function unit(out: RenderedHost, name: string) {
  const found = out.units.find((u) => u.name === name);
  assert.ok(found, `no unit ${name} among ${out.units.map((u) => u.name).join(', ')}`);
  return found;
}

test('web service', () => {
  const out = renderAll(makeConfig(), makeHost(), makeRenderer());
  assert.deepEqual(
    out.units.map((u) => u.name),
    ['hello-production-web.service'],
  );
  const web = unit(out, 'hello-production-web.service');
  assert.deepEqual(web.instances, ['hello-production-web.service']);
  assert.equal(web.action, 'restart');
  matchSnapshot('web.service', web.content);
});

test('web service with replicas is a template unit instanced by port', () => {
  const config = makeConfig({ processes: [makeProcess('web', 'hello-app --threads 4', { replicas: 3 })] });
  const out = renderAll(config, makeHost(), makeRenderer());
  const web = unit(out, 'hello-production-web@.service');
  assert.deepEqual(web.instances, [
    'hello-production-web@8000.service',
    'hello-production-web@8001.service',
    'hello-production-web@8002.service',
  ]);
  assert.match(web.content, /^Environment=PORT=%i$/m);
  matchSnapshot('web-replicas.service', web.content);
  assert.match(out.caddySite!.content, /reverse_proxy 127\.0\.0\.1:8000 127\.0\.0\.1:8001 127\.0\.0\.1:8002 \{/);
});

test('worker with replicas is a template unit instanced by number', () => {
  const config = makeConfig({
    appUser: 'hello',
    processes: [makeProcess('web', 'hello-app'), makeProcess('worker', 'celery -A hello worker --concurrency 2', { replicas: 2 })],
  });
  const out = renderAll(config, makeHost(), makeRenderer());
  const worker = unit(out, 'hello-production-worker@.service');
  assert.deepEqual(worker.instances, ['hello-production-worker@1.service', 'hello-production-worker@2.service']);
  assert.match(worker.content, /^User=hello$/m);
  assert.doesNotMatch(worker.content, /PORT/);
  matchSnapshot('worker-replicas.service', worker.content);
});

test('timer process: a oneshot service started by a timer', () => {
  const config = makeConfig({
    processes: [makeProcess('web', 'hello-app'), makeProcess('cleanup', 'hello-cleanup --older-than 30d', { timer: '*-*-* 03:00:00' })],
  });
  const out = renderAll(config, makeHost(), makeRenderer());
  const service = unit(out, 'hello-production-cleanup.service');
  const timer = unit(out, 'hello-production-cleanup.timer');
  assert.deepEqual(service.instances, [], 'the timer starts the job, deploy must not');
  assert.deepEqual(timer.instances, ['hello-production-cleanup.timer']);
  assert.match(service.content, /^Type=oneshot$/m);
  assert.doesNotMatch(service.content, /Restart=always|\[Install\]/);
  matchSnapshot('timer-job.service', service.content);
  matchSnapshot('timer.timer', timer.content);
});

test('socket-activated web process', () => {
  const config = makeConfig({ processes: [makeProcess('web', 'hello-app', { socket: true })] });
  const out = renderAll(config, makeHost(), makeRenderer());
  const socket = unit(out, 'hello-production-web.socket');
  assert.deepEqual(socket.instances, ['hello-production-web.socket']);
  assert.equal(socket.action, 'start');
  assert.match(unit(out, 'hello-production-web.service').content, /^Requires=hello-production-web\.socket$/m);
  matchSnapshot('socket.socket', socket.content);
});

test('caddy site with statics and domains from webserver and host', () => {
  const config = makeConfig({
    webserver: {
      enabled: true,
      domains: ['example.com', 'www.example.com'],
      upstream: '127.0.0.1:8000',
      port: 8000,
      statics: { '/static': 'static', '/media/': './media/' },
    },
  });
  const out = renderAll(config, makeHost({ domains: ['vps1.example.com', 'example.com'] }), makeRenderer());
  assert.equal(out.caddySite!.path, '/etc/caddy/sites/hello-production.caddy');
  assert.match(out.caddySite!.content, /^example\.com, www\.example\.com, vps1\.example\.com \{$/m);
  matchSnapshot('caddy-statics-domains.caddy', out.caddySite!.content);
});

test('caddy site with no domain listens on :80', () => {
  const out = renderAll(makeConfig(), makeHost(), makeRenderer());
  assert.match(out.caddySite!.content, /^:80 \{$/m);
  matchSnapshot('caddy-no-domain.caddy', out.caddySite!.content);
});

test('no caddy site when the web server is disabled', () => {
  const config = makeConfig({ webserver: { enabled: false, domains: [], upstream: '127.0.0.1:8000', port: 8000, statics: {} } });
  assert.equal(renderAll(config, makeHost(), makeRenderer()).caddySite, undefined);
});

test('binary mode runs the stable app_binary link', () => {
  const config = makeConfig({
    installationMode: 'binary',
    distfile: 'dist/hello-bin',
    processes: [makeProcess('web', 'app_binary --verbose')],
  });
  const out = renderAll(config, makeHost(), makeRenderer());
  assert.match(
    unit(out, 'hello-production-web.service').content,
    /^ExecStart=@\/srv\/deployer\/hello-production\/app_binary app_binary --verbose$/m,
  );
});

test('binary mode: a busybox-style web process keeps its own name as argv[0]', () => {
  const config = makeConfig({
    installationMode: 'binary',
    distfile: 'dist/busybox',
    processes: [makeProcess('web', 'busybox httpd -f -p 127.0.0.1:${PORT}')],
  });
  matchSnapshot('web-busybox.service', unit(renderAll(config, makeHost(), makeRenderer()), 'hello-production-web.service').content);
});

test('a template in .deployer/ wins over the bundled one', () => {
  const dir = tempDir('deployer-override-');
  writeFileSync(join(dir, 'web.service.hbs'), '[Service]\nExecStart={{execStart}}\n# custom for {{appName}}\n');
  const out = renderAll(makeConfig(), makeHost(), makeRenderer(dir));
  assert.equal(
    unit(out, 'hello-production-web.service').content,
    '[Service]\nExecStart=/srv/deployer/hello-production/.venv/bin/hello-app\n# custom for hello-production\n',
  );
  // Templates without an override still come from templates/.
  assert.match(out.caddySite!.content, /^# Managed by deployer/);
});

function overrideError(template: string, text: string): ConfigError {
  const dir = tempDir('deployer-override-');
  writeFileSync(join(dir, template), text);
  try {
    renderAll(makeConfig(), makeHost(), makeRenderer(dir));
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.ok(err.message.includes(join(dir, template)), `message names the file: ${err.message}`);
    return err;
  }
  assert.fail('rendering did not throw');
}

test('a misspelt variable throws a ConfigError naming it, the file and the line', () => {
  const err = overrideError('web.service.hbs', '[Service]\nExecStart={{execStart}}\nUser={{usr}}\n');
  assert.match(err.message, /line 3: unknown variable "usr"/);
  assert.match(err.hint ?? '', /variables available there: .*\buser\b/);
});

test('a misspelt variable inside #if or a helper argument throws too', () => {
  assert.match(overrideError('web.service.hbs', '{{#if porrt}}x{{/if}}\n').message, /unknown variable "porrt"/);
  assert.match(
    overrideError('caddy.site.hbs', '{{#each statics}}{{/each}}{{caddyQuote adresses}}\n').message,
    /line 1: unknown variable "adresses"/,
  );
});

test('broken Handlebars syntax is a ConfigError naming the file', () => {
  assert.match(overrideError('web.service.hbs', '{{#if port}}\n').message, /is not valid Handlebars/);
});

test('paths and commands with spaces, quotes, %, $ are written for systemd', () => {
  const config = makeConfig({
    appsDir: '/srv/my apps',
    processes: [makeProcess('web', 'hello-app --greeting "it\'s 100% ${USER}" --date +%Y')],
  });
  const content = unit(renderAll(config, makeHost(), makeRenderer()), 'hello-production-web.service').content;
  // WorkingDirectory= and EnvironmentFile= take the rest of the line verbatim (no unquoting).
  assert.match(content, /^WorkingDirectory=\/srv\/my apps\/hello-production\/current$/m);
  assert.match(content, /^EnvironmentFile=\/srv\/my apps\/hello-production\/\.env$/m);
  // The program path is one quoted word; the user's arguments keep their quoting, % doubled.
  assert.ok(
    content.includes('\nExecStart="/srv/my apps/hello-production/.venv/bin/hello-app" --greeting "it\'s 100%% ${USER}" --date +%%Y\n'),
    content,
  );
});

test('a line break in the app directory is refused', () => {
  const config = makeConfig({ appsDir: '/srv/a\nb' });
  assert.throws(() => renderAll(config, makeHost(), makeRenderer()), ConfigError);
});

test('caddy site: a domain that is not one site address never reaches the site, whatever built the config', () => {
  const injected = 'vps1.example.com\n:8080 {\n\troot * /\n\tfile_server\n}\nx.example';
  for (const [config, host] of [
    [makeConfig(), makeHost({ domains: [injected] })],
    [makeConfig({ webserver: { ...makeConfig().webserver, domains: ['example.com {'] } }), makeHost()],
  ] as const) {
    assert.throws(
      () => renderAll(config, host, makeRenderer()),
      (e: Error) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.match(e.message, /the site address .* \(domains of host vps1\) (contains a line break|contains a quote, brace)/);
        return true;
      },
    );
  }
});
