// The thin executor: runs a plan's pieces over one SshSession. It renders
// scripts (src/plan/script.ts), sends them on stdin to `bash -s`, turns the
// scripts' markers (src/remote/protocol.ts) into events, and performs
// uploads.
import { posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { hashFile } from '../local/build.js';
import { formatBytes } from '../output/progress.js';
import { progressThrottle, uploadCommand } from './upload-command.js';
import { shellJoin } from '../shell/quote.js';
import type { SshTarget } from '../ssh/sshConfig.js';
import type { ClientChannel } from 'ssh2';
import { LockedError, RemoteCommandError, SshError } from '../errors.js';
import type { Remote, Switch } from '../context.js';
import type { Reporter } from '../output/reporter.js';
import { refusedAppDir } from '../plan/ownership.js';
import { parseProbeOutput, renderProbeScript, type ProbeRequest, type RemoteState } from '../plan/probe.js';
import { renderScript, ScriptExit, type ScriptSpec } from '../plan/script.js';
import type { Upload } from '../plan/steps.js';
import { findMarker, formatMarker, hasMarker, Marker, parseMarker, parseMarkers, PAUSED, type MarkerLine } from '../remote/protocol.js';
import { bashReading } from '../remote/scripts.js';
import type { SshSession } from '../ssh/session.js';

/** Partial uploads smaller than this are sent again whole. */
const RESUME_MIN = 8 * 1024 * 1024;
/**
 * The tail of a partial file that is sent again rather than trusted: uploads
 * stream in order now, but a file left by an older deployer (SFTP fastPut,
 * 32 × 128 KiB requests in flight) may have holes in its last 4 MiB.
 */
const RESUME_SLACK = 4 * 1024 * 1024;

export interface ScriptResult {
  ok: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
  /** The description of the step that failed (from @@fail). */
  failedStep?: string;
  markers: MarkerLine[];
}

export interface Lock {
  state: RemoteState;
  /** Ends the lock channel: the holder shell exits and the kernel drops the flock. */
  release(): void;
  /** Appends one line to the app's history file through the lock channel (no channel of its own). */
  appendHistory(line: string): Promise<void>;
  /** Creates the missing app dir and its identity record (a probe with createLater), through the lock channel. */
  createAppDir(): Promise<void>;
}

function handleMarkers(text: string, host: string, reporter: Reporter, markers: MarkerLine[]): void {
  for (const line of text.split('\n')) {
    const m = parseMarker(line);
    if (!m) {
      if (line.trim()) reporter.emit({ type: 'output', host, stream: 'stdout', text: line });
      continue;
    }
    markers.push(m);
    const step = (text: string) => reporter.emit({ type: 'step', host, step: text, status: 'done' });
    if (m.marker === Marker.step) step(m.arg);
    else if (m.marker === Marker.warn) reporter.warn(m.arg, host);
    else if (m.marker === Marker.unitChanged) step(`unit ${m.arg} installed`);
    else if (m.marker === Marker.unitRemoved) step(`unit ${m.arg} removed`);
    else if (m.marker === Marker.daemonReload) step('systemctl daemon-reload');
    else if (m.marker === Marker.caddyReload) step('caddy reloaded');
    else if (m.marker === Marker.webHealthy) {
      // "FIRST_MS STABLE_MS UNIT...": the gate's own account (the benchmark splits app time from deployer's with it).
      const [first, stable] = m.arg.split(' ');
      step(`the new instances answered ${first} ms after they started, then stayed up ${stable} ms`);
    }
  }
}

/** A line-buffered stdout handler, so markers split across chunks are seen whole. */
function lineSplitter(onLines: (text: string) => void): { push(chunk: string): void; flush(): void } {
  let buf = '';
  return {
    push(chunk) {
      buf += chunk;
      const i = buf.lastIndexOf('\n');
      if (i >= 0) {
        onLines(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    },
    flush() {
      if (buf) onLines(buf);
      buf = '';
    },
  };
}

/** The real `Remote` (src/context.ts): one host over one SshSession. */
export class RemoteHost implements Remote {
  constructor(
    readonly session: SshSession,
    readonly reporter: Reporter,
  ) {}

  get name(): string {
    return this.session.host.name;
  }

  get execCount(): number {
    return this.session.execCount;
  }

  get route(): { address: string; jumped: boolean } {
    const t = this.session.host as SshTarget;
    return { address: t.address, jumped: Boolean(t.jumps?.length) };
  }

  exec(command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return this.session.exec(command);
  }

  httpGet(
    port: number,
    path: string,
    opts?: { host?: string; timeoutMs?: number; tls?: boolean },
  ): Promise<{ status: number; body: string }> {
    return this.session.httpGet(port, path, opts);
  }

  close(): void {
    this.session.close();
  }

  /** Takes the app's lock (or just reads state when req.lock is false). */
  async lock(req: ProbeRequest, sitePath = req.layout.caddySite): Promise<Lock> {
    // A deploy (the command that creates) uploads next: its SFTP session
    // (a channel and a server process) opens while the probe runs.
    if (req.create) this.session.sftp().catch(() => undefined);
    const script = renderProbeScript(req, sitePath);
    let out = '';
    let err = '';
    let waitReported = false;
    let attach!: (channel: ClientChannel) => void;
    // After @@end: the holder's answers to `history` lines, in order.
    let afterEnd = false;
    const appends: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
    // `create` answers @@owner (or @@error, which a pending append would also take: one request at a time).
    const creates: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
    const failAppends = (why: string) => {
      for (const a of appends.splice(0)) a.reject(new RemoteCommandError(`${this.name}: recording the deploy failed: ${why}`, 1, err));
      for (const c of creates.splice(0))
        c.reject(new RemoteCommandError(`${this.name}: creating ${req.layout.appDir} failed: ${why}`, 1, err));
    };
    const ended = new Promise<void>((resolve, reject) => {
      attach = (channel) => {
        const lines = lineSplitter((text) => {
          for (const m of parseMarkers(text)) {
            if (afterEnd && m.marker === Marker.historyAppended) appends.shift()?.resolve();
            else if (afterEnd && m.marker === Marker.owner) creates.shift()?.resolve();
            else if (afterEnd && m.marker === Marker.error) failAppends(m.arg);
            if (m.marker === Marker.end) afterEnd = true;
            if (m.marker === Marker.end || m.marker === Marker.locked || m.marker === Marker.error || m.marker === Marker.refused)
              resolve();
            if (m.marker === Marker.waiting && !waitReported) {
              waitReported = true;
              const who = Buffer.from(m.arg, 'base64').toString('utf8').trim();
              this.reporter.info(`waiting up to ${req.lockWait}s for the lock held by ${who || 'another deploy'}`, this.name);
            }
          }
        });
        channel.on('data', (d: Buffer) => {
          const s = d.toString('utf8');
          out += s;
          lines.push(s);
        });
        channel.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
        channel.on('close', () => {
          failAppends('the lock channel closed');
          resolve();
        });
        channel.on('error', reject);
      };
    });
    const channel = await this.session.guard(this.session.spawn(bashReading(script), attach));
    // The script itself goes on stdin; stdin then stays open: that holds the lock.
    channel.write(script);
    if (!req.lock) channel.end();
    await this.session.guard(ended);
    const state = parseProbeOutput(out);
    const release = () => {
      try {
        channel.end();
      } catch {
        /* already closed */
      }
    };
    if (state.refused !== undefined) {
      release();
      throw refusedAppDir(this.name, { ...req.identity, appName: req.appName }, state.refused);
    }
    if (state.error) {
      release();
      throw new RemoteCommandError(`${this.name}: ${state.error}`, 1, err);
    }
    if (state.lockedBy !== undefined && req.lock) {
      release();
      throw new LockedError(`${this.name}: ${req.layout.appDir} is locked by ${state.lockedBy}`, {
        hint: 'wait for that deploy to finish, or pass --lock-wait SECONDS to wait for it; the lock is released by the kernel when its holder exits, so it never goes stale',
      });
    }
    if (!state.ended) {
      release();
      throw new SshError(`${this.name}: reading the remote state failed${err ? `: ${err.trim().split('\n').pop()}` : ''}`);
    }
    const appendHistory = (line: string): Promise<void> => {
      if (line.includes('\n')) throw new Error('a history line has no line break');
      const appended = new Promise<void>((resolve, reject) => appends.push({ resolve, reject }));
      channel.write(`history ${line}\n`);
      return this.session.guard(appended);
    };
    const createAppDir = (): Promise<void> => {
      const created = new Promise<void>((resolve, reject) => creates.push({ resolve, reject }));
      channel.write('create\n');
      return this.session.guard(created).then(() => {
        state.owner = 'created';
      });
    };
    return { state, release, appendHistory, createAppDir };
  }

  /**
   * Uploads into the release's incoming dir: files stream over an exec
   * channel (src/exec/upload-command.ts), small contents go over SFTP. The
   * prepare script verifies each sha256.
   */
  async upload(uploads: Upload[], onProgress: (label: string, bytes: number, total: number) => void): Promise<void> {
    if (uploads.length === 0) return;
    await this.mkdirp([...new Set(uploads.map((u) => posix.dirname(u.remote)))]);
    // Files stream one after another (they share the bandwidth); small
    // contents go over SFTP meanwhile, so their round trips cost no time.
    const streams = async () => {
      for (const u of uploads) if (u.local !== undefined) await this.streamUpload(u, u.local, onProgress);
    };
    const small = uploads
      .filter((u) => u.local === undefined)
      .map(async (u) => {
        await this.session.writeFile(u.remote, u.content ?? '', u.mode);
        onProgress(u.label, u.size, u.size);
      });
    await Promise.all([streams(), ...small]);
  }

  private async streamUpload(u: Upload, local: string, onProgress: (label: string, bytes: number, total: number) => void): Promise<void> {
    const kept = await this.resumable(u);
    if (kept > 0)
      this.reporter.info(
        `resuming the upload of ${u.label}: ${formatBytes(kept)} of ${formatBytes(u.size)} were already on the host (sha256 checked)`,
        this.name,
      );
    const progress = progressThrottle(u.size, (bytes, total) => onProgress(u.label, bytes, total));
    if (kept < u.size) {
      await this.session.streamFile(local, uploadCommand(u.remote, kept, u.mode), `the upload of ${u.label}`, {
        start: kept,
        onSent: (sent) => progress.sent(kept + sent),
      });
    }
    progress.done();
  }

  /**
   * How much of an upload an interrupted deploy left on the host that can be
   * kept: the partial file's first bytes, if their sha256 matches the local
   * file's. The last RESUME_SLACK bytes of a partial file are sent again
   * rather than trusted.
   */
  private async resumable(u: Upload): Promise<number> {
    if (u.local === undefined || u.size < RESUME_MIN) return 0;
    const sftp = await this.session.sftp();
    const size = await this.session.guard(
      new Promise<number>((resolve) => sftp.stat(u.remote, (err, st) => resolve(err || !st.isFile() ? 0 : st.size))),
    );
    if (size < RESUME_MIN || size > u.size) return 0;
    const keep = size === u.size ? size : size - RESUME_SLACK;
    if (keep < RESUME_MIN) return 0;
    const [local, remote] = await Promise.all([
      hashFile(u.local, keep),
      this.session.exec(shellJoin(['sh', '-c', 'head -c "$1" -- "$2" | sha256sum', 'sh', String(keep), u.remote])),
    ]);
    return remote.code === 0 && remote.stdout.split(' ')[0] === local ? keep : 0;
  }

  /**
   * Creates `dirs` and their parents over SFTP. The requests go out at once,
   * parents first: OpenSSH's sftp-server answers them in order, so a deep
   * path costs one round trip, not one per level (over the internet that is
   * most of a small upload's time). "Already exists" is fine; a dir that is
   * not there afterwards is an error.
   */
  private async mkdirp(dirs: string[]): Promise<void> {
    const sftp = await this.session.sftp();
    const paths = new Set<string>();
    for (const dir of dirs) {
      let path = '';
      for (const p of dir.split('/').filter(Boolean)) paths.add((path += '/' + p));
    }
    const isDir = (dir: string) => new Promise<boolean>((resolve) => sftp.stat(dir, (err, st) => resolve(!err && st.isDirectory())));
    const made = await this.session.guard(
      Promise.all([...[...paths].map((p) => new Promise<void>((resolve) => sftp.mkdir(p, () => resolve()))), ...dirs.map(isDir)]),
    );
    const missing = dirs.filter((_, i) => !made[paths.size + i]);
    if (missing.length) throw new SshError(`${this.name}: cannot create ${missing.join(', ')} over SFTP`);
  }

  /** Remote stderr as debug lines, redacted whole (a secret may straddle two SSH packets). */
  private stderrLines() {
    return this.reporter.redactor.lines((t) => {
      if (t.trim()) this.reporter.debug(t.trimEnd(), this.name);
    });
  }

  /** Runs a whole phase script; never throws for a failed step (the caller decides). */
  async runScript(spec: ScriptSpec): Promise<ScriptResult> {
    const markers: MarkerLine[] = [];
    const lines = lineSplitter((t) => handleMarkers(t, this.name, this.reporter, markers));
    const errLines = this.stderrLines();
    const script = renderScript(spec);
    const r = await this.session.execScript(script, {
      onStdout: (c) => lines.push(c),
      onStderr: (c) => errLines.push(c),
    });
    lines.flush();
    errLines.flush();
    return { ok: r.code === 0, code: r.code, stdout: r.stdout, stderr: r.stderr, failedStep: findMarker(markers, Marker.fail), markers };
  }

  /**
   * Starts the switch script and returns once it says READY (or has failed
   * and reverted). The script then waits for `decide()`.
   */
  async startSwitch(spec: ScriptSpec): Promise<SwitchHandle> {
    if (!spec.verdict) throw new Error('startSwitch needs a script with a verdict');
    const markers: MarkerLine[] = [];
    let stdout = '';
    let stderr = '';
    let readyResolve!: (ready: boolean) => void;
    const ready = new Promise<boolean>((r) => (readyResolve = r));
    const lines = lineSplitter((t) => {
      handleMarkers(t, this.name, this.reporter, markers);
      if (hasMarker(markers, Marker.ready)) readyResolve(true);
    });
    const errLines = this.stderrLines();
    let attach!: (channel: ClientChannel) => void;
    const done = new Promise<ScriptResult>((resolve) => {
      attach = (channel) => {
        let code: number | null = null;
        const outText = new StringDecoder('utf8');
        const errText = new StringDecoder('utf8');
        channel.on('data', (d: Buffer) => {
          const s = outText.write(d);
          stdout += s;
          lines.push(s);
        });
        channel.stderr.on('data', (d: Buffer) => {
          const s = errText.write(d);
          stderr += s;
          errLines.push(s);
        });
        channel.on('exit', (c: number | null) => (code = c));
        channel.on('close', () => {
          lines.flush();
          errLines.flush();
          readyResolve(false);
          resolve({ ok: code === 0, code, stdout, stderr, failedStep: findMarker(markers, Marker.fail), markers });
        });
      };
    });
    const script = renderScript(spec);
    const channel = await this.session.guard(this.session.spawn(bashReading(script), attach));
    channel.write(script);
    const isReady = await this.session.guard(ready);
    return new SwitchHandle(channel, isReady, done);
  }
}

export class SwitchHandle implements Switch {
  constructor(
    private readonly channel: ClientChannel,
    /** True when the release is live and its units are up; false when the switch failed (and reverted). */
    readonly ready: boolean,
    readonly done: Promise<ScriptResult>,
  ) {}

  /** Sends the verdict and waits for the script to finish. */
  async decide(verdict: 'commit' | 'rollback'): Promise<ScriptResult> {
    if (this.ready) this.channel.end(`${verdict}\n`);
    const r = await this.done;
    return r;
  }

  static rolledBack(r: ScriptResult): boolean {
    return r.code === ScriptExit.rolledBack || r.code === ScriptExit.stepFailed;
  }
}
