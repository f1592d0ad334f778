// One Reporter per run. It redacts, then hands each event to the renderer
// chosen from the environment: JSON lines (--json), GitHub Actions
// annotations, a colourful TTY renderer, or plain lines for pipes and CI.
import pc from 'picocolors';
import type { DeployerEvent, Level } from './events.js';
import { Redactor } from './redact.js';
import { UploadProgress, type TerminalWriter } from './progress.js';

export { formatBytes } from './progress.js';

export interface Writer {
  write(text: string): void;
}

export interface ReporterOptions {
  json?: boolean;
  verbose?: boolean;
  color?: boolean;
  tty?: boolean;
  github?: boolean;
  stdout?: Writer;
  stderr?: Writer;
}

export class Reporter {
  readonly redactor = new Redactor();
  /** Phase and upload events so far: what Ctrl-C's account of the deploy reads (src/deploy/interrupt.ts). */
  readonly events: DeployerEvent[] = [];
  readonly verbose: boolean;
  readonly json: boolean;
  private readonly color: boolean;
  private readonly tty: boolean;
  private readonly github: boolean;
  private readonly stdout: Writer;
  private readonly stderr: Writer;
  private readonly progress: UploadProgress;

  constructor(opts: ReporterOptions = {}) {
    this.json = opts.json ?? false;
    this.verbose = opts.verbose ?? false;
    this.tty = opts.tty ?? false;
    this.color = (opts.color ?? this.tty) && !this.json;
    this.github = opts.github ?? false;
    this.stdout = opts.stdout ?? process.stdout;
    this.stderr = opts.stderr ?? process.stderr;
    this.progress = new UploadProgress(this.stderr as TerminalWriter, this.tty && !this.json, (host, text) => this.line(this.stderr, `${this.prefix(host)}${text}`));
  }

  emit(event: DeployerEvent): void {
    const safe = this.scrub(event);
    if (safe.type === 'phase' || safe.type === 'upload') this.events.push(safe);
    if (this.json) {
      this.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...safe }) + '\n');
      return;
    }
    this.render(safe);
  }

  info(message: string, host?: string): void {
    this.emit({ type: 'log', level: 'info', message, host });
  }
  warn(message: string, host?: string): void {
    this.emit({ type: 'log', level: 'warn', message, host });
  }
  debug(message: string, host?: string): void {
    this.emit({ type: 'log', level: 'debug', message, host });
  }
  error(message: string, host?: string): void {
    this.emit({ type: 'log', level: 'error', message, host });
  }

  /** Plain program output (config print, history table): redacted, never decorated. */
  print(text: string): void {
    this.progress.clear();
    this.stdout.write(this.redactor.redact(text.endsWith('\n') ? text : text + '\n'));
    this.progress.redraw();
  }

  /** The final failure line (and GitHub annotation) for an error. */
  fail(message: string, hint?: string, details?: string): void {
    this.progress.stop();
    const m = this.redactor.redact(message);
    const h = hint ? this.redactor.redact(hint) : undefined;
    const d = details ? this.redactor.redact(details) : undefined;
    // In Actions the failure is annotated even with --json: stdout stays pure JSON, the annotation goes to stderr.
    if (this.github) this.stderr.write(`::error title=deployer::${encodeAnnotation(m + (h ? `\nhint: ${h}` : ''))}\n`);
    if (this.json) {
      this.stdout.write(JSON.stringify({ time: new Date().toISOString(), type: 'error', message: m, hint: h, details: d }) + '\n');
      return;
    }
    this.stderr.write(`${this.paint(pc.red, '✗')} ${m}\n`);
    if (d) this.stderr.write(d.replace(/^/gm, '  ') + '\n');
    if (h) this.stderr.write(`${this.paint(pc.dim, 'hint:')} ${h}\n`);
  }

  private scrub(event: DeployerEvent): DeployerEvent {
    const out: Record<string, unknown> = { ...event };
    for (const [k, v] of Object.entries(out)) if (typeof v === 'string') out[k] = this.redactor.redact(v);
    return out as DeployerEvent;
  }

  private paint(fn: (s: string) => string, s: string): string {
    return this.color ? fn(s) : s;
  }

  private prefix(host?: string): string {
    return host ? this.paint(pc.cyan, `[${host}] `) : '';
  }

  private render(e: DeployerEvent): void {
    switch (e.type) {
      case 'log':
        return this.renderLog(e.level, e.message, e.host);
      case 'phase': {
        if (e.status === 'start') {
          if (this.verbose) this.line(this.stderr, `${this.prefix(e.host)}${this.paint(pc.dim, '…')} ${e.phase}`);
          return;
        }
        const mark = e.status === 'done' ? this.paint(pc.green, '✓') : e.status === 'skipped' ? this.paint(pc.dim, '–') : this.paint(pc.red, '✗');
        const ms = e.ms !== undefined ? this.paint(pc.dim, ` (${formatMs(e.ms)})`) : '';
        const detail = e.detail ? this.paint(pc.dim, ` — ${e.detail}`) : '';
        return this.line(this.stderr, `${this.prefix(e.host)}${mark} ${e.phase}${detail}${ms}`);
      }
      case 'step': {
        if (!this.verbose && e.status === 'done') return;
        const mark = e.status === 'done' ? '·' : this.paint(pc.dim, 'skip');
        return this.line(this.stderr, `${this.prefix(e.host)}  ${mark} ${e.step}${e.detail ? ` (${e.detail})` : ''}`);
      }
      case 'output': {
        const text = e.text.replace(/\n$/, '');
        if (!text) return;
        for (const l of text.split('\n')) this.line(this.stderr, `${this.prefix(e.host)}${this.paint(pc.dim, '│')} ${l}`);
        return;
      }
      case 'upload':
        return this.progress.update(e);
      case 'result':
        return;
    }
  }

  private renderLog(level: Level, message: string, host?: string): void {
    if (level === 'debug' && !this.verbose) return;
    const where = host ? `${host}: ` : '';
    if (level === 'error' && this.github) this.stderr.write(`::error::${encodeAnnotation(where + message)}\n`);
    if (level === 'warn' && this.github) this.stderr.write(`::warning::${encodeAnnotation(where + message)}\n`);
    const tag = level === 'warn' ? this.paint(pc.yellow, 'warning: ') : level === 'error' ? this.paint(pc.red, 'error: ') : level === 'debug' ? this.paint(pc.dim, 'debug: ') : '';
    this.line(this.stderr, `${this.prefix(host)}${tag}${message}`);
  }

  private line(w: Writer, text: string): void {
    this.progress.clear();
    w.write(text + '\n');
    this.progress.redraw();
  }
}

/** Workflow commands are single lines: GitHub decodes %25, %0D and %0A back. */
export function encodeAnnotation(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
