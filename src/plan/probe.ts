// The first channel of every command that changes a host (remote/probe.sh):
// take the app's lock, then print the remote state, then hold the lock for as
// long as the channel lives. The lock is an flock held by that shell; when
// the client exits, is killed, or the network drops, sshd closes the channel,
// the shell exits and the kernel releases the lock. It cannot go stale.
import { Marker, parseMarkers } from '../remote/protocol.js';
import { scriptWithArgs } from '../remote/scripts.js';
import type { Layout } from './layout.js';
import { IDENTITY_FILE, identityText, legacyDescription, ownerLine, type Identity, type OwnerStatus } from './ownership.js';
import type { WebUnitFacts } from './ports.js';
import { parseVersions, type ReleaseRecord } from './versions.js';

export interface ProbeRequest {
  layout: Layout;
  appName: string;
  /** Whose app dir this is (the identity record deployer writes into it). */
  identity: Identity;
  /** Release whose files are listed with hashes (the one being deployed). */
  version?: string;
  /** Seconds to wait for the lock; 0 fails at once. */
  lockWait: number;
  /** Who is asking, shown to anyone refused: "alice@laptop pid 123: deployer deploy". */
  holder: string;
  /** Take the lock (false: read-only probe for `plan`/`status`). */
  lock: boolean;
  /** Create apps_dir and the app dir (with sudo when needed). */
  create: boolean;
  /** With create: make a missing app dir only when asked (Lock.createAppDir), after the state was checked. */
  createLater?: boolean;
  /** List every deployer web unit on the host and what shows its ports (RemoteState.webUnits). */
  ports?: boolean;
  /**
   * With ports: the line this app's web unit carries when it already records
   * the range asked for (portsRecordLine); the host then skips the scan.
   */
  ownPortsLine?: string;
}

export interface ReleaseSwitchFiles {
  /** Unit file name -> content. */
  units: Record<string, string>;
  caddySite?: string;
  /** The `.deployer/instances` text: "restart|start UNIT" per line. */
  instances?: string;
  /** Blue-green: `.deployer/web-instances`, the web instances the release ran with while live ("restart UNIT" per line). */
  webInstances?: string;
}

export interface RemoteState {
  user: string;
  current?: string;
  releases: string[];
  /** What each release's switch installs (from its .deployer/ folder), by release id. */
  releaseSwitch?: Record<string, ReleaseSwitchFiles>;
  versions: ReleaseRecord[];
  /** Files of the target release (relative path -> sha256), without .venv. */
  releaseFiles: Record<string, string>;
  /** Files of the live release (when it is another one), for copying on the host instead of uploading. */
  currentFiles?: Record<string, string>;
  /** The live release has a virtual environment (python mode). */
  currentVenv?: boolean;
  /** Units of the live release that are not active. */
  inactive?: string[];
  /** Unit files that carry this app's marker: name -> content. */
  units: Record<string, string>;
  caddySite?: string;
  /** Instances of this app's template units that systemd has loaded: unit -> its ActiveState (a switch stops those the release does not run). */
  templateInstances?: Record<string, string>;
  /** Where Caddy's admin API took a request, with the Caddyfile readable: a switch reloads Caddy there (absent: systemctl). */
  caddyAdmin?: string;
  /** Blue-green: the web slot that serves (absent before the first blue-green switch commits). */
  liveSlot?: 'a' | 'b';
  caddyImportsSites: boolean;
  hasUv: boolean;
  python?: string;
  /** Live env of the app (its .appenv): key -> sha256 of the value. Values never leave the host. */
  envHashes?: Record<string, string>;
  /** The app dir's ownership (see src/plan/ownership.ts). */
  owner?: OwnerStatus;
  /** Set when the app dir exists but is not this app's: its identity record ('' when it has none). */
  refused?: string;
  /** Unit files with this app's marker but another app's owner line: name -> that line. */
  otherUnits?: Record<string, string>;
  /** The Caddy site's owner line when it is another app's. */
  otherSite?: string;
  /** Every deployer web unit on the host (any app, any apps_dir) and what shows its ports, by unit file name. */
  webUnits?: Record<string, WebUnitFacts>;
  /** Lock holder text when the lock was refused. */
  lockedBy?: string;
  lockHeld: boolean;
}

export function unitMarker(appName: string): string {
  return `# deployer-app: ${appName}`;
}

/** Stdin for `bash -s`: remote/probe.sh with its arguments. */
export function renderProbeScript(req: ProbeRequest, sitePath: string): string {
  const L = req.layout;
  return scriptWithArgs(
    [
      L.appsDir,
      L.stateDir,
      L.appDir,
      L.lockFile,
      L.lockInfoFile,
      L.phaseLockFile,
      req.version ? L.releaseDir(req.version) : '',
      sitePath,
      unitMarker(req.appName),
      req.holder,
      String(Math.max(0, Math.floor(req.lockWait))),
      req.lock ? '1' : '0',
      req.create ? '1' : '0',
      L.unitDir,
      L.caddyfile,
      L.caddySitesDir,
      identityText(req.identity),
      IDENTITY_FILE,
      ownerLine(req.identity),
      legacyDescription(req.identity),
      L.historyFile,
      req.create && req.createLater ? '1' : '0',
      req.ports ? '1' : '0',
      req.ownPortsLine ?? '',
    ],
    'probe.sh',
  );
}

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

export function parseProbeOutput(text: string): RemoteState & { error?: string; ended: boolean } {
  const state: RemoteState & { error?: string; ended: boolean } = {
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
