// [rollout]: canary hosts first, then the rest in batches, stopping past
// max_failed failures (src/plan/rollout.ts plans the waves, src/deploy/rollout.ts
// runs them). batch and max_failed take a host count or a share of the
// selected hosts ("25%"), so they are read here rather than by their schema.
import { describeValue, type Issues } from './issues.js';
import { TableReader, type RawTable } from './reader.js';

/** A number of hosts, or a percentage of the selected hosts ("25%"). */
export type HostCount = number | `${number}%`;

export interface RolloutConfig {
  /** Hosts that go first, alone, and must stay healthy for canaryWait seconds. */
  canary: number;
  canaryWait: number;
  /** Hosts per wave after the canary; unset: all the rest in one wave. */
  batch?: HostCount;
  /** Failed hosts tolerated; one more stops the rollout. */
  maxFailed: HostCount;
}

const PERCENT = /^(\d{1,3})%$/;

export function readRollout(top: TableReader, issues: Issues): RolloutConfig | undefined {
  const table = issues.attempt(() => top.subTable('rollout'));
  if (table === undefined) return undefined;
  const r = new TableReader(issues, table, ['rollout'], 'rollout');
  const fields = r.fields();
  const batch = issues.attempt(() => readCount(r, table, 'batch', 1));
  const maxFailed = issues.attempt(() => readCount(r, table, 'max_failed', 0)) ?? 0;
  return { canary: fields.canary, canaryWait: fields.canaryWait, ...(batch !== undefined ? { batch } : {}), maxFailed };
}

/** A count of hosts (`min` or more) or "P%" (1 to 100); undefined when absent. */
function readCount(r: TableReader, table: RawTable, key: string, min: number): HostCount | undefined {
  const v = table[key];
  if (v === undefined) return undefined;
  if (typeof v === 'bigint' && v >= BigInt(min) && v <= 100_000n) return Number(v);
  const m = typeof v === 'string' ? PERCENT.exec(v) : null;
  const pct = m ? Number(m[1]) : NaN;
  if (m && pct >= min && pct <= 100 && (pct > 0 || min === 0)) return `${pct}%`;
  const example = key === 'batch' ? '2 (hosts per wave) or batch = "25%" (of the selected hosts)' : '2 (hosts) or max_failed = "10%"';
  const path = r.at(key);
  return r.issues.fail(
    path,
    'value',
    `${r.issues.name(path)} must be a whole number of hosts (${min} or more) or a percentage from ${min || 0}% to 100% written as a string, got ${describeValue(v)}. Fix: write ${key} = ${example}.`,
  );
}
