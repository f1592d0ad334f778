// `deployer server exec CMD`: runs CMD on each selected host as the SSH
// (deploy) user, in its home directory, output grouped by host; with
// --appenv, in the app's environment instead (its .env, PATH and PORT, in
// the current release), still as the deploy user, who may use sudo. Like
// `app exec`: one word is a command line for bash, several are argv; stdin is
// passed on with one host; Ctrl-C stops the remote command.
import type { Context } from '../context.js';
import { DeployerError, ExitCode } from '../errors.js';
import { loadCommandConfig } from '../deploy/commandConfig.js';
import { layoutFor } from '../plan/layout.js';
import { unitBaseName } from '../render/names.js';
import { appCommandLine, execArgv, plainCommandLine } from '../app/enter.js';
import { notDeployed, streamOnEachHost } from '../app/appExec.js';
import type { AppIO } from '../app/io.js';

export async function runServerExec(ctx: Context, io: AppIO, words: string[], opts: { appenv: boolean }): Promise<number> {
  if (words.length === 0)
    throw new DeployerError('server exec needs a command', { exitCode: ExitCode.config, hint: 'deployer server exec "df -h /"' });
  const argv = execArgv(words);
  const config = loadCommandConfig(ctx);
  return streamOnEachHost(ctx, io, config, 'server exec', (h) => {
    if (!opts.appenv) return { line: plainCommandLine(argv), otherUser: false };
    if (!h.state.current) throw notDeployed(config, h);
    const line = appCommandLine({
      appDir: layoutFor(config).appDir,
      webUnitStem: unitBaseName(config, 'web'),
      sshUser: h.host.user,
      appUser: h.host.user,
      argv,
      reportPid: true,
    });
    return { line, otherUser: false };
  });
}
