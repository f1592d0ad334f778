// The user's own commands around a release: release_command and the
// pre_switch hook at the end of prepare (after backup_before_release's snapshot), post_deploy after the commit.
// When the app runs as another user, release_command and pre_switch may add
// to the release (collectstatic's static/, built assets) while it is
// prepared; then it is sealed, read-only for that user (what it added handed
// to the SSH user), its env files 0640 in the user's group so the services,
// hooks and `app exec` read them. The running app never writes its own code,
// and prune and down delete everything in it. Pure.
import type { ReleasePlace } from './deployInput.js';
import type { Step } from '../remote/steps.js';
import { planReleaseBackup } from './releaseBackup.js';

export interface HooksPlan {
  /** The end of prepare: backup_before_release, open, release_command, pre_switch, seal. */
  prepare: Step[];
  /** When prepare fails: the release is not left open (nothing of it may go live, and prune deletes it). */
  onFail: Step[];
  /** After the commit: post_deploy. */
  commit: Step[];
}

export function planReleaseHooks(p: ReleasePlace): HooksPlan {
  const { config, runAs, dir: releaseDir } = p;
  const command = (command: string | undefined, what: string): Step[] =>
    command ? [{ kind: 'app-command', command, releaseDir, runAs, desc: `${what}: ${command}` }] : [];
  const appWrites = Boolean(config.releaseCommand || config.hooks.preSwitch);
  const open: Step[] = runAs && appWrites ? [{ kind: 'open-release', dir: releaseDir, user: runAs }] : [];
  const seal: Step[] = runAs ? [{ kind: 'seal-release', dir: releaseDir, user: runAs }] : [];
  return {
    prepare: [
      ...planReleaseBackup(p),
      ...open,
      ...command(config.releaseCommand, 'release command'),
      ...command(config.hooks.preSwitch, 'pre_switch hook'),
      ...seal,
    ],
    onFail: open.length ? seal : [],
    commit: command(config.hooks.postDeploy, 'post_deploy hook'),
  };
}
