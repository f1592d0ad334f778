// Where things live on a host, for one app (and stage). The only place that
// spells out remote paths; see DESIGN.md "On-server layout".
import type { Config } from '../config/types.js';

export interface Layout {
  appsDir: string;
  appDir: string;
  /** The one symlink switched atomically: appDir/current -> v<version>. */
  current: string;
  versionsFile: string;
  /** The app's writable data (uploads, SQLite), owned by the app user; outlives releases. */
  dataDir: string;
  /** Beside the app dir: the lock, its holder, the history (they outlive `down`). */
  stateDir: string;
  lockFile: string;
  lockInfoFile: string;
  /** Held by every phase script while it runs, so a new lock holder waits for a dying one. */
  phaseLockFile: string;
  historyFile: string;
  releaseDirName(version: string): string;
  releaseDir(version: string): string;
  incomingDir(version: string): string;
  metaDir(version: string): string;
  /** Where systemd unit files are installed. */
  unitDir: string;
  caddySitesDir: string;
  /** Caddy's main file, which imports caddySitesDir/*.caddy. */
  caddyfile: string;
  /** This app's Caddy site, imported by caddyfile. */
  caddySite: string;
  /** Blue-green: one link per web port to the release its instance runs (src/plan/slots.ts). */
  webDir: string;
  /** Blue-green: the slot that serves ("a" or "b"), written when a switch commits. */
  liveSlotFile: string;
  /** Maintenance mode: while this page exists, Caddy answers with it and 503 (src/plan/maintenanceMode.ts). */
  maintenanceFile: string;
}

/** The maintenance page's name in the app dir (the Caddy site looks for it there, `status` reads it). */
export const MAINTENANCE_FILE = '.maintenance';

export function layoutFor(config: Pick<Config, 'appsDir' | 'appName'>): Layout {
  const appsDir = config.appsDir.replace(/\/+$/, '');
  const appDir = `${appsDir}/${config.appName}`;
  const releaseDirName = (v: string) => `v${v}`;
  const releaseDir = (v: string) => `${appDir}/${releaseDirName(v)}`;
  // Lock and history live beside the app dir: `down` removes the app dir
  // while holding the lock, and the history outlives it.
  const state = `${appsDir}/.deployer`;
  const caddySitesDir = '/etc/caddy/sites';
  return {
    appsDir,
    appDir,
    current: `${appDir}/current`,
    versionsFile: `${appDir}/.versions`,
    dataDir: `${appDir}/data`,
    stateDir: state,
    lockFile: `${state}/${config.appName}.lock`,
    lockInfoFile: `${state}/${config.appName}.lock.info`,
    phaseLockFile: `${state}/${config.appName}.phase.lock`,
    historyFile: `${state}/${config.appName}.history`,
    releaseDirName,
    releaseDir,
    incomingDir: (v) => `${releaseDir(v)}/.incoming`,
    metaDir: (v) => `${releaseDir(v)}/.deployer`,
    unitDir: '/etc/systemd/system',
    caddySitesDir,
    caddyfile: '/etc/caddy/Caddyfile',
    caddySite: `${caddySitesDir}/${config.appName}.caddy`,
    webDir: `${appDir}/.web`,
    liveSlotFile: `${appDir}/.web/live`,
    maintenanceFile: `${appDir}/${MAINTENANCE_FILE}`,
  };
}
