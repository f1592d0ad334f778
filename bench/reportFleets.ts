// The report's sections for issue 20: latency, the wide fleet, the rollout.
import type { BenchResults } from './results.js';
import { latencyFigures } from './fleetTargets.js';
import { formatMs, formatRuns, formatSeconds, median, phaseMedians } from './stats.js';
import type { WideRun } from './wideFleet.js';

export function markdownTable(head: string[], rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join(
    '\n',
  );
}

export function latencySection(res: BenchResults): string[] {
  const l = res.latency;
  const f = latencyFigures(res);
  if (!l || !f) return [];
  const rows = [...l.byRtt].flatMap(([rtt, r]) => [
    [
      `${rtt} ms`,
      'ours',
      formatSeconds(median(r.ours.map((x) => x.wallMs))),
      formatRuns(r.ours.map((x) => x.wallMs)),
      phaseMedians(r.ours.map((x) => x.phases)),
    ],
    [`${rtt} ms`, 'floor', formatSeconds(median(r.floor.map((x) => x.wallMs))), formatRuns(r.floor.map((x) => x.wallMs)), '—'],
  ]);
  return [
    '## Latency: a code change over a slow path',
    '',
    "The code change of the Speed section and the floor, with the test host's SSH port behind a round-trip time",
    '(test/host/loopback-proxy.mjs holds each direction RTT/2, and a new connection one RTT). The RTTs take turns in',
    'each round, ours and the floor back to back. Round trips waited on = (median at RTT − median at 0) / RTT: every',
    'sequential exchange with the host (TCP, SSH key exchange and auth, each channel, each answer awaited) counts.',
    '',
    markdownTable(['RTT', 'run', 'median', 'runs', 'phases (ours)'], rows),
    '',
    `At ${f.rtt} ms: ours waits on ${f.oursTrips.toFixed(1)} round trips, the floor on ${f.floorTrips.toFixed(1)} (its one \`ssh\` connection is most of them).`,
    '',
  ];
}

export function wideSection(res: BenchResults): string[] {
  const w = res.wide;
  if (!w) return [];
  const cell = (runs: WideRun[]) => [
    formatSeconds(median(runs.map((r) => r.wallMs))),
    formatRuns(runs.map((r) => r.wallMs)),
    formatMs(median(runs.map((r) => r.cpuMs))),
    `${((median(runs.map((r) => r.peakRssKiB)) * 1024) / 1e6).toFixed(0)} MB`,
    formatSeconds(median(runs.map((r) => r.hostCpu.hostMs))),
    formatSeconds(median(runs.map((r) => r.hostCpu.proxyMs))),
    phaseMedians(runs.map((r) => r.phases)),
  ];
  return [
    `## Many hosts: ${w.hostCount} at ${w.rttMs} ms`,
    '',
    `The code change of the binary example (artifact built outside the timing) to 1 host and to all ${w.hostCount} at once`,
    `(\`parallel = ${w.hostCount}\`), every host's SSH port behind ${w.rttMs} ms of round-trip time; the sizes take turns. All`,
    `${w.hostCount} hosts are containers on this machine's ${w.cores} cores: "hosts' CPU" is what their containers used during the run`,
    "(sshd, the phase scripts, systemd, the app, Caddy; from their cgroups), a floor of hosts' CPU / cores under the wall time",
    'that hosts on machines of their own would not have; "network CPU" is the loopback proxies standing in for the network.',
    `Before the runs, a cold deploy to all ${w.hostCount} took ${formatSeconds(w.cold.wallMs)} (CLI CPU ${formatMs(w.cold.cpuMs)}, peak RSS ${((w.cold.peakRssKiB * 1024) / 1e6).toFixed(0)} MB).`,
    '',
    markdownTable(
      ['hosts', 'median', 'runs', 'CLI CPU', 'CLI peak RSS', "hosts' CPU", 'network CPU', 'phases'],
      [
        ['1', ...cell(w.one)],
        [String(w.hostCount), ...cell(w.all)],
      ],
    ),
    '',
  ];
}

export function rolloutSection(res: BenchResults): string[] {
  const r = res.rollout;
  if (!r) return [];
  return [
    `## Rollout: ${r.hostCount} hosts, canary = 1, batch = "25%"`,
    '',
    `Every host behind ${r.rttMs} ms of round-trip time, \`canary_wait = 2\`; each release fails its health check on the hosts`,
    'named (a per-host env). The end state is read from every host afterwards (its `current` link, and whether it got a',
    "directory of the new release at all), not taken from the CLI's word.",
    '',
    markdownTable(
      ['release', 'exit', 'time', 'waves started', 'hosts on each release afterwards', 'never touched', 'expected', 'met on every host'],
      r.scenarios.map((s) => [
        s.name,
        String(s.code),
        formatSeconds(s.wallMs),
        String(s.waves),
        Object.entries(s.endState)
          .map(([v, n]) => `${v} ×${n}`)
          .join(', '),
        String(s.untouched),
        s.expected,
        s.ok ? 'yes' : `**no**: ${s.problems.join('; ')}`,
      ]),
    ),
    '',
  ];
}
