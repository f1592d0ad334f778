// Each host's outcome as one `host` event at the end of a deploy: the final
// table, the per-host --json summary and the GitHub annotation of a failed
// host all read it (src/output/). A rollout calls this per wave.
import type { EventOf } from '../output/events.js';
import type { Decided, Flow } from './flow.js';

/** What `d` serves now and how it got there. `why`: the reason a failed host failed. */
export function hostOutcome(d: Decided, version: string, opts: { unchanged: boolean; ms: number; why?: string }): EventOf<'host'> {
  const before = d.plan.summary.previous ?? d.lock.state.current;
  const base = { type: 'host' as const, host: d.host.name, ms: Math.round(opts.ms) };
  if (!d.healthy)
    return {
      ...base,
      result: 'failed',
      version: d.rolledBack || !d.switch ? before : version,
      ...(d.rolledBack ? { rolledBack: true } : {}),
      ...(opts.why ? { message: opts.why } : {}),
    };
  if (d.rolledBack) return { ...base, result: 'rolled-back', version: before };
  return { ...base, result: opts.unchanged ? 'unchanged' : 'live', version };
}

/** One `host` event per host; `ms` is the time from the deploy's start to the host's verdict. */
export function reportHostOutcomes(flow: Flow, decided: Decided[], unchanged: boolean, why: (d: Decided) => string): void {
  const ms = flow.timings.total();
  for (const d of decided) flow.ctx.reporter.emit(hostOutcome(d, flow.version, { unchanged, ms, why: d.healthy ? undefined : why(d) }));
}
