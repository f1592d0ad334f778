// The `.versions` record: one release per line, newest first, tab-separated
// (version, status, ISO time, artifact sha256 prefix, who). Written whole
// (temp + rename), never edited in place.

import type { ReleaseRecord, ReleaseStatus } from '../remote/state.js';

// The types and the reader live with what the probe found (src/remote/state.ts).
export { parseVersions, type ReleaseRecord, type ReleaseStatus } from '../remote/state.js';

export function formatVersions(records: ReleaseRecord[]): string {
  return (
    '# version\tstatus\ttime\tsha256\tby\n' + records.map((r) => [r.version, r.status, r.time, r.sha, r.by].join('\t')).join('\n') + '\n'
  );
}

/** Puts `record` first, replacing an older record of the same version. */
export function recordRelease(records: ReleaseRecord[], record: ReleaseRecord): ReleaseRecord[] {
  return [record, ...records.filter((r) => r.version !== record.version)];
}

export function setStatus(records: ReleaseRecord[], version: string, status: ReleaseStatus): ReleaseRecord[] {
  return records.map((r) => (r.version === version ? { ...r, status } : r));
}

/** The newest good release other than `except`. */
export function lastGood(records: ReleaseRecord[], except?: string): ReleaseRecord | undefined {
  return records.find((r) => r.status === 'good' && r.version !== except);
}

/**
 * Which release directories prune removes. Keeps `keep` releases, never the
 * current one, never the last good one; failed releases go first, then the
 * oldest. Directories with no record (half-made by an interrupted deploy) are
 * treated as failed.
 */
export function selectPrune(opts: {
  dirs: string[];
  records: ReleaseRecord[];
  current?: string;
  keep: number;
  protect?: string[];
}): string[] {
  const { dirs, records, current, keep } = opts;
  const protectedSet = new Set<string>([...(opts.protect ?? [])]);
  if (current) protectedSet.add(current);
  const good = records.find((r) => r.status === 'good');
  if (good) protectedSet.add(good.version);
  const rank = new Map(records.map((r, i) => [r.version, i]));
  const statusOf = (v: string) => records.find((r) => r.version === v)?.status ?? 'failed';
  // Survivors: protected first, then good/rolled-back newest first, then failed newest first.
  const ordered = [...dirs].sort((a, b) => {
    const pa = protectedSet.has(a) ? 0 : statusOf(a) === 'failed' ? 2 : 1;
    const pb = protectedSet.has(b) ? 0 : statusOf(b) === 'failed' ? 2 : 1;
    if (pa !== pb) return pa - pb;
    return (rank.get(a) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b) ?? Number.MAX_SAFE_INTEGER);
  });
  const survivors = new Set(ordered.slice(0, Math.max(keep, 0)));
  for (const p of protectedSet) if (dirs.includes(p)) survivors.add(p);
  return dirs.filter((d) => !survivors.has(d));
}
