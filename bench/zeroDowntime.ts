// Zero downtime, measured: the e2e tests' load (test/helpers/load.ts) runs
// through Caddy while the binary example, in its slow mode (HELLO_SLOW=1: 3 s
// to start listening, one request in ten takes 1.5 s on purpose), is deployed
// again and again; once per strategy. Reported: failed requests, and p50/p99
// latency of ordinary requests (the slow-by-design ones left out) during the
// deploys against the same load with no deploy running.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatSummary, startLoad, summarize, type LoadSummary } from '../test/helpers/load.js';
import type { TestHost } from '../test/helpers/testhost.js';
import { runCli } from './cli.js';
import { createProject } from '../test/helpers/project.js';
import { exampleToml } from './projects.js';
import { median } from './stats.js';

export type Strategy = 'blue-green' | 'restart';

export interface ZeroDowntimeResult {
  strategy: Strategy;
  deploys: number;
  rate: number;
  idle: LoadSummary;
  during: LoadSummary;
  /** Wall time of each deploy under load. */
  deployMs: number[];
}

export async function measureZeroDowntime(
  host: TestHost,
  opts: { strategy: Strategy; port: number; deploys: number; rate: number; log: (l: string) => void },
): Promise<ZeroDowntimeResult> {
  const app = opts.strategy === 'blue-green' ? 'zd-bench-bg' : 'zd-bench-rs';
  // Top-level keys first: the example's TOML ends inside a table.
  const toml = `envfile = ".env"\nstrategy = "${opts.strategy}"\n${exampleToml('binary-app', { app, port: opts.port })}`;
  const project = createProject('binary-app', [host], toml);
  try {
    writeFileSync(join(project.dir, '.env'), 'HELLO_SLOW=1\n');
    project.setVersion('1.0.0');
    await runCli(project, [host], ['deploy']);
    const load = () => startLoad({ port: host.httpPort, host: `${app}.localhost`, rate: opts.rate, timeoutMs: 5000, maxMs: 30 * 60_000 });

    // Idle: the same load, nothing deployed meanwhile (after the first deploy's drain).
    await new Promise((r) => setTimeout(r, 12_000));
    const idleLoad = load();
    await new Promise((r) => setTimeout(r, 10_000));
    const idle = summarize(await idleLoad.stop());
    opts.log(`zero downtime, ${opts.strategy}, idle: ${formatSummary(idle)}`);

    const during = load();
    await new Promise((r) => setTimeout(r, 1000));
    const deployMs: number[] = [];
    for (let i = 1; i <= opts.deploys; i++) {
      project.setVersion(`1.0.${i}`);
      const r = await runCli(project, [host], ['deploy']);
      deployMs.push(r.wallMs);
    }
    await new Promise((r) => setTimeout(r, 2000));
    const duringSummary = summarize(await during.stop());
    opts.log(
      `zero downtime, ${opts.strategy}, ${opts.deploys} deploys: ${formatSummary(duringSummary)}; deploy median ${(median(deployMs) / 1000).toFixed(2)} s`,
    );
    return { strategy: opts.strategy, deploys: opts.deploys, rate: opts.rate, idle, during: duringSummary, deployMs };
  } finally {
    await project.run(['down', '--yes']).catch(() => undefined);
    project.cleanup();
  }
}
