import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { KEYS } from '../../src/config/schema.js';
import type { Config } from '../../src/config/types.js';
import { configFixtures, repoRoot } from './config-helpers.js';
import { tempDir } from '../helpers/tmp.js';

const home = '/home/tester';
const good = join(configFixtures, 'good.toml');

function expectedGood(): Config {
  return {
    file: good,
    root: configFixtures,
    app: 'shop',
    appName: 'shop',
    version: '2.0.1',
    buildCommand: 'uv build --wheel',
    buildTimeout: 120,
    distfile: 'dist/shop-{version}-py3-none-any.whl',
    installationMode: 'python-package',
    requirements: 'requirements.txt',
    wheelhouse: 'wheels',
    releaseCommand: 'shop migrate --noinput',
    backupBeforeRelease: false,
    versionsToKeep: 3,
    appsDir: '/opt/apps',
    appUser: 'shop',
    rollback: 'host',
    parallel: 2,
    strategy: 'blue-green',
    drainSeconds: 10,
    env: 'DEBUG=false\nAPI_TOKEN=$SHOP_API_TOKEN\n',
    envfile: '.env',
    hosts: [
      {
        name: 'web1',
        address: '10.0.0.1',
        user: 'admin',
        port: 2222,
        keyFile: '/home/tester/.ssh/shop_ed25519',
        knownHosts: join(configFixtures, 'keys/known_hosts'),
        hostKeyPolicy: 'accept-new',
        env: 'WORKERS=4',
        domains: ['eu.shop.example'],
        defaulted: [],
      },
      {
        name: '10.0.0.2',
        address: '10.0.0.2',
        user: 'deploy',
        port: 22,
        keyEnv: 'SSH_KEY',
        knownHostsEnv: 'SSH_KNOWN_HOSTS',
        hostKeyPolicy: 'strict',
        envfile: 'web2.env',
        domains: [],
        defaulted: ['user', 'port'],
      },
    ],
    processes: [
      { name: 'web', command: 'gunicorn shop.wsgi --bind 127.0.0.1:$PORT', replicas: 1, socket: false },
      { name: 'worker', command: 'celery -A shop worker', replicas: 3, socket: false },
      { name: 'nightly', command: 'shop report', replicas: 1, socket: false, timer: '*-*-* 02:00:00' },
      { name: 'api', command: 'shop api', replicas: 1, socket: true },
    ],
    webserver: {
      enabled: true,
      domains: ['shop.example', 'www.shop.example'],
      upstream: '127.0.0.1:9000',
      port: 9000,
      statics: { '/static': 'staticfiles' },
    },
    healthCheck: { path: '/healthz', status: 204, timeout: 45, port: 9000 },
    secrets: { adapter: 'doppler', options: { project: 'shop', config: 'prd' } },
    hooks: { preBuild: 'npm run build', postDeployLocal: './notify.sh', preSwitch: 'shop check', postDeploy: 'shop warm' },
    stages: ['staging', 'production'],
  };
}

test('a complete config resolves into exactly the expected Config', () => {
  const config = loadConfig({ file: 'good.toml', cwd: configFixtures, home });
  assert.deepEqual(config, expectedGood());
});

test('a stage overlay deep-merges tables and replaces arrays', () => {
  const config = loadConfig({ file: 'good.toml', cwd: configFixtures, home, stage: 'staging' });
  const base = expectedGood();
  assert.equal(config.stage, 'staging');
  assert.equal(config.appName, 'shop-staging');
  assert.equal(config.versionsToKeep, 1);
  assert.equal(config.parallel, base.parallel, 'untouched keys keep the base value');
  // hosts is an array: replaced whole, the new host gets every default.
  assert.deepEqual(config.hosts, [
    { name: 'stage1', address: '10.0.1.1', user: 'deploy', port: 22, hostKeyPolicy: 'strict', domains: [], defaulted: ['user', 'port'] },
  ]);
  // webserver is a table: domains (an array) replaced, upstream kept.
  assert.deepEqual(config.webserver.domains, ['staging.shop.example']);
  assert.equal(config.webserver.upstream, '127.0.0.1:9000');
  // processes.worker merged key by key: replicas from the stage, command from the base.
  assert.deepEqual(
    config.processes.find((p) => p.name === 'worker'),
    { name: 'worker', command: 'celery -A shop worker', replicas: 1, socket: false },
  );
  assert.equal(config.processes.length, 4);
});

test('selecting a stage does not change the base config of other loads', () => {
  loadConfig({ file: 'good.toml', cwd: configFixtures, home, stage: 'staging' });
  const prod = loadConfig({ file: 'good.toml', cwd: configFixtures, home, stage: 'production' });
  assert.equal(prod.appName, 'shop-production');
  assert.equal(prod.parallel, 4);
  assert.equal(prod.processes.find((p) => p.name === 'worker')?.replicas, 3);
  assert.equal(prod.hosts.length, 2);
});

test('an unknown stage is an error listing the known ones', () => {
  assert.throws(
    () => loadConfig({ file: 'good.toml', cwd: configFixtures, home, stage: 'prodution' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(
        err.message,
        /^good\.toml:\d+:\d+: unknown stage "prodution"\. Known stages: staging, production\. Did you mean "production"\?/,
      );
      return true;
    },
  );
});

test('an error in a stage that is not selected is still reported', () => {
  const dir = tempDir('deployer-config-');
  const text = readFileSync(good, 'utf8') + '\n[stages.qa]\nparallel = 0\n';
  writeFileSync(join(dir, 'deployer.toml'), text);
  const line = text.split('\n').indexOf('parallel = 0') + 1;
  assert.throws(() => loadConfig({ cwd: dir, home, stage: 'staging' }), {
    message: new RegExp(`^deployer\\.toml:${line}:12: stages\\.qa\\.parallel must be an integer from 1 to 1000, got 0`),
  });
});

test('hosts only in stages: loading without --stage says to pick one', () => {
  const dir = tempDir('deployer-config-');
  writeFileSync(
    join(dir, 'deployer.toml'),
    'app = "a"\ndistfile = "a.bin"\ninstallation_mode = "binary"\n[processes]\nweb = "./a"\n[[stages.prod.hosts]]\naddress = "h"\n',
  );
  assert.equal(loadConfig({ cwd: dir, home, stage: 'prod' }).hosts[0].address, 'h');
  assert.throws(() => loadConfig({ cwd: dir, home }), { message: /^deployer\.toml:1:1: hosts is required but missing.*--stage \(prod\)/ });
});

test('a missing config file names the file looked for and suggests deployer init', () => {
  const dir = tempDir('deployer-config-');
  assert.throws(
    () => loadConfig({ cwd: dir, home }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.ok(err.message.includes(join(dir, 'deployer.toml')), err.message);
      assert.match(err.message, /deployer init/);
      return true;
    },
  );
  mkdirSync(join(dir, 'conf'));
  assert.throws(() => loadConfig({ cwd: dir, home, file: 'conf' }), { message: /^conf: is a directory/ });
});

test('a config outside the working directory is named by its absolute path', () => {
  const file = join(configFixtures, 'bad', 'no-hosts.toml');
  const cwd = tempDir('deployer-config-');
  assert.throws(
    () => loadConfig({ cwd, file, home }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.ok(err.message.startsWith(`${file}:1:1: `), err.message);
      return true;
    },
  );
});

test('the documented example config loads, with and without its stage', () => {
  const docs = join(repoRoot, 'docs');
  const config = loadConfig({ file: 'deployer.example.toml', cwd: docs, home });
  assert.equal(config.app, 'myapp');
  assert.equal(config.hosts.length, 2);
  assert.deepEqual(config.stages, ['staging']);
  const staging = loadConfig({ file: 'deployer.example.toml', cwd: docs, home, stage: 'staging' });
  assert.equal(staging.appName, 'myapp-staging');
});

test('the documented example config shows every key the schema knows', () => {
  const text = readFileSync(join(repoRoot, 'docs', 'deployer.example.toml'), 'utf8');
  const written = new Set(
    [...text.matchAll(/^\s*"?([a-z_][a-z0-9_]*)"?\s*=|^\[+([a-z_.]+)\]+/gm)].flatMap((m) => (m[1] ?? m[2]).split('.')),
  );
  for (const [table, keys] of Object.entries(KEYS)) {
    for (const key of keys) {
      // Keys of inline tables (process fields) appear as `replicas = 2` inside braces.
      const found = written.has(key) || new RegExp(`[{,]\\s*${key}\\s*=`).test(text);
      assert.ok(found, `docs/deployer.example.toml does not show ${table}.${key}`);
    }
  }
});
