// What the human renderers know of a run across many hosts, read from the
// events alone: the hosts seen, which are done or failed, the wave each is
// in, the bytes each has uploaded, and the deploy's current phase. From it
// come the live lines (one per wave, never one per host) and the upload
// phase's one-line summary. Pure: no terminal, no clock.
import type { DeployerEvent, EventOf } from './events.js';
import { formatBytePair, formatBytes } from './progress.js';

interface HostState {
  status: 'working' | 'done' | 'failed';
  /** Bytes sent and to send, per file (a file's events repeat its running total). */
  files: Map<string, { bytes: number; total: number }>;
}

interface Wave {
  wave: number;
  of: number;
  hosts: string[];
  status: 'start' | 'done' | 'failed';
}

/** What comes after a deploy's phase (docs/json.md's order): the live line says what runs now. */
const NEXT: Record<string, string> = {
  connect: 'connecting',
  build: 'locking',
  lock: 'uploading',
  upload: 'preparing',
  prepare: 'switching',
  switch: 'checking health',
  verify: 'recording',
};

export class FleetState {
  private readonly hosts = new Map<string, HostState>();
  private readonly waves: Wave[] = [];
  private phase?: string;

  see(e: DeployerEvent): void {
    if (e.type === 'wave') {
      const w = this.waves.find((x) => x.wave === e.wave);
      if (w) Object.assign(w, { status: e.status, hosts: e.hosts, of: e.of });
      else this.waves.push({ wave: e.wave, of: e.of, hosts: e.hosts, status: e.status });
      for (const h of e.hosts) this.host(h);
      for (const h of e.failed ?? []) this.host(h).status = 'failed';
      return;
    }
    if (e.type === 'phase' && e.host === undefined) {
      this.phase = e.status === 'start' ? e.phase : (NEXT[e.phase] ?? this.phase);
      return;
    }
    if (!('host' in e) || e.host === undefined) return;
    const h = this.host(e.host);
    if (e.type === 'upload') h.files.set(e.file, { bytes: e.bytes, total: e.total });
    else if (e.type === 'host') h.status = ['live', 'unchanged', 'stopped', 'untouched'].includes(e.result) ? 'done' : 'failed';
    else if (e.type === 'phase' && e.status === 'failed') h.status = 'failed';
    else if (e.type === 'phase' && (e.phase === 'live' || e.phase === 'unchanged') && h.status === 'working') h.status = 'done';
    else if (e.type === 'log' && e.level === 'error') h.status = 'failed';
  }

  /** Whether the live view has something to show: a deploy's hosts still at work (or a file on its way). */
  get active(): boolean {
    const hosts = [...this.hosts.values()];
    const sending = hosts.some((h) => [...h.files.values()].some((f) => f.bytes < f.total));
    return sending || (this.phase !== undefined && hosts.some((h) => h.status === 'working'));
  }

  knows(host: string): boolean {
    return this.hosts.has(host);
  }

  /** `16 files, 12.4 KiB to 2 hosts`: the upload phase in one line, whatever the number of hosts. */
  uploadSummary(): string | undefined {
    let files = 0;
    let bytes = 0;
    let hosts = 0;
    for (const h of this.hosts.values()) {
      const done = [...h.files.values()].filter((f) => f.bytes >= f.total);
      if (done.length === 0) continue;
      hosts++;
      files += done.length;
      bytes += done.reduce((n, f) => n + f.total, 0);
    }
    if (hosts === 0) return undefined;
    return `${files} file${files === 1 ? '' : 's'}, ${formatBytes(bytes)} to ${hosts} host${hosts === 1 ? '' : 's'}`;
  }

  /** One line per wave (all hosts are one wave when no wave was announced), each at most `width` columns. */
  lines(width: number): string[] {
    const waves: Wave[] = this.waves.length ? this.waves : [{ wave: 1, of: 1, hosts: [...this.hosts.keys()], status: 'start' }];
    return waves.map((w) => fit(this.waveLine(w), width));
  }

  private waveLine(w: Wave): string {
    const states = w.hosts.map((name) => [name, this.host(name)] as const);
    const failed = states.filter(([, s]) => s.status === 'failed').map(([n]) => n);
    const done = states.filter(([, s]) => s.status === 'done').length;
    const head = this.waves.length
      ? `wave ${w.wave}/${w.of} (${w.hosts.length} host${w.hosts.length === 1 ? '' : 's'})`
      : hostsHead(w.hosts);
    const mark = w.status === 'start' ? '…' : w.status === 'done' ? '✓' : '✗';
    const counts = `${done} done, ${failed.length} failed${failed.length ? ` (${nameList(failed, 4)})` : ''}`;
    return w.status === 'start' ? `${mark} ${head}: ${this.doing(states.map(([, s]) => s))} — ${counts}` : `${mark} ${head}: ${counts}`;
  }

  private doing(states: HostState[]): string {
    const files = states.flatMap((s) => [...s.files.values()]);
    const sending = files.some((f) => f.bytes < f.total);
    if (this.phase === 'uploading' || sending) {
      const bytes = files.reduce((n, f) => n + f.bytes, 0);
      const total = files.reduce((n, f) => n + f.total, 0);
      return total ? `uploading ${Math.floor((bytes / total) * 100)}% ${formatBytePair(bytes, total)}` : 'uploading';
    }
    return this.phase ?? 'starting';
  }

  private host(name: string): HostState {
    let h = this.hosts.get(name);
    if (!h) this.hosts.set(name, (h = { status: 'working', files: new Map() }));
    return h;
  }
}

function hostsHead(hosts: string[]): string {
  return hosts.length === 1 ? hosts[0] : `${hosts.length} hosts`;
}

/** `a, b, c, +4`: at most `max` names, then how many more. */
export function nameList(names: string[], max: number): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, +${names.length - max}`;
}

/** Cut to `width` columns with an ellipsis, so a line never wraps. */
export function fit(line: string, width: number): string {
  return line.length <= width ? line : line.slice(0, Math.max(width - 1, 0)) + '…';
}
