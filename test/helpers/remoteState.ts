// Hand-made host state for the tests that plan without a host (the unit
// tests and the fake remote): what the probe reads, and .versions records.
import type { RemoteState } from '../../src/remote/state.js';
import type { ReleaseRecord } from '../../src/plan/versions.js';

/** What the probe reads from a host that has nothing of the app yet. */
export function freshState(over: Partial<RemoteState> = {}): RemoteState {
  return {
    user: 'deploy',
    releases: [],
    versions: [],
    releaseFiles: {},
    units: {},
    caddyImportsSites: true,
    hasUv: false,
    lockHeld: false,
    ...over,
  };
}

/** A .versions record (time, sha and user fixed). */
export const releaseRecord = (version: string, status: ReleaseRecord['status'] = 'good'): ReleaseRecord => ({
  version,
  status,
  time: 't',
  sha: 's',
  by: 'me',
});
