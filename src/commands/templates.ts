// `deployer templates export [NAME]`: copy the bundled unit and Caddy
// templates into the project's .deployer/ folder to edit them.
import { Argument, Command } from 'commander';
import type { ContextFactory } from './types.js';

/** The bundled templates (templates/*.hbs; a unit test keeps this list and the folder in step). */
export const TEMPLATE_NAMES = [
  'backup.service.hbs',
  'caddy.site.hbs',
  'maintenance.html.hbs',
  'socket.hbs',
  'timer.hbs',
  'web.service.hbs',
  'worker.service.hbs',
] as const;

export function defineTemplatesCommands(program: Command, ctx: ContextFactory): void {
  const templates = program.command('templates').description('copy the systemd and Caddy templates into .deployer/ to edit them');
  templates
    .command('export')
    .description('copy the bundled templates (or one) into .deployer/ beside deployer.toml; the deploy then uses your copies')
    .addArgument(new Argument('[name]', 'one template (default: all)').choices(TEMPLATE_NAMES))
    .option('--force', 'overwrite copies that already exist (your edits are lost)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ deployer templates export\n  $ deployer templates export caddy.site.hbs\n  $ deployer templates export web.service.hbs --force',
    )
    .action(async (name: string | undefined, opts: { force?: boolean }, cmd: Command) => {
      const { runTemplatesExport } = await import('../init/templates.js');
      runTemplatesExport(ctx(cmd), name, { force: Boolean(opts.force) });
    });
}
