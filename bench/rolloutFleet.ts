// Issue 20's rollout figures on 20 hosts (behind the same round-trip time as
// the wide fleet): `canary = 1`, `batch = "25%"`. A good release goes out in
// waves; a release that fails its health check on the canary must stop there
// with the 19 others never touched; one that fails on 3 hosts of a batch with
// `max_failed = 2` must stop after that wave and leave every host as the
// `rollback` policy says ("all": every switched host back; "host": only the
// failed ones back). Each end state is read from every host (its `current`
// link and its release dirs), not from the CLI's word.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProject, hostToml } from '../test/helpers/project.js';
import type { TestHost } from '../test/helpers/testhost.js';
import { exampleToml } from './projects.js';
import { measurePeakRss } from './rss.js';

export interface RolloutScenario {
  name: string;
  wallMs: number;
  code: number | null;
  /** Waves started, as the wave events say. */
  waves: number;
  /** What every host serves afterwards (its `current`), counted: "v1.0.0" -> 19. */
  endState: Record<string, number>;
  /** Hosts with no release dir of the new version: never touched. */
  untouched: number;
  /** The expectation, in words, and whether every host met it. */
  expected: string;
  ok: boolean;
  problems: string[];
}

export interface RolloutFleetResult {
  hostCount: number;
  rttMs: number;
  scenarios: RolloutScenario[];
}

const APP = 'bench-roll';

export async function measureRolloutFleet(
  hosts: TestHost[],
  opts: { rttMs: number; log: (l: string) => void },
): Promise<RolloutFleetResult> {
  const base = exampleToml('binary-app', { app: APP, port: 8900 });
  const project = createProject('binary-app', hosts, base);
  const writeConfig = (version: string, o: { rollback: 'all' | 'host'; maxFailed: number; unhealthy?: number[] }) =>
    writeFileSync(
      join(project.dir, 'deployer.toml'),
      `version = "${version}"\nrollback = "${o.rollback}"\n${base}\n[rollout]\ncanary = 1\ncanary_wait = 2\nbatch = "25%"\nmax_failed = ${o.maxFailed}\n` +
        hostToml(hosts, (i) => `env = "HELLO_HEALTH_STATUS=${o.unhealthy?.includes(i) ? 500 : 200}"`),
    );
  const sh = async (h: TestHost, cmd: string) => (await h.ssh(cmd, { user: 'root' })).stdout.trim();
  const current = () => Promise.all(hosts.map((h) => sh(h, `readlink /srv/deployer/${APP}/current`)));
  const hasRelease = (v: string) =>
    Promise.all(hosts.map(async (h) => (await sh(h, `test -d /srv/deployer/${APP}/v${v} && echo yes`)) === 'yes'));

  const scenario = async (
    name: string,
    version: string,
    o: { rollback: 'all' | 'host'; maxFailed: number; unhealthy?: number[] },
    expected: string,
    /** What each host's `current` must be afterwards, and whether it may have the new release's dir. */
    expect: (i: number) => { current: string; touched: boolean },
  ): Promise<RolloutScenario> => {
    writeConfig(version, o);
    const r = await measurePeakRss(project.dir, ['deploy', '--json'], { allowFailure: true });
    const [cur, has] = await Promise.all([current(), hasRelease(version)]);
    const problems: string[] = [];
    cur.forEach((c, i) => {
      const want = expect(i);
      if (c !== want.current) problems.push(`h${i + 1} is on ${c || 'nothing'}, not ${want.current}`);
      if (has[i] && !want.touched) problems.push(`h${i + 1} got a v${version} dir`);
    });
    const endState: Record<string, number> = {};
    for (const c of cur) endState[c] = (endState[c] ?? 0) + 1;
    const s: RolloutScenario = {
      name,
      wallMs: r.wallMs,
      code: r.code,
      waves: r.events.filter((e) => e.type === 'wave' && e.status === 'start').length,
      endState,
      untouched: has.filter((x) => !x).length,
      expected,
      ok: problems.length === 0,
      problems,
    };
    opts.log(
      `rollout: ${name}: exit ${r.code}, ${(r.wallMs / 1000).toFixed(2)} s, ${s.waves} waves, ${JSON.stringify(endState)}, ${s.ok ? 'as expected' : problems.join('; ')}`,
    );
    return s;
  };

  try {
    const n = hosts.length;
    const scenarios = [
      await scenario('a good release', '1.0.0', { rollback: 'all', maxFailed: 0 }, `every host on v1.0.0`, () => ({
        current: 'v1.0.0',
        touched: true,
      })),
      await scenario(
        'fails on the canary',
        '2.0.0',
        { rollback: 'all', maxFailed: 2, unhealthy: [0] },
        `the canary back on v1.0.0, the other ${n - 1} never touched`,
        (i) => ({ current: 'v1.0.0', touched: i === 0 }),
      ),
      // batch 25% of 20 = 5: wave 2 is h2..h6; h3, h4, h5 fail there.
      await scenario(
        'fails on 3 hosts, max_failed = 2, rollback = "all"',
        '3.0.0',
        { rollback: 'all', maxFailed: 2, unhealthy: [2, 3, 4] },
        'every switched host back on v1.0.0, waves after the second never touched',
        (i) => ({ current: 'v1.0.0', touched: i <= 5 }),
      ),
      await scenario(
        'fails on 3 hosts, max_failed = 2, rollback = "host"',
        '4.0.0',
        { rollback: 'host', maxFailed: 2, unhealthy: [2, 3, 4] },
        'the 3 failed back on v1.0.0, the canary and the 2 that passed on v4.0.0, waves after the second never touched',
        (i) => ({ current: [0, 1, 5].includes(i) ? 'v4.0.0' : 'v1.0.0', touched: i <= 5 }),
      ),
    ];
    return { hostCount: n, rttMs: opts.rttMs, scenarios };
  } finally {
    project.cleanup();
  }
}
