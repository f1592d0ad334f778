// SCRIPT_READER: how every remote script reaches `bash` (src/remote/scriptFiles.ts),
// run here in a real sh and bash with the framed script and more on stdin.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { framedScript, SCRIPT_READER, scriptWithArgs } from '../../src/remote/scriptFiles.js';

function run(stdin: string) {
  const r = spawnSync('sh', ['-c', SCRIPT_READER], { input: stdin, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('runs the script with its arguments, and leaves the rest of stdin to it', () => {
  const script = `set -- 'a b' "c'd"\nprintf '[%s]' "$@"; IFS= read -r verdict; echo " verdict=$verdict"; cat\n`;
  const r = run(`${framedScript(script)}commit\nrest of input\n`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "[a b][c'd] verdict=commit\nrest of input\n");
});

test('multibyte text and trailing newlines arrive byte for byte', () => {
  const script = `x='héllo — ✓'\nprintf '%s|' "$x"\n\n\n`;
  const r = run(framedScript(script));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'héllo — ✓|');
});

test('a script cut short (a dropped connection) does not run at all', () => {
  const script = 'echo first\necho second\n';
  const r = run(framedScript(script).slice(0, 14));
  assert.equal(r.code, 97);
  assert.equal(r.stdout, '');
});

test('a channel opened ahead and never used runs nothing: its stdin closes before a count', () => {
  for (const stdin of ['', '12', '\n', 'echo hi\n', '012\necho hi\necho', '-1\n']) {
    const r = run(stdin);
    assert.equal(r.code, 97, JSON.stringify(stdin));
    assert.equal(r.stdout, '', JSON.stringify(stdin));
  }
});

test('the command is the same for every script (a channel can be opened before its script is known)', () => {
  const a = run(framedScript('echo a\n'));
  const b = run(framedScript('echo bb; exit 3\n'));
  assert.deepEqual([a.code, a.stdout, b.code, b.stdout], [0, 'a\n', 3, 'bb\n']);
});

test('a whole remote script (the phase library) parses and runs its functions', () => {
  const script = `${scriptWithArgs(['x y'], 'phase.sh')}\necho "arg=$1"; dp_sudo - echo done\n`;
  const r = run(framedScript(script));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'arg=x y\ndone\n');
});

test(
  'reads the script in large blocks, not a byte at a time as `bash -s` does',
  { skip: spawnSync('strace', ['-V']).status !== 0 ? 'strace is not installed' : false },
  () => {
    const script = `${scriptWithArgs([], 'phase.sh')}\ntrue\n`;
    // Only reads of stdin count: every process started also reads its own
    // program and libraries, and how many processes and how short each pipe
    // read is both vary with the machine's load; `bash -s` would make one
    // read of stdin per byte.
    const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=read', '-e', 'signal=none', 'sh', '-c', SCRIPT_READER], {
      input: framedScript(script),
      encoding: 'utf8',
    });
    const reads = r.stderr.split('\n').filter((l) => /(^|\s)read\(0,/.test(l)).length;
    assert.ok(
      reads > 0 && reads < script.length / 50,
      `${reads} reads of stdin for a ${script.length}-byte script:\n${r.stderr.slice(0, 4000)}`,
    );
  },
);
