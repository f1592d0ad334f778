// Issue 20's latency target: the code change of bench/speed.ts and the
// one-connection OpenSSH floor, both over a path with a round-trip time (the
// test harness's delaying proxy on the host's SSH port, loopback-proxy.mjs).
// Every RTT takes its turn in each round, ours and the floor back to back, so
// both see the same load. The same runs at RTT 0 give the round trips: what a
// deploy waits on the network is (time at R - time at 0) / R.
import type { TestHost } from '../test/helpers/testhost.js';
import { removeBaseline, runBaseline, type BaselineRun } from './baseline.js';
import { runCli, type CliRun } from './cli.js';
import { codeChangeProject, removeCodeChangeProject } from './speed.js';

export interface LatencyResult {
  /** RTT in ms -> the code changes at that RTT, ours and the floor's. */
  byRtt: Map<number, { ours: CliRun[]; floor: BaselineRun[] }>;
}

export async function measureLatency(
  host: TestHost,
  opts: { rtts: number[]; reps: number; port: number; log: (l: string) => void },
): Promise<LatencyResult> {
  const { project, artifact, build } = codeChangeProject(host, 'latency', opts.port);
  const res: LatencyResult = { byRtt: new Map(opts.rtts.map((r) => [r, { ours: [], floor: [] }])) };
  let version = 0;
  try {
    await removeBaseline(host, 'floor');
    build(`3.0.${version}`);
    await runCli(project, [host], ['deploy']);
    await runBaseline(host, artifact, `3.0.${version}`, 'floor');
    for (let i = 1; i <= opts.reps; i++) {
      for (const rtt of opts.rtts) {
        await host.startProxy(22, rtt);
        build(`3.0.${++version}`);
        const ours = await runCli(project, [host], ['deploy']);
        const floor = await runBaseline(host, artifact, `3.0.${version}`, 'floor');
        res.byRtt.get(rtt)!.ours.push(ours);
        res.byRtt.get(rtt)!.floor.push(floor);
        opts.log(
          `RTT ${rtt} ms, code change 3.0.${version}: ours ${(ours.wallMs / 1000).toFixed(2)} s, floor ${(floor.wallMs / 1000).toFixed(2)} s`,
        );
      }
    }
    return res;
  } finally {
    await host.startProxy(22, 0).catch(() => undefined);
    await removeCodeChangeProject(host, project);
  }
}
