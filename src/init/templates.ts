// `deployer templates export [NAME]`: copies the bundled templates (or one)
// into the project's `.deployer/` folder, where the deploy reads them in
// place of the bundled ones (src/render/renderer.ts). Never overwrites an
// edited copy without --force; with several names it writes all or none.
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Context } from '../context.js';
import { ConfigError } from '../errors.js';
import { bundledTemplatesDir } from '../render/renderer.js';

export function bundledTemplateNames(dir = bundledTemplatesDir()): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.hbs'))
    .sort();
}

export function runTemplatesExport(ctx: Context, name: string | undefined, opts: { force: boolean }): void {
  const source = bundledTemplatesDir();
  const known = bundledTemplateNames(source);
  let names = known;
  if (name !== undefined) {
    const found = known.find((k) => k === name);
    if (!found) throw new ConfigError(`no template named "${name}"`, { hint: `templates: ${known.join(', ')}` });
    names = [found];
  }
  // Beside the config file, where the deploy looks (`<config dir>/.deployer/`).
  const target = join(dirname(resolve(ctx.cwd, ctx.global.config)), '.deployer');
  const shown = (f: string) => relative(ctx.cwd, join(target, f)) || join(target, f);
  const existing = names.filter((n) => existsSync(join(target, n)));
  if (existing.length > 0 && !opts.force) {
    throw new ConfigError(`${existing.map(shown).join(', ')} already ${existing.length === 1 ? 'exists' : 'exist'}; nothing was written`, {
      hint: 'it may hold your edits: pass --force to replace it with the bundled template',
    });
  }
  mkdirSync(target, { recursive: true });
  for (const n of names) {
    copyFileSync(join(source, n), join(target, n));
    ctx.reporter.info(`${existing.includes(n) ? 'replaced' : 'wrote'} ${shown(n)}`);
  }
  if (ctx.reporter.json)
    ctx.reporter.emit({ type: 'result', command: 'templates export', ok: true, data: { dir: target, templates: names } });
  else ctx.reporter.info('the next deploy renders these instead of the bundled ones (`deployer plan` shows the difference)');
}
