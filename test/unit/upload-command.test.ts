import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { progressThrottle, uploadOrder, uploadPayload, uploadScript, type UploadPart } from '../../src/exec/upload-command.js';
import { framedScript, SCRIPT_READER } from '../../src/remote/scriptFiles.js';
import type { Upload } from '../../src/remote/steps.js';
import { tempDir } from '../helpers/tmp.js';

function upload(remote: string, over: Partial<Upload> = {}): Upload {
  return { remote, sha256: '', size: 0, mode: 0o644, label: posix.basename(remote), ...over };
}

/** Runs upload.sh as a host would: SCRIPT_READER, the framed script, then the payload; `cut` drops the payload's tail. */
async function runUpload(parts: UploadPart[], cut = 0) {
  const chunks: Buffer[] = [];
  for await (const c of uploadPayload(parts, () => undefined)) chunks.push(c);
  const payload = Buffer.concat(chunks);
  const input = Buffer.concat([Buffer.from(framedScript(uploadScript(parts))), payload.subarray(0, payload.length - cut)]);
  const r = spawnSync('sh', ['-c', SCRIPT_READER], { input });
  return { code: r.status, stderr: r.stderr.toString() };
}

test('one channel takes every file: contents first, files last; dirs made; each mode exact; a resume keeps the prefix', async () => {
  const dir = tempDir("upload-cmd-'$(x)");
  try {
    const local = join(dir, 'artifact');
    writeFileSync(local, 'hello there, the whole artifact');
    const incoming = join(dir, 'v1', '.incoming');
    const art = upload(join(incoming, "it's here"), { local, size: 31, mode: 0o755 });
    const env = upload(join(incoming, '.env'), { content: 'SECRET=é\n', size: 10, mode: 0o600 });
    const site = upload(join(dir, 'other', 'site'), { content: 'site\n', size: 5 });
    const parts = uploadOrder([
      { upload: art, start: 0 },
      { upload: env, start: 0 },
      { upload: site, start: 0 },
    ]);
    assert.deepEqual(
      parts.map((p) => p.upload.label),
      ['.env', 'site', "it's here"],
    );
    const r = await runUpload(parts);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(art.remote, 'utf8'), 'hello there, the whole artifact');
    assert.equal(readFileSync(env.remote, 'utf8'), 'SECRET=é\n');
    assert.equal(readFileSync(site.remote, 'utf8'), 'site\n');
    assert.deepEqual(
      [art, env, site].map((u) => statSync(u.remote).mode & 0o777),
      [0o755, 0o600, 0o644],
    );
    // A resume: the first 4 bytes stay, whatever followed them is replaced.
    writeFileSync(art.remote, 'HELLX leftover');
    writeFileSync(local, 'hello again');
    const resumed = await runUpload([{ upload: { ...art, size: 11 }, start: 4 }]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(readFileSync(art.remote, 'utf8'), 'HELLo again');
    // A fresh upload over a longer leftover replaces it whole.
    writeFileSync(art.remote, 'a much longer leftover');
    writeFileSync(local, 'new');
    assert.equal((await runUpload([{ upload: { ...art, size: 3 }, start: 0 }])).code, 0);
    assert.equal(readFileSync(art.remote, 'utf8'), 'new');
    assert.throws(() => uploadScript([{ upload: art, start: -1 }]), /bad start offset/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a cut stream leaves an exact prefix of the file being sent (the sha256 check of the prepare then fails it)', async () => {
  const dir = tempDir('upload-cut-');
  try {
    const local = join(dir, 'artifact');
    writeFileSync(local, '0123456789');
    const a = upload(join(dir, 'in', 'a'), { content: 'abc', size: 3 });
    const b = upload(join(dir, 'in', 'b'), { local, size: 10 });
    await runUpload(
      uploadOrder([
        { upload: b, start: 0 },
        { upload: a, start: 0 },
      ]),
      4,
    );
    assert.equal(readFileSync(a.remote, 'utf8'), 'abc');
    assert.equal(readFileSync(b.remote, 'utf8'), '012345');
    // Cut inside a content that is not the last: the next file gets nothing.
    const c = upload(join(dir, 'in', 'c'), { content: 'xyz', size: 3 });
    await runUpload(
      [
        { upload: a, start: 0 },
        { upload: c, start: 0 },
      ],
      5,
    );
    assert.equal(readFileSync(a.remote, 'utf8'), 'a');
    assert.equal(readFileSync(c.remote, 'utf8'), '');
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
