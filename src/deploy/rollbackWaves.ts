// `deployer rollback` of a fleet with [rollout]: every host's lock and target
// first (a host with nothing to go back to stops it before any switch), then
// the deploy's waves (src/plan/rollout.ts) with the same limit and policy as
// a deploy (src/deploy/rollout.ts): "all" keeps each passed host's verdict
// open until the last wave, "host" commits wave by wave; past max_failed no
// later wave starts. The canary is watched for canary_wait, as a deploy's is.
import type { Config } from '../config/types.js';
import type { Context } from '../context.js';
import { UnhealthyError } from '../errors.js';
import { rollbackTarget, type Who } from '../plan/maintenance.js';
import { failureLimit, planWaves, waveAllowanceSec, waveVerdict } from '../plan/rollout.js';
import type { HostHandle, HostsOptions } from './connect.js';
import { HostRun } from './hostRun.js';
import { mapLimit } from './hostSelection.js';
import { finishBack, startBack, type HostBack, type StartedBack } from './rollback.js';
import { messageOf } from './settle.js';
import { watchCanary } from './watchCanary.js';

export async function rollBackInWaves(
  ctx: Context,
  config: Config,
  lock: HostsOptions,
  to: string | undefined,
  who: Who,
): Promise<HostBack[]> {
  const run = new HostRun(ctx, config);
  try {
    const handles: HostHandle[] = await run.each(run.hosts, (host) => run.open(host, lock));
    const targets = new Map(handles.map((h) => [h, rollbackTarget(h.state, to, h.host)]));
    const waves = planWaves(handles, config.rollout);
    const limit = failureLimit(config.rollout, handles.length);
    const hold = config.rollback === 'all' && waves.length > 1;
    const done: HostBack[] = [];
    const failures: string[] = [];
    let waiting: StartedBack[] = [];
    // Each verdict carried out; a host that did not end on its target is a failure.
    const finish = async (backs: StartedBack[], verdict: (b: StartedBack) => 'commit' | 'rollback') => {
      const ends = await mapLimit(backs, config.parallel, (b) => finishBack(ctx, b, verdict(b)));
      ends.forEach((e) => (e.status === 'fulfilled' ? done.push(e.value) : failures.push(messageOf(e.reason))));
    };
    for (const wave of waves) {
      // The canary's switch scripts also wait while it is watched, as a deploy's do (src/deploy/rollout.ts).
      const watchSec = wave.kind === 'canary' ? (config.rollout?.canaryWait ?? 0) : 0;
      const holdSec = watchSec + (hold ? (waves.length - wave.index) * waveAllowanceSec(config.healthCheck.timeout) : 0);
      const names = wave.items.map((h) => h.host.name);
      ctx.reporter.emit({ type: 'wave', wave: wave.index, of: waves.length, kind: wave.kind, status: 'start', hosts: names });
      const started = await mapLimit(wave.items, config.parallel, (h) => startBack(ctx, config, h, targets.get(h)!, who, holdSec));
      const backs = await watchCanary(
        ctx,
        started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])),
        watchSec,
        {
          host: (b) => b.h.host.name,
          healthy: (b) => b.healthy,
          check: (b) => b.check(),
          failed: (b, why) => ({ ...b, healthy: false, error: why }),
        },
      );
      started.forEach((s, i) => s.status === 'rejected' && failures.push(`${names[i]}: ${messageOf(s.reason)}`));
      const bad = started.filter((s) => s.status === 'rejected').length + backs.filter((b) => !b.healthy).length;
      const verdict = waveVerdict(
        failures.length + backs.filter((b) => !b.healthy).length,
        limit,
        config.rollback,
        wave.kind === 'canary' && bad > 0,
      );
      if (verdict.everyone) {
        await finish([...waiting, ...backs], () => 'rollback');
        waiting = [];
      } else if (hold) {
        await finish(
          backs.filter((b) => !b.healthy),
          () => 'rollback',
        );
        waiting.push(...backs.filter((b) => b.healthy));
      } else {
        await finish(backs, (b) => (b.healthy ? 'commit' : 'rollback'));
      }
      const untouched = waves.slice(wave.index).flatMap((w) => w.items.map((h) => h.host.name));
      ctx.reporter.emit({
        type: 'wave',
        wave: wave.index,
        of: waves.length,
        kind: wave.kind,
        status: bad ? 'failed' : 'done',
        hosts: names,
        ...(verdict.stop && untouched.length ? { untouched } : {}),
      });
      if (verdict.stop) {
        if (untouched.length) failures.push(`not touched (the rollout stopped before them): ${untouched.join(', ')}`);
        break;
      }
    }
    await finish(waiting, () => 'commit');
    if (failures.length) throw new UnhealthyError(`rollback of ${config.appName} failed: ${failures.join('; ')}`);
    return done;
  } finally {
    run.close();
  }
}
