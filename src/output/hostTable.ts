// The final table of a deploy: one row per host (host, version, result,
// time), aligned, within the terminal's width (80 columns when unknown). A
// long host name is cut in its middle, where fleets' names differ least
// (`web-eu-central-1-017.example.com` → `web-eu-cen…17.example.com`).
import type { EventOf } from './events.js';
import { formatMs } from './reporter.js';

type HostEvent = EventOf<'host'>;

const RESULT: Record<HostEvent['result'], string> = {
  live: 'live',
  unchanged: 'unchanged',
  'rolled-back': 'rolled back',
  failed: 'FAILED',
  stopped: 'not switched',
  untouched: 'untouched',
  interrupted: 'INTERRUPTED',
};

/** The table's lines (header first), none wider than `width`. */
export function hostTable(rows: HostEvent[], width = 80): string[] {
  const cells = rows.map((r) => [
    r.host,
    r.version ?? '-',
    r.rolledBack ? 'FAILED, rolled back' : RESULT[r.result],
    r.ms === undefined ? '' : formatMs(r.ms),
  ]);
  const header = ['host', 'version', 'result', 'time'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  // The host and version columns give way, in that order, down to a floor that still tells hosts apart.
  const gaps = 2 * (header.length - 1);
  const over = () => widths.reduce((a, b) => a + b, 0) + gaps - width;
  if (over() > 0) widths[0] = Math.max(12, widths[0] - over());
  if (over() > 0) widths[1] = Math.max(7, widths[1] - over());
  const line = (c: string[]) =>
    c
      .map((v, i) => (i === 0 ? middleCut(v, widths[0]) : i === 1 ? endCut(v, widths[1]) : v))
      .map((v, i) => (i === c.length - 1 ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)];
}

/** Keeps both ends of a name (numbered hosts differ at the end, domains share it). */
export function middleCut(s: string, width: number): string {
  if (s.length <= width) return s;
  const head = Math.ceil((width - 1) / 2);
  return `${s.slice(0, head)}…${s.slice(s.length - (width - 1 - head))}`;
}

function endCut(s: string, width: number): string {
  return s.length <= width ? s : `${s.slice(0, width - 1)}…`;
}
