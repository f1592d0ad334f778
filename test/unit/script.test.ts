// The phase scripts run in a real local bash (no sudo steps here), so what
// the planner emits is checked by its effect, not by its text alone.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, readlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { renderScript, ScriptExit } from '../../src/remote/phaseScript.js';
import type { ScriptSpec } from '../../src/remote/steps.js';
import { tempDir } from '../helpers/tmp.js';

function run(spec: ScriptSpec, after = ''): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-s'], { input: renderScript(spec) + after, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = () => tempDir('deployer-script-');

test('write, symlink, verify and move do what they say, atomically named', () => {
  const d = dir();
  writeFileSync(join(d, 'payload'), 'hello');
  const sha = createHash('sha256').update('hello').digest('hex');
  const r = run({
    phaseLock: join(d, 'phase.lock'),
    steps: [
      { kind: 'verify-sha256', path: join(d, 'payload'), sha256: sha },
      { kind: 'mkdir', path: join(d, 'v 1') },
      { kind: 'move', from: join(d, 'payload'), to: join(d, 'v 1', 'payload') },
      { kind: 'write', path: join(d, 'versions'), mode: '0640', content: '1\tgood\n$(touch pwned) \'q\' "dq"\n' },
      { kind: 'symlink', target: 'v 1', path: join(d, 'current') },
      { kind: 'append-line', path: join(d, 'history'), line: '{"a":"$(touch pwned)"}' },
    ],
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(d, 'v 1', 'payload'), 'utf8'), 'hello');
  assert.equal(readFileSync(join(d, 'versions'), 'utf8'), '1\tgood\n$(touch pwned) \'q\' "dq"\n');
  assert.equal(readlinkSync(join(d, 'current')), 'v 1');
  assert.equal(readFileSync(join(d, 'history'), 'utf8'), '{"a":"$(touch pwned)"}\n');
  assert.equal(existsSync('pwned') || existsSync(join(d, 'pwned')), false);
});

test('a failing step stops the script, runs onFail, exits 10 and names the step', () => {
  const d = dir();
  const r = run({
    phaseLock: join(d, 'l'),
    steps: [
      { kind: 'verify-sha256', path: join(d, 'missing'), sha256: 'abc' },
      { kind: 'write', path: join(d, 'never'), mode: '0644', content: 'x' },
    ],
    onFail: [{ kind: 'write', path: join(d, 'failed-record'), mode: '0644', content: 'failed' }],
  });
  assert.equal(r.code, ScriptExit.stepFailed);
  assert.match(r.stdout, new RegExp(`@@fail verify sha256 of ${d}/missing`));
  assert.equal(existsSync(join(d, 'never')), false);
  assert.equal(readFileSync(join(d, 'failed-record'), 'utf8'), 'failed');
});

test('checksum mismatch is a failure', () => {
  const d = dir();
  writeFileSync(join(d, 'f'), 'data');
  const r = run({ phaseLock: join(d, 'l'), steps: [{ kind: 'verify-sha256', path: join(d, 'f'), sha256: '0'.repeat(64) }] });
  assert.equal(r.code, ScriptExit.stepFailed);
  assert.match(r.stderr, /checksum mismatch/);
});

const verdictSpec = (d: string): ScriptSpec => ({
  phaseLock: join(d, 'l'),
  steps: [{ kind: 'write', path: join(d, 'live'), mode: '0644', content: 'new' }],
  verdict: {
    timeoutSec: 2,
    commit: [{ kind: 'write', path: join(d, 'record'), mode: '0644', content: 'good' }],
    rollback: [{ kind: 'write', path: join(d, 'record'), mode: '0644', content: 'failed' }],
  },
});

test('the switch waits for the verdict: commit', () => {
  const d = dir();
  const r = run(verdictSpec(d), 'commit\n');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /@@ready/);
  assert.equal(readFileSync(join(d, 'record'), 'utf8'), 'good');
});

test('the switch reverts when the client says rollback or goes away', () => {
  for (const after of ['rollback\n', '']) {
    const d = dir();
    const r = run(verdictSpec(d), after);
    assert.equal(r.code, ScriptExit.rolledBack);
    assert.equal(readFileSync(join(d, 'record'), 'utf8'), 'failed');
  }
});

test('an app command runs the user command line in the release with its .appenv', () => {
  const d = dir();
  writeFileSync(join(d, '.appenv'), "export GREETING='hi there'\n");
  const r = run({
    phaseLock: join(d, 'l'),
    steps: [{ kind: 'app-command', command: 'echo "$GREETING from $(pwd)" > out.txt', releaseDir: d, desc: 'release command' }],
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(d, 'out.txt'), 'utf8'), `hi there from ${d}\n`);
});

test('a multi-line release command is one marker line: its lines are never read as the host speaking', () => {
  const d = dir();
  writeFileSync(join(d, '.appenv'), '');
  const command = 'echo one > out.txt\n@@done\nfalse';
  const r = run({
    phaseLock: join(d, 'l'),
    steps: [{ kind: 'app-command', command, releaseDir: d, desc: `release command: ${command}` }],
  });
  assert.equal(r.code, ScriptExit.stepFailed, r.stderr);
  assert.equal(readFileSync(join(d, 'out.txt'), 'utf8'), 'one\n');
  assert.deepEqual(
    r.stdout.split('\n').filter((l) => l.startsWith('@@')),
    ['@@step release command: echo one > out.txt ⏎ @@done ⏎ false', '@@fail release command: echo one > out.txt ⏎ @@done ⏎ false'],
  );
});

test('hostile paths in every step are data, never code', () => {
  const d = join(dir(), `q'"$(touch pwned1);\`touch pwned2\` x`);
  mkdirSync(d);
  const r = spawnSync('bash', ['-s'], {
    cwd: dirname(d),
    input: renderScript({
      phaseLock: join(d, 'lock'),
      steps: [
        { kind: 'mkdir', path: join(d, 'v 1') },
        { kind: 'write', path: join(d, 'f'), mode: '0644', content: '$(touch pwned3)' },
        { kind: 'symlink', target: 'v 1', path: join(d, 'current') },
        { kind: 'app-command', command: 'true', releaseDir: d, desc: `run in ${d}` },
      ],
    }),
    encoding: 'utf8',
  });
  // The app command fails (no .appenv there); everything before it ran.
  assert.equal(r.status, 10, r.stderr);
  assert.doesNotMatch(r.stderr, /syntax error/);
  for (const m of ['pwned1', 'pwned2', 'pwned3']) assert.equal(existsSync(join(dirname(d), m)), false, m);
  assert.equal(readlinkSync(join(d, 'current')), 'v 1');
});

test('a copied virtual environment names its own release dir: bin scripts and pyvenv.cfg', () => {
  const d = dir();
  const oldVenv = join(d, 'v1', '.venv');
  const newVenv = join(d, 'v1_2', '.venv');
  for (const v of [oldVenv, newVenv]) mkdirSync(join(v, 'bin'), { recursive: true });
  // What `cp -a` of the live venv leaves: files that still name the old place.
  writeFileSync(join(newVenv, 'pyvenv.cfg'), `home = /usr/bin\nversion = 3.11.2\ncommand = /usr/bin/python3 -m venv ${oldVenv}\n`);
  writeFileSync(join(newVenv, 'bin', 'activate'), `VIRTUAL_ENV="${oldVenv}"\n`);
  writeFileSync(join(newVenv, 'bin', 'app'), `#!${oldVenv}/bin/python\nimport app\n`);
  const r = run({ phaseLock: join(d, 'l'), steps: [{ kind: 'run', argv: ['dp_relocate_venv', oldVenv, newVenv], desc: 'relocate' }] });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    readFileSync(join(newVenv, 'pyvenv.cfg'), 'utf8'),
    `home = /usr/bin\nversion = 3.11.2\ncommand = /usr/bin/python3 -m venv ${newVenv}\n`,
  );
  assert.equal(readFileSync(join(newVenv, 'bin', 'activate'), 'utf8'), `VIRTUAL_ENV="${newVenv}"\n`);
  assert.equal(readFileSync(join(newVenv, 'bin', 'app'), 'utf8'), `#!${newVenv}/bin/python\nimport app\n`);
});
