// What the probe's findings mean for a command, decided in the lock phase
// rather than by the executor, which only reports them: an app dir that is
// not this app's is refused, and a lock held by someone else stops the
// command (after --lock-wait, which the host already waited).
import type { Config } from '../config/types.js';
import { LockedError } from '../errors.js';
import { refusedAppDir, type Identity } from '../plan/ownership.js';
import type { RemoteState } from '../remote/state.js';

export interface LockAsked {
  identity: Identity & Pick<Config, 'appName'>;
  appDir: string;
  /** The command asked for the lock (a read-only probe is never refused for a held one). */
  lock: boolean;
}

/** Throws when the state says the command must not go on; returns otherwise. */
export function lockPolicy(host: string, state: RemoteState, asked: LockAsked): void {
  if (state.refused !== undefined) throw refusedAppDir(host, asked.identity, state.refused);
  if (asked.lock && state.lockedBy !== undefined) {
    throw new LockedError(`${host}: ${asked.appDir} is locked by ${state.lockedBy}`, {
      hint: 'wait for that deploy to finish, or pass --lock-wait SECONDS to wait for it; the lock is released by the kernel when its holder exits, so it never goes stale',
    });
  }
}
