// The probe's wire format: the first channel of every command that changes a
// host runs remote/probe.sh, which takes the app's lock, prints the remote
// state as markers, then holds the lock for as long as the channel lives
// (an flock of that shell: when the client exits or the network drops, sshd
// closes the channel and the kernel releases the lock, so it cannot go
// stale). The client builds ProbeArgs from the plan (src/plan/probeRequest.ts).
import { Marker, parseMarkers } from './protocol.js';
import { scriptWithArgs } from './scriptFiles.js';
import { parseVersions, type OwnerStatus, type RemoteState } from './state.js';

/** Everything remote/probe.sh is told, as plain values (src/plan/probeRequest.ts computes them). */
export interface ProbeArgs {
  appsDir: string;
  stateDir: string;
  appDir: string;
  lockFile: string;
  lockInfoFile: string;
  phaseLockFile: string;
  /** The release whose files are listed with hashes ('' for none). */
  releaseDir: string;
  site: string;
  /** The marker line this app's unit files carry. */
  unitMarker: string;
  /** Who is asking, shown to anyone refused. */
  holder: string;
  /** Seconds to wait for the lock; 0 fails at once. */
  lockWaitSec: number;
  /** Take the lock and hold it while stdin stays open (false: read-only probe). */
  lock: boolean;
  /** Create apps_dir and the state dir (and the app dir, unless createLater). */
  create: boolean;
  /** With create: make a missing app dir only when the client sends `create` (Lock.createAppDir). */
  createLater: boolean;
  unitDir: string;
  caddyfile: string;
  sitesDir: string;
  /** The identity record's text and file name, the owner line and the legacy Description= prefix (src/plan/ownership.ts). */
  identity: string;
  identityFile: string;
  ownerLine: string;
  legacyDescription: string;
  historyFile: string;
  /** List every deployer web unit on the host and what shows its ports. */
  ports: boolean;
  /** With ports: the line this app's web unit carries when it already records the range asked for; the host then skips the scan. */
  ownPortsLine: string;
}

/** `appsDir` -> `apps-dir`: each field of ProbeArgs is the argument of that name. */
const argName = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The probe's stdin: remote/probe.sh with named arguments (`--name=value`, each value quoted; booleans 1 or 0). */
export function renderProbeScript(a: ProbeArgs): string {
  const value = (v: ProbeArgs[keyof ProbeArgs]) =>
    typeof v === 'boolean' ? (v ? '1' : '0') : typeof v === 'number' ? String(Math.max(0, Math.floor(v))) : v;
  return scriptWithArgs(
    Object.entries(a).map(([k, v]) => `--${argName(k)}=${value(v)}`),
    'probe.sh',
  );
}

export type ProbeOutput = RemoteState & { error?: string; ended: boolean };

const unb64 = (s: string) => Buffer.from(s ?? '', 'base64').toString('utf8');
/** A file's text as remote/probe.sh's emit() sends it: \\ and \n escaped, on one line. */
export const unescapeLine = (s: string) => (s ?? '').replace(/\\([\\nr])/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
/** The first n - 1 space-separated fields of a marker's argument, then the rest whole (a file's text has spaces). */
function fields(rest: string, n: number): string[] {
  const out: string[] = [];
  let at = 0;
  for (let i = 1; i < n; i++) {
    const sp = rest.indexOf(' ', at);
    if (sp < 0) return [...out, rest.slice(at)];
    out.push(rest.slice(at, sp));
    at = sp + 1;
  }
  return [...out, rest.slice(at)];
}

export function parseProbeOutput(text: string): ProbeOutput {
  const state: ProbeOutput = {
    user: '',
    releases: [],
    versions: [],
    releaseFiles: {},
    currentFiles: {},
    currentVenv: false,
    units: {},
    caddyImportsSites: false,
    hasUv: false,
    envHashes: {},
    lockHeld: false,
    ended: false,
  };
  const switchFiles = (release: string) => ((state.releaseSwitch ??= {})[release] ??= { units: {} });
  for (const { marker, arg: rest } of parseMarkers(text)) {
    switch (marker) {
      case Marker.user:
        state.user = rest;
        break;
      case Marker.current:
        state.current = rest;
        break;
      case Marker.release:
        state.releases.push(rest);
        break;
      case Marker.releaseUnit: {
        const [release, name, data] = fields(rest, 3);
        switchFiles(release).units[name] = unescapeLine(data);
        break;
      }
      case Marker.releaseSite: {
        const [release, data] = fields(rest, 2);
        switchFiles(release).caddySite = unescapeLine(data);
        break;
      }
      case Marker.releaseInstances: {
        const [release, data] = fields(rest, 2);
        switchFiles(release).instances = unescapeLine(data);
        break;
      }
      case Marker.releaseWebInstances: {
        const [release, data] = fields(rest, 2);
        switchFiles(release).webInstances = unescapeLine(data);
        break;
      }
      case Marker.versions:
        state.versions = parseVersions(unescapeLine(rest));
        break;
      case Marker.file: {
        const i = rest.lastIndexOf(' ');
        state.releaseFiles[rest.slice(0, i)] = rest.slice(i + 1);
        break;
      }
      case Marker.curfile: {
        const i = rest.lastIndexOf(' ');
        state.currentFiles![rest.slice(0, i)] = rest.slice(i + 1);
        break;
      }
      case Marker.curvenv:
        state.currentVenv = true;
        break;
      case Marker.inactive:
        (state.inactive ??= []).push(rest);
        break;
      case Marker.unit: {
        const [name, data] = fields(rest, 2);
        state.units[name] = unescapeLine(data);
        break;
      }
      case Marker.envhash: {
        const [key, sum] = rest.split(' ');
        if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) && /^[0-9a-f]{64}$/.test(sum ?? '')) state.envHashes![key] = sum;
        break;
      }
      case Marker.owner:
        state.owner = rest as OwnerStatus;
        break;
      case Marker.refused:
        state.refused = unb64(rest);
        break;
      case Marker.unitOther: {
        const [name, data] = rest.split(' ');
        (state.otherUnits ??= {})[name] = unb64(data);
        break;
      }
      case Marker.caddyOther:
        state.otherSite = unb64(rest);
        break;
      case Marker.caddy:
        state.caddySite = unescapeLine(rest);
        break;
      case Marker.slot:
        if (rest === 'a' || rest === 'b') state.liveSlot = rest;
        break;
      case Marker.maintenance:
        state.maintenance = rest === 'on';
        break;
      case Marker.instance: {
        const [unit, active] = rest.split(' ');
        if (unit) (state.templateInstances ??= {})[unit] = active ?? '';
        break;
      }
      case Marker.caddyAdmin:
        state.caddyAdmin = rest || undefined;
        break;
      case Marker.caddyImports:
        state.caddyImportsSites = true;
        break;
      case Marker.migrateReq:
        state.reloadResetsQueued = rest === 'off';
        break;
      case Marker.uv:
        state.hasUv = true;
        break;
      case Marker.python:
        state.python = rest || undefined;
        break;
      case Marker.portUnit: {
        const [unit, kind, value] = fields(rest, 3);
        const facts = ((state.webUnits ??= {})[unit] ??= { lines: [], enabled: [], links: [], upstreams: [] });
        const port = Number(value);
        if (kind === 'line') facts.lines.push(value);
        else if (kind === 'enabled' && Number.isInteger(port)) facts.enabled.push(port);
        else if (kind === 'link' && Number.isInteger(port)) facts.links.push(port);
        else if (kind === 'live' && (value === 'a' || value === 'b')) facts.live = value;
        else if (kind === 'upstream') for (const m of value.matchAll(/:(\d+)\b/g)) facts.upstreams.push(Number(m[1]));
        break;
      }
      case Marker.locked:
        state.lockedBy = unb64(rest).trim() || 'another deployer process (no holder recorded)';
        break;
      case Marker.held:
        state.lockHeld = true;
        state.lockedBy = unb64(rest).trim();
        break;
      case Marker.error:
        state.error = rest;
        break;
      case Marker.end:
        state.ended = true;
        break;
    }
  }
  return state;
}
