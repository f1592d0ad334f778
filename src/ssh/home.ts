// `~` in paths from deployer.toml and ~/.ssh/config. Its own module, so the
// config lookup (sshConfig.ts) can start `ssh -G` without loading ssh2.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}
