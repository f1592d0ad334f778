// A deploy's uploads on one channel: remote/upload.sh, then every file's
// bytes after it on stdin (sendScript's payload). The bytes travel on the
// channel's stdin rather than as SFTP requests: one stream, no
// request/acknowledgement per 128 KiB or per small file, no out-of-order
// writes, so a cut upload leaves an exact prefix of the file. The prepare
// script verifies every sha256 afterwards.
import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import { DeployerError } from '../errors.js';
import type { Upload } from '../remote/steps.js';
import { scriptWithArgs } from '../remote/scriptFiles.js';

/** One file to send: from byte `start` (what a resume keeps) to its end. */
export interface UploadPart {
  upload: Upload;
  start: number;
}

/**
 * The parts in the order they are sent: contents first, files after, so the
 * last part is a file (read on the host by cat, in large blocks) whenever
 * there is one.
 */
export function uploadOrder(parts: UploadPart[]): UploadPart[] {
  return [...parts.filter((p) => p.upload.local === undefined), ...parts.filter((p) => p.upload.local !== undefined)];
}

/** remote/upload.sh with its arguments: the dirs to make, then PATH START COUNT MODE per part. */
export function uploadScript(parts: UploadPart[]): string {
  const dirs = [...new Set(parts.map((p) => posix.dirname(p.upload.remote)))];
  const args = [String(dirs.length), ...dirs];
  for (const { upload: u, start } of parts) {
    if (!Number.isSafeInteger(start) || start < 0 || start > u.size) throw new Error(`uploadScript: bad start offset ${start}`);
    const count = u.local === undefined ? Buffer.byteLength(u.content ?? '', 'utf8') : u.size - start;
    args.push(u.remote, String(start), String(count), u.mode.toString(8));
  }
  return scriptWithArgs(args, 'upload.sh');
}

/**
 * The bytes upload.sh reads, part after part: exactly `size - start` of each
 * (a file that changed size since it was hashed fails on the host's count).
 * `sent(part, bytes)`: a file's bytes read so far, its start included (not
 * called for a content: a few bytes, reported once on the host).
 */
export async function* uploadPayload(parts: UploadPart[], sent: (part: UploadPart, bytes: number) => void): AsyncGenerator<Buffer> {
  for (const part of parts) {
    const u = part.upload;
    if (u.local === undefined) {
      yield Buffer.from(u.content ?? '', 'utf8');
      continue;
    }
    if (part.start >= u.size) continue;
    let bytes = part.start;
    // 1 MiB reads keep the channel's window full; the stream pauses whenever the window is used up.
    const file = createReadStream(u.local, { start: part.start, end: u.size - 1, highWaterMark: 1024 * 1024 });
    try {
      for await (const chunk of file as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        sent(part, bytes);
        yield chunk;
      }
    } catch (err) {
      throw new DeployerError(`cannot read ${u.local} for the upload of ${u.label}: ${(err as Error).message}`, { cause: err });
    } finally {
      file.destroy();
    }
  }
}

/**
 * Progress reports for one file: every 1% or 250 ms, so the event stream
 * stays small and a slow link still shows movement. The bytes read are not
 * yet on the host, so until `done()` the count stops one byte short of total.
 */
export function progressThrottle(total: number, report: (bytes: number, total: number) => void, now: () => number = Date.now) {
  let last = -1;
  let lastAt = 0;
  return {
    sent(bytes: number): void {
      const shown = Math.min(bytes, Math.max(total - 1, 0));
      const t = now();
      if (shown > last && (shown - last >= total / 100 || t - lastAt >= 250)) {
        last = shown;
        lastAt = t;
        report(shown, total);
      }
    },
    done(): void {
      report(total, total);
    },
  };
}
