// Each host's outcome as one `host` event at the end of a deploy: the final
// table, the per-host --json summary and the GitHub annotation of a failed
// host all read it (src/output/). Every host of the deploy gets one, also
// when the deploy stopped before its verdict (a lock refused, a prepare that
// failed, a rollout that stopped): each as far as it got.
import type { HostConfig } from '../config/types.js';
import type { EventOf } from '../output/events.js';
import type { Decided, Flow } from './flow.js';

type HostEvent = EventOf<'host'>;

/** What `d` serves now and how it got there. `why`: the reason a failed host failed. */
export function hostOutcome(d: Decided, version: string, opts: { unchanged: boolean; why?: string; wave?: number }): HostEvent {
  const before = d.plan.summary.previous ?? d.lock.state.current;
  // Its own time: from its connect to its verdict carried out (hosts in later waves, or slower, take longer).
  const base = { type: 'host' as const, host: d.host.name, ms: Math.max(0, Math.round(d.endedAt - d.since)), ...waveField(opts.wave) };
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

/**
 * A host without a verdict: it failed on its own (connect, lock, upload,
 * prepare: `error`), or the deploy stopped before its switch — after its
 * release was uploaded (`stopped`: prepared, not live) or before anything
 * was sent (`untouched`: no time, nothing changed there).
 */
export function unswitchedOutcome(
  host: string,
  at: { since?: number; now: number; error?: string; failedAt?: number; touched: boolean; serves?: string; wave?: number },
): HostEvent {
  const serves = at.serves !== undefined ? { version: at.serves } : {};
  const ms = (end: number) => (at.since === undefined ? {} : { ms: Math.max(0, Math.round(end - at.since)) });
  if (at.error !== undefined)
    return { type: 'host', host, result: 'failed', ...serves, ...ms(at.failedAt ?? at.now), ...waveField(at.wave), message: at.error };
  if (at.touched)
    return {
      type: 'host',
      host,
      result: 'stopped',
      ...serves,
      ...ms(at.now),
      ...waveField(at.wave),
      message: 'the deploy stopped before its switch: the release is prepared there, the live one keeps serving',
    };
  return { type: 'host', host, result: 'untouched', ...serves, ...waveField(at.wave) };
}

/**
 * One `host` event per host of the deploy: the decided as they ended, the
 * others as far as they got. Nothing when no host got further than its lock
 * (the build failed, say): the error says it all.
 */
export function reportHostOutcomes(flow: Flow, decided: Decided[], unchanged: boolean, why: (d: Decided) => string): void {
  const byName = new Map(decided.map((d) => [d.host.name, d]));
  const now = flow.ctx.clock.now();
  const events = flow.hosts.map((h) => {
    const d = byName.get(h.name);
    const wave = flow.waveOf?.get(h.name);
    if (d) return hostOutcome(d, flow.version, { unchanged, wave, why: d.healthy ? undefined : why(d) });
    return unswitchedOutcome(h.name, { ...recordOf(flow, h), now, touched: flow.touched.has(h.name), wave });
  });
  if (events.every((e) => e.result === 'untouched')) return;
  for (const e of events) flow.ctx.reporter.emit(e);
}

function recordOf(flow: Flow, host: HostConfig) {
  const r = flow.run.record(host);
  return { since: r.since, error: r.error, failedAt: r.failedAt, serves: r.lock?.state.current };
}

function waveField(wave: number | undefined): { wave?: number } {
  return wave === undefined ? {} : { wave };
}
