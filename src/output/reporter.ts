// One Reporter per run. It redacts, then hands each event to the renderer
// chosen from the environment: JSON lines (--json), GitHub Actions
// annotations, a colourful TTY renderer, or plain lines for pipes and CI.
import pc from 'picocolors';
import type { DeployerEvent, Level } from './events.js';
import { Redactor } from './redact.js';

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
  readonly verbose: boolean;
  readonly json: boolean;
  private readonly color: boolean;
  private readonly tty: boolean;
  private readonly github: boolean;
  private readonly stdout: Writer;
  private readonly stderr: Writer;
  private progressShown = false;

  constructor(opts: ReporterOptions = {}) {
    this.json = opts.json ?? false;
    this.verbose = opts.verbose ?? false;
    this.tty = opts.tty ?? false;
    this.color = (opts.color ?? this.tty) && !this.json;
    this.github = opts.github ?? false;
    this.stdout = opts.stdout ?? process.stdout;
    this.stderr = opts.stderr ?? process.stderr;
  }

  emit(event: DeployerEvent): void {
    const safe = this.scrub(event);
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
    this.clearProgress();
    this.stdout.write(this.redactor.redact(text.endsWith('\n') ? text : text + '\n'));
  }

  /** The final failure line (and GitHub annotation) for an error. */
  fail(message: string, hint?: string, details?: string): void {
    this.clearProgress();
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

  private clearProgress(): void {
    if (this.progressShown) {
      this.stderr.write('\r\x1b[2K');
      this.progressShown = false;
    }
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
      case 'upload': {
        if (this.tty) {
          const pct = e.total ? Math.floor((e.bytes / e.total) * 100) : 100;
          const width = 24;
          const filled = Math.round((pct / 100) * width);
          const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
          this.stderr.write(`\r\x1b[2K${this.prefix(e.host)}↑ ${e.file} ${bar} ${pct}% ${formatBytes(e.bytes)}/${formatBytes(e.total)}`);
          this.progressShown = true;
          if (e.bytes >= e.total) this.clearProgress();
        } else if (e.bytes >= e.total) {
          this.line(this.stderr, `${this.prefix(e.host)}uploaded ${e.file} (${formatBytes(e.total)})`);
        }
        return;
      }
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
    this.clearProgress();
    w.write(text + '\n');
  }
}

/** Workflow commands are single lines: GitHub decodes %25, %0D and %0A back. */
export function encodeAnnotation(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}
