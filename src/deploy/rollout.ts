// Steps 4b–6 of a deploy over the waves of [rollout] (src/plan/rollout.ts):
// each wave uploads, prepares, switches, checks and gets its verdict before
// the next starts, so hosts after a stop are never touched. Every host's lock
// was taken before the first wave (flow.run holds them all to the end).
//
// rollback = "all": a host that passed waits, its switch script still open,
// until the last wave passed, then all commit together; past max_failed every
// waiting host reverts through that same script. Reverting a committed switch
// would need a second, different script per host (planRollback, with a state
// probed again) and a window where some hosts are committed and others not;
// holding the verdict keeps one revert path and one moment of commit.
// rollback = "host": each wave commits its healthy hosts at once.
import type { Config } from '../config/types.js';
import { failureLimit, holdVerdict, planWaves, waveAllowanceSec, waveVerdict, type Wave } from '../plan/rollout.js';
import type { Decided, Flow, Planned, Verified } from './flow.js';
import { goOn, prepareHosts } from './phases.js';
import { watchCanary } from './watchCanary.js';
import { checkSwitched, decide, switchHosts, switchWave, verifyHosts } from './switchPhases.js';

export async function rollOut(flow: Flow, planned: Planned[]): Promise<Decided[]> {
  const { config, ctx } = flow;
  const rollout = config.rollout;
  // No [rollout]: every host at once, as before.
  if (!rollout) {
    await prepareHosts(flow, planned);
    goOn(flow);
    return switchWave(flow, planned);
  }
  const waves = planWaves(planned, rollout);
  flow.waveOf = new Map(waves.flatMap((w) => w.items.map((p) => [p.host.name, w.index] as const)));
  const limit = failureLimit(rollout, planned.length);
  const hold = config.rollback === 'all' && waves.length > 1;
  const decided: Decided[] = [];
  flow.reached = new Set();
  let waiting: Verified[] = [];
  let failed = 0;
  let at: Wave<Planned> | undefined;
  try {
    for (const wave of waves) {
      at = wave;
      const later = waves.length - wave.index;
      const extra = (wave.kind === 'canary' ? rollout.canaryWait : 0) + (hold ? later * waveAllowanceSec(config.healthCheck.timeout) : 0);
      const hosts = wave.items.map((p) => ({ ...p, plan: { ...p.plan, switch: holdVerdict(p.plan.switch, extra) } }));
      goOn(flow);
      emitWave(flow, wave, waves.length, 'start');
      for (const p of wave.items) flow.reached.add(p.host.name);
      await prepareHosts(flow, hosts);
      goOn(flow);
      let verified = await verifyHosts(flow, await switchHosts(flow, hosts));
      if (wave.kind === 'canary') verified = await watchVerified(flow, verified, rollout.canaryWait);
      const bad = verified.filter((v) => !v.healthy);
      failed += bad.length;
      const verdict = waveVerdict(failed, limit, config.rollback, wave.kind === 'canary' && bad.length > 0);
      if (verdict.everyone) {
        decided.push(...(await decide(flow, [...waiting, ...verified], true)));
        waiting = [];
      } else if (hold) {
        if (bad.length) decided.push(...(await decide(flow, bad, false)));
        waiting.push(...verified.filter((v) => v.healthy));
      } else {
        decided.push(...(await decide(flow, verified, false)));
      }
      const untouched = waves.slice(wave.index).flatMap((w) => w.items.map((p) => p.host.name));
      emitWave(flow, wave, waves.length, bad.length ? 'failed' : 'done', {
        failed: bad.map((v) => v.host.name),
        ...(verdict.stop && untouched.length ? { untouched } : {}),
      });
      at = undefined;
      if (verdict.stop) {
        if (untouched.length) ctx.reporter.warn(stopLine(config, failed, limit, untouched, wave.kind === 'canary'));
        break;
      }
    }
    // Every wave passed (or failed under the limit): the hosts held for the verdict commit together.
    if (waiting.length) decided.push(...(await decide(flow, waiting, false)));
    return decided;
  } catch (e) {
    // Interrupted: the held switch scripts revert by themselves when the process ends (src/deploy/interrupt.ts).
    if (flow.interrupt?.aborted) throw e;
    // A wave stopped before its verdict (an upload or prepare failed): it ends failed, naming the hosts it stopped
    // before; the hosts held go back.
    if (at) {
      const failedHosts = at.items.filter((p) => flow.run.record(p.host).error !== undefined).map((p) => p.host.name);
      const untouched = waves.slice(at.index).flatMap((w) => w.items.map((p) => p.host.name));
      emitWave(flow, at, waves.length, 'failed', { failed: failedHosts, ...(untouched.length ? { untouched } : {}) });
    }
    if (waiting.length) {
      ctx.reporter.warn(`the rollout stopped: ${waiting.map((w) => w.host.name).join(', ')} go back to their previous release`);
      await decide(flow, waiting, true).catch(() => undefined);
    }
    throw e;
  }
}

function stopLine(config: Config, failed: number, limit: number, untouched: string[], canary: boolean): string {
  const back = config.rollback === 'all' ? 'every switched host went back to its previous release' : 'only the failed hosts went back';
  const why = canary ? 'the canary failed' : `${failed} failed host${failed === 1 ? '' : 's'}, more than max_failed = ${limit}`;
  return `rollout stopped: ${why}; ${back}; not touched: ${untouched.join(', ')}`;
}

function emitWave(
  flow: Flow,
  wave: Wave<Planned>,
  of: number,
  status: 'start' | 'done' | 'failed',
  more: { failed?: string[]; untouched?: string[] } = {},
): void {
  flow.ctx.reporter.emit({
    type: 'wave',
    wave: wave.index,
    of,
    kind: wave.kind,
    status,
    hosts: wave.items.map((p) => p.host.name),
    ...(more.failed?.length ? { failed: more.failed } : {}),
    ...(more.untouched ? { untouched: more.untouched } : {}),
  });
}

/** The canary wave, watched for `waitSec` while its switch scripts wait (src/deploy/watchCanary.ts). */
async function watchVerified(flow: Flow, verified: Verified[], waitSec: number): Promise<Verified[]> {
  if (waitSec <= 0 || !verified.some((v) => v.healthy)) return verified;
  const current = await watchCanary(flow.ctx, verified, waitSec, {
    host: (v) => v.host.name,
    healthy: (v) => v.healthy,
    check: (v) => checkSwitched(flow, v),
    failed: (v, why) => ({ ...v, healthy: false, healthError: why }),
  });
  flow.ctx.reporter.emit({
    type: 'phase',
    phase: 'canary',
    label: `canary healthy for ${waitSec} s`,
    status: current.every((v) => v.healthy) ? 'done' : 'failed',
    ms: flow.timings.lap('canary'),
  });
  return current;
}
