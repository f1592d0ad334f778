// One Reporter per run. It redacts, then hands each event to the renderer
// chosen from the environment: JSON lines (--json), GitHub Actions
// annotations, a colourful TTY renderer, or plain lines for pipes and CI.
// People get one line per phase (and per host only where a host differs),
// a live view of the waves on a terminal and a table of the hosts at the
// end; the detail (each file, each remote step) is under --verbose.
import { createColors } from 'picocolors';
import { errorKind, JSON_SCHEMA_VERSION, type DeployerEvent, type ErrorKind, type EventOf, type Level } from './events.js';
import { Redactor } from './redact.js';
import { UploadProgress, type TerminalWriter } from './progress.js';
import { FleetState, nameList } from './fleetState.js';
import { LiveView } from './liveView.js';
import { hostTable } from './hostTable.js';

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
  /** Phase, upload and wave events so far: what Ctrl-C's account of the deploy reads (src/deploy/interrupt.ts). */
  readonly events: DeployerEvent[] = [];
  readonly verbose: boolean;
  readonly json: boolean;
  private readonly color: boolean;
  private readonly tty: boolean;
  private readonly github: boolean;
  private readonly stdout: Writer;
  private readonly stderr: Writer;
  /** Each file's upload lines: --verbose only (piped: every 10 %; always: `uploaded FILE`). */
  private readonly progress: UploadProgress;
  /** The hosts and waves as the events tell them: the live view and the upload summary read it. */
  private readonly fleet = new FleetState();
  private readonly live?: LiveView;
  /** The hosts' outcomes, printed as one table before the next other line. */
  private hostRows: EventOf<'host'>[] = [];
  /** `live` lines held back: the table says the same, unless no outcome follows (rollback). */
  private heldLive: EventOf<'phase'>[] = [];
  /** GitHub Actions: each host's first error, annotated once, with its outcome or at the end. */
  private readonly hostErrors = new Map<string, string>();
  private readonly annotated = new Set<string>();
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
    this.progress = new UploadProgress((host, text) => this.line(this.stderr, `${this.prefix(host)}${text}`));
    if (this.tty && !this.json) this.live = new LiveView(this.stderr as TerminalWriter, this.fleet);
  }

  emit(event: DeployerEvent): void {
    const safe = this.scrub(event);
    if (safe.type === 'phase' || safe.type === 'upload' || safe.type === 'wave') this.events.push(safe);
    this.fleet.see(safe);
    if (this.github) this.annotateHost(safe);
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
    if (!this.json) this.flushHosts();
    if (!this.json) this.flushGroups();
    this.flushHostAnnotations();
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
    this.live?.clear();
    this.stdout.write(this.redactor.redact(text.endsWith('\n') ? text : text + '\n'));
    this.live?.redraw();
  }

  /** The final failure line (and GitHub annotation) for an error. */
  fail(message: string, hint?: string, details?: string, opts: { exitCode?: number; kind?: ErrorKind; problems?: string[] } = {}): void {
    this.progress.stop();
    if (!this.json) this.flushHosts();
    this.live?.stop();
    if (!this.json) this.flushGroups();
    this.flushHostAnnotations();
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

  private prefix(host?: string, hosts?: string[]): string {
    const who = hosts && hosts.length > 1 ? nameList(hosts, 3) : host;
    return who ? this.paint(pc.cyan, `[${who}] `) : '';
  }

  private render(e: DeployerEvent): void {
    if (e.type === 'host') {
      this.hostRows.push(e);
      this.heldLive = this.heldLive.filter((l) => l.host !== e.host);
      return;
    }
    if (!this.heldBack(e)) this.flushHosts();
    if (this.github && this.groupForGithub(e)) return;
    switch (e.type) {
      case 'log':
        return this.renderLog(e.level, e.message, e.host, e.hosts);
      case 'wave': {
        if (e.status !== 'start') this.line(this.stderr, this.fleet.lines(1000)[e.wave - 1] ?? `wave ${e.wave}/${e.of} ${e.status}`);
        return this.live?.redraw();
      }
      case 'phase': {
        if (this.heldBack(e)) {
          this.heldLive.push(e);
          return;
        }
        return this.renderPhase(e);
      }
      case 'step': {
        if (!this.verbose) return;
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
        if (this.verbose) this.progress.update(e);
        return this.live?.redraw(false);
      case 'result':
        return this.live?.stop();
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

  /** A host's `live` or `unchanged` line: the table says it, unless no table follows. --verbose shows both. */
  private heldBack(e: DeployerEvent): e is EventOf<'phase'> {
    return e.type === 'phase' && (e.phase === 'live' || e.phase === 'unchanged') && e.host !== undefined && !this.verbose;
  }

  private renderPhase(e: EventOf<'phase'>): void {
    if (e.phase === 'upload' && !e.host && !e.detail && e.status === 'done') e = { ...e, detail: this.fleet.uploadSummary() };
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

  private renderLog(level: Level, message: string, host?: string, hosts?: string[]): void {
    if (level === 'debug' && !this.verbose) return;
    const where = hosts && hosts.length > 1 ? `${nameList(hosts, 3)}: ` : host ? `${host}: ` : '';
    // A host's error is annotated once, with its outcome (annotateHost).
    if (level === 'error' && this.github && !host) this.stderr.write(`::error::${encodeAnnotation(where + message)}\n`);
    if (level === 'warn' && this.github) this.stderr.write(`::warning::${encodeAnnotation(where + message)}\n`);
    const tag =
      level === 'warn'
        ? this.paint(pc.yellow, 'warning: ')
        : level === 'error'
          ? this.paint(pc.red, 'error: ')
          : level === 'debug'
            ? this.paint(pc.dim, 'debug: ')
            : '';
    this.line(this.stderr, `${this.prefix(host, hosts)}${tag}${message}`);
  }

  /** The hosts' outcomes as one table (the live view goes: the table is the last word on each host). */
  private flushHosts(): void {
    for (const l of this.heldLive.splice(0)) this.renderPhase(l);
    if (this.hostRows.length === 0) return;
    this.live?.stop();
    const rows = this.hostRows.splice(0);
    const width = Math.max(((this.stderr as TerminalWriter).columns ?? 80) - 1, 40);
    for (const l of hostTable(rows, this.tty ? width : 80)) this.line(this.stderr, l);
  }

  /** GitHub Actions: one `::error title=deployer: HOST::` per failed host, with the host's own reason. */
  private annotateHost(e: DeployerEvent): void {
    if (e.type === 'log' && e.level === 'error' && e.host && !this.hostErrors.has(e.host)) this.hostErrors.set(e.host, e.message);
    if (e.type === 'host' && e.result === 'failed')
      this.hostAnnotation(e.host, this.hostErrors.get(e.host) ?? e.message ?? `the deploy failed on ${e.host}`);
  }

  private flushHostAnnotations(): void {
    if (!this.github) return;
    for (const [host, message] of this.hostErrors) this.hostAnnotation(host, message);
  }

  private hostAnnotation(host: string, message: string): void {
    if (this.annotated.has(host)) return;
    this.annotated.add(host);
    this.stderr.write(`::error title=deployer: ${encodeProperty(host)}::${encodeAnnotation(message)}\n`);
  }

  private line(w: Writer, text: string): void {
    this.live?.clear();
    w.write(text + '\n');
    this.live?.redraw();
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
