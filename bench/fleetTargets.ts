// Issue 20's targets (latency, many hosts, rollout), checked against this
// run's figures like targets.ts does for the others. Reported, never asserted.
import type { BenchResults } from './results.js';
import { formatMs, formatSeconds, median } from './stats.js';
import type { TargetRow } from './targets.js';

const status = (ok: boolean | undefined): TargetRow['status'] => (ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS');

/** Sequential round trips a run waits on: its extra time at `rtt` over its time at 0, in RTTs. */
export function roundTrips(at0: number[], atRtt: number[], rtt: number): number {
  return (median(atRtt) - median(at0)) / rtt;
}

export function latencyFigures(res: BenchResults) {
  const l = res.latency;
  if (!l) return undefined;
  const rtts = [...l.byRtt.keys()].sort((a, b) => a - b);
  const top = rtts.at(-1)!;
  const at = (r: number) => l.byRtt.get(r)!;
  const ours = at(top).ours.map((x) => x.wallMs);
  const floor = at(top).floor.map((x) => x.wallMs);
  return {
    rtt: top,
    ours: median(ours),
    floor: median(floor),
    oursTrips: roundTrips(at(0)?.ours.map((x) => x.wallMs) ?? [], ours, top),
    floorTrips: roundTrips(at(0)?.floor.map((x) => x.wallMs) ?? [], floor, top),
  };
}

export function fleetTargets(res: BenchResults): TargetRow[] {
  const rows: TargetRow[] = [];
  const lat = latencyFigures(res);
  if (lat)
    rows.push({
      measurement: `code-change deploy of a binary at ${lat.rtt} ms round-trip time vs the one-connection OpenSSH floor at the same latency`,
      result: `ours ${formatSeconds(lat.ours)}, floor ${formatSeconds(lat.floor)}: ${(lat.ours / lat.floor).toFixed(2)}x; round trips waited on: ours ${lat.oursTrips.toFixed(1)}, floor ${lat.floorTrips.toFixed(1)}`,
      target: '≤ 1.5x the floor (issue 20)',
      status: status(lat.ours / lat.floor <= 1.5),
    });
  const w = res.wide;
  if (w && w.one.length && w.all.length) {
    const one = median(w.one.map((r) => r.wallMs));
    const all = median(w.all.map((r) => r.wallMs));
    const hostCpu = median(w.all.map((r) => r.hostCpu.hostMs));
    const cpuFloor = hostCpu / w.cores;
    rows.push({
      measurement: `the same code change to 1 and to ${w.hostCount} hosts at ${w.rttMs} ms, parallel = ${w.hostCount}`,
      result:
        `1: ${formatSeconds(one)}, ${w.hostCount}: ${formatSeconds(all)} = ${(all / one).toFixed(2)}x. The ${w.hostCount} hosts used ${formatSeconds(hostCpu)} of CPU ` +
        `on this machine's ${w.cores} cores (${((100 * cpuFloor) / all).toFixed(0)}% of the wall time with every core busy): ` +
        `without that shared-CPU floor of ${formatSeconds(cpuFloor)}, the rest is ${formatSeconds(Math.max(0, all - cpuFloor))} = ${(Math.max(0, all - cpuFloor) / one).toFixed(2)}x of 1 host`,
      target: '≤ 2x of 1 host (issue 20)',
      status: status(all / one <= 2),
    });
    const cpuPerHost = median(w.all.map((r) => r.cpuMs)) / w.hostCount;
    rows.push({
      measurement: `client CPU per host, deploying to ${w.hostCount} hosts at once`,
      result: `${formatMs(cpuPerHost)} (the whole CLI ${formatSeconds(median(w.all.map((r) => r.cpuMs)))}, 1 host: ${formatMs(median(w.one.map((r) => r.cpuMs)))})`,
      target: '≤ 50 ms per host (issue 20)',
      status: status(cpuPerHost <= 50),
    });
    const rss = (Math.max(...w.all.map((r) => r.peakRssKiB)) * 1024) / 1e6;
    rows.push({
      measurement: `client peak RSS deploying to ${w.hostCount} hosts at once`,
      result: `${rss.toFixed(0)} MB (1 host: ${((median(w.one.map((r) => r.peakRssKiB)) * 1024) / 1e6).toFixed(0)} MB)`,
      target: '≤ 300 MB (issue 20)',
      status: status(rss <= 300),
    });
  }
  const r = res.rollout;
  if (r) {
    for (const s of r.scenarios.filter((x) => x.name !== 'a good release'))
      rows.push({
        measurement: `${r.hostCount} hosts, canary = 1, batch = "25%": a release that ${s.name}`,
        result: `exit ${s.code}, ${s.waves} wave${s.waves === 1 ? '' : 's'} started, ${s.untouched} hosts never touched; ${s.ok ? s.expected : s.problems.join('; ')}`,
        target: s.expected,
        status: status(s.ok),
      });
  }
  return rows;
}
