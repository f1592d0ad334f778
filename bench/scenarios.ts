// The four deploy scenarios of one example on one host, each repeated:
//   cold deploy          nothing of the app on the host (`down` between runs)
//   redeploy, unchanged  `deployer redeploy`: same artifact, nothing to upload or install
//   code-only deploy     a new version: build, upload, install, switch (units unchanged)
//   rollback             `rollback --to` the previous release and back again
// `between` hooks run after each timed run, so another tool's runs can be
// interleaved with ours (the load on a shared machine drifts; pairs see the same).
import type { TestHost } from '../test/helpers/testhost.js';
import type { Project } from '../test/helpers/project.js';
import { runCli, type CliRun } from './cli.js';
import { benchProject, type Example } from './projects.js';

export type ScenarioName = 'cold deploy' | 'redeploy, unchanged artifact' | 'code-only deploy' | 'rollback';

export interface ExampleResult {
  example: Example;
  scenarios: Array<{ name: ScenarioName; runs: CliRun[] }>;
}

export interface ExampleOptions {
  port: number;
  reps: number;
  /** Called with the project (its dir holds the built artifact) after each timed run. */
  between?: Partial<Record<ScenarioName, (project: Project) => Promise<void>>>;
  log: (line: string) => void;
}

export async function measureExample(example: Example, host: TestHost, opts: ExampleOptions): Promise<ExampleResult> {
  const project = benchProject(example, [host], { port: opts.port });
  const scenarios: ExampleResult['scenarios'] = [];
  const run = async (name: ScenarioName, args: string[]): Promise<CliRun> => {
    const r = await runCli(project, [host], args);
    opts.log(`${example}: ${name} (${args.join(' ')}) ${(r.wallMs / 1000).toFixed(2)} s`);
    await opts.between?.[name]?.(project);
    return r;
  };
  try {
    const cold: CliRun[] = [];
    for (let i = 0; i < opts.reps; i++) {
      if (i > 0) await down(project);
      cold.push(await run('cold deploy', ['deploy']));
    }
    scenarios.push({ name: 'cold deploy', runs: cold });

    const redeploy: CliRun[] = [];
    for (let i = 0; i < opts.reps; i++) redeploy.push(await run('redeploy, unchanged artifact', ['redeploy']));
    scenarios.push({ name: 'redeploy, unchanged artifact', runs: redeploy });

    const codeOnly: CliRun[] = [];
    for (let i = 1; i <= opts.reps; i++) {
      project.setVersion(`1.0.${i}`);
      codeOnly.push(await run('code-only deploy', ['deploy']));
    }
    scenarios.push({ name: 'code-only deploy', runs: codeOnly });

    // Live is 1.0.<reps>: go back to the one before it, forth again, and so on.
    const rollback: CliRun[] = [];
    for (let i = 0; i < opts.reps; i++) {
      const to = i % 2 === 0 ? `1.0.${opts.reps - 1}` : `1.0.${opts.reps}`;
      rollback.push(await run('rollback', ['rollback', '--to', to]));
    }
    scenarios.push({ name: 'rollback', runs: rollback });
    return { example, scenarios };
  } finally {
    project.cleanup();
  }
}

async function down(project: Project): Promise<void> {
  const r = await project.run(['down', '--yes'], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`deployer down failed between cold deploys:\n${r.stderr}`);
}
