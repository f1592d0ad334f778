// `deployer prune [--keep N]`: remove old releases; never the current one,
// never the last good one, failed ones first.
import type { Context } from '../context.js';
import { planPrune } from '../plan/maintenance.js';
import { confirmOrAbort } from './confirm.js';
import { whoIsAsking } from './connect.js';
import { forEachHost } from './hostRun.js';
import { loadCommandConfig } from './commandConfig.js';
import { RemoteCommandError } from '../errors.js';

export async function runPrune(ctx: Context, opts: { keep?: number; lockWait: number }): Promise<void> {
  const config = loadCommandConfig(ctx);
  const keep = opts.keep ?? config.versionsToKeep;
  const who = { time: new Date(ctx.clock.now()).toISOString(), by: whoIsAsking(ctx) };
  const results = await forEachHost(ctx, config, { lock: true, lockWait: opts.lockWait, command: 'prune' }, async (h) => {
    const { remove, script } = planPrune(config, h.host, h.state, keep, who);
    if (remove.length === 0) {
      ctx.reporter.info(`nothing to prune (${h.state.releases.length} release(s), keeping ${keep})`, h.host.name);
      return { host: h.host.name, removed: [] as string[] };
    }
    await confirmOrAbort(ctx, `${h.host.name}: delete release(s) ${remove.join(', ')} of ${config.appName}?`);
    const r = await h.remote.runScript(script);
    if (!r.ok)
      throw new RemoteCommandError(`${h.host.name}: prune failed at ${r.failedStep ?? '?'}`, r.code, r.stderr, {
        details: r.stderr.trim() || undefined,
      });
    ctx.reporter.emit({ type: 'phase', host: h.host.name, phase: 'prune', status: 'done', detail: `removed ${remove.join(', ')}` });
    return { host: h.host.name, removed: remove };
  });
  ctx.reporter.emit({ type: 'result', command: 'prune', ok: true, data: { app: config.appName, hosts: results } });
}
