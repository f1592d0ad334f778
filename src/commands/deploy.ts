// `deployer deploy` and `deployer redeploy`.
import { Command } from 'commander';
import type { ContextFactory } from './types.js';
import { parseSeconds } from './options.js';

export { parseSeconds };

export function defineDeployCommands(program: Command, ctx: ContextFactory): void {
  program
    .command('deploy')
    .description('build, upload, install and switch to a new release on every host (health-gated, rolled back on failure)')
    .option('--lock-wait <seconds>', 'wait this long for another deploy to finish instead of failing', parseSeconds, 0)
    .option('--timings', 'print the time each phase took')
    .option(
      '--maintenance',
      'maintenance mode (503 and a page) from before release_command until the new release is live or the old one is back',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ deployer deploy
  $ deployer deploy --stage production --host web1 --host web2
  $ deployer deploy --json > events.jsonl        one JSON event per line
  $ deployer deploy --lock-wait 300              queue behind a running deploy
  $ deployer deploy --maintenance                503 and a page while release_command migrates

Exit codes: 0 live, 2 config, 3 SSH, 4 a remote step failed (nothing switched),
5 build/artifact/secret, 6 locked, 7 unhealthy (rolled back).`,
    )
    .action(async (opts: { lockWait: number; timings?: boolean; maintenance?: boolean }, cmd: Command) => {
      const { runDeploy } = await import('../deploy/deployFlow.js');
      await runDeploy(ctx(cmd), {
        action: 'deploy',
        lockWait: opts.lockWait,
        timings: Boolean(opts.timings),
        maintenance: Boolean(opts.maintenance),
      });
    });

  program
    .command('redeploy')
    .description('deploy the current version again without building: new env, units and Caddy site, same artifact')
    .option('--lock-wait <seconds>', 'wait this long for another deploy to finish instead of failing', parseSeconds, 0)
    .option('--timings', 'print the time each phase took')
    .addHelpText(
      'after',
      `\nExamples:\n  $ deployer redeploy                 after changing an env value or a process command\n  $ deployer redeploy --stage staging`,
    )
    .action(async (opts: { lockWait: number; timings?: boolean }, cmd: Command) => {
      const { runDeploy } = await import('../deploy/deployFlow.js');
      await runDeploy(ctx(cmd), { action: 'redeploy', lockWait: opts.lockWait, timings: Boolean(opts.timings) });
    });
}
