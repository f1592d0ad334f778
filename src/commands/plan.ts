// `deployer plan`: a read-only preview of a deploy, per host.
import type { Command } from 'commander';
import type { ContextFactory } from './types.js';

export function definePlanCommand(program: Command, ctx: ContextFactory): void {
  program
    .command('plan')
    .description('show what a deploy would do on each host (uploads, unit and Caddy diffs, env keys, prune, lock); changes nothing')
    .option('--build', 'run pre_build and build_command first (by default the artifact already in distfile is used)')
    .addHelpText(
      'after',
      `
Examples:
  $ deployer plan                          after editing deployer.toml: what would change?
  $ deployer plan --build --stage production
  $ deployer plan --json | jq '.data.unitDiffs[] | select(.status != "same")'

plan connects read-only: it never takes the deploy lock and never creates a
directory. Env changes are shown by key name only; values are compared by sha256
on the host and never printed. Without --build and with no artifact built yet,
uploads and install are shown without it.`,
    )
    .action(async (opts: { build?: boolean }, cmd: Command) => {
      const { runPlan } = await import('../deploy/planFlow.js');
      await runPlan(ctx(cmd), { build: Boolean(opts.build) });
    });
}
