// Ctrl-C (or SIGTERM) during a deploy: say what was interrupted and where
// each host is left, then stop with exit code 130. The hosts need no help
// from us: the lock dies with the connection, a prepare script finishes on
// its own (it ignores SIGHUP), a switch without a verdict reverts, and a
// partial upload stays in the release's .incoming dir for the next deploy to
// resume. In a rollout no later wave starts (src/deploy/rollout.ts): its
// hosts stay untouched; a wave that ended is as its verdict left it.
import type { DeployerEvent, EventOf } from '../output/events.js';
import { UserAbort } from '../errors.js';

type Stage = 'build' | 'connect' | 'upload' | 'prepare' | 'switch' | 'decide' | 'after';

/** Where the deploy was, from the phase events it had emitted. */
function stageOf(events: readonly DeployerEvent[]): Stage {
  const done = new Set(events.flatMap((e) => (e.type === 'phase' && !e.host && e.status !== 'start' ? [e.phase] : [])));
  if (done.has('rollback') || done.has('commit')) return 'after';
  if (done.has('verify')) return 'decide';
  if (done.has('prepare')) return 'switch';
  if (done.has('upload')) return 'prepare';
  if (done.has('lock')) return 'upload';
  if (done.has('build')) return 'connect';
  return 'build';
}

const WHILE: Record<Stage, string> = {
  build: 'the local build',
  connect: 'connecting and locking',
  upload: 'the upload',
  prepare: 'preparing the release on the hosts',
  switch: 'the switch',
  decide: 'the verdict after the health checks',
  after: 'the post-deploy steps',
};

/** What the interrupted deploy knew: its events so far, its hosts, the version and the rollback policy. */
export interface Seen {
  events: readonly DeployerEvent[];
  hosts: readonly string[];
  version: string;
  rollback?: 'all' | 'host';
}

export type Signal = 'SIGINT' | 'SIGTERM';

const SIGNAL: Record<Signal, string> = { SIGINT: 'Ctrl-C', SIGTERM: 'SIGTERM' };

export function describeInterruption(
  events: readonly DeployerEvent[],
  hosts: readonly string[],
  version: string,
  how: { signal?: Signal; rollback?: 'all' | 'host' } = {},
): UserAbort {
  const by = SIGNAL[how.signal ?? 'SIGINT'];
  const waves = wavesIn(events);
  if (waves.length) return describeWaves({ events, hosts, version, rollback: how.rollback }, waves, by);
  const stage = stageOf(events);
  const lines = hosts.map((h) => `${h}: ${hostState(stage, events, h, version)}`);
  const summary =
    stage === 'build' || stage === 'connect'
      ? 'nothing was changed on any host'
      : stage === 'upload' || stage === 'prepare'
        ? 'nothing was switched: every host keeps serving its live release'
        : stage === 'after'
          ? `${version} had been committed or rolled back on every host`
          : 'hosts without a verdict revert to their previous release';
  return new UserAbort(`interrupted (${by}) during ${WHILE[stage]}; ${summary}`, {
    details: lines.join('\n'),
    hint:
      stage === 'upload'
        ? `deploy ${version} again to finish: what is already on the hosts is not sent again`
        : '`deployer history` shows what each host recorded',
  });
}

/** Each host's `host` event for the final table: untouched, interrupted at work, or as its wave ended. */
export function interruptedHosts(seen: Seen): Array<EventOf<'host'>> {
  return accounts(seen).map((a) => a.event);
}

/** Each host's event, and its line in the error's details. */
function accounts(seen: Seen): Array<{ event: EventOf<'host'>; line: string }> {
  const waves = wavesIn(seen.events);
  const stage = stageOf(seen.events);
  return seen.hosts.map((host) => {
    if (!waves.length) {
      const message = hostState(stage, seen.events, host, seen.version);
      const result = stage === 'build' || stage === 'connect' ? 'untouched' : 'interrupted';
      return { event: { type: 'host', host, result, ...(result === 'interrupted' ? { message } : {}) }, line: message };
    }
    const w = waves.find((x) => x.hosts.includes(host));
    if (!w) {
      const message = 'its wave had not started: nothing was sent to it';
      return { event: { type: 'host', host, result: 'untouched', message }, line: `untouched (${message})` };
    }
    const at = waveState(seen, waves, w, host);
    const wave = { wave: w.wave };
    if (at.result === 'live') return { event: { type: 'host', host, result: 'live', version: seen.version, ...wave }, line: at.message };
    return { event: { type: 'host', host, result: at.result, ...wave, message: at.message }, line: at.message };
  });
}

/** One wave as its events tell it; `from`: the index of its start event. */
interface WaveSeen {
  wave: number;
  of: number;
  hosts: string[];
  ended: boolean;
  failed: string[];
  from: number;
  /** The index of its end event (the events length while it runs). */
  to: number;
}

function wavesIn(events: readonly DeployerEvent[]): WaveSeen[] {
  const waves: WaveSeen[] = [];
  events.forEach((e, i) => {
    if (e.type !== 'wave') return;
    const w = waves.find((x) => x.wave === e.wave);
    if (!w) waves.push({ wave: e.wave, of: e.of, hosts: e.hosts, ended: false, failed: [], from: i, to: events.length });
    else if (e.status !== 'start') Object.assign(w, { ended: true, failed: e.failed ?? [], to: i });
  });
  return waves;
}

/** Where a host of a started wave is left. */
function waveState(
  seen: Seen,
  waves: WaveSeen[],
  w: WaveSeen,
  host: string,
): { result: 'live' | 'failed' | 'interrupted'; message: string } {
  const { events, version } = seen;
  if (!w.ended) {
    // The wave at work: its phases since its start, from the upload on.
    const stage = stageOf([done('build'), done('lock'), ...events.slice(w.from, w.to)]);
    return { result: 'interrupted', message: `in wave ${w.wave}/${w.of}: ${hostState(stage, events.slice(w.from), host, version)}` };
  }
  if (w.failed.includes(host))
    return { result: 'failed', message: `failed its checks in wave ${w.wave}/${w.of} and went back to its previous release` };
  // rollback = "all" over several waves: a host that passed waited for the last wave's verdict, which a commit after the last wave sends.
  const last = waves[waves.length - 1];
  const held = seen.rollback === 'all' && w.of > 1;
  const committed = events.slice(last.to).some((e) => e.type === 'phase' && !e.host && e.phase === 'commit' && e.status === 'done');
  if (held && !committed)
    return {
      result: 'interrupted',
      message: `passed in wave ${w.wave}/${w.of}, waiting for the last wave's verdict: reverting to the previous release`,
    };
  return { result: 'live', message: `${version} committed in wave ${w.wave}/${w.of}` };
}

function describeWaves(seen: Seen, waves: WaveSeen[], by: string): UserAbort {
  const at = waves.find((w) => !w.ended) ?? waves[waves.length - 1];
  const stage = at.ended ? 'after' : stageOf([done('build'), done('lock'), ...seen.events.slice(at.from)]);
  const hosts = accounts(seen);
  const untouched = hosts.filter((h) => h.event.result === 'untouched').map((h) => h.event.host);
  return new UserAbort(
    `interrupted (${by}) during wave ${at.wave}/${at.of} (${WHILE[stage]}); no further wave started${untouched.length ? `, ${untouched.join(', ')} untouched` : ''}; hosts without a verdict revert to their previous release`,
    { details: hosts.map((h) => `${h.event.host}: ${h.line}`).join('\n'), hint: '`deployer history` shows what each host recorded' },
  );
}

function hostState(stage: Stage, events: readonly DeployerEvent[], host: string, version: string): string {
  switch (stage) {
    case 'build':
    case 'connect':
      return 'untouched';
    case 'upload': {
      const partial = new Map<string, { bytes: number; total: number }>();
      for (const e of events) if (e.type === 'upload' && e.host === host) partial.set(e.file, { bytes: e.bytes, total: e.total });
      const cut = [...partial].filter(([, p]) => p.bytes < p.total);
      if (cut.length === 0) return `nothing switched; uploads ${partial.size ? 'done' : 'not started'}`;
      const [file, p] = cut[0];
      return `nothing switched; ${file} was ${Math.floor((p.bytes / Math.max(p.total, 1)) * 100)}% sent, kept on the host so the next deploy of ${version} sends only the rest`;
    }
    case 'prepare':
      return `nothing switched; the host finishes preparing ${version} on its own, the live release keeps serving`;
    case 'switch':
      return 'reverting to the previous release (the switch got no verdict)';
    case 'decide':
      return 'committing or reverting, as the verdict sent (if any) says; no verdict means revert';
    case 'after':
      return 'done on the host';
  }
}

const done = (phase: string): DeployerEvent => ({ type: 'phase', phase, status: 'done' });

/**
 * Rejects with the interruption's UserAbort on the first SIGINT; a second
 * one exits at once. dispose() removes the handler.
 */
export function watchInterrupt(
  proc: Pick<NodeJS.Process, 'on' | 'off' | 'exit'>,
  describe: (signal: Signal) => UserAbort,
): { interrupted: Promise<never>; dispose(): void } {
  let fire!: (e: Error) => void;
  const interrupted = new Promise<never>((_, reject) => (fire = reject));
  interrupted.catch(() => undefined);
  let count = 0;
  // SIGTERM (a CI job cancelled, a container stopped) ends the deploy the same way as Ctrl-C.
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const handler = () => {
      if (++count > 1) proc.exit(130);
      else fire(describe(signal));
    };
    proc.on(signal, handler);
    return () => void proc.off(signal, handler);
  });
  return { interrupted, dispose: () => handlers.forEach((off) => off()) };
}
