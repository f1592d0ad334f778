// Issue 20's many-host target: the same code change to 1 host and to all N
// (50) hosts at once (`parallel = N`), every host behind a path with a
// round-trip time (set by the caller, 50 ms). The artifact is built before each run,
// outside the timing. The two sizes take turns. Each run is measured under
// GNU time (the CLI's CPU and peak RSS) and with the hosts' cgroup CPU, since
// all N hosts share this machine's cores: their CPU over the cores is a
// floor under the wall time that separate machines would not have.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { TestHost } from '../test/helpers/testhost.js';
import { cpuSince, readHostCpu, type HostCpu } from './hostCpu.js';
import { phasesOf } from './cli.js';
import { benchProject } from './projects.js';
import { measurePeakRss } from './rss.js';

export interface WideRun {
  hosts: number;
  wallMs: number;
  /** The CLI process: user + system CPU, and its peak RSS. */
  cpuMs: number;
  peakRssKiB: number;
  /** The test hosts' CPU during the run. */
  hostCpu: HostCpu;
  /** Phase label -> ms, from the --json phase events. */
  phases: Record<string, number>;
  /** host events: result -> count. */
  results: Record<string, number>;
}

export interface WideFleetResult {
  rttMs: number;
  hostCount: number;
  cores: number;
  cold: WideRun;
  one: WideRun[];
  all: WideRun[];
}

export async function measureWideFleet(
  hosts: TestHost[],
  opts: { rttMs: number; reps: number; cores: number; log: (l: string) => void },
): Promise<WideFleetResult> {
  const project = benchProject('binary-app', hosts, {
    app: 'bench-wide',
    port: 8800,
    buildCommand: null,
    top: `parallel = ${hosts.length}`,
  });
  const build = (version: string, subset: TestHost[]) => {
    project.writeConfig(undefined, subset);
    project.setVersion(version);
    execFileSync(join(project.dir, 'build.sh'), { stdio: 'ignore' });
  };
  const run = async (subset: TestHost[]): Promise<WideRun> => {
    const cpu0 = readHostCpu(hosts);
    const r = await measurePeakRss(project.dir, ['deploy', '--json']);
    const results: Record<string, number> = {};
    for (const e of r.events) if (e.type === 'host') results[String(e.result)] = (results[String(e.result)] ?? 0) + 1;
    if ((results.live ?? 0) !== subset.length) throw new Error(`a deploy to ${subset.length} hosts ended ${JSON.stringify(results)}`);
    const phases = phasesOf(r);
    return {
      hosts: subset.length,
      wallMs: r.wallMs,
      cpuMs: r.cpuMs,
      peakRssKiB: r.peakRssKiB,
      hostCpu: cpuSince(cpu0, hosts),
      phases,
      results,
    };
  };
  const fmt = (w: WideRun) =>
    `${(w.wallMs / 1000).toFixed(2)} s, CLI CPU ${w.cpuMs.toFixed(0)} ms, RSS ${(w.peakRssKiB / 1024).toFixed(0)} MiB, hosts' CPU ${(w.hostCpu.hostMs / 1000).toFixed(1)} s`;
  try {
    let v = 0;
    build(`5.0.${v}`, hosts);
    const cold = await run(hosts);
    opts.log(`wide: cold deploy to ${hosts.length} hosts at RTT ${opts.rttMs} ms: ${fmt(cold)}`);
    const res: WideFleetResult = { rttMs: opts.rttMs, hostCount: hosts.length, cores: opts.cores, cold, one: [], all: [] };
    for (let i = 0; i < opts.reps; i++) {
      for (const subset of [hosts.slice(0, 1), hosts]) {
        build(`5.0.${++v}`, subset);
        const w = await run(subset);
        (subset.length === 1 ? res.one : res.all).push(w);
        opts.log(`wide: ${subset.length} host(s): ${fmt(w)}`);
      }
    }
    return res;
  } finally {
    project.cleanup();
  }
}
