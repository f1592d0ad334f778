// Renders a run's results as Markdown: printed to stdout and written to
// docs/benchmarks.md (the same text, so the doc is exactly what was seen).
import type { BaselineRun } from './baseline.js';
import type { CliRun } from './cli.js';
import { formatLoad } from './machine.js';
import type { BenchResults } from './results.js';
import { formatMs, formatRuns, formatSeconds, median, mibPerSecond, phaseMedians } from './stats.js';
import { explainMisses } from './notes.js';
import { latencySection, markdownTable as table, rolloutSection, wideSection } from './reportFleets.js';
import { checkTargets } from './targets.js';

const PHASES = ['build', 'local checks', 'connect and lock', 'upload', 'prepare', 'switch', 'verify', 'record and prune'];

export function renderReport(res: BenchResults): string {
  const m = res.machine;
  const targets = checkTargets(res);
  const out: string[] = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` (bench/run.ts) on ${m.date}; the whole run took ${formatSeconds(res.totalMs)}.`,
    `Each figure is the median of ${res.reps} runs unless it says otherwise; every run is listed below it.`,
    'Test hosts are real Debian 12 systems (systemd-nspawn) reached over loopback, so network latency is ~0 unless a',
    'section gives the hosts a round-trip time (Latency, Many hosts, Rollout): over the internet every round trip and',
    'every connection costs more, which favours fewer of them.',
    '',
    `Machine: ${m.nproc} CPUs (${m.cpu}), ${m.memoryGiB.toFixed(1)} GiB memory, Linux ${m.kernel}, Node ${m.node}, ${m.openssh}.`,
    `Load average (1/5/15 min) at start ${formatLoad(m.loadStart)}, at end ${formatLoad(m.loadEnd)}: other test runs shared the machine, so figures are noisy.`,
    '',
    '## Targets',
    '',
    table(
      ['measurement', 'result', 'target', 'status'],
      targets.map((t) => [t.measurement, t.result, t.target, `**${t.status}**`]),
    ),
    '',
    ...explainMisses(res, targets),
    ...speed(res),
    ...latencySection(res),
    ...deploys(res),
    ...baseline(res),
    ...fleet(res),
    ...upload(res),
    ...zeroDowntime(res),
    ...wideSection(res),
    ...rolloutSection(res),
  ];
  if (res.errors.length) {
    out.push('## Sections that failed', '');
    for (const e of res.errors) out.push(`- **${e.section}**: ${e.message.split('\n').join(' ').slice(0, 600)}`);
    out.push('');
  }
  out.push(...HOW);
  return out.join('\n') + '\n';
}

function speed(res: BenchResults): string[] {
  const s = res.speed;
  if (!s) return [];
  const floorSteps = (runs: BaselineRun[]) =>
    Object.keys(runs[0]?.steps ?? {})
      .map((k) => `${k} ${formatMs(median(runs.map((r) => r.steps[k] * 1000)))}`)
      .join(', ');
  const gate = (runs: CliRun[]) => {
    const g = runs.map((r) => r.gate).filter((x) => x !== undefined);
    return g.length
      ? `the app answered ${formatMs(median(g.map((x) => x.firstMs)))} after its start, then the ${formatMs(median(g.map((x) => x.stableMs)))} stability window`
      : '—';
  };
  const oursRow = (what: string, runs: CliRun[]) => [
    what,
    formatSeconds(median(runs.map((r) => r.wallMs))),
    formatRuns(runs.map((r) => r.wallMs)),
    phaseCells(runs),
    gate(runs),
  ];
  const floorRow = (what: string, runs: BaselineRun[]) => [
    what,
    formatSeconds(median(runs.map((r) => r.wallMs))),
    formatRuns(runs.map((r) => r.wallMs)),
    floorSteps(runs),
    '—',
  ];
  return [
    '## Speed: a code change against the one-connection OpenSSH floor',
    '',
    'The binary example, its artifact built before each run (outside the timing), deployed as a new version with',
    'blue-green and its health check; the floor (bench/floor.sh) is one `ssh` that streams the same binary and runs the',
    'same nine steps (mkdir, receive and check, install, env, unit, site, switch the link, restart and wait for',
    '`/healthz`, record) with nothing on top: no lock, no probe, no second slot, no revert. Ours and the floor take turns.',
    'Ours includes the wait on the app: the gate reports when the new instance first answered and how long it then had to',
    'stay up (the stability window) before traffic moved.',
    '',
    table(
      ['run', 'median', 'runs', 'phases (ours) / steps (floor), medians', 'waiting on the app'],
      [
        oursRow('ours: code change', s.codeChange.ours),
        floorRow('floor: code change', s.codeChange.floor),
        oursRow('ours: unchanged redeploy', s.unchanged.ours),
        floorRow('floor: the same artifact again', s.unchanged.floor),
      ],
    ),
    '',
  ];
}

function deploys(res: BenchResults): string[] {
  if (!res.examples.length) return [];
  const rows = res.examples.flatMap((ex) => ex.scenarios.map((s) => [ex.example, s.name, ...runCells(s.runs)]));
  return [
    '## Deploys, one host',
    '',
    'Wall time of the CLI process. "without build" leaves out the local `build_command` (and artifact hashing), which is the',
    "project's cost, not the tool's. Phases are the medians of the `--json` phase events.",
    '',
    table(['example', 'command', 'median', 'without build', 'runs', 'SSH connections', 'exec channels', 'phases'], rows),
    '',
  ];
}

function runCells(runs: CliRun[]): string[] {
  const channels = runs.flatMap((r) => r.hosts.map((h) => h.execChannels)).filter((n) => typeof n === 'number');
  return [
    formatSeconds(median(runs.map((r) => r.wallMs))),
    formatSeconds(median(runs.map((r) => r.wallMs - r.buildMs))),
    formatRuns(runs.map((r) => r.wallMs)),
    distinct(runs.flatMap((r) => r.logins)),
    channels.length ? distinct(channels as number[]) : 'n/a (not in its result)',
    phaseCells(runs),
  ];
}

function phaseCells(runs: CliRun[]): string {
  return (
    phaseMedians(
      runs.map((r) => r.phases),
      { order: PHASES },
    ) || '—'
  );
}

function baseline(res: BenchResults): string[] {
  const { cold, redeploy } = res.baseline;
  if (!cold.length && !redeploy.length) return [];
  const bin = res.examples.find((e) => e.example === 'binary-app');
  const ours = (name: string, withoutBuild: boolean) => {
    const runs = bin?.scenarios.find((s) => s.name === name)?.runs ?? [];
    return median(runs.map((r) => r.wallMs - (withoutBuild ? r.buildMs : 0)));
  };
  const row = (what: string, runs: BaselineRun[], oursMs: number, oursWhat: string) => {
    const b = median(runs.map((r) => r.wallMs));
    return [
      what,
      formatSeconds(b),
      formatRuns(runs.map((r) => r.wallMs)),
      distinct(runs.map((r) => r.logins)),
      `${oursWhat} ${formatSeconds(oursMs)} = ${(oursMs / b).toFixed(2)}x (${(b / oursMs).toFixed(1)}x faster)`,
    ];
  };
  const rows: string[][] = [];
  if (cold.length) rows.push(row('cold deploy', cold, ours('cold deploy', true), 'our cold deploy without build'));
  if (redeploy.length) rows.push(row('same artifact again', redeploy, ours('redeploy, unchanged artifact', false), 'our redeploy'));
  const steps = Object.keys((redeploy[0] ?? cold[0]).steps);
  const stepMedians = steps.map((s) => `${s} ${median(redeploy.map((r) => r.steps[s] * 1000)).toFixed(0)}`).join(', ');
  return [
    '## Per-step OpenSSH baseline (bench/baseline.sh)',
    '',
    'The binary example deployed the way tools that open one `ssh`/`scp` per step do (no connection sharing), into its own',
    'app dir on the same host, with the same artifact; runs interleaved with ours.',
    '',
    table(['baseline', 'median', 'runs', 'SSH connections', 'ours'], rows),
    '',
    `Baseline steps, median ms of the "same artifact again" runs: ${stepMedians}.`,
    '',
  ];
}

function fleet(res: BenchResults): string[] {
  const f = res.fleet;
  if (!f) return [];
  const rows = [...f.bySize].map(([n, runs]) => [String(n), ...runCells(runs)]);
  return [
    '## The same deploy to 1, 4 and 8 hosts',
    '',
    `A code-only deploy of the binary example (new version: build, upload, install, switch); the sizes take turns.`,
    `All test hosts share this machine's ${res.machine.nproc} CPUs: more hosts means more remote work on the same cores.`,
    `Before them, a cold deploy to all ${f.coldAll.hosts.length} hosts took ${formatSeconds(f.coldAll.wallMs)}.`,
    '',
    table(['hosts', 'median', 'without build', 'runs', 'SSH connections per host', 'exec channels per host', 'phases'], rows),
    '',
  ];
}

function upload(res: BenchResults): string[] {
  const u = res.upload;
  if (!u) return [];
  const lines = [
    '## Upload',
    '',
    `100 MiB artifact (the binary padded with random bytes), a new release each run, interleaved with \`scp\` of the same file to the`,
    `same filesystem of the same host: our upload phase ${formatRuns(u.oursMs)} (median ${mibPerSecond(u.oursBytes, median(u.oursMs)).toFixed(0)} MiB/s);`,
    `\`scp\` ${formatRuns(u.scpMs)}; \`scp\` of a 1-byte file (its fixed cost: connection, auth, SFTP session) ${formatRuns(u.handshakeMs)}.`,
  ];
  if (u.big)
    lines.push(
      `1 GiB artifact: peak RSS ${((u.big.peakRssKiB * 1024) / 1e6).toFixed(0)} MB (GNU time %M), upload ${formatSeconds(u.big.uploadMs)}, whole deploy ${formatSeconds(u.big.wallMs)} (one run).`,
    );
  else if (u.bigSkipped) lines.push(`1 GiB artifact: skipped (${u.bigSkipped}).`);
  return [...lines, ''];
}

const HOW = [
  '## How it is measured',
  '',
  '- Wall time: `performance.now()` around the CLI child process (`node dist/cli/cli.js … --json`), as a user runs it.',
  '- SSH connections: "Accepted publickey for deploy" lines in the host\'s sshd journal, counted before and after each command.',
  "- Exec round trips: `execChannels` of each host in the deploy's `result` event (rollback does not report it).",
  '- Cold deploy: `deployer down --yes` between runs. Redeploy: `deployer redeploy` (no build, nothing uploaded or installed).',
  '  Code-only: a new version of unchanged config. Rollback: `deployer rollback --to` the previous release and back.',
  '- Upload: our `upload` phase from `--json` (the connection is already open) against `scp` wall time minus the median',
  '  time of `scp` of a 1-byte file (its fixed cost); the ratio with that cost included is shown too.',
  '- Peak RSS: GNU `time -f %M` around the CLI deploying a 1 GiB artifact.',
  '- Start-up: median of 10 runs of `node dist/cli/cli.js --help`, interleaved with `node -e 0`.',
  '- Hosts: `test/host/testhost.sh` (systemd-nspawn), booted at the start and torn down at the end, even on failure.',
  '  Each is reached through `test/host/loopback-proxy.mjs` (TCP_NODELAY on both legs). Until 2026-12-01 that was',
  '  `systemd-socket-proxyd`, whose Nagle delay added ≈40 ms to every SSH channel opened after another closed (ours',
  "  and the baselines' alike): earlier figures are not comparable.",
  "- Round-trip time: `testhost.sh proxy-start NAME PORT RTT_MS` restarts a host's SSH proxy so that it holds each",
  '  direction RTT/2 and a new connection one RTT (this kernel has no netem). Round trips waited on are the time a',
  '  run adds at RTT R over RTT 0, divided by R: sequential exchanges only, since pipelined ones overlap.',
  "- Many hosts: the CLI's CPU (user + system, its children such as `ssh -G` included) and peak RSS from GNU",
  "  `time -f '%M %U %S'`; the hosts' CPU from `usage_usec` in each host's cgroup (`ct` the container, the rest its",
  '  proxies). Hosts boot 6 at a time, with `fs.inotify.max_user_instances` raised to make room for their systemd.',
  '- Rollout: every host is asked afterwards where its `current` link points and whether a directory of the new release',
  '  exists, over its own SSH (OpenSSH, not the CLI).',
  '',
];

export function zeroDowntime(res: BenchResults): string[] {
  const zd = res.zeroDowntime;
  if (!zd?.length) return [];
  const ms = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`;
  const errs = (e: Record<string, number>) =>
    Object.entries(e)
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ');
  const rows = zd.map((z) => [
    z.strategy,
    String(z.deploys),
    `${z.during.failed} of ${z.during.total}${z.during.failed ? ` (${errs(z.during.errors)})` : ''}`,
    `${ms(z.idle.ordinary.p50)} / ${ms(z.idle.ordinary.p99)}`,
    `${ms(z.during.ordinary.p50)} / ${ms(z.during.ordinary.p99)} (max ${ms(z.during.ordinary.max)})`,
    `${z.idle.failed} of ${z.idle.total}`,
    formatSeconds(median(z.deployMs)),
  ]);
  const targets = checkTargets(res).filter((t) => /blue-green/.test(t.measurement));
  return [
    '## Zero downtime: deploys under load',
    '',
    `Measured ${res.machine.date}.`,
    '',
    `The binary example in its slow mode (HELLO_SLOW=1: it listens 3 s after it starts, and one request in ten takes 1.5 s`,
    `on purpose), ${zd[0].rate} requests/s through Caddy (half on new connections, half kept alive, 5 s client timeout,`,
    'test/helpers/load.ts) while it is deployed again and again (a new version each time); idle is the same load with no deploy.',
    'Latency is of ordinary requests: the ones slow by design (they say so in a header) are left out.',
    '',
    table(
      [
        'strategy',
        'deploys',
        'failed requests during deploys',
        'idle p50 / p99',
        'during deploys p50 / p99',
        'failed idle',
        'deploy (median)',
      ],
      rows,
    ),
    '',
    ...targets.map((t) => `- ${t.measurement}: ${t.result} (target ${t.target}): **${t.status}**`),
    '',
  ];
}

function distinct(ns: number[]): string {
  const s = [...new Set(ns)].sort((a, b) => a - b);
  return s.length ? s.join(', ') : 'n/a';
}
