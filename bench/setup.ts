// What the benchmark needs from the machine besides the test hosts.
import { execFileSync } from 'node:child_process';
import { existsSync, statfsSync } from 'node:fs';

export const TIME_BIN = '/usr/bin/time';

/** GNU time (peak RSS as %M); installs the Debian `time` package when missing. False if that fails. */
export function ensureTimeTool(log: (line: string) => void): boolean {
  if (existsSync(TIME_BIN)) return true;
  log('installing the Debian `time` package (for peak RSS)');
  try {
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'time'], { stdio: 'ignore', timeout: 180_000 });
  } catch {
    return false;
  }
  return existsSync(TIME_BIN);
}

export function freeBytes(path: string): number {
  const s = statfsSync(path);
  return s.bavail * s.bsize;
}
