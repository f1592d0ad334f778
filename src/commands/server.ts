// `deployer server …`: prepare the hosts themselves (not an app): packages,
// Caddy's site folder, the apps directory, and deploy users.
import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { ContextFactory } from './types.js';

export function defineServerCommands(program: Command, ctx: ContextFactory): void {
  const server = program
    .command('server')
    .description('prepare and reach the hosts: bootstrap packages and Caddy, create a deploy user, run a command')
    .addHelpText(
      'after',
      '\nExamples:\n  $ deployer server bootstrap\n  $ deployer server create-user deploy --host web1\n  $ deployer server exec "df -h /"',
    );

  server
    .command('exec')
    .description("run a command on each host as the SSH (deploy) user; with --appenv in the app's environment; exits with its code")
    .argument('<command...>', 'one string, run by bash ("df -h /"), or the command and its arguments after --, kept word for word')
    .option('--appenv', "run it in the app's environment (its .env, PATH, PORT, in the current release), still as the deploy user")
    .addHelpText(
      'after',
      '\nExamples:\n  $ deployer server exec "df -h / && uptime"\n  $ deployer server exec --host web1 -- sudo systemctl status caddy\n  $ deployer server exec --appenv "python manage.py check"',
    )
    .action(async (words: string[], opts: { appenv?: boolean }, cmd: Command) => {
      const { runServerExec } = await import('../server/serverExec.js');
      const c = ctx(cmd);
      const code = await runServerExec(c, await hostIO(c), words, { appenv: Boolean(opts.appenv) });
      // The remote command's exit code becomes ours (program.ts returns it).
      if (code !== 0) process.exitCode = code;
    });

  server
    .command('bootstrap')
    .description(
      'install python3-venv, Caddy and sudo from the distribution, make Caddy import per-app sites, create apps_dir, set net.ipv4.tcp_migrate_req = 1 so a Caddy reload drops no connection (idempotent)',
    )
    .addHelpText(
      'after',
      `
Only what is missing is changed: a second run reports "no change".
Needs root or passwordless sudo on the host (connect as root the first time).

Examples:
  $ deployer server bootstrap
  $ deployer server bootstrap --host web2 --verbose     also lists what was already fine`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const { runBootstrap } = await import('../server/serverCommands.js');
      await runBootstrap(ctx(cmd));
    });

  server
    .command('create-user')
    .description("create a deploy user with the SSH user's authorized keys and passwordless sudo (/etc/sudoers.d/, checked by visudo)")
    .argument('<name>', 'user name: [a-z_][a-z0-9_-]{0,31}')
    .addHelpText(
      'after',
      `
Run it as root (or a sudo user), then set user = "<name>" in deployer.toml.

Examples:
  $ deployer server create-user deploy
  $ deployer server create-user deploy --host web1`,
    )
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const { runCreateUser } = await import('../server/serverCommands.js');
      await runCreateUser(ctx(cmd), name);
    });
}

/** The terminal, or JSON output events under --json. */
async function hostIO(c: Context) {
  const { processIO, jsonIO } = await import('../app/io.js');
  const io = processIO();
  return c.reporter.json ? jsonIO(io, (stream, text) => c.reporter.emit({ type: 'output', stream, text })) : io;
}
