// backup_before_release: a snapshot of the data dir before release_command
// (a migration that goes wrong can be undone with `app restore`). It runs the
// release's copy of remote/app-backup.sh as root, like the scheduled backup
// unit, into the same backups dir with the same retention ([backups] keep).
// It is the first of the release hooks, so a failed backup stops the deploy
// before release_command, with nothing switched. Pure.
import type { ReleasePlace } from './deployInput.js';
import type { Step } from '../remote/steps.js';
import { BACKUP_SCRIPT_PATH, backupsDirFor, backupToFileArgv } from '../render/backupViews.js';

export function planReleaseBackup(p: ReleasePlace): Step[] {
  if (!p.config.backupBeforeRelease) return [];
  const argv = backupToFileArgv(p.config, p.host.name, `${p.dir}/${BACKUP_SCRIPT_PATH}`);
  return [{ kind: 'run', argv, sudo: true, desc: `back up the data dir into ${backupsDirFor(p.config)} (backup_before_release)` }];
}
