// `deployer config` through the built CLI, as a user runs it.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { configFixtures, repoRoot } from './config-helpers.js';
import { tempDir } from '../helpers/tmp.js';

const cli = join(repoRoot, 'dist', 'cli', 'cli.js');

function run(args: string[], cwd = configFixtures) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.GITHUB_ACTIONS; // annotations would add a line to stderr
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, env, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('config prints the resolved config with env values redacted', () => {
  const r = run(['config', '-c', 'good.toml']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^app = "shop"$/m);
  assert.match(r.stdout, /^API_TOKEN=\[REDACTED\]$/m);
  assert.match(r.stdout, /^\[\[hosts\]\]$/m);
  assert.ok(!r.stdout.includes('DEBUG=false') && !r.stdout.includes('WORKERS=4'), r.stdout);
  assert.equal(r.stderr, '');
});

test('config --stage applies the overlay', () => {
  const r = run(['config', '-c', 'good.toml', '--stage', 'staging']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /app name shop-staging/);
  assert.match(r.stdout, /^address = "10\.0\.1\.1"$/m);
});

test('config --json prints one result event', () => {
  const r = run(['--json', 'config', '-c', 'good.toml']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const event = JSON.parse(lines[0]);
  assert.equal(event.type, 'result');
  assert.equal(event.command, 'config');
  assert.equal(event.data.appName, 'shop');
  assert.equal(event.data.hosts[0].port, 2222);
  assert.equal(event.data.env, 'DEBUG=[REDACTED]\nAPI_TOKEN=[REDACTED]\n');
});

test('a bad file exits 2 with one ✗ paragraph and no stack trace', () => {
  const r = run(['config', '-c', join('bad', 'port-not-integer.toml')]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    '✗ bad/port-not-integer.toml:8:8: hosts[0].port must be an integer from 1 to 65535, got "22a". Fix: write port = 22.\n',
  );
});

test('bad TOML syntax exits 2 the same way', () => {
  const r = run(['config', '-c', join('bad', 'bad-toml-duplicate-key.toml')]);
  assert.equal(r.code, 2);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^✗ bad\/bad-toml-duplicate-key\.toml:6:1: invalid TOML: /);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('a missing file exits 2 and suggests deployer init', () => {
  const r = run(['config'], tempDir('deployer-cli-'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^✗ deployer\.toml: config file not found \(looked for .*deployer\.toml\)\. Fix: run `deployer init`/);
});

test('config --help shows examples', () => {
  const r = run(['config', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Examples:\n {2}\$ deployer config/);
});
