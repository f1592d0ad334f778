// The user the app runs as. By default a dedicated system user per app and
// stage, created by the deploy (no login shell, no home, no sudo), so a
// remote-code bug in the web app is not root on the host (the SSH user has
// passwordless sudo). `app_user` names another user explicitly, the SSH user
// included; deployer then neither creates nor removes it.
//
// The dedicated user's comment (GECOS) records whose it is, the same
// identity as the app dir's record: deployer uses, and `down` removes, only a
// user whose comment says it is this app's.
import { createHash } from 'node:crypto';
import type { Config } from '../config/types.js';
import { identityText, type Identity } from './ownership.js';

export interface AppUser {
  name: string;
  /** Created (and removed by `down`) by deployer: the default. */
  dedicated: boolean;
  /** The dedicated user's comment (GECOS), proving it is this app's. */
  comment: string;
}

/** useradd's limit on Debian (and the length `ps` shows whole). */
const MAX_USER = 32;

export function dedicatedUserName(appName: string): string {
  const name = `dp-${appName}`;
  if (name.length <= MAX_USER) return name;
  const hash = createHash('sha256').update(appName).digest('hex').slice(0, 8);
  return `dp-${appName.slice(0, MAX_USER - 12).replace(/-+$/, '')}-${hash}`;
}

/**
 * useradd refuses ':', ',' and '=' in a comment, and apps_dir may hold them:
 * the comment names app and stage, and a hash of the whole identity record.
 */
export function appUserComment(id: Identity): string {
  const hash = createHash('sha256').update(identityText(id)).digest('hex').slice(0, 12);
  return `deployer app user for ${id.app}${id.stage ? ` stage ${id.stage}` : ''} ${hash}`;
}

export function appUserFor(config: Pick<Config, 'app' | 'stage' | 'appsDir' | 'appName' | 'appUser'>): AppUser {
  if (config.appUser) return { name: config.appUser, dedicated: false, comment: '' };
  return { name: dedicatedUserName(config.appName), dedicated: true, comment: appUserComment(config) };
}
