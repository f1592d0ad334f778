// The issue's targets, each checked against this run's figures. Reported,
// never asserted: a MISS is a finding, not a failed build.
import { fleetTargets } from './fleetTargets.js';
import { allCliRuns, type BenchResults } from './results.js';
import { formatMs, formatSeconds, median, mibPerSecond } from './stats.js';

export interface TargetRow {
  measurement: string;
  result: string;
  target: string;
  status: 'PASS' | 'MISS' | 'n/a';
}

const status = (ok: boolean | undefined): TargetRow['status'] => (ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS');

export function checkTargets(res: BenchResults): TargetRow[] {
  return [
    connections(res),
    execRoundTrips(res),
    ...speed(res),
    redeployVsBaseline(res),
    upload(res),
    peakRss(res),
    startup(res),
    fleet(res),
    ...zeroDowntime(res),
    ...fleetTargets(res),
  ];
}

function connections(res: BenchResults): TargetRow {
  const runs = allCliRuns(res);
  const counts = runs.flatMap((r) => r.run.logins);
  const bad = runs.filter((r) => r.run.logins.some((n) => n !== 1));
  return {
    measurement: 'SSH connections per host per command',
    result: !counts.length
      ? 'not measured'
      : bad.length
        ? `${Math.min(...counts)}–${Math.max(...counts)}; not 1 in: ${[...new Set(bad.map((b) => b.what))].join(', ')}`
        : `1 in every one of ${runs.length} commands (${counts.length} host connections)`,
    target: '1',
    status: status(counts.length ? bad.length === 0 : undefined),
  };
}

function execRoundTrips(res: BenchResults): TargetRow {
  const channels = allCliRuns(res)
    .flatMap((r) => r.run.hosts.map((h) => h.execChannels))
    .filter((n): n is number => typeof n === 'number');
  const max = Math.max(...channels);
  return {
    measurement: 'exec round trips per deploy (execChannels)',
    result: channels.length
      ? `${Math.min(...channels) === max ? max : `${Math.min(...channels)}–${max}`} (over ${channels.length} host deploys)`
      : 'not measured',
    target: '≤ 6',
    status: status(channels.length ? max <= 6 : undefined),
  };
}

function redeployVsBaseline(res: BenchResults): TargetRow {
  const ours = res.examples.find((e) => e.example === 'binary-app')?.scenarios.find((s) => s.name === 'redeploy, unchanged artifact');
  const base = res.baseline.redeploy;
  if (!ours || base.length === 0)
    return {
      measurement: 'redeploy of an unchanged artifact vs per-step OpenSSH baseline',
      result: 'not measured',
      target: '≥ 5x faster',
      status: 'n/a',
    };
  const o = median(ours.runs.map((r) => r.wallMs));
  const b = median(base.map((r) => r.wallMs));
  return {
    measurement: 'redeploy of an unchanged artifact vs per-step OpenSSH baseline (binary)',
    result: `ours ${formatSeconds(o)}, baseline ${formatSeconds(b)}: ours = ${(o / b).toFixed(2)}x of it (${(b / o).toFixed(1)}x faster)`,
    target: '≥ 5x faster',
    status: status(b / o >= 5),
  };
}

function speed(res: BenchResults): TargetRow[] {
  const s = res.speed;
  if (!s) return [];
  const ours = median(s.codeChange.ours.map((r) => r.wallMs));
  const floor = median(s.codeChange.floor.map((r) => r.wallMs));
  const app = median(s.codeChange.ours.map((r) => r.gate?.firstMs ?? NaN));
  const stable = median(s.codeChange.ours.map((r) => r.gate?.stableMs ?? NaN));
  const again = median(s.unchanged.ours.map((r) => r.wallMs));
  const againFloor = median(s.unchanged.floor.map((r) => r.wallMs));
  return [
    {
      measurement: `code-change deploy of a binary, blue-green with a health check, vs the one-connection OpenSSH floor (median of ${s.codeChange.ours.length}, interleaved)`,
      result: `ours ${formatSeconds(ours)}, floor ${formatSeconds(floor)}: ${(ours / floor).toFixed(2)}x. Of ours: the app's start-up to its first good answer ${formatMs(app)}, the stability window ${formatMs(stable)}, deployer ${formatMs(ours - app - stable)}`,
      target: '≤ 2x the floor (issue 11)',
      status: status(ours / floor <= 2),
    },
    {
      measurement: 'redeploy of an unchanged artifact vs the one-connection floor run again',
      result: `ours ${formatSeconds(again)}, floor ${formatSeconds(againFloor)}: ${(again / againFloor).toFixed(2)}x`,
      target: 'below the floor (issue 11)',
      status: status(again < againFloor),
    },
  ];
}

function upload(res: BenchResults): TargetRow {
  const u = res.upload;
  if (!u || u.oursMs.length === 0)
    return { measurement: 'upload throughput, 100 MiB, vs scp', result: 'not measured', target: '≥ 1x of scp (issue 11)', status: 'n/a' };
  const ours = mibPerSecond(u.oursBytes, median(u.oursMs));
  // scp pays for its own connection and SFTP session; our upload phase runs on an open connection.
  const scpNet = mibPerSecond(u.bytes, median(u.scpMs) - median(u.handshakeMs));
  const scpRaw = mibPerSecond(u.bytes, median(u.scpMs));
  return {
    measurement: 'upload throughput, 100 MiB artifact, vs OpenSSH scp',
    result: `ours ${ours.toFixed(0)} MiB/s, scp ${scpNet.toFixed(0)} MiB/s without its fixed cost (${scpRaw.toFixed(0)} MiB/s with it): ${(ours / scpNet).toFixed(2)}x (${(ours / scpRaw).toFixed(2)}x with)`,
    target: '≥ 1x of scp (issue 11)',
    status: status(ours / scpNet >= 1),
  };
}

function peakRss(res: BenchResults): TargetRow {
  const big = res.upload?.big;
  const m = 'peak RSS of the CLI deploying a 1 GiB artifact';
  if (!big)
    return {
      measurement: m,
      result: res.upload?.bigSkipped ? `skipped: ${res.upload.bigSkipped}` : 'not measured',
      target: '< 150 MB',
      status: 'n/a',
    };
  const mb = (big.peakRssKiB * 1024) / 1e6;
  return {
    measurement: m,
    result: `${mb.toFixed(0)} MB (upload ${mibPerSecond(big.bytes, big.uploadMs).toFixed(0)} MiB/s, whole deploy ${formatSeconds(big.wallMs)})`,
    target: '< 150 MB',
    status: status(mb < 150),
  };
}

function startup(res: BenchResults): TargetRow {
  const s = res.startup;
  if (!s) return { measurement: '`deployer --help` start-up', result: 'not measured', target: '< 150 ms', status: 'n/a' };
  const help = median(s.helpMs);
  return {
    measurement: `\`deployer --help\` start-up (median of ${s.helpMs.length})`,
    result: `${formatMs(help)} (bare \`node -e 0\`: ${formatMs(median(s.nodeMs))})`,
    target: '< 150 ms',
    status: status(help < 150),
  };
}

function fleet(res: BenchResults): TargetRow {
  const f = res.fleet;
  const m = 'the same deploy to 1, 4 and 8 hosts';
  if (!f) return { measurement: m, result: 'not measured', target: '8 hosts < 1.5x of 1', status: 'n/a' };
  const sizes = [...f.bySize.keys()];
  // The local build takes the same time for any number of hosts: compare the rest.
  const remote = (n: number) => median(f.bySize.get(n)!.map((r) => r.wallMs - r.buildMs));
  const largest = Math.max(...sizes);
  const ratio = remote(largest) / remote(1);
  return {
    measurement: `${m} (code-only deploy, without the local build)`,
    result: `${sizes.map((n) => `${n}: ${formatSeconds(remote(n))}`).join(', ')}; ${largest} hosts = ${ratio.toFixed(2)}x of 1`,
    target: '8 hosts < 1.5x of 1',
    status: status(largest === 8 ? ratio < 1.5 : undefined),
  };
}

function zeroDowntime(res: BenchResults): TargetRow[] {
  const bg = res.zeroDowntime?.find((z) => z.strategy === 'blue-green');
  if (!bg) return [];
  const extra = bg.during.ordinary.p99 - bg.idle.ordinary.p99;
  return [
    {
      measurement: `failed requests during ${bg.deploys} blue-green deploys under load`,
      result: `${bg.during.failed} of ${bg.during.total}`,
      target: '0',
      status: status(bg.during.failed === 0),
    },
    {
      measurement: 'p99 of ordinary requests during blue-green deploys vs idle',
      result: `${bg.during.ordinary.p99.toFixed(0)} ms vs ${bg.idle.ordinary.p99.toFixed(0)} ms idle (${extra >= 0 ? '+' : ''}${extra.toFixed(0)} ms)`,
      target: 'within 100 ms of idle',
      status: status(extra <= 100),
    },
  ];
}
