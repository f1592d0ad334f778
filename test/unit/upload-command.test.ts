import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { progressThrottle, uploadCommand } from '../../src/exec/upload-command.js';
import { tempDir } from '../helpers/tmp.js';

test('the upload command is one quoted sh -c with the values as arguments', () => {
  assert.equal(
    uploadCommand('/srv/app/.incoming/a b', 0, 0o755),
    `sh -c 'truncate -s "$1" -- "$2" && cat >> "$2" && { [ -z "$3" ] || chmod "$3" -- "$2"; }' sh 0 '/srv/app/.incoming/a b' 755`,
  );
  assert.match(uploadCommand('/x', 8388608), / sh 8388608 \/x ''$/);
  assert.throws(() => uploadCommand('/x', -1), /bad start offset/);
});

test('run by sh it writes stdin to the file, or keeps a prefix and appends, and sets the mode', () => {
  const dir = tempDir("upload-cmd-'$(x)");
  try {
    const file = join(dir, "it's here");
    execFileSync('sh', ['-c', uploadCommand(file, 0, 0o640)], { input: 'hello world' });
    assert.equal(readFileSync(file, 'utf8'), 'hello world');
    assert.equal(statSync(file).mode & 0o777, 0o640);
    // A resume: the first 5 bytes stay, whatever followed them is replaced.
    execFileSync('sh', ['-c', uploadCommand(file, 5)], { input: ' there' });
    assert.equal(readFileSync(file, 'utf8'), 'hello there');
    // A fresh upload over a longer leftover replaces it whole.
    writeFileSync(file, 'a much longer leftover');
    execFileSync('sh', ['-c', uploadCommand(file, 0)], { input: 'new' });
    assert.equal(readFileSync(file, 'utf8'), 'new');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('progress: at most every 1% or 250 ms, one byte short of total until done', () => {
  const seen: Array<[number, number]> = [];
  let now = 1_000_000;
  const p = progressThrottle(
    1000,
    (b, t) => seen.push([b, t]),
    () => now,
  );
  p.sent(1); // first report
  p.sent(5); // < 1% and no time passed: dropped
  p.sent(11); // 1% more
  now += 300;
  p.sent(12); // 250 ms later
  p.sent(1000); // all read, not yet on the host
  p.done();
  assert.deepEqual(seen, [
    [1, 1000],
    [11, 1000],
    [12, 1000],
    [999, 1000],
    [1000, 1000],
  ]);
  const empty: Array<[number, number]> = [];
  progressThrottle(0, (b, t) => empty.push([b, t])).done();
  assert.deepEqual(empty, [[0, 0]]);
});
