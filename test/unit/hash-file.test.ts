// hashFile: one read for a small file, a stream for a large one or a prefix;
// the same sha256 either way.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashFile } from '../../src/local/build.js';
import { tempDir } from '../helpers/tmp.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('hashFile gives the sha256 of a small file, a large one (past the one-read size) and a prefix', async () => {
  const dir = tempDir('deployer-hash-');
  for (const size of [0, 1, 1 << 20, (8 << 20) + 3]) {
    const data = randomBytes(size);
    const path = join(dir, `f${size}`);
    writeFileSync(path, data);
    assert.equal(await hashFile(path), sha(data), `${size} bytes`);
    if (size > 10) assert.equal(await hashFile(path, 10), sha(data.subarray(0, 10)), `first 10 of ${size} bytes`);
  }
});
