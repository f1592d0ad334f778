// The one protocol between the remote scripts (remote/*.sh) and the client:
// a script prints lines `@@<marker> [argument]` on stdout; every other line is
// ordinary output. Each marker a script prints is named here (a unit test
// checks both ways), and parseMarker is the one reader.

export const Marker = {
  // Phase scripts (remote/phase.sh)
  step: 'step',
  fail: 'fail',
  warn: 'warn',
  ready: 'ready',
  unitChanged: 'unit-changed',
  unitRemoved: 'unit-removed',
  unitStopped: 'unit-stopped',
  unitFailed: 'unit-failed',
  daemonReload: 'daemon-reload',
  restarted: 'restarted',
  caddyReload: 'caddy-reload',
  // Blue-green (remote/web.sh)
  webStarted: 'web-started',
  webHealthy: 'web-healthy',
  webStopped: 'web-stopped',
  webRetired: 'web-retired',
  /** A failed gate: "UNIT PORT ADDR...", what the instance's processes listen on instead of PORT (none: no TCP port). */
  webListens: 'web-listens',
  /** A failed gate: "UNIT", whose log says "address already in use". */
  webAddrInUse: 'web-addr-in-use',
  userCreated: 'user-created',
  userRemoved: 'user-removed',
  // The probe and lock (remote/probe.sh)
  user: 'user',
  error: 'error',
  waiting: 'waiting',
  locked: 'locked',
  held: 'held',
  current: 'current',
  release: 'release',
  releaseUnit: 'release-unit',
  releaseSite: 'release-site',
  releaseInstances: 'release-instances',
  releaseWebInstances: 'release-web-instances',
  versions: 'versions',
  envhash: 'envhash',
  file: 'file',
  curfile: 'curfile',
  curvenv: 'curvenv',
  inactive: 'inactive',
  unit: 'unit',
  caddy: 'caddy',
  slot: 'slot',
  /** `on`: the app dir has a `.maintenance` page, so the site answers 503 (src/plan/maintenanceMode.ts). */
  maintenance: 'maintenance',
  caddyImports: 'caddy-imports',
  /** `off`: net.ipv4.tcp_migrate_req is 0, so a Caddy reload resets the connections queued on its old listener. */
  migrateReq: 'migrate-req',
  owner: 'owner',
  refused: 'refused',
  unitOther: 'unit-other',
  caddyOther: 'caddy-other',
  uv: 'uv',
  python: 'python',
  /** An instance of this app's template units that systemd has loaded: `UNIT ACTIVE_STATE` (src/plan/activate.ts stops the unlisted). */
  instance: 'instance',
  /** Caddy's admin API answers at this address and the Caddyfile is readable: the plan reloads Caddy through it. */
  caddyAdmin: 'caddy-admin',
  /** A deployer web unit on the host and what shows its ports: `NAME line|enabled|link|live|upstream VALUE` (src/plan/ports.ts). */
  portUnit: 'port-unit',
  end: 'end',
  /** The lock holder appended the line the client sent (`history LINE` on its stdin). */
  historyAppended: 'history-appended',
  // `deployer server …` (remote/server-*.sh)
  changed: 'changed',
  ok: 'ok',
  // `deployer app …` (remote/app-*.sh)
  now: 'now',
  state: 'state',
  missing: 'missing',
  /** app-control.sh: how a blue-green web process's live instances restarted (rolling|in-place UNIT...). */
  webRestart: 'web-restart',
  /** app-backup.sh, first line of stderr: the snapshot's size in bytes before gzip (for the progress line). */
  backupSize: 'backup-size',
  // `app exec` and `server exec` (remote/app-env.sh, remote/exec.sh): first line of stderr
  pgid: 'deployer-pgid',
} as const;

export type MarkerName = (typeof Marker)[keyof typeof Marker];

/** Printed by the client itself (never by a script): a test pause point was reached. */
export const PAUSED = 'paused';

const KNOWN = new Set<string>(Object.values(Marker));

export interface MarkerLine {
  marker: MarkerName;
  /** The rest of the line after one space ('' when there is none). */
  arg: string;
}

/** The marker on one line of script output, or undefined for ordinary output (or an unknown marker). */
export function parseMarker(line: string): MarkerLine | undefined {
  if (!line.startsWith('@@')) return undefined;
  const sp = line.indexOf(' ');
  const name = sp < 0 ? line.slice(2) : line.slice(2, sp);
  if (!KNOWN.has(name)) return undefined;
  return { marker: name as MarkerName, arg: sp < 0 ? '' : line.slice(sp + 1) };
}

/** Every marker line in a block of output, in order. */
export function parseMarkers(text: string): MarkerLine[] {
  return text.split('\n').flatMap((line) => parseMarker(line.replace(/\r$/, '')) ?? []);
}

/** The argument of the first `marker` line in `markers`. */
export function findMarker(markers: readonly MarkerLine[], marker: MarkerName): string | undefined {
  return markers.find((m) => m.marker === marker)?.arg;
}

/** True when `marker` appears. */
export function hasMarker(markers: readonly MarkerLine[], marker: MarkerName): boolean {
  return markers.some((m) => m.marker === marker);
}

/** A marker line as a script prints it (for the client's own output and for tests). */
export function formatMarker(marker: MarkerName | typeof PAUSED, arg?: string): string {
  return arg === undefined ? `@@${marker}` : `@@${marker} ${arg}`;
}
