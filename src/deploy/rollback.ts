// `deployer rollback [--to VERSION]`: switch back to an installed release —
// its code and its own .env together — with the same health gate as a
// deploy. Instant: no upload, no install, only a switch and a restart.
// With [rollout] the hosts go back in the deploy's waves (src/deploy/rollbackWaves.ts).
import type { Config } from '../config/types.js';
import type { Context, Switch } from '../context.js';
import { UnhealthyError } from '../errors.js';
import type { ScriptResult } from '../exec/remote.js';
import { planRollback, rollbackTarget, type Who } from '../plan/maintenance.js';
import { holdVerdict } from '../plan/rollout.js';
import { whoIsAsking, type HostHandle } from './connect.js';
import { forEachHost } from './hostRun.js';
import { checkHealth } from './health.js';
import { visitSite } from './visit.js';
import { usesBlueGreen } from '../plan/slots.js';
import { loadCommandConfig } from './commandConfig.js';
import { configForHost, runsWeb } from '../config/roles.js';
import { rollBackInWaves } from './rollbackWaves.js';

export interface RollbackOptions {
  to?: string;
  lockWait: number;
}

export interface HostBack {
  host: string;
  from?: string;
  to: string;
}

export async function runRollback(ctx: Context, opts: RollbackOptions): Promise<void> {
  const config = loadCommandConfig(ctx);
  const who = { time: new Date(ctx.clock.now()).toISOString(), by: whoIsAsking(ctx) };
  const lock = { lock: true, lockWait: opts.lockWait, command: 'rollback' };
  const results = config.rollout
    ? await rollBackInWaves(ctx, config, lock, opts.to, who)
    : await forEachHost(ctx, config, lock, async (h) => {
        const started = await startBack(ctx, config, h, rollbackTarget(h.state, opts.to, h.host), who);
        return finishBack(ctx, started, started.healthy ? 'commit' : 'rollback');
      });
  ctx.reporter.emit({ type: 'result', command: 'rollback', ok: true, data: { app: config.appName, hosts: results } });
}

/** One host switched back to `target` and checked; its script waits for the verdict. */
export interface StartedBack {
  h: HostHandle;
  target: string;
  handle: Switch;
  healthy: boolean;
  error?: string;
  /** Its check again (a canary is watched: src/deploy/watchCanary.ts). */
  check(): Promise<{ ok: boolean; error?: string }>;
}

export async function startBack(ctx: Context, config: Config, h: HostHandle, target: string, who: Who, holdSec = 0): Promise<StartedBack> {
  ctx.reporter.info(`rolling back ${config.appName} from ${h.state.current ?? 'nothing'} to ${target}`, h.host.name);
  const hc = configForHost(config, h.host); // its roles' processes only
  const handle = await h.remote.startSwitch(holdVerdict(planRollback(hc, h.host, h.state, target, who), holdSec));
  // Blue-green: the instances passed their gate on the host; now the site through Caddy, as a visitor.
  // A host without the web process: its units' gate is the check.
  const check = async () =>
    !runsWeb(hc)
      ? { ok: true as const, error: undefined }
      : usesBlueGreen(hc)
        ? visitSite(h.remote, hc, h.host, (ms) => ctx.clock.sleep(ms))
        : checkHealth(h.remote, hc, ctx.clock);
  const health = handle.ready ? await check() : { ok: false, error: 'the services of the release did not come up' };
  return { h, target, handle, healthy: health.ok, error: health.error, check };
}

/** The verdict carried out; throws when the host did not end on `target`. */
export async function finishBack(ctx: Context, b: StartedBack, verdict: 'commit' | 'rollback'): Promise<HostBack> {
  const { h, target } = b;
  const result: ScriptResult = await b.handle.decide(verdict);
  if (!b.healthy || !result.ok) {
    // A healthy host sent back: the rollout of the rollback stopped past max_failed (rollback = "all").
    const why =
      b.healthy && verdict === 'rollback' ? 'was undone: the rollout stopped' : `failed its checks (${b.error ?? 'switch failed'})`;
    throw new UnhealthyError(`${h.host.name}: rollback to ${target} ${why}; ${h.state.current ?? 'nothing'} serves again`, {
      details: result.stderr.trim().split('\n').slice(-20).join('\n') || undefined,
    });
  }
  ctx.reporter.emit({
    type: 'phase',
    host: h.host.name,
    phase: 'live',
    label: `${target} is live`,
    status: 'done',
    detail: `rolled back from ${h.state.current}`,
  });
  return { host: h.host.name, from: h.state.current, to: target };
}
