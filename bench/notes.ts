// For each missed target, where the time (or memory) went, from this run's own
// figures, so docs/benchmarks.md explains a MISS without guesswork.
import type { BenchResults } from './results.js';
import { formatMs, median, phaseMedians } from './stats.js';
import type { TargetRow } from './targets.js';

export function explainMisses(res: BenchResults, targets: TargetRow[]): string[] {
  const notes: string[] = [];
  const missed = (word: string) => targets.some((t) => t.status === 'MISS' && t.measurement.includes(word));
  const nodeFloor = res.startup ? median(res.startup.nodeMs) : NaN;

  if (missed('floor') && res.speed) {
    const { codeChange, unchanged } = res.speed;
    const floorSteps = (runs: typeof codeChange.floor) => {
      const steps = median(runs.map((r) => Object.values(r.steps).reduce((a, b) => a + b, 0) * 1000));
      return `${formatMs(steps)} of remote steps and ${formatMs(median(runs.map((r) => r.wallMs)) - steps)} for its one OpenSSH connection`;
    };
    notes.push(
      `- Against the floor: a code change of ours is ${phaseList(codeChange.ours)}, plus Node start-up (bare \`node -e 0\` ${formatMs(nodeFloor)} here); ` +
        `the floor's is ${floorSteps(codeChange.floor)}. Ours does more on the host by design: the lock and the probe of the host's state, ` +
        'the second slot started beside the live one and gated, a Caddy reload, the check through Caddy, and a commit the host can revert. ' +
        `An unchanged redeploy of ours is ${phaseList(unchanged.ours)}; the floor run again is ${floorSteps(unchanged.floor)}.`,
    );
  }
  if (missed('per-step')) {
    const runs =
      res.examples.find((e) => e.example === 'binary-app')?.scenarios.find((s) => s.name === 'redeploy, unchanged artifact')?.runs ?? [];
    const base = res.baseline.redeploy;
    const perConnection = median(base.map((b) => b.wallMs / b.logins));
    notes.push(
      `- Redeploy vs baseline: our redeploy is ${phaseList(runs)}, plus Node start-up (bare \`node -e 0\` ${formatMs(nodeFloor)} here). ` +
        `The baseline pays ≈${formatMs(perConnection)} per connection (${distinctLogins(base)} connections) on loopback; ` +
        'the ratio grows with network latency, which the baseline pays per step and we pay once.',
    );
  }
  if (missed('--help') && res.startup) {
    const help = median(res.startup.helpMs);
    notes.push(
      `- Start-up: bare \`node -e 0\` takes ${formatMs(nodeFloor)} on this machine during the run, so the CLI's own share of its ${formatMs(help)} is ≈${formatMs(help - nodeFloor)}.`,
    );
  }
  if (missed('hosts') && res.fleet) {
    const sizes = [...res.fleet.bySize.keys()];
    const first = res.fleet.bySize.get(Math.min(...sizes))!;
    const last = res.fleet.bySize.get(Math.max(...sizes))!;
    notes.push(
      `- Hosts: every test host runs on this machine's ${res.machine.nproc} CPUs, so ${Math.max(...sizes)} hosts do ${Math.max(...sizes)}x the remote work ` +
        `(sshd, the phase scripts, service restarts) on the same cores, which separate real hosts would not. ` +
        `1 host: ${phaseList(first)}; ${Math.max(...sizes)} hosts: ${phaseList(last)}.`,
    );
  }
  if (missed('upload') && res.upload) {
    notes.push('- Upload: see the Upload section for every run; both sides write to the same filesystem of the same host.');
  }
  if (missed('RSS') && res.upload?.big) {
    notes.push(
      `- Peak RSS: ${(res.upload.big.peakRssKiB / 1024).toFixed(0)} MiB while uploading ${(res.upload.big.bytes / 1024 ** 3).toFixed(0)} GiB.`,
    );
  }
  if (missed('round-trip time') && res.latency) {
    const at = [...res.latency.byRtt].map(([rtt, r]) => `at ${rtt} ms ${phaseList(r.ours)}`);
    notes.push(
      `- Round-trip time: ours ${at.join('; ')} (the local build is outside the timing). Each phase that waits on the host pays ` +
        "at least one round trip; the connection pays the same key exchange and auth as the floor's one `ssh`.",
    );
  }
  if (missed('parallel =') && res.wide) {
    const w = res.wide;
    notes.push(
      `- ${w.hostCount} hosts: the hosts' CPU is every container's during the run, the idle ones' included, on ${w.cores} cores shared with ` +
        `the CLI and the proxies. 1 host: ${phaseList(w.one)}; ${w.hostCount} hosts: ${phaseList(w.all)}.`,
    );
  }
  if (missed('client CPU') && res.wide) {
    const w = res.wide;
    const one = median(w.one.map((r) => r.cpuMs));
    const all = median(w.all.map((r) => r.cpuMs));
    notes.push(
      `- Client CPU: ${formatMs(one)} for 1 host (Node's start-up and the local phase included), ${formatMs((all - one) / (w.hostCount - 1))} ` +
        'for each host more: its connection (key exchange, auth) and the SSH packets of its upload, written here through loopback proxies ' +
        "whose kernel work is charged to the writer. GNU time counts the CLI's children (`ssh -G`) too.",
    );
  }
  return notes.length ? ['## Notes on the misses', '', ...notes, ''] : [];
}

function phaseList(runs: Array<{ phases: Record<string, number> }>): string {
  return (
    phaseMedians(
      runs.map((r) => r.phases),
      { skip: ['build'] },
    ) || 'no phase figures'
  );
}

function distinctLogins(runs: Array<{ logins: number }>): string {
  return [...new Set(runs.map((r) => r.logins))].join('/');
}
