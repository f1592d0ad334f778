// The schema as the one source (every example it suggests is itself valid),
// every problem reported at once, env text checked at its place in
// deployer.toml, and env parsing in linear time.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { ConfigError, ExitCode } from '../../src/errors.js';
import { parseConfig } from '../../src/config/parse.js';
import { MAX_PROBLEMS } from '../../src/config/issues.js';
import { SCHEMA, type TableSchema } from '../../src/config/schema.js';
import { dotenvParse as ownDotenvParse, parseEnvText } from '../../src/secrets/envText.js';
import { formatEnvFile } from '../../src/secrets/envFile.js';
import { appDirReason, systemDirReason } from '../../src/config/rules.js';
import { parse as dotenvParse } from 'dotenv';

const home = '/home/tester';
const base = `app = "shop"\ndistfile = "dist/shop.whl"\ninstallation_mode = "python-package"\n`;
const hosts = `\n[[hosts]]\naddress = "10.0.0.1"\n`;
const procs = `\n[processes]\nweb = "gunicorn shop.wsgi"\n`;

function parse(text: string) {
  return parseConfig(text, { file: '/p/deployer.toml', root: '/p', displayName: 'deployer.toml', home });
}

function problemsOf(text: string): ConfigError {
  try {
    parse(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail('expected a ConfigError');
}

test('every example the schema suggests in a "Fix:" is itself a valid value', () => {
  const where: Record<string, (key: string, example: string) => string> = {
    // hosts_command replaces [[hosts]] (exclusive); a process's roles must be a host's.
    top: (k, e) => `${k} = ${e}\n` + base.replace(new RegExp(`^${k} = .*\\n`, 'm'), '') + (k === 'hosts_command' ? '' : hosts) + procs,
    host: (k, e) => base + `\n[[hosts]]\n${k === 'address' ? '' : 'address = "10.0.0.1"\n'}${k} = ${e}\n` + procs,
    process: (k, e) =>
      base +
      hosts +
      (k === 'roles' ? `roles = ${e}\n` : '') +
      `\n[processes]\nweb = { ${k === 'command' ? '' : 'command = "x", '}${k} = ${e} }\n`,
  };
  for (const [kind, table] of Object.entries(SCHEMA) as [string, TableSchema][]) {
    for (const [key, field] of Object.entries(table)) {
      if (field.type === 'custom' || (kind === 'top' && key === 'env')) continue;
      const text = where[kind]?.(key, field.example) ?? base + hosts + procs + `\n[${kind}]\n${key} = ${field.example}\n`;
      assert.doesNotThrow(() => parse(text), `${kind}.${key} = ${field.example}`);
    }
  }
});

test('all problems are reported at once, in file order, each a paragraph with its position; exit code 2', () => {
  const err = problemsOf(
    `app = "Shop"\ndistfile = "dist/shop.whl"\ninstallation_mode = "pip"\nparallel = 0\n[[hosts]]\naddress = "a:22"\nport = 0\n[processes]\nweb = "x"\n[health_check]\nstatus = 1\n`,
  );
  assert.equal(err.exitCode, ExitCode.config);
  assert.deepEqual(
    err.problems.map((p) => p.split(': ')[0]),
    ['deployer.toml:1:7', 'deployer.toml:3:21', 'deployer.toml:4:12', 'deployer.toml:6:11', 'deployer.toml:7:8', 'deployer.toml:11:10'],
  );
  assert.equal(err.message, err.problems.join('\n'));
  for (const p of err.problems) assert.match(p, /Fix: .+\.$/);
});

test('a problem in the base is reported once, not once per stage', () => {
  const err = problemsOf(
    base + 'parallel = 0\n' + hosts + procs + '\n[stages.a]\nversions_to_keep = 2\n[stages.b]\nversions_to_keep = 0\n',
  );
  assert.equal(err.problems.length, 2, err.message);
  assert.match(err.problems[1], /stages\.b\.versions_to_keep/);
});

test(`at most ${MAX_PROBLEMS} problems are listed, then a line saying there may be more`, () => {
  const many = Array.from({ length: 30 }, (_, i) => `p${i} = "x\\ny"`).join('\n');
  const err = problemsOf(base + hosts + `\n[processes]\nweb = "x"\n${many}\n`);
  assert.equal(err.problems.length, MAX_PROBLEMS + 1);
  assert.match(err.problems[MAX_PROBLEMS], /stopped after 20 problems/);
});

test('a bad line in inline env names its place in deployer.toml and the line in the text', () => {
  const err = problemsOf(base + 'env = """\nA=1\n1BAD=2\n"""\n' + hosts + 'env = "OK=1\\nOK=2"\n' + procs);
  assert.deepEqual(err.problems, [
    'deployer.toml:4:7: env, line 2 of its text: "1BAD" is not a valid environment variable name. Fix: use letters, digits and _ only, not starting with a digit.',
    'deployer.toml:11:7: hosts[0].env, line 2 of its text: OK is already set on line 1. Fix: keep one assignment per name.',
  ]);
});

test('env parsing is linear: 10,000 keys and a 4 MB env each parse well under a second', () => {
  const keys = Array.from({ length: 10_000 }, (_, i) => `KEY_${i}=value-${i}`).join('\n');
  let t = performance.now();
  assert.equal(parseEnvText(keys, 'env').length, 10_000);
  const keysMs = performance.now() - t;
  const big = Array.from({ length: 4000 }, (_, i) => `K${i}=${'x'.repeat(1000)}`).join('\n');
  t = performance.now();
  assert.equal(parseEnvText(big, 'env').length, 4000);
  const bigMs = performance.now() - t;
  // Quadratic line counting took 17 s for 10k keys and 79 s for 4 MB; about 0.3 s each now on an idle
  // machine. The budget is wide because the test machine is shared (load averages of 30 seen).
  t = performance.now();
  formatEnvFile(Array.from({ length: 10_000 }, (_, i) => ({ key: `KEY_${i}`, value: `it's ${i}` })));
  const writeMs = performance.now() - t;
  assert.ok(
    keysMs < 5000 && bigMs < 5000 && writeMs < 5000,
    `10k keys: ${keysMs.toFixed(0)} ms, 4 MB: ${bigMs.toFixed(0)} ms, writing 10k: ${writeMs.toFixed(0)} ms`,
  );
});

test('env values are exactly what dotenv reads', () => {
  const text = [
    'A=plain',
    "B='single # not comment'",
    'C="double\\nnewline"',
    'D=`back`',
    'E=  spaced  ',
    'F=',
    'G="multi',
    'line"',
    'export H=exported',
    'I="quoted" # comment',
    "J='a\\nb'",
    'K=a=b=c',
  ].join('\n');
  const ours = Object.fromEntries(parseEnvText(text, 'env').map((e) => [e.key, e.value]));
  assert.deepEqual(ours, dotenvParse(text));
  const twice = text + "\nA=again\r\nL='\\'\nM=x\\";
  assert.deepEqual(ownDotenvParse(twice), dotenvParse(twice));
});

test('a web process cannot have more replicas than ports, and 30000000 replicas is a config error', () => {
  assert.match(
    problemsOf(base + hosts + '\n[processes]\nweb = { command = "x", replicas = 30000000 }\n').message,
    /replicas must be an integer from 1 to 100/,
  );
});

test('apps_dir: system directories and what lies inside the system trees are refused, own directories pass', () => {
  const refused = [
    '/',
    '//',
    '/etc',
    '/etc/apps',
    '/usr',
    '/usr/local',
    '/usr/local/share',
    '/usr/local/share/apps',
    '/usr/lib/x',
    '/bin',
    '/boot',
    '/dev/shm',
    '/proc/1',
    '/sys',
    '/var',
    '/var/lib',
    '/var/log',
    '/home',
    '/root',
    '/root/apps',
    '/opt',
    '/opt/',
    '/srv/../etc',
    '/tmp',
    '/run/apps',
  ];
  const accepted = [
    '/srv',
    '/srv/deployer',
    '/srv/apps',
    '/opt/apps',
    '/var/www/apps',
    '/var/lib/deployer',
    '/home/deploy/apps',
    '/usr/local/apps',
    '/data/apps',
  ];
  for (const dir of refused) assert.notEqual(systemDirReason(dir), undefined, `${dir} should be refused`);
  for (const dir of accepted) assert.equal(systemDirReason(dir), undefined, `${dir} should be accepted`);
  assert.equal(
    appDirReason('/srv', 'deployer'),
    "/srv/deployer is deployer's default apps dir, holding every other app and deployer's .deployer state",
  );
  assert.notEqual(appDirReason('/', 'srv'), undefined);
});
