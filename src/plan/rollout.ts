// The waves of a rollout ([rollout], src/config/rollout.ts) and the verdict
// after each: pure, so `plan` shows the same waves a deploy or a rollback runs
// (src/deploy/rollout.ts).
import type { HostCount, RolloutConfig } from '../config/rollout.js';
import type { RollbackPolicy } from '../config/types.js';
import type { ScriptSpec } from '../remote/steps.js';

export type WaveKind = 'canary' | 'batch' | 'all';

export interface Wave<T> {
  /** 1-based, as shown. */
  index: number;
  kind: WaveKind;
  items: T[];
}

/**
 * The selected hosts, in config order, cut into waves: the canary hosts
 * first, then `batch` hosts at a time. Without [rollout] (or with neither
 * canary nor batch) one wave of every host: today's all-at-once deploy.
 */
export function planWaves<T>(items: T[], rollout: RolloutConfig | undefined): Wave<T>[] {
  if (items.length === 0) return [];
  const canary = Math.min(rollout?.canary ?? 0, items.length);
  const rest = items.slice(canary);
  const size = rollout?.batch === undefined ? rest.length : Math.max(1, countOf(rollout.batch, items.length, 'up'));
  const waves: Wave<T>[] = [];
  if (canary > 0) waves.push({ index: 1, kind: 'canary', items: items.slice(0, canary) });
  const kind: WaveKind = canary === 0 && size >= rest.length ? 'all' : 'batch';
  for (let i = 0; i < rest.length; i += size) waves.push({ index: waves.length + 1, kind, items: rest.slice(i, i + size) });
  return waves;
}

/**
 * A count or a share of `total` hosts. Batches round up (25% of 6 hosts is 2,
 * never a wave of 0); max_failed rounds down (10% of 15 hosts tolerates 1
 * failure: a percentage never tolerates more than it says).
 */
export function countOf(count: HostCount, total: number, round: 'up' | 'down'): number {
  if (typeof count === 'number') return count;
  const share = (total * Number(count.slice(0, -1))) / 100;
  return round === 'up' ? Math.ceil(share) : Math.floor(share);
}

/** Failed hosts the rollout tolerates; one more stops it. Without [rollout]: 0, as today. */
export function failureLimit(rollout: RolloutConfig | undefined, total: number): number {
  return rollout ? countOf(rollout.maxFailed, total, 'down') : 0;
}

export interface WaveVerdict {
  /** Failed hosts past the limit: no later wave starts. */
  stop: boolean;
  /** Every switched host goes back: this wave's and those of earlier waves (rollback = "all"). */
  everyone: boolean;
}

/**
 * After a wave: `failed` hosts failed so far, this wave's included. Under the
 * limit a failed host goes back alone and the rollout goes on, whatever the
 * policy; past it the rollout stops, and with "all" every switched host goes
 * back, with "host" only the failed ones (the healthy keep the new release).
 * A failed canary stops the rollout whatever the limit: the canary is there so
 * that a bad release reaches no other host (`max_failed` is for the batches).
 */
export function waveVerdict(failed: number, limit: number, policy: RollbackPolicy, canaryFailed = false): WaveVerdict {
  const stop = failed > limit || canaryFailed;
  return { stop, everyone: stop && policy === 'all' };
}

/**
 * With rollback = "all" a host that passed keeps its switch script waiting for
 * the verdict until the last wave passed, so taking it back is the same revert
 * as any failed switch. Its wait is bounded (a lost client must not leave it
 * waiting for ever): `extraSec` more than a lone deploy's.
 */
export function holdVerdict(spec: ScriptSpec, extraSec: number): ScriptSpec {
  if (!spec.verdict || extraSec <= 0) return spec;
  return { ...spec, verdict: { ...spec.verdict, timeoutSec: spec.verdict.timeoutSec + extraSec } };
}

/** The time one later wave may take (prepare, switch, checks) before a held host gives up and reverts by itself. */
export function waveAllowanceSec(healthTimeoutSec: number): number {
  return 900 + 2 * healthTimeoutSec;
}

/** What `plan` says of the waves (only with [rollout]): one line per wave, then where it stops. */
export function formatWaves(names: string[], rollout: RolloutConfig, policy: RollbackPolicy): string {
  const waves = planWaves(names, rollout);
  const limit = failureLimit(rollout, names.length);
  const lines = waves.map(
    (w) =>
      `  wave ${w.index}/${waves.length}${w.kind === 'canary' ? ` (canary, watched ${rollout.canaryWait} s)` : ''}: ${w.items.join(', ')}`,
  );
  const back =
    policy === 'all'
      ? 'every switched host goes back to its previous release'
      : 'the failed hosts go back, the others keep the new release';
  return [
    `Rollout in ${waves.length} wave${waves.length === 1 ? '' : 's'}:`,
    ...lines,
    `  stops at ${limit + 1} failed host${limit === 0 ? '' : 's'} (max_failed = ${limit}); then ${back} (rollback = "${policy}"), later waves are not touched`,
  ].join('\n');
}

/** Each host's wave, for `plan --json`. */
export function waveOf(names: string[], rollout: RolloutConfig | undefined): Map<string, { wave: number; of: number; kind: WaveKind }> {
  const waves = planWaves(names, rollout);
  return new Map(waves.flatMap((w) => w.items.map((n) => [n, { wave: w.index, of: waves.length, kind: w.kind }] as const)));
}
