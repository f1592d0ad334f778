// Each file's upload, in lines (--verbose): a plain line every 10 % (at
// most one a second) or every 5 s, whichever comes first, and `uploaded`
// when it is done. On a terminal the live view (liveView.ts) shows the
// uploads as one line per wave. Sizes are always human (KiB, MiB, GiB).
import type { EventOf } from './events.js';
import type { Writer } from './reporter.js';

/** What a terminal stream has beyond write(). */
export interface TerminalWriter extends Writer {
  columns?: number;
  rows?: number;
}

interface Transfer {
  host?: string;
  file: string;
  bytes: number;
  total: number;
  started: number;
  /** For plain output: when and at which fraction the last line was printed. */
  printedAt: number;
  /** Tenths printed so far (plain output). */
  printedStep: number;
}

/** Files smaller than this get no progress line, only the summary. */
const SHOW_FROM = 256 * 1024;
/** Piped: a line per tenth. */
const PLAIN_STEPS = 10;
const PLAIN_MIN_MS = 1000;
const PLAIN_EVERY_MS = 5000;

export class UploadProgress {
  private readonly active = new Map<string, Transfer>();
  private stopped = false;

  constructor(
    /** Prints one line (through the reporter, so it is redacted and prefixed). */
    private readonly line: (host: string | undefined, text: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  update(e: EventOf<'upload'>): void {
    if (this.stopped) return;
    const key = `${e.host ?? ''}\0${e.file}`;
    const t = this.now();
    let tr = this.active.get(key);
    if (!tr) {
      tr = { host: e.host, file: e.file, bytes: 0, total: e.total, started: t, printedAt: t, printedStep: 0 };
      this.active.set(key, tr);
    }
    tr.bytes = e.bytes;
    tr.total = e.total;
    if (e.bytes >= e.total) {
      this.active.delete(key);
      this.line(
        e.host,
        `uploaded ${e.file} (${formatBytes(e.total)}${e.total >= SHOW_FROM ? `, ${formatDuration(t - tr.started)}, ${formatRate(e.total, t - tr.started)}` : ''})`,
      );
      return;
    }
    if (e.total < SHOW_FROM) return;
    const step = Math.floor((e.bytes * PLAIN_STEPS) / e.total);
    if ((step > tr.printedStep && t - tr.printedAt >= PLAIN_MIN_MS) || t - tr.printedAt >= PLAIN_EVERY_MS) {
      tr.printedAt = t;
      tr.printedStep = step;
      const s = this.stats(tr, t);
      this.line(
        e.host,
        `uploading ${e.file}: ${Math.floor((e.bytes / e.total) * 100)}% ${formatBytes(e.bytes)} of ${formatBytes(e.total)}${s ? `, ${s.rate}, ${s.eta}` : ''}`,
      );
    }
  }

  /** For good (the command failed or was interrupted): no line is printed again. */
  stop(): void {
    this.stopped = true;
    this.active.clear();
  }

  private stats(tr: Transfer, t: number): Stats | undefined {
    const ms = t - tr.started;
    if (ms < 300 || tr.bytes === 0) return undefined;
    const rate = (tr.bytes / ms) * 1000;
    return { rate: `${formatBytes(rate)}/s`, eta: `${formatDuration(((tr.total - tr.bytes) / rate) * 1000)} left` };
  }
}

interface Stats {
  rate: string;
  eta: string;
}

/** `43.0/95.4 MiB`, or `512.0 KiB/95.4 MiB` when the units differ. */
export function formatBytePair(a: number, b: number): string {
  const fa = formatBytes(a);
  const fb = formatBytes(b);
  const ua = fa.slice(fa.indexOf(' '));
  return ua === fb.slice(fb.indexOf(' ')) ? `${fa.slice(0, fa.indexOf(' '))}/${fb}` : `${fa}/${fb}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

export function formatRate(bytes: number, ms: number): string {
  return ms > 0 ? `${formatBytes((bytes / ms) * 1000)}/s` : 'instant';
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
