// The thin executor: runs a plan's pieces over one SshSession. Phase
// scripts are rendered by src/remote/phaseScript.ts and sent by sendScript
// (src/ssh/sendScript.ts); their markers become events (./markers.ts); the
// probe and lock channel is ./lockChannel.ts; uploads stream from here.
import { hashFile } from '../local/build.js';
import { formatBytes } from '../output/progress.js';
import { progressThrottle, uploadOrder, uploadPayload, uploadScript } from './upload-command.js';
import { shellJoin } from '../shell/quote.js';
import type { SshTarget } from '../ssh/sshConfig.js';
import { RemoteCommandError } from '../errors.js';
import type { Remote, Switch } from '../context.js';
import type { Reporter } from '../output/reporter.js';
import type { ProbeArgs } from '../remote/probe.js';
import { renderScript, ScriptExit } from '../remote/phaseScript.js';
import type { ScriptSpec, Upload } from '../remote/steps.js';
import { findMarker, hasMarker, Marker, type MarkerLine } from '../remote/protocol.js';
import { sendScript, type ScriptChannel } from '../ssh/sendScript.js';
import type { SshSession } from '../ssh/session.js';
import { openLock, type Lock } from './lockChannel.js';
import { handleMarkers, lineSplitter } from './markers.js';

export type { Lock };

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

  /** Takes the app's lock (or only reads the state when args.lock is false); what the state means is the caller's call. */
  lock(args: ProbeArgs): Promise<Lock> {
    return openLock(this.session, this.reporter, args);
  }

  /**
   * Uploads into the release's incoming dir, every file and content on one
   * channel (remote/upload.sh, src/exec/upload-command.ts): one round trip
   * however many files, their dirs made on the way. The prepare script
   * verifies each sha256.
   */
  async upload(uploads: Upload[], onProgress: (label: string, bytes: number, total: number) => void): Promise<void> {
    if (uploads.length === 0) return;
    const kept = await Promise.all(uploads.map((u) => this.resumable(u)));
    const parts = uploadOrder(uploads.map((upload, i) => ({ upload, start: kept[i] })));
    for (const { upload: u, start } of parts)
      if (start > 0)
        this.reporter.info(
          `resuming the upload of ${u.label}: ${formatBytes(start)} of ${formatBytes(u.size)} were already on the host (sha256 checked)`,
          this.name,
        );
    const progress = new Map(
      parts.map((p) => [p, progressThrottle(p.upload.size, (bytes, total) => onProgress(p.upload.label, bytes, total))]),
    );
    const what = `the upload of ${parts.map((p) => p.upload.label).join(', ')}`;
    const channel = await sendScript(this.session, uploadScript(parts), {
      payload: uploadPayload(parts, (part, bytes) => progress.get(part)?.sent(bytes)),
    });
    const r = await channel.done;
    if (r.code !== 0) {
      const tail = r.stderr.trim().split('\n').slice(-15).join('\n');
      throw new RemoteCommandError(
        `${what} failed on ${this.name} (exit ${r.code ?? r.signal ?? 'unknown: the channel closed'})`,
        r.code,
        r.stderr,
        {
          details: tail || undefined,
        },
      );
    }
    for (const p of progress.values()) p.done();
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
    // Stdin stays open: the script reads its verdict from it (SwitchHandle.decide).
    const channel = await sendScript(this.session, renderScript(spec), {
      keepStdinOpen: true,
      onStdout: (s) => {
        stdout += s;
        lines.push(s);
      },
      onStderr: (s) => {
        stderr += s;
        errLines.push(s);
      },
    });
    // A lost connection is an outcome here (no exit code), not an error: the deploy reports it.
    const done = channel.done
      .then(
        (r) => r.code,
        () => null,
      )
      .then((code): ScriptResult => {
        lines.flush();
        errLines.flush();
        readyResolve(false);
        return { ok: code === 0, code, stdout, stderr, failedStep: findMarker(markers, Marker.fail), markers };
      });
    const isReady = await this.session.guard(ready);
    return new SwitchHandle(channel, isReady, done);
  }
}

export class SwitchHandle implements Switch {
  constructor(
    private readonly channel: ScriptChannel,
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
