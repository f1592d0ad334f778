// Runs the built CLI as a user would (a child process, via the e2e project
// helper) and reads the figures the benchmark needs out of its --json events.
import type { TestHost } from '../test/helpers/testhost.js';
import type { CliResult, Project } from '../test/helpers/project.js';
import { withLoginCount } from './hosts.js';

export interface HostResult {
  host: string;
  uploads: number;
  uploadedBytes: number;
  installSkipped: boolean;
  daemonReload: boolean;
  execChannels?: number;
}

export interface CliRun {
  /** Wall time of the CLI process, from spawn to exit. */
  wallMs: number;
  /** The local build phase (deploy only: build_command + hashing); 0 otherwise. */
  buildMs: number;
  /** Phase name -> ms, from the --json phase events. */
  phases: Record<string, number>;
  hosts: HostResult[];
  /** sshd logins of the deploy user per host during the run. */
  logins: number[];
  /** The blue-green gate's account (its step event): the new instances' first good answer after start, then the stability window. */
  gate?: { firstMs: number; stableMs: number };
}

/** Runs `deployer <args> --json` and fails loudly on a non-zero exit (a figure from a failed deploy means nothing). */
export async function runCli(project: Project, hosts: TestHost[], args: string[]): Promise<CliRun> {
  let wallMs = 0;
  const { value: r, logins } = await withLoginCount(hosts, async () => {
    const t0 = performance.now();
    const res = await project.run([...args, '--json'], { timeoutMs: 600_000 });
    wallMs = performance.now() - t0;
    return res;
  });
  // With --json the error is an event on stdout: show both streams.
  if (r.code !== 0)
    throw new Error(
      `deployer ${args.join(' ')} exited ${r.code ?? r.signal}:\n${tail(
        r.stderr +
          '\n' +
          r.stdout
            .split('\n')
            .filter((l) => !l.includes('"type":"upload"'))
            .join('\n'),
      )}`,
    );
  const phases = phasesOf(r);
  return {
    wallMs,
    buildMs: args[0] === 'deploy' ? (phases.build ?? 0) : 0,
    phases,
    hosts: hostsOf(r),
    logins,
    gate: gateOf(r),
  };
}

export function gateOf(r: Pick<CliResult, 'events'>): CliRun['gate'] {
  for (const e of r.events) {
    const m = e.type === 'step' ? /answered (\d+) ms after they started, then stayed up (\d+) ms/.exec(String(e.step)) : null;
    if (m) return { firstMs: Number(m[1]), stableMs: Number(m[2]) };
  }
  return undefined;
}

export function phasesOf(r: Pick<CliResult, 'events'>): Record<string, number> {
  const phases: Record<string, number> = {};
  for (const e of r.events) {
    if (e.type === 'phase' && e.host === undefined && typeof e.ms === 'number' && (e.status === 'done' || e.status === 'skipped')) {
      // The label ("connect and lock") is what a reader knows; the id ("lock") otherwise.
      phases[String(e.label ?? e.phase)] = e.ms;
    }
  }
  return phases;
}

export function hostsOf(r: Pick<CliResult, 'events'>): HostResult[] {
  const result = r.events.find((e) => e.type === 'result') as { data?: { hosts?: HostResult[] } } | undefined;
  return result?.data?.hosts ?? [];
}

export function tail(text: string, lines = 25): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
