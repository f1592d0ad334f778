// `app status` as data: the status script's output parsed, and the text a
// person reads. Pure.
import type { Config, HostConfig } from '../config/types.js';
import type { ReleaseRecord } from '../plan/versions.js';
import { Marker, parseMarkers } from '../remote/protocol.js';

export interface UnitStatus {
  unit: string;
  active: string;
  sub: string;
  /** Seconds the unit has been active; undefined when it is not. */
  uptimeSec?: number;
  pid?: number;
  restarts?: number;
}

export interface HostStatus {
  host: string;
  app: string;
  /** Current release, or undefined when nothing is deployed. */
  version?: string;
  release?: ReleaseRecord;
  urls: string[];
  units: UnitStatus[];
  /** Who holds the deploy lock right now (a deploy is running). */
  lockedBy?: string;
}

const unb64 = (s: string) => Buffer.from(s ?? '', 'base64').toString('utf8');

export function parseStatusOutput(text: string): UnitStatus[] {
  let now: number | undefined;
  const units: UnitStatus[] = [];
  for (const { marker, arg } of parseMarkers(text)) {
    const [a, b] = arg.split(' ');
    if (marker === Marker.now) now = Number(a);
    if (marker !== Marker.unit || !a) continue;
    const props: Record<string, string> = {};
    for (const l of unb64(b).split('\n')) {
      const i = l.indexOf('=');
      if (i > 0) props[l.slice(0, i)] = l.slice(i + 1);
    }
    const since = Number(props.Since);
    const pid = Number(props.MainPID);
    const restarts = Number(props.NRestarts);
    units.push({
      unit: a,
      active: props.ActiveState || 'unknown',
      sub: props.SubState || 'unknown',
      uptimeSec:
        props.ActiveState === 'active' && props.Since && now !== undefined && Number.isFinite(since) ? Math.max(0, now - since) : undefined,
      pid: Number.isInteger(pid) && pid > 0 ? pid : undefined,
      restarts: Number.isInteger(restarts) ? restarts : undefined,
    });
  }
  return units;
}

/** Where the app answers: webserver domains plus the host's own; a bare domain is HTTPS (Caddy's default). */
export function siteUrls(config: Pick<Config, 'webserver'>, host: Pick<HostConfig, 'domains'>): string[] {
  if (!config.webserver.enabled) return [];
  const addresses = [...new Set([...config.webserver.domains, ...host.domains])];
  return addresses.map((a) => (/^[a-z]+:\/\//i.test(a) ? a : a.startsWith(':') ? `http://<host>${a}` : `https://${a}`));
}

export function formatUptime(sec: number): string {
  const s = Math.floor(sec);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

export function formatHostStatus(s: HostStatus): string {
  const lines: string[] = [];
  if (!s.version) {
    lines.push(`${s.host}: ${s.app} is not deployed`);
  } else {
    const rec = s.release
      ? ` (${s.release.status}, deployed ${s.release.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}${s.release.by ? ` by ${s.release.by}` : ''})`
      : '';
    lines.push(`${s.host}: ${s.app} ${s.version}${rec}`);
  }
  if (s.lockedBy) lines.push(`  locked: ${s.lockedBy}`);
  for (const url of s.urls) lines.push(`  url: ${url}`);
  const width = Math.max(0, ...s.units.map((u) => u.unit.length));
  for (const u of s.units) {
    const state = `${u.active} (${u.sub})`;
    const extra = [
      u.uptimeSec !== undefined ? `up ${formatUptime(u.uptimeSec)}` : null,
      u.pid ? `pid ${u.pid}` : null,
      u.restarts ? `${u.restarts} restarts` : null,
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${u.unit.padEnd(width)}  ${state.padEnd(20)}${extra ? `  ${extra}` : ''}`.trimEnd());
  }
  if (s.version && s.units.length === 0) lines.push('  no units (the release lists none for this selection)');
  return lines.join('\n');
}
