// Everything one benchmark run measured, as data (rendered by report.ts).
import type { BaselineRun } from './baseline.js';
import type { CliRun } from './cli.js';
import type { FleetResult } from './fleet.js';
import type { LatencyResult } from './latency.js';
import type { RolloutFleetResult } from './rolloutFleet.js';
import type { WideFleetResult } from './wideFleet.js';
import type { MachineInfo } from './machine.js';
import type { ExampleResult } from './scenarios.js';
import type { SpeedResult } from './speed.js';
import type { StartupResult } from './startup.js';
import type { UploadResult } from './upload.js';
import type { ZeroDowntimeResult } from './zeroDowntime.js';

export interface BenchResults {
  machine: MachineInfo;
  reps: number;
  startup?: StartupResult;
  examples: ExampleResult[];
  baseline: { cold: BaselineRun[]; redeploy: BaselineRun[] };
  upload?: UploadResult;
  /** A code change and an unchanged redeploy, against the one-connection OpenSSH floor. */
  speed?: SpeedResult;
  /** The same code change and floor over a path with a round-trip time. */
  latency?: LatencyResult;
  fleet?: FleetResult;
  /** The same code change to 1 and to 50 hosts at once, over a round-trip time. */
  wide?: WideFleetResult;
  /** [rollout] on 20 hosts: a good release, a failing canary, failures past max_failed under each policy. */
  rollout?: RolloutFleetResult;
  /** Deploys under load, once per strategy. */
  zeroDowntime?: ZeroDowntimeResult[];
  /** Sections that failed; their figures are missing, the rest stand. */
  errors: Array<{ section: string; message: string }>;
  totalMs: number;
}

/** Every CLI run of ours, for the per-command figures (logins, exec channels). */
export function allCliRuns(res: BenchResults): Array<{ what: string; run: CliRun }> {
  const out: Array<{ what: string; run: CliRun }> = [];
  for (const ex of res.examples) for (const s of ex.scenarios) for (const run of s.runs) out.push({ what: `${ex.example} ${s.name}`, run });
  if (res.fleet) {
    out.push({ what: 'fleet cold deploy', run: res.fleet.coldAll });
    for (const [n, runs] of res.fleet.bySize) for (const run of runs) out.push({ what: `deploy to ${n} hosts`, run });
  }
  return out;
}
