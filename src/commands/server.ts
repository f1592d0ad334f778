// `deployer server …`: prepare the hosts themselves (not an app): packages,
// Caddy's site folder, the apps directory, and deploy users.
import type { Command } from 'commander';
import type { ContextFactory } from './types.js';

export function defineServerCommands(program: Command, ctx: ContextFactory): void {
  const server = program
    .command('server')
    .description('prepare hosts for deploys: bootstrap packages and Caddy, create a deploy user')
    .addHelpText('after', '\nExamples:\n  $ deployer server bootstrap\n  $ deployer server create-user deploy --host web1');

  server
    .command('bootstrap')
    .description('install python3-venv, Caddy and sudo from the distribution, make Caddy import per-app sites, create apps_dir (idempotent)')
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
      const { runBootstrap } = await import('../server/run.js');
      await runBootstrap(ctx(cmd));
    });

  server
    .command('create-user')
    .description('create a deploy user with the SSH user\'s authorized keys and passwordless sudo (/etc/sudoers.d/, checked by visudo)')
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
      const { runCreateUser } = await import('../server/run.js');
      await runCreateUser(ctx(cmd), name);
    });
}
