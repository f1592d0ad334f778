// `npm run bench`: deployer against real test hosts (not part of the tests).
// Prints a Markdown report and writes it to docs/benchmarks.md.
//   BENCH_REPS=3        runs per figure (the median is reported)
//   BENCH_ONLY=a,b      only these sections (startup, speed, latency, binary, wheel, upload, fleet, zero-downtime,
//                       wide, rollout);
//                       docs/benchmarks.md is then left alone (partial runs are for development)
//   BENCH_ZD_DEPLOYS=20 deploys under load per strategy (zero-downtime section); BENCH_ZD_RATE=50 requests/s
//   BENCH_WIDE_HOSTS=50 hosts of the wide section (booted after the others are down; the rollout section uses 20 of them)
// Hosts are booted at the start and torn down at the end, also on failure or Ctrl-C
// (the test helper's exit hooks).
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../test/helpers/project.js';
import type { TestHost } from '../test/helpers/testhost.js';
import { removeBaseline, runBaseline } from './baseline.js';
import { measureFleet } from './fleet.js';
import { measureLatency } from './latency.js';
import { measureRolloutFleet } from './rolloutFleet.js';
import { measureWideFleet } from './wideFleet.js';
import { bootHosts, downHosts } from './hosts.js';
import { describeMachine } from './machine.js';
import { renderReport, zeroDowntime } from './report.js';
import type { BenchResults } from './results.js';
import { measureExample } from './scenarios.js';
import { ensureTimeTool } from './setup.js';
import { measureSpeed } from './speed.js';
import { measureStartup } from './startup.js';
import { measureUploads } from './upload.js';
import { measureZeroDowntime } from './zeroDowntime.js';

const SECTIONS = ['startup', 'speed', 'latency', 'binary', 'wheel', 'upload', 'fleet', 'zero-downtime', 'wide', 'rollout'] as const;
type Section = (typeof SECTIONS)[number];
const FLEET_SIZES = [1, 4, 8];
/** Round-trip times of the latency section, in ms: 0 for the round-trip count, 100 for issue 20's target. */
const LATENCY_RTTS = [0, 100];
/** The round-trip time of every host in the wide and rollout sections (issue 20: 50 hosts at 50 ms). */
const WIDE_RTT = 50;
const ROLLOUT_HOSTS = 20;

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function main(): Promise<number> {
  const reps = Number(process.env.BENCH_REPS ?? 3);
  const only = process.env.BENCH_ONLY ? (process.env.BENCH_ONLY.split(',') as Section[]) : [...SECTIONS];
  const unknown = only.filter((s) => !SECTIONS.includes(s));
  if (unknown.length || !(reps >= 1)) throw new Error(`BENCH_ONLY takes ${SECTIONS.join(', ')}; BENCH_REPS a number ≥ 1`);
  const t0 = performance.now();
  const res: BenchResults = {
    machine: describeMachine(),
    reps,
    examples: [],
    baseline: { cold: [], redeploy: [] },
    errors: [],
    totalMs: 0,
  };

  const section = async (name: Section, fn: () => Promise<void>) => {
    if (!only.includes(name)) return;
    log(`--- ${name}`);
    try {
      await fn();
    } catch (e) {
      log(`${name} failed: ${(e as Error).message}`);
      res.errors.push({ section: name, message: (e as Error).message });
    }
  };

  // Before any host boots: start-up time is the most sensitive to load.
  await section('startup', async () => {
    res.startup = await measureStartup(10);
  });

  const hostCount = only.includes('fleet')
    ? Math.max(...FLEET_SIZES)
    : only.some((s) => !['startup', 'wide', 'rollout'].includes(s))
      ? 1
      : 0;
  let hosts: TestHost[] = [];
  try {
    if (hostCount) {
      log(`booting ${hostCount} test host(s)`);
      hosts = await bootHosts(hostCount, `bench-${process.pid}`);
    }
    const host = hosts[0];
    // First on the fresh host, before the other sections' apps share it.
    await section('speed', async () => {
      res.speed = await measureSpeed(host, { reps: Math.max(reps, 5), port: 8600, log });
    });
    await section('latency', async () => {
      res.latency = await measureLatency(host, { rtts: LATENCY_RTTS, reps: Math.max(reps, 3), port: 8650, log });
    });
    await section('binary', async () => {
      const baselineRun = async (artifact: string, cold: boolean) => {
        if (cold) await removeBaseline(host);
        const r = await runBaseline(host, artifact, '1.0.0');
        (cold ? res.baseline.cold : res.baseline.redeploy).push(r);
        log(`baseline ${cold ? 'cold' : 'again'}: ${(r.wallMs / 1000).toFixed(2)} s, ${r.logins} connections`);
      };
      res.examples.push(
        await measureExample('binary-app', host, {
          port: 8000,
          reps,
          log,
          between: {
            'cold deploy': (p) => baselineRun(join(p.dir, 'dist', 'hello-bin'), true),
            'redeploy, unchanged artifact': (p) => baselineRun(join(p.dir, 'dist', 'hello-bin'), false),
          },
        }),
      );
    });
    await section('wheel', async () => {
      res.examples.push(await measureExample('python-app', host, { port: 8100, reps, log }));
    });
    await section('upload', async () => {
      res.upload = await measureUploads(host, { reps, rss: ensureTimeTool(log), log });
    });
    await section('fleet', async () => {
      res.fleet = await measureFleet(hosts, FLEET_SIZES, reps, log);
    });
    await section('zero-downtime', async () => {
      const deploys = Number(process.env.BENCH_ZD_DEPLOYS ?? 20);
      const rate = Number(process.env.BENCH_ZD_RATE ?? 50);
      res.zeroDowntime = [];
      for (const [strategy, port] of [
        ['blue-green', 8400],
        ['restart', 8500],
      ] as const) {
        res.zeroDowntime.push(await measureZeroDowntime(host, { strategy, port, deploys, rate, log }));
      }
    });
  } catch (e) {
    res.errors.push({ section: 'hosts', message: (e as Error).message });
  } finally {
    if (hosts.length) {
      log(`tearing down ${hosts.length} test host(s)`);
      await downHosts(hosts);
    }
  }

  // The many-host sections boot their own hosts once the others are down: 50 idle hosts would weigh on every figure above.
  const wideCount = only.includes('wide') ? Number(process.env.BENCH_WIDE_HOSTS ?? 50) : only.includes('rollout') ? ROLLOUT_HOSTS : 0;
  if (wideCount) {
    let wide: TestHost[] = [];
    try {
      log(`booting ${wideCount} test hosts for the many-host sections`);
      const t = performance.now();
      wide = await bootHosts(wideCount, `bw-${process.pid}`);
      log(`booted in ${((performance.now() - t) / 1000).toFixed(0)} s`);
      // Once for both sections: every proxy restart is a chance for a busy machine to trip.
      await Promise.all(wide.map((h) => h.startProxy(22, WIDE_RTT)));
      await section('wide', async () => {
        res.wide = await measureWideFleet(wide, { rttMs: WIDE_RTT, reps, cores: res.machine.nproc, log });
      });
      await section('rollout', async () => {
        res.rollout = await measureRolloutFleet(wide.slice(0, ROLLOUT_HOSTS), { rttMs: WIDE_RTT, log });
      });
    } catch (e) {
      res.errors.push({ section: 'wide hosts', message: (e as Error).message });
    } finally {
      log(`tearing down ${wide.length} test hosts`);
      await downHosts(wide);
    }
  }

  res.machine.loadEnd = loadavg();
  res.totalMs = performance.now() - t0;
  const report = renderReport(res);
  process.stdout.write(report);
  if (only.length === SECTIONS.length) {
    writeFileSync(join(repoRoot, 'docs', 'benchmarks.md'), report);
    log('wrote docs/benchmarks.md');
  } else if (only.length === 1 && only[0] === 'zero-downtime' && res.zeroDowntime?.length && !res.errors.length) {
    // Its own section only: the rest of the document keeps its last full run.
    const doc = join(repoRoot, 'docs', 'benchmarks.md');
    writeFileSync(doc, replaceSection(readFileSync(doc, 'utf8'), '## Zero downtime: deploys under load', zeroDowntime(res).join('\n')));
    log('wrote the zero-downtime section of docs/benchmarks.md');
  } else {
    log('partial run (BENCH_ONLY): docs/benchmarks.md left alone');
  }
  return res.errors.length ? 1 : 0;
}

/** `text` with the section that starts at `heading` (up to the next "## ") replaced by `section`, or `section` added before "## How it is measured". */
function replaceSection(text: string, heading: string, section: string): string {
  const start = text.indexOf(heading);
  if (start >= 0) {
    const next = text.indexOf('\n## ', start + heading.length);
    return text.slice(0, start) + section + (next >= 0 ? '\n' + text.slice(next + 1) : '');
  }
  const how = text.indexOf('## How it is measured');
  return how >= 0 ? text.slice(0, how) + section + '\n' + text.slice(how) : text + '\n' + section;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`bench: ${e.message}\n`);
    process.exit(1);
  },
);
