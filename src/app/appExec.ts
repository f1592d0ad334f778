// `deployer app exec -- CMD…`: runs CMD in the app's environment (.appenv, and
// PORT as the live web unit has it),
// in the current release, as the app user, on each selected host in turn
// (output grouped by host). Returns the exit code to exit with: the remote
// command's, or the first non-zero one across hosts. Read-only for deployer:
// no lock (a long `manage.py shell` must not block deploys).
import { constants } from 'node:os';
import type { Config } from '../config/types.js';
import type { Context } from '../context.js';
import { DeployerError, ExitCode } from '../errors.js';
import type { HostHandle } from '../deploy/connect.js';
import { eachHostInTurn } from '../deploy/hostRun.js';
import { selectHosts } from '../deploy/hostSelection.js';
import { loadCommandConfig } from '../deploy/commandConfig.js';
import { appUserFor as dedicatedOrNamed } from '../plan/appUser.js';
import { layoutFor } from '../plan/layout.js';
import { hostHeader, type AppIO } from './io.js';
import { unitBaseName } from '../render/names.js';
import { appCommandLine, execArgv, stopCommandLine } from './enter.js';

/** A command line that reports its PID first (remote/exec.sh, remote/app-env.sh), and whether it runs as another user. */
export interface RemoteCommand {
  line: string;
  otherUser: boolean;
}
import { streamCommand } from '../ssh/streamCommand.js';

/** The user the app runs as on `host` (the units' User=). */
export function appUserFor(config: Pick<Config, 'app' | 'stage' | 'appsDir' | 'appName' | 'appUser'>): string {
  return dedicatedOrNamed(config).name;
}

export function notDeployed(config: Config, h: HostHandle): DeployerError {
  return new DeployerError(`${h.host.name}: ${config.appName} is not deployed (no current release in ${layoutFor(config).appDir})`, {
    exitCode: ExitCode.remote,
    hint: 'run `deployer deploy` first',
  });
}

export async function runExec(ctx: Context, io: AppIO, words: string[]): Promise<number> {
  if (words.length === 0)
    throw new DeployerError('app exec needs a command after --', {
      exitCode: ExitCode.config,
      hint: 'deployer app exec -- python manage.py migrate',
    });
  const argv = execArgv(words);
  const config = loadCommandConfig(ctx);
  return streamOnEachHost(ctx, io, config, 'app exec', (h) => {
    if (!h.state.current) throw notDeployed(config, h);
    const appUser = appUserFor(config);
    const line = appCommandLine({
      appDir: layoutFor(config).appDir,
      webUnitStem: unitBaseName(config, 'web'),
      sshUser: h.host.user,
      appUser,
      argv,
      reportPid: true,
    });
    return { line, otherUser: appUser !== h.host.user };
  });
}

/**
 * Runs the command line `commandFor` gives on each selected host in turn,
 * streamed, with Ctrl-C passed on; returns the exit code to exit with (the
 * first non-zero one). Shared by `app exec` and `server exec`.
 */
export async function streamOnEachHost(
  ctx: Context,
  io: AppIO,
  config: Config,
  label: string,
  commandFor: (h: HostHandle) => RemoteCommand,
): Promise<number> {
  const hostCount = selectHosts(config, ctx.global.host, ctx.global.role).length;
  // Piped input goes to the command (`app exec -- psql < dump.sql`), but only
  // to one host, and never a terminal: interactive use is `app shell`.
  const stdin = hostCount === 1 && !io.stdin.isTTY ? io.stdin : undefined;
  let exitCode = 0;
  // Ctrl-C interrupts the remote command (a closed channel alone would leave
  // it running until it next writes) and skips the hosts not reached yet.
  let interrupted = false;
  let stopCurrent: (() => void) | undefined;
  const removeHandler = io.onInterrupt(() => {
    interrupted = true;
    stopCurrent?.();
  });
  try {
    await eachHostInTurn(ctx, config, { lock: false, command: label }, async (h) => {
      if (interrupted) return;
      const command = commandFor(h);
      // The command reports its PID; Ctrl-C signals it through a second channel (as root when it runs as another user).
      const killCommand = (pid: number, sig: 'INT' | 'KILL') => stopCommandLine(pid, sig, command.otherUser && h.host.user !== 'root');
      io.stdout.write(hostHeader(h.host.name, hostCount));
      const r = await streamCommand(h.session, command.line, {
        killCommand,
        onStdout: (d) => io.stdout.write(d),
        onStderr: (d) => io.stderr.write(d),
        stdin,
        // A fault test holds here: the command runs, Ctrl-C is not wired to it yet.
        beforeStarted: () => ctx.pause('exec-started'),
        // A Ctrl-C that came while the channel was opening is acted on now.
        started: (_channel, stop) => {
          stopCurrent = stop;
          if (interrupted) stop();
        },
      });
      stopCurrent = undefined;
      const code = r.stopped ? 130 : (r.code ?? signalExitCode(r.signal));
      if (code !== 0) {
        if (hostCount > 1) ctx.reporter.warn(`exit code ${code}`, h.host.name);
        if (exitCode === 0) exitCode = code;
      }
    });
  } finally {
    removeHandler();
  }
  return exitCode;
}

/** Like a shell: 128 + the signal's number when the command was killed. */
export function signalExitCode(signal: string | undefined): number {
  const n = signal ? (constants.signals as Record<string, number>)[`SIG${signal}`] : undefined;
  return 128 + (n ?? 1);
}
