// Small number helpers shared by the measurements.

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function formatSeconds(ms: number): string {
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : 'n/a';
}

export function formatMs(ms: number): string {
  return Number.isFinite(ms) ? `${Math.round(ms)} ms` : 'n/a';
}

export function formatMiB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

/** MiB/s from bytes and milliseconds. */
export function mibPerSecond(bytes: number, ms: number): number {
  return bytes / 1024 / 1024 / (ms / 1000);
}

/** "1.23 / 1.30 / 1.41 s": every run, so the spread behind a median is visible. */
export function formatRuns(ms: number[]): string {
  return ms.map((m) => (m / 1000).toFixed(2)).join(' / ') + ' s';
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * "connect and lock 320 ms, upload 82 ms, …": each phase's median over the
 * runs that have it, in `order` (default: as the phases first appear), less `skip`.
 */
export function phaseMedians(runs: Array<Record<string, number>>, opts: { order?: readonly string[]; skip?: string[] } = {}): string {
  const names = (opts.order ?? [...new Set(runs.flatMap((r) => Object.keys(r)))]).filter((p) => !opts.skip?.includes(p));
  return names
    .filter((p) => runs.some((r) => p in r))
    .map((p) => `${p} ${formatMs(median(runs.filter((r) => p in r).map((r) => r[p])))}`)
    .join(', ');
}
