// The probe's request as the plan sees it (layout, identity, what to list),
// turned into the plain values remote/probe.sh takes (src/remote/probe.ts).
// Pure.
import type { ProbeArgs } from '../remote/probe.js';
import type { Layout } from './layout.js';
import { IDENTITY_FILE, identityText, legacyDescription, ownerLine, type Identity } from './ownership.js';

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

export function unitMarker(appName: string): string {
  return `# deployer-app: ${appName}`;
}

/** What remote/probe.sh is told for `req`. */
export function probeArgs(req: ProbeRequest, sitePath = req.layout.caddySite): ProbeArgs {
  const L = req.layout;
  return {
    appsDir: L.appsDir,
    stateDir: L.stateDir,
    appDir: L.appDir,
    lockFile: L.lockFile,
    lockInfoFile: L.lockInfoFile,
    phaseLockFile: L.phaseLockFile,
    releaseDir: req.version ? L.releaseDir(req.version) : '',
    site: sitePath,
    unitMarker: unitMarker(req.appName),
    holder: req.holder,
    lockWaitSec: req.lockWait,
    lock: req.lock,
    create: req.create,
    createLater: req.create && (req.createLater ?? false),
    unitDir: L.unitDir,
    caddyfile: L.caddyfile,
    sitesDir: L.caddySitesDir,
    identity: identityText(req.identity),
    identityFile: IDENTITY_FILE,
    ownerLine: ownerLine(req.identity),
    legacyDescription: legacyDescription(req.identity),
    historyFile: L.historyFile,
    ports: req.ports ?? false,
    ownPortsLine: req.ownPortsLine ?? '',
  };
}
