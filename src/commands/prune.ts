// `deployer prune [--keep N]`: delete old releases (never the current or last good one).
import { Command } from 'commander';
import type { ContextFactory } from './types.js';
import { parseCount, parseSeconds } from './options.js';

export function definePruneCommand(program: Command, ctx: ContextFactory): void {
  program
    .command('prune')
    .description('delete old releases (never the current or the last good one; failed ones first)')
    .option('--keep <n>', 'releases to keep (default: versions_to_keep)', parseCount)
    .option('--lock-wait <seconds>', 'wait for a running deploy instead of failing', parseSeconds, 0)
    .addHelpText(
      'after',
      '\nExamples:\n  $ deployer prune --keep 2\n  $ deployer prune --yes          (no prompt; needed without a terminal)',
    )
    .action(async (opts: { keep?: number; lockWait: number }, cmd: Command) => {
      const { runPrune } = await import('../deploy/prune.js');
      await runPrune(ctx(cmd), opts);
    });
}
