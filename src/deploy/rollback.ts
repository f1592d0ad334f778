// `deployer rollback [--to VERSION]`: switch back to an installed release —
// its code and its own .env together — with the same health gate as a
// deploy. Instant: no upload, no install, only a switch and a restart.
import type { Context } from '../context.js';
import { UnhealthyError } from '../errors.js';
import { planRollback, rollbackTarget } from '../plan/maintenance.js';
import { whoIsAsking } from './connect.js';
import { forEachHost } from './hostRun.js';
import { checkHealth } from './health.js';
import { visitSite } from './visit.js';
import { usesBlueGreen } from '../plan/slots.js';
import { loadCommandConfig } from './commandConfig.js';
import { configForHost, runsWeb } from '../config/roles.js';

export async function runRollback(ctx: Context, opts: { to?: string; lockWait: number }): Promise<void> {
  const config = loadCommandConfig(ctx);
  const who = { time: new Date(ctx.clock.now()).toISOString(), by: whoIsAsking(ctx) };
  const { reporter } = ctx;
  const results = await forEachHost(ctx, config, { lock: true, lockWait: opts.lockWait, command: 'rollback' }, async (h) => {
    const target = rollbackTarget(h.state, opts.to, h.host);
    reporter.info(`rolling back ${config.appName} from ${h.state.current ?? 'nothing'} to ${target}`, h.host.name);
    const hc = configForHost(config, h.host); // its roles' processes only
    const handle = await h.remote.startSwitch(planRollback(hc, h.host, h.state, target, who));
    // Blue-green: the instances passed their gate on the host; now the site through Caddy, as a visitor.
    // A host without the web process: its units' gate is the check.
    const check = async () =>
      !runsWeb(hc)
        ? { ok: true as const, error: undefined }
        : usesBlueGreen(hc)
          ? visitSite(h.remote, hc, h.host, (ms) => ctx.clock.sleep(ms))
          : checkHealth(h.remote, hc, ctx.clock);
    const health = handle.ready ? await check() : { ok: false, error: 'the services of the release did not come up' };
    const result = await handle.decide(health.ok ? 'commit' : 'rollback');
    if (!health.ok || !result.ok) {
      throw new UnhealthyError(
        `${h.host.name}: rollback to ${target} failed its checks (${health.error ?? 'switch failed'}); ${h.state.current ?? 'nothing'} serves again`,
        {
          details: result.stderr.trim().split('\n').slice(-20).join('\n') || undefined,
        },
      );
    }
    reporter.emit({
      type: 'phase',
      host: h.host.name,
      phase: 'live',
      label: `${target} is live`,
      status: 'done',
      detail: `rolled back from ${h.state.current}`,
    });
    return { host: h.host.name, from: h.state.current, to: target };
  });
  reporter.emit({ type: 'result', command: 'rollback', ok: true, data: { app: config.appName, hosts: results } });
}
