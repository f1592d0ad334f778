// The remote commands of `app backup` and `app restore`: remote/app-backup.sh
// and remote/app-restore.sh with their arguments, run as root (through
// `sudo -n` for a deploy user). Both read the data dir's owner on the host,
// so the client never needs to know the app user.
import type { Config } from '../config/types.js';
import { layoutFor } from '../plan/layout.js';
import { unitBaseName } from '../render/names.js';
import { scriptWithArgs } from '../remote/scriptFiles.js';

/** Stdin for the backup: the archive comes on stdout, `@@backup-size N` first on stderr. */
export function renderBackupScript(config: Pick<Config, 'app' | 'stage' | 'appsDir' | 'appName'>, hostName: string): string {
  const L = layoutFor(config);
  return scriptWithArgs(['stream', L.appDir, L.dataDir, config.app, config.stage ?? '', hostName], 'app-backup.sh');
}

export interface RestoreRequest {
  /** The archive's size and sha256: the host checks the upload against them before it changes anything. */
  size: number;
  sha256: string;
  waitSec: number;
  health: { path: string; status: number; host: string; port?: number };
}

/** Stdin for the restore, before the archive's bytes. */
export function renderRestoreScript(config: Config, req: RestoreRequest): string {
  const L = layoutFor(config);
  return scriptWithArgs(
    [
      L.appDir,
      L.dataDir,
      String(req.size),
      req.sha256,
      String(Math.max(1, Math.floor(req.waitSec))),
      req.health.path,
      String(req.health.status),
      req.health.host,
      req.health.port === undefined ? '' : String(req.health.port),
      unitBaseName(config, 'web'),
    ],
    'app-instances.sh',
    'web.sh',
    'app-restore.sh',
  );
}
