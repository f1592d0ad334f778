// What the probe (remote/probe.sh) found on a host: the types the plan reads
// and the executor fills (src/remote/probe.ts parses the markers into them).
// Pure types and the `.versions` reader, so both sides may import them.

/** The web slot that serves (blue-green, src/plan/slots.ts). */
export type LiveSlot = 'a' | 'b';

export type ReleaseStatus = 'good' | 'failed' | 'rolled-back';

/** One line of the `.versions` record (src/plan/versions.ts writes it). */
export interface ReleaseRecord {
  version: string;
  status: ReleaseStatus;
  time: string;
  sha: string;
  by: string;
}

/** What the probe found at the app dir (the `@@owner` / `@@refused` lines). */
export type OwnerStatus =
  /** The record is this config's. */
  | 'own'
  /** Created by this command, record written. */
  | 'created'
  /** Made by an earlier deployer (no record yet): the record was written now. */
  | 'adopted'
  /** Made by an earlier deployer; not adopted by a read-only probe. */
  | 'legacy'
  | 'missing';

/** What the probe saw of one deployer web unit on the host (remote/probe.sh `@@port-unit`). */
export interface WebUnitFacts {
  /** The unit's marker, owner, ports, Environment=PORT= and WorkingDirectory= lines. */
  lines: string[];
  /** Ports of its enabled instances (`<app>-web@<port>`). */
  enabled: number[];
  /** Blue-green: `<appDir>/.web/<port>` links. */
  links: number[];
  /** Blue-green: the live slot (`<appDir>/.web/live`). */
  live?: LiveSlot;
  /** The ports of the Caddy site's reverse_proxy upstreams. */
  upstreams: number[];
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
  liveSlot?: LiveSlot;
  caddyImportsSites: boolean;
  /** net.ipv4.tcp_migrate_req is 0 here: each Caddy reload may reset a few new connections (`server bootstrap` sets it). */
  reloadResetsQueued?: boolean;
  /** `<app dir>/.maintenance` exists: the site answers 503 (src/plan/maintenanceMode.ts). */
  maintenance?: boolean;
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

/** The `.versions` record, newest first, tab-separated (src/plan/versions.ts formats it). */
export function parseVersions(text: string): ReleaseRecord[] {
  const out: ReleaseRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [version, status, time = '', sha = '', by = ''] = line.split('\t');
    if (!version) continue;
    const s: ReleaseStatus = status === 'failed' || status === 'rolled-back' ? status : 'good';
    out.push({ version, status: s, time, sha, by });
  }
  return out;
}
