// The live view on a terminal: the lines FleetState gives (one per wave,
// never one per host, so 50 hosts fit any screen), redrawn in place at most
// every 100 ms, each cut to the terminal's width. Other lines are printed
// above it: the reporter clears it, writes, and redraws.
import type { FleetState } from './fleetState.js';
import type { TerminalWriter } from './progress.js';

type LogUpdate = ((text: string) => void) & { clear(): void; done(): void };

const REDRAW_MS = 100;

export class LiveView {
  private log?: LogUpdate;
  private loading?: Promise<void>;
  private shown = false;
  private lastDraw = 0;
  private pending?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly out: TerminalWriter,
    private readonly state: FleetState,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes the live lines off the screen (before another line is printed). */
  clear(): void {
    if (this.shown && this.log) this.log.clear();
    this.shown = false;
  }

  /** Draws the lines again; `force` false: at most every REDRAW_MS (a skipped draw happens a moment later). */
  redraw(force = true): void {
    if (this.stopped) return;
    if (!this.state.active) return this.clear();
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
    const rows = Math.max((this.out.rows ?? 24) - 2, 1);
    this.log(this.state.lines(width).slice(-rows).join('\n'));
    this.shown = true;
  }

  /** For good (the hosts' outcomes are printed, or the command failed): the view is not drawn again. */
  stop(): void {
    this.clear();
    this.stopped = true;
    if (this.pending) clearTimeout(this.pending);
  }

  /** log-update costs ~30 ms to load: only commands that reach a host pay it. */
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
}
