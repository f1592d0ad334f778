// `deployer history`: every deploy, rollback, prune and down on the hosts.
import { Command } from 'commander';
import type { ContextFactory } from './types.js';
import { parseCount } from './options.js';

export function defineHistoryCommand(program: Command, ctx: ContextFactory): void {
  program
    .command('history')
    .description('show what was deployed, rolled back, pruned or removed, by whom and when')
    .option('-n, --limit <n>', 'entries to show', parseCount, 30)
    .addHelpText('after', '\nExamples:\n  $ deployer history\n  $ deployer history --json --stage production')
    .action(async (opts: { limit: number }, cmd: Command) => {
      const { runHistory } = await import('../deploy/history.js');
      await runHistory(ctx(cmd), opts);
    });
}
