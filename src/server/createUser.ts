// `deployer server create-user NAME`, planned (remote/server-create-user.sh): a deploy user that can log in
// with the keys the SSH user logs in with, and has passwordless sudo through
// its own file in /etc/sudoers.d/. Each part is checked before it is done,
// so a second run changes nothing.
import { ConfigError } from '../errors.js';
import { scriptWithArgs } from '../remote/scriptFiles.js';

/** useradd's portable name rule (and short enough for every tool). */
export const USER_NAME_RE = /^[a-z_][a-z0-9_-]{0,31}$/;

export function checkUserName(name: string): string {
  if (!USER_NAME_RE.test(name)) {
    throw new ConfigError(`"${name}" is not a valid user name`, {
      hint: 'use a lowercase letter or _ first, then up to 31 lowercase letters, digits, _ or -, e.g. deploy',
    });
  }
  if (name === 'root')
    throw new ConfigError('root cannot be created: it exists and already has every right', {
      hint: 'pick a name for a deploy user, e.g. deploy',
    });
  return name;
}

/** `/etc/sudoers.d/90-deployer-NAME`: no dot in it, or sudo's includedir would skip it. */
export function sudoersPath(name: string): string {
  return `/etc/sudoers.d/90-deployer-${checkUserName(name)}`;
}

export function sudoersContent(name: string): string {
  return `# Written by deployer server create-user: passwordless sudo for ${name}.\n${checkUserName(name)} ALL=(ALL) NOPASSWD:ALL\n`;
}

/** The script sendScript sends (src/ssh/sendScript.ts): remote/server-prelude.sh and remote/server-create-user.sh with their arguments. */
export function renderCreateUserScript(name: string): string {
  checkUserName(name);
  return scriptWithArgs([name, sudoersPath(name), sudoersContent(name)], 'server-prelude.sh', 'server-create-user.sh');
}
