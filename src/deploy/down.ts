// `deployer down`: remove the app (and only it) from every host: its units,
// its Caddy site and its directory. The history log stays.
import type { Context } from '../context.js';
import { RemoteCommandError } from '../errors.js';
import { layoutFor } from '../plan/layout.js';
import { planDown } from '../plan/maintenance.js';
import { confirmOrAbort } from './confirm.js';
import { whoIsAsking } from './connect.js';
import { forEachHost } from './hostRun.js';
import { selectHosts } from './hostSelection.js';
import { loadCommandConfig } from './commandConfig.js';

export async function runDown(ctx: Context, opts: { lockWait: number }): Promise<void> {
  const config = loadCommandConfig(ctx);
  const hosts = selectHosts(config, ctx.global.host, ctx.global.role);
  await confirmOrAbort(
    ctx,
    `remove ${config.appName} (${layoutFor(config).appDir}, its services and its Caddy site) from ${hosts.map((h) => h.name).join(', ')}?`,
  );
  const who = { time: new Date(ctx.clock.now()).toISOString(), by: whoIsAsking(ctx) };
  await forEachHost(ctx, config, { lock: true, lockWait: opts.lockWait, command: 'down' }, async (h) => {
    const r = await h.remote.runScript(planDown(config, h.host, h.state, who));
    if (!r.ok)
      throw new RemoteCommandError(`${h.host.name}: down failed at ${r.failedStep ?? '?'}`, r.code, r.stderr, {
        details: r.stderr.trim() || undefined,
      });
    ctx.reporter.emit({ type: 'phase', host: h.host.name, phase: 'down', label: `${config.appName} removed`, status: 'done' });
  });
  ctx.reporter.emit({ type: 'result', command: 'down', ok: true, data: { app: config.appName } });
}
