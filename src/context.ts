// Everything a command touches outside itself comes through here, so unit
// tests can pass fakes and the entry file is the only place that reads
// process state: the connection to a host, the clock, the process id and the
// pause points of the fault tests.
import type { HostConfig } from './config/types.js';
import type { Lock, ScriptResult } from './exec/remote.js';
import { systemResolver, type Resolver } from './local/resolver.js';
import { Reporter } from './output/reporter.js';
import { formatMarker, PAUSED } from './remote/protocol.js';
import type { ProbeArgs } from './remote/probe.js';
import type { ScriptSpec, Upload } from './remote/steps.js';

export interface GlobalOptions {
  config: string;
  stage?: string;
  host?: string[];
  /** --role: the hosts with one of these roles (src/config/roles.ts). */
  role?: string[];
  json?: boolean;
  verbose?: boolean;
  color?: boolean;
  yes?: boolean;
}

/** A switch script that said READY (or failed and reverted) and waits for the verdict. */
export interface Switch {
  /** True when the release is live and its units are up; false when the switch failed (and reverted). */
  readonly ready: boolean;
  decide(verdict: 'commit' | 'rollback'): Promise<ScriptResult>;
}

/**
 * One connected host, as the commands use it. `RemoteHost` (src/exec/remote.ts)
 * is the real one over SSH; unit tests pass a fake with the same shape.
 */
export interface Remote {
  readonly name: string;
  /** Takes the app's lock (or only reads the state when args.lock is false); never judges the state (src/deploy/lockPolicy.ts does). */
  lock(args: ProbeArgs): Promise<Lock>;
  upload(uploads: Upload[], onProgress: (label: string, bytes: number, total: number) => void): Promise<void>;
  /** Runs a phase script; never throws for a failed step (the caller decides). */
  runScript(spec: ScriptSpec): Promise<ScriptResult>;
  startSwitch(spec: ScriptSpec): Promise<Switch>;
  /** One command line (already quoted) in one channel. */
  exec(command: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** An HTTP GET to 127.0.0.1:port on the host, through the connection. */
  httpGet(
    port: number,
    path: string,
    opts?: { host?: string; timeoutMs?: number; tls?: boolean },
  ): Promise<{ status: number; body: string }>;
  /** Channels opened so far (the deploy reports it). */
  readonly execCount: number;
  /** The address connected to after ~/.ssh/config (HostName) and whether ProxyJump hops were used; absent in fakes. */
  readonly route?: { address: string; jumped: boolean };
  close(): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Where the fault tests stop a command (DEPLOYER_TEST_PAUSE_AT, mapped in src/cli.ts). */
export type PausePoint = 'locked' | 'uploading' | 'uploaded' | 'prepared' | 'switched' | 'verified' | 'exec-started';

/** Points that hold only for a while: `app exec` must go on to wire Ctrl-C, which is what its test checks. */
const HOLD_MS: Partial<Record<PausePoint, number>> = { 'exec-started': 3000 };

export interface Context {
  cwd: string;
  env: NodeJS.ProcessEnv;
  reporter: Reporter;
  /** True when we may ask questions: stdin and stdout are TTYs and CI is not set. */
  interactive: boolean;
  global: GlobalOptions;
  /** `onDial`: the handshake has started (the deploy does its local work while the host answers). */
  connect(host: HostConfig, hooks?: { onDial?: () => void }): Promise<Remote>;
  clock: Clock;
  /** Name resolution for the post-deploy DNS check; node:dns's lookup outside tests. */
  resolve: Resolver;
  /** This process's id, for the lock holder line. */
  pid: number;
  /** Returns at once, except at the pause point a fault test asked for: there it never returns (or holds, see HOLD_MS). */
  pause(point: PausePoint): Promise<void>;
}

export interface ProcessOptions {
  /** The pause point of the fault tests, from DEPLOYER_TEST_PAUSE_AT (read in src/cli.ts only). */
  pauseAt?: string;
}

export function isCI(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI?.toLowerCase();
  return (ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false') || env.GITHUB_ACTIONS === 'true';
}

/** FORCE_COLOR (set by many CI setups, GitHub's included, to colour logs) wins over NO_COLOR and a missing TTY; --no-color wins over both. */
export function wantsColor(env: NodeJS.ProcessEnv, tty: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false'].includes(force.toLowerCase());
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return tty;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export function createContext(global: GlobalOptions, proc: NodeJS.Process = process, opts: ProcessOptions = {}): Context {
  const env = proc.env;
  const tty = Boolean(proc.stderr.isTTY) && !isCI(env);
  const reporter = new Reporter({
    json: global.json,
    verbose: global.verbose,
    tty,
    color: global.color !== false && wantsColor(env, tty),
    github: env.GITHUB_ACTIONS === 'true',
  });
  const interactive = Boolean(proc.stdin.isTTY && proc.stdout.isTTY) && !isCI(env);
  return {
    cwd: proc.cwd(),
    env,
    reporter,
    interactive,
    global,
    // ssh2 loads only when a command reaches a host, so --help stays fast.
    async connect(host, hooks = {}) {
      // `ssh -G` (for ~/.ssh/config) runs in its own processes while this one
      // loads ssh2, and the TCP connection opens then too (not through hops).
      const route = import('./ssh/sshConfig.js').then((m) => m.resolveRoute(host, env));
      route.catch(() => undefined);
      const dialed = route.then(
        async (r) => (r.jumps?.length ? undefined : (await import('./ssh/dial.js')).dialTcp(r.address, r.port, 5_000)),
        () => undefined,
      );
      const [{ SshSession }, { RemoteHost }] = await Promise.all([import('./ssh/session.js'), import('./exec/remote.js')]);
      const session = await SshSession.connect(host, {
        env,
        interactive,
        debug: (m) => reporter.debug(m, host.name),
        route,
        dialed,
        onDial: hooks.onDial,
      });
      return new RemoteHost(session, reporter);
    },
    clock: systemClock,
    resolve: systemResolver,
    pid: proc.pid,
    async pause(point) {
      if (opts.pauseAt !== point) return;
      reporter.info(formatMarker(PAUSED, point));
      const hold = HOLD_MS[point];
      await new Promise((resolve) => (hold === undefined ? undefined : setTimeout(resolve, hold)));
    },
  };
}
