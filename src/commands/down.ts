// `deployer down`: remove the app from its hosts, and nothing of any other app.
import { Command } from 'commander';
import type { ContextFactory } from './types.js';
import { parseSeconds } from './options.js';

export function defineDownCommand(program: Command, ctx: ContextFactory): void {
  program
    .command('down')
    .description('remove the app from its hosts: its services, Caddy site and directory (nothing of other apps)')
    .option('--lock-wait <seconds>', 'wait for a running deploy instead of failing', parseSeconds, 0)
    .addHelpText('after', '\nExamples:\n  $ deployer down --stage staging\n  $ deployer down --yes')
    .action(async (opts: { lockWait: number }, cmd: Command) => {
      const { runDown } = await import('../deploy/down.js');
      await runDown(ctx(cmd), opts);
    });
}
