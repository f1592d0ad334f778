// `deployer lock status`: who holds the app's deploy lock, since when.
import { Command } from 'commander';
import type { ContextFactory } from './types.js';

export function defineLockCommands(program: Command, ctx: ContextFactory): void {
  const lock = program.command('lock').description("look at the app's deploy lock");
  lock
    .command('status')
    .description("per host: who holds the app's deploy lock and since when, or free (never takes it)")
    .addHelpText('after', '\nExamples:\n  $ deployer lock status\n  $ deployer lock status --stage production --json')
    .action(async (_opts: unknown, cmd: Command) => {
      const { runLockStatus } = await import('../app/lock.js');
      await runLockStatus(ctx(cmd));
    });
}
