// `deployer rollback [--to VERSION]`: back to an installed release, health-gated.
import { Command } from 'commander';
import type { ContextFactory } from './types.js';
import { parseSeconds } from './options.js';

export function defineRollbackCommand(program: Command, ctx: ContextFactory): void {
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
}
