// The CLI's manners, run as a user would (the built cli.js in a child process):
// bare `deployer` is help on stdout with exit 0, the version in two spellings,
// global options shown in every subcommand's help, and --completion both
// documented and accepted as --completion=ACTION.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const PKG = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string };
const cwd = tempDir('cli-conventions-');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: cwd, SHELL: '/bin/bash' },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bare deployer prints the help on stdout and exits 0', () => {
  const r = cli();
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Usage: deployer \[options\] \[command\]/);
  assert.match(r.stdout, /^ {2}deploy \[options\]/m);
  assert.equal(r.stderr, '');
});

test('--version, -V and `deployer version` print the package version', () => {
  for (const args of [['--version'], ['-V'], ['version']]) {
    const r = cli(...args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${PKG.version}\n`, args.join(' '));
  }
});

test('subcommand help lists the inherited global options, like gh', () => {
  for (const args of [
    ['app', 'exec', '--help'],
    ['deploy', '--help'],
    ['help', 'rollback'],
  ]) {
    const r = cli(...args);
    assert.equal(r.code, 0, r.stderr);
    const global = r.stdout.split(/^Global Options:$/m)[1];
    assert.ok(global, `${args.join(' ')}: no Global Options section:\n${r.stdout}`);
    for (const flag of ['--stage <name>', '--host <name>', '--json', '--config <file>', '--verbose', '--yes'])
      assert.ok(global.includes(flag), `${args.join(' ')}: ${flag}`);
  }
});

test('--completion is in --help and accepts both --completion generate and --completion=generate', () => {
  const help = cli('--help');
  assert.match(help.stdout, /--completion <action> +shell completion: `generate \[bash\|zsh\|fish\]`/);
  const spaced = cli('--completion', 'generate', 'bash');
  const joined = cli('--completion=generate', 'bash');
  assert.equal(spaced.code, 0, spaced.stderr);
  assert.equal(joined.code, 0, joined.stderr);
  assert.match(joined.stdout, /^complete -F _deployer_completion deployer$/m);
  assert.equal(joined.stdout, spaced.stdout);
  const complete = cli('--completion=complete', '--shell', 'bash', '--', 'versi');
  assert.equal(complete.stdout, 'version\n');
  // Anywhere but first it is a usage error, not silently ignored.
  const late = cli('history', '--completion', 'generate');
  assert.equal(late.code, 2);
  assert.match(late.stderr, /--completion must come first/);
});
