// `deployer rollback`, `deployer prune`, `deployer down`, `deployer history`:
// the commands that change (or read) a host's releases after a deploy.
import { Command, InvalidArgumentError } from 'commander';
import type { ContextFactory } from '../program.js';
import { parseSeconds } from './deploy.js';

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
}

export function defineReleaseCommands(program: Command, ctx: ContextFactory): void {
  program
    .command('rollback')
    .description('switch back to the previous good release (code and its .env together); instant, health-gated')
    .option('--to <version>', 'roll back to this release instead of the previous good one')
    .option('--lock-wait <seconds>', 'wait for a running deploy instead of failing', parseSeconds, 0)
    .addHelpText('after', '\nExamples:\n  $ deployer rollback\n  $ deployer rollback --to 1.4.2 --stage production')
    .action(async (opts: { to?: string; lockWait: number }, cmd: Command) => {
      const { runRollback } = await import('../deploy/rollback.js');
      await runRollback(ctx(cmd), opts);
    });

  program
    .command('prune')
    .description('delete old releases (never the current or the last good one; failed ones first)')
    .option('--keep <n>', 'releases to keep (default: versions_to_keep)', parseCount)
    .option('--lock-wait <seconds>', 'wait for a running deploy instead of failing', parseSeconds, 0)
    .addHelpText('after', '\nExamples:\n  $ deployer prune --keep 2\n  $ deployer prune --yes          (no prompt; needed without a terminal)')
    .action(async (opts: { keep?: number; lockWait: number }, cmd: Command) => {
      const { runPrune } = await import('../deploy/prune.js');
      await runPrune(ctx(cmd), opts);
    });

  program
    .command('down')
    .description("remove the app from its hosts: its services, Caddy site and directory (nothing of other apps)")
    .option('--lock-wait <seconds>', 'wait for a running deploy instead of failing', parseSeconds, 0)
    .addHelpText('after', '\nExamples:\n  $ deployer down --stage staging\n  $ deployer down --yes')
    .action(async (opts: { lockWait: number }, cmd: Command) => {
      const { runDown } = await import('../deploy/down.js');
      await runDown(ctx(cmd), opts);
    });

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
