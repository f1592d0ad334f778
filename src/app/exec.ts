// `deployer app exec -- CMD…`: runs CMD in the app's environment (.appenv),
// in the current release, as the app user, on each selected host in turn
// (output grouped by host). Returns the exit code to exit with: the remote
// command's, or the first non-zero one across hosts. Read-only for deployer:
// no lock (a long `manage.py shell` must not block deploys).
import { constants } from 'node:os';
import type { Config } from '../config/types.js';
import type { Context } from '../context.js';
import { DeployerError, ExitCode } from '../errors.js';
import { connectHost, type HostHandle } from '../deploy/connect.js';
import { selectHosts } from '../deploy/hosts.js';
import { loadCommandConfig } from '../deploy/load.js';
import { appUserFor as appUser } from '../plan/appUser.js';
import { layoutFor } from '../plan/layout.js';
import { hostHeader, type AppIO } from './io.js';
import { appCommandLine } from './scripts.js';
import { streamCommand } from './stream.js';

/** The user the app runs as on `host` (the units' User=). */
export function appUserFor(config: Config): string {
  return appUser(config).name;
}

export function notDeployed(config: Config, h: HostHandle): DeployerError {
  return new DeployerError(`${h.host.name}: ${config.appName} is not deployed (no current release in ${layoutFor(config).appDir})`, {
    exitCode: ExitCode.remote,
    hint: 'run `deployer deploy` first',
  });
}

/** Connects to each host in turn, so one host's output ends before the next begins. */
export async function eachHostInTurn(ctx: Context, config: Config, command: string, fn: (h: HostHandle) => Promise<void>): Promise<void> {
  for (const host of selectHosts(config, ctx.global.host)) {
    const { handle, lock } = await connectHost(ctx, config, host, { lock: false, command });
    try {
      await fn(handle);
    } finally {
      lock.release();
      handle.session.close();
    }
  }
}

export async function runExec(ctx: Context, io: AppIO, argv: string[]): Promise<number> {
  if (argv.length === 0) throw new DeployerError('app exec needs a command after --', { exitCode: ExitCode.config, hint: 'deployer app exec -- python manage.py migrate' });
  const config = loadCommandConfig(ctx);
  const hostCount = selectHosts(config, ctx.global.host).length;
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
    await eachHostInTurn(ctx, config, 'app exec', async (h) => {
      if (interrupted) return;
      if (!h.state.current) throw notDeployed(config, h);
      io.stdout.write(hostHeader(h.host.name, hostCount));
      const command = appCommandLine({ appDir: layoutFor(config).appDir, sshUser: h.host.user, appUser: appUserFor(config), argv });
      const r = await streamCommand(h.session, command, {
        onStdout: (d) => io.stdout.write(d),
        onStderr: (d) => io.stderr.write(d),
        stdin,
        started: (_channel, stop) => (stopCurrent = stop),
      });
      stopCurrent = undefined;
      const code = r.stopped ? 130 : r.code ?? signalExitCode(r.signal);
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
