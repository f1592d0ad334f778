// `deployer status`: what runs where on every host, whether it is healthy, and
// whether it still matches the config (drift). Exit 0 / 7 unhealthy / 8 drift.
import { Command } from 'commander';
import type { ContextFactory } from './types.js';

export function defineStatusCommand(program: Command, ctx: ContextFactory): void {
  program
    .command('status')
    .description(
      'every host at once: live release and since when, health (through Caddy and per instance), restarts, the lock, maintenance mode and drift from the config; exits 7 when a host is unhealthy, 8 on drift',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ deployer status\n  $ deployer status --stage production --json\n  $ deployer status || alert   (cron or CI: non-zero on drift or an unhealthy host)',
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const { runDeployerStatus } = await import('../status/statusFlow.js');
      await runDeployerStatus(ctx(cmd));
    });
}
