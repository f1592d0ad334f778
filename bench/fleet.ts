// The same deploy (a code-only deploy of the binary example: new version,
// upload, install, switch) to 1, 4 and 8 hosts. Every host gets a cold deploy
// first (timed, for information), then the sizes take turns, so a drift in
// the machine's load hits each of them alike.
import type { TestHost } from '../test/helpers/testhost.js';
import { runCli, type CliRun } from './cli.js';
import { benchProject } from './projects.js';

export interface FleetResult {
  coldAll: CliRun;
  /** Host count -> runs. */
  bySize: Map<number, CliRun[]>;
}

export async function measureFleet(hosts: TestHost[], sizes: number[], reps: number, log: (line: string) => void): Promise<FleetResult> {
  const project = benchProject('binary-app', hosts, { app: 'bench-fleet', port: 8200 });
  try {
    const coldAll = await runCli(project, hosts, ['deploy']);
    log(`fleet: cold deploy to ${hosts.length} hosts ${(coldAll.wallMs / 1000).toFixed(2)} s`);
    const bySize = new Map<number, CliRun[]>(sizes.map((n) => [n, []]));
    let version = 0;
    for (let i = 0; i < reps; i++) {
      for (const n of sizes) {
        const subset = hosts.slice(0, n);
        project.writeConfig(undefined, subset);
        project.setVersion(`1.1.${++version}`);
        const r = await runCli(project, subset, ['deploy']);
        if (r.hosts.length !== n) throw new Error(`a deploy to ${n} hosts reported ${r.hosts.length}`);
        bySize.get(n)!.push(r);
        log(`fleet: ${n} host(s) ${(r.wallMs / 1000).toFixed(2)} s (build ${(r.buildMs / 1000).toFixed(2)} s)`);
      }
    }
    return { coldAll, bySize };
  } finally {
    project.cleanup();
  }
}
