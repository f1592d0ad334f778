// One Reporter per run. It redacts, then hands each event to the renderer
// chosen from the environment: JSON lines (--json), GitHub Actions
// annotations, a colourful TTY renderer, or plain lines for pipes and CI.
import { createColors } from 'picocolors';
import { errorKind, JSON_SCHEMA_VERSION, type DeployerEvent, type ErrorKind, type EventOf, type Level } from './events.js';
import { Redactor } from './redact.js';
import { UploadProgress, type TerminalWriter } from './progress.js';

export { formatBytes } from './progress.js';

// Whether to colour is decided in src/context.ts (TTY, --no-color, NO_COLOR,
// FORCE_COLOR); paint() only calls these when it is on.
const pc = createColors(true);

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
  /** With --json the command's `result` is printed by finish(), so it is always the last line. */
  private result?: EventOf<'result'>;
  private finished = false;
  /** GitHub Actions: the open ::group:: of build output, and each host's lines kept for its own group. */
  private buildGroupOpen = false;
  private readonly hostLines = new Map<string, string[]>();

  constructor(opts: ReporterOptions = {}) {
    this.json = opts.json ?? false;
    this.verbose = opts.verbose ?? false;
    this.tty = opts.tty ?? false;
    this.color = (opts.color ?? this.tty) && !this.json;
    this.github = opts.github ?? false;
    this.stdout = opts.stdout ?? process.stdout;
    this.stderr = opts.stderr ?? process.stderr;
    this.progress = new UploadProgress(this.stderr as TerminalWriter, this.tty && !this.json, (host, text) =>
      this.line(this.stderr, `${this.prefix(host)}${text}`),
    );
  }

  emit(event: DeployerEvent): void {
    const safe = this.scrub(event);
    if (safe.type === 'phase' || safe.type === 'upload') this.events.push(safe);
    if (this.json) {
      if (safe.type === 'result') this.result = safe;
      else this.writeJson(safe);
      return;
    }
    this.render(safe);
  }

  /**
   * The end of the command: with --json, the `result` line, always the last
   * one (ok only when the exit code is 0), also for a command that failed
   * before it could say anything else.
   */
  finish(exitCode: number, command: string): void {
    if (!this.json) this.flushGroups();
    if (!this.json || this.finished) return;
    this.finished = true;
    const r = this.result ?? { type: 'result', command, ok: exitCode === 0 };
    this.writeJson({ ...r, ok: r.ok && exitCode === 0, exitCode });
  }

  private writeJson(event: DeployerEvent): void {
    this.stdout.write(JSON.stringify({ schema: JSON_SCHEMA_VERSION, time: new Date().toISOString(), ...event }) + '\n');
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
  fail(message: string, hint?: string, details?: string, opts: { exitCode?: number; kind?: ErrorKind; problems?: string[] } = {}): void {
    this.progress.stop();
    if (!this.json) this.flushGroups();
    const m = this.redactor.redact(message);
    const h = hint ? this.redactor.redact(hint) : undefined;
    const d = details ? this.redactor.redact(details) : undefined;
    const exitCode = opts.exitCode ?? 1;
    const kind = opts.kind ?? errorKind(exitCode);
    // In Actions the failure is annotated even with --json: stdout stays pure JSON, the annotation goes to stderr.
    const problems = opts.problems && opts.problems.length > 1 ? opts.problems.map((p) => this.redactor.redact(p)) : undefined;
    if (this.github) this.stderr.write(annotations(m, h, kind, problems));
    if (this.json) {
      this.writeJson({ type: 'error', kind, exitCode, message: m, hint: h, details: d });
      return;
    }
    // Several problems (a config with more than one mistake): each gets its own ✗ line, like the first.
    if (problems) for (const p of problems) this.stderr.write(`${this.paint(pc.red, '✗')} ${p.replace(/\n/g, '\n  ')}\n`);
    else this.stderr.write(`${this.paint(pc.red, '✗')} ${m}\n`);
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
    if (this.github && this.groupForGithub(e)) return;
    switch (e.type) {
      case 'log':
        return this.renderLog(e.level, e.message, e.host);
      case 'phase': {
        if (e.status === 'start') {
          if (this.verbose) this.line(this.stderr, `${this.prefix(e.host)}${this.paint(pc.dim, '…')} ${e.label ?? e.phase}`);
          return;
        }
        const mark =
          e.status === 'done' ? this.paint(pc.green, '✓') : e.status === 'skipped' ? this.paint(pc.dim, '–') : this.paint(pc.red, '✗');
        const ms = e.ms !== undefined ? this.paint(pc.dim, ` (${formatMs(e.ms)})`) : '';
        const detail = e.detail ? this.paint(pc.dim, ` — ${e.detail}`) : '';
        return this.line(this.stderr, `${this.prefix(e.host)}${mark} ${e.label ?? e.phase}${detail}${ms}`);
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
      case 'wave': {
        const hosts = `${e.kind === 'canary' ? 'canary ' : ''}${e.hosts.join(', ')}`;
        if (e.status === 'start') return this.line(this.stderr, `wave ${e.wave}/${e.of}: ${hosts}`);
        const mark = e.status === 'done' ? this.paint(pc.green, '✓') : this.paint(pc.red, '✗');
        const failed = e.failed?.length ? this.paint(pc.dim, ` — failed: ${e.failed.join(', ')}`) : '';
        return this.line(this.stderr, `${mark} wave ${e.wave}/${e.of}${failed}`);
      }
      case 'result':
        return;
    }
  }

  /**
   * In GitHub Actions the log folds: local command output (the build) goes
   * in one ::group::, and each host's script output is kept and printed in
   * a ::group:: of its own when that host's phase ends (hosts work in
   * parallel, and groups cannot interleave). True when the event was taken.
   */
  private groupForGithub(e: DeployerEvent): boolean {
    const hostDetail = (e.type === 'output' || (e.type === 'step' && (this.verbose || e.status === 'skipped'))) && e.host !== undefined;
    if (hostDetail) {
      const lines = this.hostLines.get(e.host!) ?? [];
      lines.push(
        e.type === 'output'
          ? e.text.replace(/\n$/, '')
          : `${e.status === 'done' ? '·' : 'skip'} ${e.step}${e.detail ? ` (${e.detail})` : ''}`,
      );
      this.hostLines.set(e.host!, lines);
      return true;
    }
    if (e.type === 'output' && e.host === undefined) {
      if (!this.buildGroupOpen) this.stderr.write('::group::build output\n');
      this.buildGroupOpen = true;
      return false;
    }
    this.closeBuildGroup();
    if (e.type === 'phase' && e.host !== undefined && e.status !== 'start') this.flushHostGroup(e.host);
    return false;
  }

  private closeBuildGroup(): void {
    if (!this.buildGroupOpen) return;
    this.stderr.write('::endgroup::\n');
    this.buildGroupOpen = false;
  }

  private flushHostGroup(host: string): void {
    const lines = this.hostLines.get(host);
    if (!lines?.length) return;
    this.hostLines.delete(host);
    this.stderr.write(`::group::${host}\n${lines.join('\n')}\n::endgroup::\n`);
  }

  /** Whatever is still held for GitHub groups (a deploy that failed mid-way), before the failure line. */
  private flushGroups(): void {
    if (!this.github) return;
    this.closeBuildGroup();
    for (const host of [...this.hostLines.keys()]) this.flushHostGroup(host);
  }

  private renderLog(level: Level, message: string, host?: string): void {
    if (level === 'debug' && !this.verbose) return;
    const where = host ? `${host}: ` : '';
    if (level === 'error' && this.github) this.stderr.write(`::error::${encodeAnnotation(where + message)}\n`);
    if (level === 'warn' && this.github) this.stderr.write(`::warning::${encodeAnnotation(where + message)}\n`);
    const tag =
      level === 'warn'
        ? this.paint(pc.yellow, 'warning: ')
        : level === 'error'
          ? this.paint(pc.red, 'error: ')
          : level === 'debug'
            ? this.paint(pc.dim, 'debug: ')
            : '';
    this.line(this.stderr, `${this.prefix(host)}${tag}${message}`);
  }

  private line(w: Writer, text: string): void {
    this.progress.clear();
    w.write(text + '\n');
    this.progress.redraw();
  }
}

/**
 * The ::error lines for a failure: one per problem (a config error lists
 * each of its problems in ConfigError.problems). A problem that starts with
 * `file:line:col: ` becomes an annotation on that file, line and column, so
 * GitHub shows it on deployer.toml itself; the others are plain annotations.
 * The hint goes with the last one.
 */
export function annotations(message: string, hint: string | undefined, kind: ErrorKind, problems?: string[]): string {
  const hintLine = hint ? `\nhint: ${hint}` : '';
  const list = problems && problems.length > 0 ? problems : kind === 'config' ? message.split('\n') : [message];
  if (list.length === 1 && kind !== 'config') return `::error title=deployer::${encodeAnnotation(message + hintLine)}\n`;
  return list
    .map((p, i) => {
      const text = p + (i === list.length - 1 ? hintLine : '');
      const m = /^(.+?):(\d+):(\d+): ([\s\S]+)$/.exec(text);
      return m
        ? `::error file=${encodeProperty(m[1])},line=${m[2]},col=${m[3]},title=deployer::${encodeAnnotation(m[4])}\n`
        : `::error title=deployer::${encodeAnnotation(text)}\n`;
    })
    .join('');
}

/** A workflow command's property value also escapes `:` and `,`. */
function encodeProperty(text: string): string {
  return encodeAnnotation(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** Workflow commands are single lines: GitHub decodes %25, %0D and %0A back. */
export function encodeAnnotation(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
