// `deployer app maintenance on [--message TEXT | --page FILE]` and `off`: the
// page written to (or removed from) every host's app dir, under the deploy
// lock, and a history line; the Caddy site serves it with 503 while it is
// there (src/plan/maintenanceMode.ts), so nothing reloads.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Context } from '../context.js';
import type { Config } from '../config/types.js';
import { ConfigError, RemoteCommandError } from '../errors.js';
import { whoIsAsking } from '../deploy/connect.js';
import { forEachHost } from '../deploy/hostRun.js';
import { loadCommandConfig } from '../deploy/commandConfig.js';
import { MAINTENANCE_PAGE_LIMIT, planMaintenance, type MaintenanceOn } from '../plan/maintenanceMode.js';
import { bundledTemplatesDir, createRenderer, overrideDirFor } from '../render/index.js';
import { renderMaintenancePage } from '../render/maintenancePage.js';

export interface MaintenanceOptions {
  message?: string;
  page?: string;
  lockWait: number;
}

/** The page and its history note: the user's file, or the template with the message. */
export function maintenancePage(config: Config, opts: { message?: string; page?: string; cwd: string }): MaintenanceOn {
  if (opts.page !== undefined && opts.message !== undefined)
    throw new ConfigError('--page and --message go separately: the message is part of the default page', {
      hint: 'put the message in your page, or leave out --page',
    });
  if (opts.page !== undefined) {
    const file = resolve(opts.cwd, opts.page);
    if (!existsSync(file) || !statSync(file).isFile())
      throw new ConfigError(`--page ${opts.page}: no such file`, { hint: 'give the path of an HTML file' });
    const size = statSync(file).size;
    if (size > MAINTENANCE_PAGE_LIMIT)
      throw new ConfigError(`--page ${opts.page} is ${size} bytes; a maintenance page may be at most ${MAINTENANCE_PAGE_LIMIT} bytes`, {
        hint: 'inline less (serve images and styles from elsewhere), or leave out --page for the default page',
      });
    return { page: readFileSync(file, 'utf8'), note: `page ${basename(file)}` };
  }
  const renderer = createRenderer({
    templatesDir: bundledTemplatesDir(),
    overrideDir: overrideDirFor(config),
    readFile: (p) => (existsSync(p) ? readFileSync(p, 'utf8') : undefined),
  });
  return { page: renderMaintenancePage(renderer, config, opts.message), note: opts.message ?? 'default page' };
}

export async function runMaintenance(ctx: Context, mode: 'on' | 'off', opts: MaintenanceOptions): Promise<void> {
  const config = loadCommandConfig(ctx);
  const on = mode === 'on' ? maintenancePage(config, { ...opts, cwd: ctx.cwd }) : undefined;
  const who = { time: new Date(ctx.clock.now()).toISOString(), by: whoIsAsking(ctx) };
  const command = `app maintenance ${mode}`;
  const hosts = await forEachHost(ctx, config, { lock: true, lockWait: opts.lockWait, command }, async (h) => {
    const was = Boolean(h.state.maintenance);
    const r = await h.remote.runScript(planMaintenance(config, h.host, h.state, on, who));
    if (!r.ok)
      throw new RemoteCommandError(`${h.host.name}: maintenance ${mode} failed at ${r.failedStep ?? '?'}`, r.code, r.stderr, {
        details: r.stderr.trim() || undefined,
      });
    const label = on
      ? `maintenance on: the site answers 503 with the page${was ? ' (it was on: page replaced)' : ''}`
      : `maintenance off: the app answers${was ? '' : ' (it was not on)'}`;
    ctx.reporter.emit({ type: 'phase', host: h.host.name, phase: 'maintenance', label, status: 'done' });
    return { host: h.host.name, maintenance: mode, was: was ? 'on' : 'off' };
  });
  ctx.reporter.emit({ type: 'result', command, ok: true, data: { app: config.appName, hosts } });
}
