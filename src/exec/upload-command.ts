// The remote side of an upload: a command that keeps the first `start`
// bytes of the file (0: none), appends its stdin and sets the mode. The bytes
// travel on an exec channel's stdin rather than as SFTP write requests: one
// stream, no request/acknowledgement per 128 KiB and no out-of-order writes,
// so a cut upload leaves an exact prefix of the file. The prepare script
// verifies every sha256 afterwards.
import { shellJoin } from '../shell/quote.js';

const APPEND = 'truncate -s "$1" -- "$2" && cat >> "$2" && { [ -z "$3" ] || chmod "$3" -- "$2"; }';

export function uploadCommand(remote: string, start = 0, mode?: number): string {
  if (!Number.isSafeInteger(start) || start < 0) throw new Error(`uploadCommand: bad start offset ${start}`);
  return shellJoin(['sh', '-c', APPEND, 'sh', String(start), remote, mode === undefined ? '' : mode.toString(8)]);
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
