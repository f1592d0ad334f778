// `deployer config`: print the resolved config (defaults filled in, stage
// overlay applied, env values redacted). Also the quickest way to check a
// deployer.toml: a bad file exits 2 with the line, key and fix.
import type { Command } from 'commander';
import type { ContextFactory } from './types.js';

export function defineConfigCommand(program: Command, ctx: ContextFactory): void {
  program
    .command('config')
    .description('check deployer.toml and print the resolved config (defaults filled in, stage applied, env values redacted)')
    .addHelpText(
      'after',
      `
Examples:
  $ deployer config                          check deployer.toml and print what deploy would use
  $ deployer config --stage production       with [stages.production] merged over the base
  $ deployer -c ops/deployer.toml config     another config file
  $ deployer config --json | jq '.data.hosts'  one JSON "result" event

Exit codes: 0 valid, 2 the file is missing or invalid (the message names file:line:column and the fix).`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const { showConfig } = await import('../config/show.js');
      showConfig(ctx(cmd));
    });
}
