// A host for unit tests of the deploy orchestration: implements the same
// `Remote` interface as RemoteHost (src/exec/remote.ts) and records what the
// deploy asked of it. Each failure the real host can produce is a setting.
import type { Remote, Switch } from '../../src/context.js';
import { SshError } from '../../src/errors.js';
import type { Lock, ScriptResult } from '../../src/exec/remote.js';
import type { ProbeArgs } from '../../src/remote/probe.js';
import { ScriptExit } from '../../src/remote/phaseScript.js';
import type { RemoteState } from '../../src/remote/state.js';
import type { ScriptSpec, Upload } from '../../src/remote/steps.js';
import { formatMarker, Marker, parseMarkers } from '../../src/remote/protocol.js';
import { freshState } from './remoteState.js';

export interface FakeHostSettings {
  state?: Partial<RemoteState>;
  /** The lock is held by this holder (the probe reports it; the lock phase throws LockedError). */
  lockedBy?: string;
  uploadError?: string;
  /** The prepare script fails at this step. */
  prepareFailsAt?: string;
  /** The switch script fails (and reverts) before READY at this step. */
  switchFailsAt?: string;
  /** startSwitch itself throws (the connection dropped). */
  switchThrows?: string;
  /** HTTP statuses answered in turn (the last one repeats); a string is an error thrown instead. */
  health?: Array<number | string>;
  /** Answer `health[i]` only after this many ms of the fake clock since the first request. */
  healthUntil?: { ms: number; status: number; then: number; now: () => number };
  journal?: string;
  /** What exec answers for a command matching the pattern (the journal otherwise). */
  execAnswers?: Array<[RegExp, string]>;
  /** The prepare script's stderr when it fails. */
  prepareStderr?: string;
}

export class FakeRemote implements Remote {
  readonly calls: string[] = [];
  readonly hostHeaders: Array<string | undefined> = [];
  readonly execs: string[] = [];
  /** The command lines of the hooks run on this host. */
  readonly hookCommands: Array<{ command: string; env?: Record<string, string> }> = [];
  verdict?: 'commit' | 'rollback';
  lockReleased = false;
  closed = false;
  execCount = 0;
  private healthIndex = 0;
  private healthStart?: number;

  constructor(
    readonly name: string,
    readonly settings: FakeHostSettings = {},
  ) {}

  async lock(args: ProbeArgs): Promise<Lock> {
    this.execCount++;
    this.calls.push(`lock ${args.holder}`);
    const state: RemoteState = freshState({
      lockHeld: true,
      ...(this.settings.lockedBy ? { lockedBy: this.settings.lockedBy, lockHeld: false } : {}),
      ...this.settings.state,
    });
    return {
      state,
      release: () => void (this.lockReleased = true),
      appendHistory: async () => void this.calls.push('record'),
      createAppDir: async () => {
        this.calls.push('create app dir');
        state.owner = 'created';
      },
    };
  }

  async upload(uploads: Upload[], onProgress: (label: string, bytes: number, total: number) => void): Promise<void> {
    this.calls.push(`upload ${uploads.length}`);
    if (this.settings.uploadError) throw new SshError(`${this.name}: ${this.settings.uploadError}`);
    for (const u of uploads) onProgress(u.label, u.size, u.size);
  }

  async runScript(spec: ScriptSpec): Promise<ScriptResult> {
    this.execCount++;
    const first = spec.steps[0];
    if (spec.steps.length === 1 && first.kind === 'app-command' && / hook: /.test(first.desc)) {
      this.calls.push(`${first.desc.split(':')[0]} in ${first.releaseDir}`);
      this.hookCommands.push({ command: first.command, env: first.env });
      return { ok: true, code: 0, stdout: '', stderr: '', markers: [] };
    }
    const recording = spec.steps.every((s) => s.kind === 'append-line');
    this.calls.push(recording ? 'record' : 'prepare');
    const at = recording ? undefined : this.settings.prepareFailsAt;
    if (at)
      return {
        ok: false,
        code: ScriptExit.stepFailed,
        stdout: '',
        stderr: this.settings.prepareStderr ?? `${at}: exit 1\n`,
        failedStep: at,
        markers: parseMarkers(formatMarker(Marker.fail, at)),
      };
    return { ok: true, code: 0, stdout: '', stderr: '', markers: [] };
  }

  async startSwitch(spec: ScriptSpec): Promise<Switch> {
    this.execCount++;
    this.calls.push('switch');
    if (!spec.verdict) throw new Error('startSwitch needs a script with a verdict');
    if (this.settings.switchThrows) throw new SshError(`${this.name}: ${this.settings.switchThrows}`);
    const failsAt = this.settings.switchFailsAt;
    const ready = failsAt === undefined;
    return {
      ready,
      decide: async (verdict) => {
        if (ready) this.verdict = verdict;
        this.calls.push(ready ? `decide ${verdict}` : 'decide (not ready)');
        if (!ready)
          return {
            ok: false,
            code: ScriptExit.stepFailed,
            stdout: '',
            stderr: `${failsAt}: unit exited\nunit said: boom\n`,
            failedStep: failsAt,
            markers: parseMarkers(formatMarker(Marker.fail, failsAt)),
          };
        if (verdict === 'rollback') return { ok: false, code: ScriptExit.rolledBack, stdout: '', stderr: '', markers: [] };
        return { ok: true, code: 0, stdout: '', stderr: '', markers: parseMarkers(formatMarker(Marker.daemonReload)) };
      },
    };
  }

  async exec(command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    this.execCount++;
    this.execs.push(command);
    const answer = this.settings.execAnswers?.find(([re]) => re.test(command));
    return { code: 0, stdout: answer ? answer[1] : (this.settings.journal ?? ''), stderr: '' };
  }

  async httpGet(_port: number, _path: string, opts: { host?: string; timeoutMs?: number } = {}): Promise<{ status: number; body: string }> {
    this.hostHeaders.push(opts.host);
    const u = this.settings.healthUntil;
    if (u) {
      this.healthStart ??= u.now();
      return { status: u.now() - this.healthStart < u.ms ? u.status : u.then, body: '' };
    }
    const seq = this.settings.health ?? [200];
    const answer = seq[Math.min(this.healthIndex++, seq.length - 1)];
    if (typeof answer === 'string') throw new Error(answer);
    return { status: answer, body: '' };
  }

  close(): void {
    this.closed = true;
  }
}
