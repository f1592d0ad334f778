// `deployer init`: the rendered file must load with the real config loader,
// flags stand in for every question, and without a TTY it never prompts.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';
import { loadConfig } from '../../src/config/load.js';
import type { Context } from '../../src/context.js';
import { makeTestContext } from '../helpers/context.js';
import { ConfigError, UserAbort } from '../../src/errors.js';
import { normaliseAppName, parseWorker, readProjectName, wheelName, type InitAnswers } from '../../src/init/answers.js';
import { ScriptedPrompter } from '../helpers/scriptedPrompter.js';
import { renderInitConfig } from '../../src/init/render.js';
import { runInit, takeAnswers } from '../../src/init/initFlow.js';
import { Reporter } from '../../src/output/reporter.js';
import { tempDir } from '../helpers/tmp.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

const initDir = () => tempDir('init-');

function loadText(text: string, stage?: string) {
  const dir = initDir();
  writeFileSync(join(dir, 'deployer.toml'), text);
  return loadConfig({ cwd: dir, stage });
}

const PYTHON: InitAnswers = {
  app: 'shop',
  mode: 'python-package',
  hosts: ['203.0.113.10'],
  user: 'deploy',
  domains: ['shop.example.com', 'www.shop.example.com'],
  web: 'gunicorn shop.wsgi --bind 127.0.0.1:$PORT',
  workers: [{ name: 'worker', command: 'celery -A shop worker' }],
  distfile: 'dist/shop-{version}-py3-none-any.whl',
  buildCommand: 'uv build',
};

test('a python app renders to a config the loader accepts, with every answer in it', () => {
  const config = loadText(renderInitConfig(PYTHON));
  assert.equal(config.app, 'shop');
  assert.equal(config.installationMode, 'python-package');
  assert.equal(config.buildCommand, 'uv build');
  assert.equal(config.distfile, 'dist/shop-{version}-py3-none-any.whl');
  assert.deepEqual(
    config.hosts.map((h) => [h.name, h.address, h.user]),
    [['203.0.113.10', '203.0.113.10', 'deploy']],
  );
  assert.deepEqual(
    config.processes.map((p) => [p.name, p.command]),
    [
      ['web', PYTHON.web],
      ['worker', 'celery -A shop worker'],
    ],
  );
  assert.equal(config.webserver.enabled, true);
  assert.deepEqual(config.webserver.domains, ['shop.example.com', 'www.shop.example.com']);
  assert.equal(config.webserver.upstream, '127.0.0.1:8000');
});

test('the file is commented, and its comments are valid TOML when uncommented one by one', () => {
  const text = renderInitConfig(PYTHON);
  assert.match(text, /^# .*deployer init/m);
  assert.match(text, /^# version = "1\.0\.0"$/m);
  assert.match(text, /^# path = "\/healthz"$/m);
  // Each commented `key = value` line must parse once uncommented (it is an example to follow).
  const lines = text.split('\n');
  let examples = 0;
  lines.forEach((line, i) => {
    const m = /^# ([a-z_]+ = .*)$/.exec(line);
    if (!m) return;
    examples++;
    const uncommented = [...lines.slice(0, i), m[1], ...lines.slice(i + 1)].join('\n');
    assert.doesNotThrow(() => parse(uncommented), `line ${i + 1}: ${line}`);
  });
  assert.ok(examples >= 8, `only ${examples} commented examples`);
});

test('a worker-only binary app with two hosts turns the webserver off', () => {
  const config = loadText(
    renderInitConfig({
      app: 'tool',
      mode: 'binary',
      hosts: ['10.0.0.1', 'box.example.com'],
      user: 'ops',
      domains: [],
      workers: [{ name: 'sync', command: 'tool sync' }],
      distfile: 'dist/tool',
    }),
  );
  assert.equal(config.installationMode, 'binary');
  assert.equal(config.buildCommand, undefined);
  assert.deepEqual(
    config.hosts.map((h) => h.address),
    ['10.0.0.1', 'box.example.com'],
  );
  assert.deepEqual(
    config.hosts.map((h) => h.user),
    ['ops', 'ops'],
  );
  assert.equal(config.webserver.enabled, false);
  assert.deepEqual(
    config.processes.map((p) => p.name),
    ['sync'],
  );
});

test('awkward characters in commands survive the TOML quoting', () => {
  const web = `sh -c 'exec app --msg "hi\\there" $PORT' # é \t tab \x7f del`;
  const config = loadText(renderInitConfig({ ...PYTHON, web, buildCommand: 'make "dist"' }));
  assert.equal(config.processes[0].command, web);
  assert.equal(config.buildCommand, 'make "dist"');
});

test('app names from pyproject.toml are normalised; wheel names follow PEP 427', () => {
  assert.equal(readProjectName('[project]\nname = "My_Shop.API"\n'), 'My_Shop.API');
  assert.equal(readProjectName('[project\nname='), undefined);
  assert.equal(readProjectName('[tool.x]\n'), undefined);
  assert.equal(readProjectName(undefined), undefined);
  assert.equal(normaliseAppName('My_Shop.API'), 'my-shop-api');
  assert.equal(normaliseAppName('--x--'), 'x');
  assert.equal(wheelName('My-Shop.API'), 'my_shop_api');
});

test('without a TTY, missing answers are named as flags in one error', () => {
  assert.throws(
    () => takeAnswers({}, undefined),
    (e: unknown) => e instanceof ConfigError && e.exitCode === 2 && /--app, --mode, --host, --web/.test(e.message),
  );
  // pyproject.toml answers --app and --mode; --worker stands in for --web.
  assert.throws(() => takeAnswers({ worker: ['w=run'] }, 'shop'), /needs --host \(/);
  const a = takeAnswers({ hosts: ['h1'], web: 'serve' }, 'My_Shop');
  assert.equal(a.app, 'my-shop');
  assert.equal(a.mode, 'python-package');
  assert.equal(a.distfile, 'dist/my_shop-{version}-py3-none-any.whl');
  assert.equal(a.buildCommand, 'uv build');
  assert.equal(a.user, 'deploy');
});

test('bad flag values are refused naming the flag', () => {
  const base = { hosts: ['h1'], web: 'serve', app: 'shop', mode: 'binary' };
  assert.throws(() => takeAnswers({ ...base, app: 'My App' }, undefined), /^ConfigError: --app:/);
  assert.throws(() => takeAnswers({ ...base, hosts: ['root@h1'] }, undefined), /--host:/);
  assert.throws(() => takeAnswers({ ...base, domain: ['https://x.com/'] }, undefined), /--domain:/);
  assert.throws(() => takeAnswers({ ...base, mode: 'docker' }, undefined), /--mode:/);
  assert.throws(() => parseWorker('celery worker'), /--worker "celery worker" is not name=command/);
  assert.throws(() => parseWorker('web=x'), /--worker name "web"/);
  assert.deepEqual(parseWorker('beat = celery beat --x=1'), { name: 'beat', command: 'celery beat --x=1' });
});

function makeContext(dir: string, interactive: boolean, hosts: string[] = []): { ctx: Context; err: string[] } {
  const err: string[] = [];
  const sink = { write: (s: string) => void err.push(s) };
  const reporter = new Reporter({ stdout: sink, stderr: sink });
  const { ctx } = makeTestContext({ cwd: dir, env: {}, reporter, interactive, global: { config: 'deployer.toml', host: hosts } });
  return { ctx, err };
}

test('on a TTY it asks only what the flags left open, with pyproject defaults', async () => {
  const dir = initDir();
  writeFileSync(join(dir, 'pyproject.toml'), '[project]\nname = "blog_engine"\n');
  const { ctx, err } = makeContext(dir, true);
  // app (default), host, user (default), port (default), key file (none), domain, web (default), one worker, then done, distfile (default), build (default)
  const p = new ScriptedPrompter(['', '10.1.1.1', '', '', '', 'blog.example.com', '', 'worker=rq worker', '', '', '']);
  await runInit(ctx, { mode: 'python-package' }, { prompter: p });
  assert.ok(!p.asked.includes('What do you deploy?'), 'no question for a flag given');
  assert.equal(p.asked[0], 'App name');
  const config = loadConfig({ cwd: dir });
  assert.equal(config.app, 'blog-engine');
  assert.equal(config.hosts[0].address, '10.1.1.1');
  assert.equal(config.processes.find((x) => x.name === 'web')?.command, 'gunicorn blog_engine.wsgi --bind 127.0.0.1:$PORT');
  assert.equal(config.processes.find((x) => x.name === 'worker')?.command, 'rq worker');
  assert.equal(config.distfile, 'dist/blog_engine-{version}-py3-none-any.whl');
  assert.deepEqual(config.webserver.domains, ['blog.example.com']);
  assert.match(err.join(''), /wrote deployer\.toml/);
});

test('init asks for the SSH port and key file instead of taking host:port; http:// domains as the config takes them', async () => {
  assert.throws(
    () => takeAnswers({ app: 'shop', mode: 'binary', hosts: ['127.0.0.1:33122'], web: 'x' }, undefined),
    (e: unknown) =>
      e instanceof ConfigError &&
      /includes a port: give the address "127\.0\.0\.1" and the port separately \(--port 33122\)/.test(e.message),
  );
  assert.throws(() => takeAnswers({ app: 'shop', mode: 'binary', hosts: ['[2001:db8::1]:2222'], web: 'x' }, undefined), /--port 2222/);
  assert.throws(
    () => takeAnswers({ app: 'shop', mode: 'binary', hosts: ['h'], port: '70000', web: 'x' }, undefined),
    /port "70000" must be a number/,
  );
  const a = takeAnswers(
    {
      app: 'shop',
      mode: 'binary',
      hosts: ['127.0.0.1', '2001:db8::1'],
      port: '33122',
      keyFile: '~/.ssh/test key',
      domain: ['http://hello.localhost'],
      web: 'x',
    },
    undefined,
  );
  const config = loadText(renderInitConfig(a));
  assert.deepEqual(
    config.hosts.map((h) => [h.address, h.port]),
    [
      ['127.0.0.1', 33122],
      ['2001:db8::1', 33122],
    ],
  );
  assert.match(config.hosts[0].keyFile ?? '', /\.ssh\/test key$/);
  assert.deepEqual(config.webserver.domains, ['http://hello.localhost']);

  // On a terminal the port and key file are asked for.
  const dir = initDir();
  const { ctx } = makeContext(dir, true);
  const p = new ScriptedPrompter(['shop', '203.0.113.9', '', '2222', '~/.ssh/id_shop', '', 'shop serve', '', '', 'none']);
  await runInit(ctx, { mode: 'binary' }, { prompter: p });
  assert.ok(p.asked.includes('SSH port'));
  const asked = loadConfig({ cwd: dir });
  assert.equal(asked.hosts[0].port, 2222);
  assert.match(asked.hosts[0].keyFile ?? '', /id_shop$/);
});

test('a blank domain gives a site only this app answers to, not a catch-all :80, and says why', () => {
  const text = renderInitConfig({ ...PYTHON, domains: [] });
  const config = loadText(text);
  assert.deepEqual(config.webserver.domains, ['http://shop.localhost']);
  assert.match(text, /catch-all ":80" site/);
  assert.match(text, /curl -H 'Host: shop\.localhost'/);
});

test('Ctrl-C in a prompt aborts without writing', async () => {
  const dir = initDir();
  const { ctx } = makeContext(dir, true);
  const exit = Object.assign(new Error('User force closed the prompt'), { name: 'ExitPromptError' });
  await assert.rejects(
    runInit(ctx, {}, { prompter: new ScriptedPrompter(['app', exit]) }),
    (e: unknown) => e instanceof UserAbort && e.exitCode === 130,
  );
  assert.equal(existsSync(join(dir, 'deployer.toml')), false);
});

function runCli(dir: string, args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.CI;
  return spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], input: '' });
}

const ALL_FLAGS = [
  'init',
  '--app',
  'shop',
  '--mode',
  'python-package',
  '--host',
  '203.0.113.10',
  '--user',
  'web',
  '--domain',
  'shop.example.com',
  '--web',
  'gunicorn shop.wsgi --bind 127.0.0.1:$PORT',
  '--worker',
  'worker=celery -A shop worker',
  '--worker',
  'beat=celery -A shop beat',
  '--distfile',
  'dist/shop-{version}-py3-none-any.whl',
  '--build-command',
  'python -m build',
];

test('init with all flags and no TTY writes a config that loads and that `deployer config` accepts', () => {
  const dir = initDir();
  const r = runCli(dir, [...ALL_FLAGS, '-c', 'shop.toml']);
  assert.equal(r.status, 0, r.stderr);
  const config = loadConfig({ cwd: dir, file: 'shop.toml' });
  assert.equal(config.app, 'shop');
  assert.equal(config.hosts[0].user, 'web');
  assert.equal(config.buildCommand, 'python -m build');
  assert.deepEqual(
    config.processes.map((p) => p.name),
    ['web', 'worker', 'beat'],
  );
  const shown = runCli(dir, ['config', '-c', 'shop.toml']);
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, /app = "shop"/);
});

test('without --host and no TTY it exits 2 naming --host, and writes nothing', () => {
  const dir = initDir();
  const args = ALL_FLAGS.filter((a, i) => a !== '--host' && ALL_FLAGS[i - 1] !== '--host');
  const r = runCli(dir, args);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /needs --host/);
  assert.equal(existsSync(join(dir, 'deployer.toml')), false);
});

test('an existing file is kept unless --force', () => {
  const dir = initDir();
  writeFileSync(join(dir, 'deployer.toml'), '# mine\n');
  const r = runCli(dir, ALL_FLAGS);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /already exists/);
  assert.match(r.stderr, /--force/);
  assert.equal(readFileSync(join(dir, 'deployer.toml'), 'utf8'), '# mine\n');
  assert.equal(runCli(dir, [...ALL_FLAGS, '--force']).status, 0);
  assert.match(readFileSync(join(dir, 'deployer.toml'), 'utf8'), /^app = "shop"$/m);
});
