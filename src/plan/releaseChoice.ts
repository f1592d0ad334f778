// Which release directory a deploy uses on a host, and whether the deploy
// would change anything there at all: decided from the probed state before
// anything is planned. Pure.
import { diffSwitch } from './activate.js';
import type { HostDeployPlan } from './planDeploy.js';
import { UNITS_PREFIX, type DeployPlanInput, type ReleaseFile } from './deployInput.js';
import { installStamp, sha256 } from './install.js';
import type { ReleaseSwitchFiles, RemoteState } from '../remote/state.js';
import { idleSlot, slotSitePath, type Slot } from './slots.js';

/**
 * True when a deploy would change nothing on the host: the same release is
 * live and good, every file is already there, units and site are the same and
 * its services run. Then nothing is restarted ("do only what changed").
 */
export function isNoop(plan: HostDeployPlan, state: RemoteState): boolean {
  const s = plan.summary;
  return (
    state.current === plan.version &&
    state.versions.find((r) => r.version === plan.version)?.status === 'good' &&
    plan.uploads.length === 0 &&
    s.copied.length === 0 &&
    s.installSkipped &&
    s.unitsChanged.length === 0 &&
    s.unitsRemoved.length === 0 &&
    !s.caddyChanged &&
    (state.inactive ?? []).length === 0
  );
}

/** Why a deploy uses another release directory than `v<version>` (for the line that says so). */
export type ReleaseChoice =
  /** v<version> is live and would change. */
  | 'live-changed'
  /** v<version> has been live (it has a record) and would change; the live release is another one. */
  | 'recorded-changed'
  /** The live release is a `v<version>_<n>` this deploy would not change: it stays as it is. */
  | 'live-sibling';

/**
 * The release id a deploy uses. A release directory that has been live (it
 * has a record in .versions, whatever its status) is never rewritten: each
 * release keeps the .env and units it ran with, so `rollback --to` brings
 * them back. So `v<version>` is used when it is new, half-made (no record: an
 * interrupted deploy is resumed), or identical to this deploy (switched back
 * to as it is); when the live release is a `v<version>_<n>` identical to this
 * deploy, that one (nothing changes); otherwise a new `v<version>_<n>`. The
 * state is re-read for the chosen directory: the probe listed the files of
 * `v<version>` and of the live release.
 */
export function chooseRelease(input: DeployPlanInput): { release: string; state: RemoteState; why?: ReleaseChoice } {
  const { state, version } = input;
  if (state.current === version) {
    if (liveReleaseUnchanged(withSlotSite(input, state.liveSlot ?? 'a'))) return { release: version, state };
    return { release: newSibling(state, version), state: asSiblingOfLive(state), why: 'live-changed' };
  }
  const recorded = state.versions.some((r) => r.version === version);
  // Not live: a blue-green deploy starts it in the idle slot, whose site it would hold.
  const idle = withSlotSite(input, idleSlot(state.liveSlot));
  if (!state.releases.includes(version) || !recorded || sameRelease(idle, state.releaseFiles)) return { release: version, state };
  const live = state.current;
  if (live && isSibling(live, version)) {
    // The probe listed the live release's files as currentFiles: they are the target's if it is the live one.
    const asLive = { ...input, version: live, state: { ...state, releaseFiles: state.currentFiles ?? {}, currentFiles: {} } };
    if (liveReleaseUnchanged(withSlotSite(asLive, state.liveSlot ?? 'a')))
      return { release: live, state: asLive.state, why: 'live-sibling' };
  }
  return { release: newSibling(state, version), state: { ...state, releaseFiles: {} }, why: 'recorded-changed' };
}

/** What planHosts says when the deploy does not use `v<version>` (undefined: it does). */
export function releaseChoiceLine(version: string, chosen: { release: string; why?: ReleaseChoice }): string | undefined {
  switch (chosen.why) {
    case 'live-changed':
      return `${version} is live and would change: deploying it as release ${chosen.release}, so the live one stays intact to go back to`;
    case 'recorded-changed':
      return `release ${version} has been deployed before and would change: deploying as release ${chosen.release}, so ${version} keeps the .env and units it ran with (rollback --to ${version} brings them back)`;
    case 'live-sibling':
      return `${version} is live as release ${chosen.release}, which this deploy would not change`;
    default:
      return undefined;
  }
}

/** `v<version>_<n>` with the first n from 2 that has no directory and no record. */
function newSibling(state: RemoteState, version: string): string {
  const taken = new Set([...state.releases, ...state.versions.map((r) => r.version)]);
  let n = 2;
  while (taken.has(`${version}_${n}`)) n++;
  return `${version}_${n}`;
}

/** `release` is `version` deployed again with changes: `<version>_<n>`. */
function isSibling(release: string, version: string): boolean {
  return release.startsWith(`${version}_`) && /^[0-9]+$/.test(release.slice(version.length + 1));
}

/**
 * A release dir holding `files` is this deploy's release as it is: every
 * file the same and installed from the same artifact. Files the release made
 * itself (statics written by release_command) do not count.
 */
function sameRelease(input: DeployPlanInput, files: Record<string, string>): boolean {
  return (
    input.files.every((f) => files[f.path] === f.sha256) && files['.deployer/installed'] === sha256(installStamp(input.files, input.config))
  );
}

/**
 * The state as a new release dir beside the live one sees it: nothing of it
 * is on the host yet, and the files the probe listed for `version` (the live
 * release's) are the live files to copy from.
 */
function asSiblingOfLive(state: RemoteState): RemoteState {
  return { ...state, releaseFiles: {}, currentFiles: state.releaseFiles };
}

/**
 * isNoop's question for the live version, answered from the inputs without
 * planning, except for its services: stopped ones are started again in place
 * (src/plan/heal.ts), not by a new release.
 */
export function liveReleaseUnchanged(input: DeployPlanInput): boolean {
  const { state, config } = input;
  const diff = diffSwitch({ units: state.units, caddySite: state.caddySite }, switchFilesOf(input.files));
  return (
    state.versions.find((r) => r.version === input.version)?.status === 'good' &&
    input.files.every((f) => state.releaseFiles[f.path] === f.sha256) &&
    state.releaseFiles['.deployer/installed'] === sha256(installStamp(input.files, config)) &&
    diff.unitsChanged.length === 0 &&
    diff.unitsRemoved.length === 0 &&
    diff.caddy !== 'install'
  );
}

/** What a release's switch installs, from its release files. */
export function switchFilesOf(files: ReleaseFile[]): ReleaseSwitchFiles {
  const units = Object.fromEntries(
    files.filter((f) => f.path.startsWith(UNITS_PREFIX)).map((f) => [f.path.slice(UNITS_PREFIX.length), f.content ?? '']),
  );
  return {
    units,
    caddySite: files.find((f) => f.path === '.deployer/caddy.site')?.content,
    instances: files.find((f) => f.path === '.deployer/instances')?.content,
  };
}

/**
 * Blue-green: the release's `.deployer/caddy.site` is the site of the slot it
 * serves from (the files carry one per slot). Other configs: unchanged.
 */
export function withSlotSite(input: DeployPlanInput, slot: Slot): DeployPlanInput {
  const slotSite = input.files.find((f) => f.path === slotSitePath(slot));
  if (!slotSite) return input;
  return {
    ...input,
    files: input.files.map((f) => (f.path === '.deployer/caddy.site' ? { ...slotSite, path: f.path, label: f.label } : f)),
  };
}

/** The slot a deploy starts its release in: the live one when nothing would change (a no-op), else the idle one. */
export function deploySlot(input: DeployPlanInput): Slot {
  const live = input.state.liveSlot;
  if (live && input.state.current === input.version && liveReleaseUnchanged(withSlotSite(input, live))) return live;
  return idleSlot(live);
}
