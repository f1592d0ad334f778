// Issue 11's speed targets, side by side on one test host: a code-change
// deploy of the binary example (blue-green, health check) with its artifact
// already built, against the one-connection OpenSSH floor (bench/floor.sh:
// one `ssh` streams the binary and runs the same nine steps); then an
// unchanged redeploy against the floor run again with the same artifact.
// Ours and the floor take turns, so both see the same load.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { TestHost } from '../test/helpers/testhost.js';
import { removeBaseline, runBaseline, type BaselineRun } from './baseline.js';
import { runCli, type CliRun } from './cli.js';
import { benchProject } from './projects.js';
import type { Project } from '../test/helpers/project.js';

export interface SpeedResult {
  codeChange: { ours: CliRun[]; floor: BaselineRun[] };
  unchanged: { ours: CliRun[]; floor: BaselineRun[] };
}

/**
 * The binary example without a build_command, and a way to build it as a new
 * version outside any timing; the floor app removed, so both start fresh.
 */
export function codeChangeProject(
  host: TestHost,
  app: string,
  port: number,
): { project: Project; artifact: string; build(version: string): void } {
  const project = benchProject('binary-app', [host], { app, port, buildCommand: null });
  return {
    project,
    artifact: join(project.dir, 'dist', 'hello-bin'),
    build(version) {
      project.setVersion(version);
      execFileSync(join(project.dir, 'build.sh'), { stdio: 'ignore' });
    },
  };
}

/** Takes down what a code-change project and the floor left on the host. */
export async function removeCodeChangeProject(host: TestHost, project: Project): Promise<void> {
  await removeBaseline(host, 'floor').catch(() => undefined);
  await project.run(['down', '--yes'], { timeoutMs: 120_000 }).catch(() => undefined);
  project.cleanup();
}

export async function measureSpeed(host: TestHost, opts: { reps: number; port: number; log: (l: string) => void }): Promise<SpeedResult> {
  const { project, artifact, build } = codeChangeProject(host, 'speed', opts.port);
  const res: SpeedResult = { codeChange: { ours: [], floor: [] }, unchanged: { ours: [], floor: [] } };
  try {
    await removeBaseline(host, 'floor');
    // Fresh: both sides deploy once (units, sites, users in place), untimed.
    build('2.0.0');
    await runCli(project, [host], ['deploy']);
    await runBaseline(host, artifact, '2.0.0', 'floor');
    for (let i = 1; i <= opts.reps; i++) {
      build(`2.0.${i}`);
      const ours = await runCli(project, [host], ['deploy']);
      const floor = await runBaseline(host, artifact, `2.0.${i}`, 'floor');
      res.codeChange.ours.push(ours);
      res.codeChange.floor.push(floor);
      opts.log(`code change 2.0.${i}: ours ${(ours.wallMs / 1000).toFixed(2)} s, floor ${(floor.wallMs / 1000).toFixed(2)} s`);
    }
    for (let i = 1; i <= opts.reps; i++) {
      const ours = await runCli(project, [host], ['redeploy']);
      const floor = await runBaseline(host, artifact, `2.0.${opts.reps}`, 'floor');
      res.unchanged.ours.push(ours);
      res.unchanged.floor.push(floor);
      opts.log(`unchanged ${i}: ours ${(ours.wallMs / 1000).toFixed(2)} s, floor ${(floor.wallMs / 1000).toFixed(2)} s`);
    }
    return res;
  } finally {
    await removeCodeChangeProject(host, project);
  }
}
