// A phase script's stdout as events: each marker line (src/remote/protocol.ts)
// becomes a step, a warning or a recorded fact; every other line is the
// host's own output. Scripts print what the host actually did, which the
// plan's steps only announce, so --verbose shows both.
import type { Reporter } from '../output/reporter.js';
import { Marker, parseMarker, type MarkerLine } from '../remote/protocol.js';

/** What the host says it did, by marker: the verbose step line (its argument is the unit list or name). */
const DONE: Partial<Record<MarkerLine['marker'], (arg: string) => string>> = {
  [Marker.step]: (arg) => arg,
  [Marker.unitChanged]: (arg) => `unit ${arg} installed`,
  [Marker.unitRemoved]: (arg) => `unit ${arg} removed`,
  [Marker.unitStopped]: (arg) => `stopped ${arg}: the release does not run it`,
  [Marker.unitFailed]: (arg) => (arg === 'timeout' ? 'the units were not all up in time' : `${arg} failed`),
  [Marker.daemonReload]: () => 'systemctl daemon-reload',
  [Marker.restarted]: (arg) => `restarted ${arg}`,
  [Marker.caddyReload]: () => 'caddy reloaded',
  [Marker.webStarted]: (arg) => `started ${arg}`,
  [Marker.webStopped]: (arg) => `stopped ${arg}`,
  [Marker.webRetired]: (arg) => `${arg} stop after the drain`,
  [Marker.userCreated]: (arg) => `created the app user ${arg}`,
  [Marker.userRemoved]: (arg) => `removed the app user ${arg}`,
  [Marker.webHealthy]: (arg) => {
    // "FIRST_MS STABLE_MS UNIT...": the gate's own account (the benchmark splits app time from deployer's with it).
    const [first, stable] = arg.split(' ');
    return `the new instances answered ${first} ms after they started, then stayed up ${stable} ms`;
  },
};

export function handleMarkers(text: string, host: string, reporter: Reporter, markers: MarkerLine[]): void {
  for (const line of text.split('\n')) {
    const m = parseMarker(line);
    if (!m) {
      if (line.trim()) reporter.emit({ type: 'output', host, stream: 'stdout', text: line });
      continue;
    }
    markers.push(m);
    const done = DONE[m.marker];
    if (done) reporter.emit({ type: 'step', host, step: done(m.arg), status: 'done' });
    else if (m.marker === Marker.warn) reporter.warn(m.arg, host);
  }
}

/** A line-buffered stdout handler, so markers split across chunks are seen whole. */
export function lineSplitter(onLines: (text: string) => void): { push(chunk: string): void; flush(): void } {
  let buf = '';
  return {
    push(chunk) {
      buf += chunk;
      const i = buf.lastIndexOf('\n');
      if (i >= 0) {
        onLines(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    },
    flush() {
      if (buf) onLines(buf);
      buf = '';
    },
  };
}
