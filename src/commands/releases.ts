// `deployer releases`: the releases installed on each host, with their status.
import { Command } from 'commander';
import type { ContextFactory } from './types.js';

export function defineReleasesCommand(program: Command, ctx: ContextFactory): void {
  program
    .command('releases')
    .description('list the releases installed on each host: status from .versions, when, by whom, and which is live')
    .addHelpText(
      'after',
      '\nExamples:\n  $ deployer releases\n  $ deployer releases --host web1 --json\n  $ deployer rollback --to <release>      (one of those listed)',
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const { runReleases } = await import('../app/releases.js');
      await runReleases(ctx(cmd));
    });
}
