// Upload progress for people. On a terminal: one line per host, redrawn in
// place (log-update), each cut to the terminal's width so nothing wraps,
// with the rate and the time left. Piped or in CI: a plain line every 10 %
// (at most one a second) or every 5 s, whichever comes first. Sizes are
// always human (KiB, MiB, GiB).
import type { EventOf } from './events.js';
import type { Writer } from './reporter.js';

type LogUpdate = ((text: string) => void) & { clear(): void; done(): void };

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
const REDRAW_MS = 100;

export class UploadProgress {
  private readonly active = new Map<string, Transfer>();
  private log?: LogUpdate;
  private loading?: Promise<void>;
  private shown = false;
  private lastDraw = 0;
  /** A redraw skipped by the rate limit happens a moment later, so the last update always shows. */
  private pending?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly out: TerminalWriter,
    private readonly tty: boolean,
    /** Prints one finished line (through the reporter, so it is redacted and prefixed). */
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
      this.clear();
      this.line(
        e.host,
        `uploaded ${e.file} (${formatBytes(e.total)}${e.total >= SHOW_FROM ? `, ${formatDuration(t - tr.started)}, ${formatRate(e.total, t - tr.started)}` : ''})`,
      );
      this.redraw(true);
      return;
    }
    if (e.total < SHOW_FROM) return;
    if (this.tty) return this.redraw(false);
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

  /** For good (the command failed or was interrupted): no bar is drawn again. */
  stop(): void {
    this.stopped = true;
    this.clear();
    this.active.clear();
    if (this.pending) clearTimeout(this.pending);
  }

  /** Takes the live lines off the screen (before another line is printed). */
  clear(): void {
    if (this.shown && this.log) this.log.clear();
    this.shown = false;
  }

  /** Puts the live lines back after another line was printed. */
  redraw(force = true): void {
    if (!this.tty) return;
    const visible = [...this.active.values()].filter((tr) => tr.total >= SHOW_FROM);
    if (visible.length === 0) {
      this.clear();
      return;
    }
    const t = this.now();
    if (!force && this.shown && t - this.lastDraw < REDRAW_MS) {
      this.pending ??= setTimeout(() => {
        this.pending = undefined;
        this.redraw(true);
      }, REDRAW_MS).unref();
      return;
    }
    if (!this.log) {
      this.load();
      return;
    }
    this.lastDraw = t;
    // One column spare: writing into the last column makes some terminals wrap.
    const width = Math.max((this.out.columns ?? 80) - 1, 10);
    this.log(visible.map((tr) => fitLine(tr, this.stats(tr, t), width)).join('\n'));
    this.shown = true;
  }

  /** Loads log-update on first use (it costs ~30 ms of start-up for commands that never upload). */
  private load(): void {
    this.loading ??= import('log-update').then(({ createLogUpdate }) => {
      this.log = createLogUpdate(this.out as unknown as NodeJS.WritableStream, { showCursor: true }) as LogUpdate;
      this.redraw(true);
    });
  }

  /** Waits for log-update to load (tests). */
  async ready(): Promise<void> {
    this.load();
    await this.loading;
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

/**
 * `[h1] ↑ artifact ██████░░░░ 45% 43.0/95.4 MiB 12.3 MiB/s, 4 s left`, made
 * to fit `width`: the rate goes first, then the sizes, then the bar.
 */
export function fitLine(tr: Pick<Transfer, 'host' | 'file' | 'bytes' | 'total'>, stats: Stats | undefined, width: number): string {
  const pct = `${tr.total ? Math.floor((tr.bytes / tr.total) * 100) : 100}%`;
  const head = `${tr.host ? `[${tr.host}] ` : ''}↑ ${tr.file}`;
  const sizes = formatBytePair(tr.bytes, tr.total);
  const eta = stats?.eta ?? 'starting';
  const tails = [
    stats ? ` ${pct} ${sizes} ${stats.rate}, ${eta}` : ` ${pct} ${sizes} ${eta}`,
    ` ${pct} ${sizes} ${eta}`,
    ` ${pct} ${eta}`,
    ` ${pct}`,
  ];
  for (const tail of tails) {
    const room = width - head.length - 1 - tail.length;
    if (room >= 8) {
      const barWidth = Math.min(room, 30);
      const filled = Math.round((tr.total ? tr.bytes / tr.total : 1) * barWidth);
      return `${head} ${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}${tail}`;
    }
  }
  const plain = `${head} ${pct} ${eta}`;
  return plain.length <= width ? plain : plain.slice(0, width - 1) + '…';
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
