// `deployer app shell`: an interactive bash in the app's environment, as the
// app user, through an exec channel with a pty. Keystrokes go through raw
// (Ctrl-C reaches the remote shell, not us); the window size follows ours.
// One host only, and only from a terminal. No lock, like exec.
import type { Context } from '../context.js';
import { ConfigError } from '../errors.js';
import { selectHosts } from '../deploy/hostSelection.js';
import { loadCommandConfig } from '../deploy/commandConfig.js';
import { layoutFor } from '../plan/layout.js';
import { eachHostInTurn } from '../deploy/hostRun.js';
import { appUserFor, notDeployed, signalExitCode } from './appExec.js';
import type { AppIO } from './io.js';
import { unitBaseName } from '../render/names.js';
import { appCommandLine, SHELL_ARGV } from './enter.js';
import { streamCommand } from '../ssh/streamCommand.js';

export async function runShell(ctx: Context, io: AppIO): Promise<number> {
  if (!io.stdin.isTTY || !io.stdout.isTTY) {
    throw new ConfigError('app shell needs a terminal (stdin and stdout must be a TTY)', {
      hint: 'to run one command without a terminal: deployer app exec -- CMD',
    });
  }
  const config = loadCommandConfig(ctx);
  const hosts = selectHosts(config, ctx.global.host, ctx.global.role);
  if (hosts.length > 1) {
    throw new ConfigError(`app shell opens one shell, but ${hosts.length} hosts are selected`, {
      hint: `pick one with --host (${hosts.map((h) => h.name).join(', ')})`,
    });
  }
  let exitCode = 0;
  await eachHostInTurn(ctx, config, { lock: false, command: 'app shell' }, async (h) => {
    if (!h.state.current) throw notDeployed(config, h);
    const command = appCommandLine({
      appDir: layoutFor(config).appDir,
      webUnitStem: unitBaseName(config, 'web'),
      sshUser: h.host.user,
      appUser: appUserFor(config),
      argv: [...SHELL_ARGV],
      reportPid: false,
    });
    const { stdin, stdout } = io;
    const size = () => ({ rows: stdout.rows || 24, cols: stdout.columns || 80 });
    let onResize: (() => void) | undefined;
    stdin.setRawMode(true);
    try {
      const r = await streamCommand(h.session, command, {
        pty: { ...size(), height: 0, width: 0, term: ctx.env.TERM || 'xterm-256color' },
        onStdout: (d) => stdout.write(d),
        onStderr: (d) => io.stderr.write(d),
        stdin,
        started: (channel) => {
          onResize = () => channel.setWindow(size().rows, size().cols, 0, 0);
          stdout.on('resize', onResize);
        },
      });
      exitCode = r.code ?? signalExitCode(r.signal);
    } finally {
      if (onResize) stdout.off('resize', onResize);
      stdin.setRawMode(false);
      stdin.pause();
    }
  });
  return exitCode;
}
