// planDeploy: config + what the host has + what we built -> the uploads and
// the two phase scripts for one host. Pure: no I/O, no clock (the caller
// passes the time), so it is tested by comparing data.
//
// Phases (each one exec channel):
//   prepare: verify uploads, move them into v<version>/, install (venv or
//            binary) unless already installed, validate the Caddy site, run
//            release_command (the release open to the app user for it), seal
//            the release read-only for the app user — nothing live changes.
//   switch:  activate the release (units, current link, restart, Caddy),
//            wait for its services, then wait for the client's verdict: on
//            "commit" record it good and prune; on anything else (health
//            check failed, client died) activate the previous release again.
import { createHash } from 'node:crypto';
import type { Config, HostConfig } from '../config/types.js';
import { layoutFor, type Layout } from './layout.js';
import {
  activateSteps,
  deactivateSteps,
  diffSwitch,
  releaseUnits,
  switchTargetOnHost,
  type Installed,
  type SwitchTarget,
} from './activate.js';
import { appUserFor } from './appUser.js';
import { ownerLine } from './ownership.js';
import type { ScriptSpec, Step, Upload } from '../remote/steps.js';
import type { ReleaseSwitchFiles, RemoteState } from '../remote/state.js';
import { unitMarker } from './probeRequest.js';
import { formatVersions, recordRelease, selectPrune, type ReleaseRecord, type ReleaseStatus } from './versions.js';
import {
  blueGreenCommit,
  blueGreenRevert,
  blueGreenSteps,
  drainUnitName,
  gateFor,
  restartEraWeb,
  type BlueGreenSwitch,
} from './blueGreen.js';
import { idleSlot, slotSitePath, SLOTS, webSlots, type Slot } from './slots.js';
import { healSwitch } from './heal.js';

export interface ReleaseFile {
  /** Path inside the release dir, e.g. "hello-1.0.whl", ".env", ".deployer/units/x.service". */
  path: string;
  local?: string;
  content?: string;
  sha256: string;
  size: number;
  mode: number;
  secret?: boolean;
  label: string;
}

export interface DeployPlanInput {
  config: Config;
  host: HostConfig;
  version: string;
  /** Basename of the artifact inside the release dir. */
  artifact: string;
  files: ReleaseFile[];
  state: RemoteState;
  /** Time and who, for .versions and the history log. */
  time: string;
  by: string;
  /** Command for the history log: deploy, redeploy. */
  action: string;
}

export interface HostDeployPlan {
  host: string;
  version: string;
  releaseDir: string;
  uploads: Upload[];
  /** Labels of files already on the host with the same sha256. */
  unchanged: string[];
  prepare: ScriptSpec;
  switch: ScriptSpec;
  summary: {
    installSkipped: boolean;
    /** The live release's venv was copied (dependencies unchanged); only the app was reinstalled. */
    venvReused: boolean;
    /** Labels of files copied from the live release on the host instead of uploaded. */
    copied: string[];
    unitsChanged: string[];
    unitsRemoved: string[];
    caddyChanged: boolean;
    previous?: string;
    prune: string[];
    /** The live release's units that were not running and this deploy starts again (nothing else changes). */
    healing?: string[];
  };
}

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** What `.deployer/installed` holds once a release is installed: changes when the install would. */
export function installStamp(files: ReleaseFile[], config: Config): string {
  const relevant = files.filter((f) => f.label === 'artifact' || f.path === 'requirements.txt' || f.path.startsWith('wheels/'));
  const lines = relevant.map((f) => `${f.path} ${f.sha256}`).sort();
  return [`mode ${config.installationMode}`, ...lines].join('\n') + '\n';
}

export function historyLine(entry: {
  time: string;
  by: string;
  action: string;
  host: string;
  from?: string;
  to?: string;
  result: string;
}): string {
  return JSON.stringify(entry);
}

/**
 * Steps that make `target` live again over what the switch installed (or take
 * the app down when there is none), and write the records.
 */
export function revertSteps(opts: {
  layout: Layout;
  installed: Installed;
  target?: SwitchTarget;
  versionsText: string;
  history: string;
}): Step[] {
  const { layout: L } = opts;
  const steps: Step[] = opts.target ? activateSteps(L, opts.installed, opts.target) : deactivateSteps(L, opts.installed);
  steps.push(
    { kind: 'write', path: L.versionsFile, mode: '0644', content: opts.versionsText },
    { kind: 'append-line', path: L.historyFile, line: opts.history },
  );
  return steps;
}

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

/** The record a no-op deploy leaves: one history line. */
export function noopHistoryLine(input: Pick<DeployPlanInput, 'host' | 'version' | 'time' | 'by' | 'action'>): string {
  return historyLine({
    time: input.time,
    by: input.by,
    action: input.action,
    host: input.host.name,
    from: input.version,
    to: input.version,
    result: 'ok, nothing changed',
  });
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
function liveReleaseUnchanged(input: DeployPlanInput): boolean {
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
function switchFilesOf(files: ReleaseFile[]): ReleaseSwitchFiles {
  const units = Object.fromEntries(
    files.filter((f) => f.path.startsWith(UNITS_PREFIX)).map((f) => [f.path.slice(UNITS_PREFIX.length), f.content ?? '']),
  );
  return {
    units,
    caddySite: files.find((f) => f.path === '.deployer/caddy.site')?.content,
    instances: files.find((f) => f.path === '.deployer/instances')?.content,
  };
}

const UNITS_PREFIX = '.deployer/units/';

/**
 * Blue-green: the release's `.deployer/caddy.site` is the site of the slot it
 * serves from (the files carry one per slot). Other configs: unchanged.
 */
function withSlotSite(input: DeployPlanInput, slot: Slot): DeployPlanInput {
  const slotSite = input.files.find((f) => f.path === slotSitePath(slot));
  if (!slotSite) return input;
  return {
    ...input,
    files: input.files.map((f) => (f.path === '.deployer/caddy.site' ? { ...slotSite, path: f.path, label: f.label } : f)),
  };
}

/**
 * Blue-green: the site changes only in which slot it points at. Both slot
 * texts are the live release's, byte for byte, and Caddy runs the live
 * slot's: the candidate is the same site with the other slot's upstream
 * ports, so `caddy validate` (tens of ms on every deploy) would check nothing
 * Caddy has not accepted. The reload still refuses a bad config, and the
 * switch then reverts.
 */
function onlyTheSlotMoves(input: DeployPlanInput, slot: Slot | undefined): boolean {
  const { liveSlot, currentFiles, caddySite, current } = input.state;
  if (!slot || !liveSlot || !currentFiles || current === input.version) return false;
  const texts = SLOTS.map((s) => input.files.find((f) => f.path === slotSitePath(s)));
  if (texts.some((f) => f === undefined || currentFiles[f.path] !== f.sha256)) return false;
  return caddySite !== undefined && texts[SLOTS.indexOf(liveSlot)]?.content === caddySite;
}

/** The slot a deploy starts its release in: the live one when nothing would change (a no-op), else the idle one. */
function deploySlot(input: DeployPlanInput): Slot {
  const live = input.state.liveSlot;
  if (live && input.state.current === input.version && liveReleaseUnchanged(withSlotSite(input, live))) return live;
  return idleSlot(live);
}

export function planDeploy(planInput: DeployPlanInput): HostDeployPlan {
  const slots = webSlots(planInput.config);
  const slot = slots ? deploySlot(planInput) : undefined;
  const input = slot ? withSlotSite(planInput, slot) : planInput;
  const { config, host, version, state } = input;
  const L = layoutFor(config);
  const R = L.releaseDir(version);
  const incoming = L.incomingDir(version);
  const site = L.caddySite;
  const appUser = appUserFor(config);
  const runAs = appUser.name !== host.user ? appUser.name : undefined;

  // Uploads: only files whose sha256 differs from what the release dir holds.
  const uploads: Upload[] = [];
  const unchanged: string[] = [];
  const prepare: Step[] = [];
  // The app's own user (the default) and its data dir come first: the env
  // files are given to its group, the release command may write its data.
  if (appUser.dedicated) prepare.push({ kind: 'ensure-app-user', name: appUser.name, comment: appUser.comment });
  prepare.push({ kind: 'ensure-data-dir', path: L.dataDir, user: appUser.name });
  // Units and site this release installs must be absent or this app's: a
  // hand-made unit of the same name, or another app's, is never replaced.
  const unitNames = input.files.filter((f) => f.path.startsWith('.deployer/units/')).map((f) => f.path.slice('.deployer/units/'.length));
  const hasSite = input.files.some((f) => f.path === '.deployer/caddy.site');
  prepare.push({
    kind: 'check-owned',
    marker: unitMarker(config.appName),
    owner: ownerLine(config),
    unitDir: L.unitDir,
    units: unitNames,
    ...(hasSite ? { site: L.caddySite } : {}),
  });
  const moved = new Set<string>();
  const liveDir = state.current && state.current !== version ? L.releaseDir(state.current) : undefined;
  const copied: string[] = [];
  const copies: string[] = [];
  const mkdirOnce = (dir: string) => {
    if (!moved.has(dir)) {
      prepare.push({ kind: 'mkdir', path: dir });
      moved.add(dir);
    }
  };
  input.files.forEach((f, i) => {
    if (state.releaseFiles[f.path] === f.sha256) {
      unchanged.push(f.label);
      return;
    }
    const dirOf = (p: string) => (p.includes('/') ? `${R}/${p.slice(0, p.lastIndexOf('/'))}` : R);
    if (liveDir && state.currentFiles?.[f.path] === f.sha256) {
      // Same bytes in the live release: a local copy on the host beats an upload (all of them in one `cp`, below).
      copies.push(f.path);
      copied.push(f.label);
      return;
    }
    const remote = `${incoming}/${i}-${f.path.replace(/[^A-Za-z0-9._-]/g, '_')}`;
    uploads.push({
      local: f.local,
      content: f.content,
      secret: f.secret,
      remote,
      sha256: f.sha256,
      size: f.size,
      mode: f.mode,
      label: f.label,
    });
    mkdirOnce(dirOf(f.path));
    prepare.push({ kind: 'verify-sha256', path: remote, sha256: f.sha256 }, { kind: 'move', from: remote, to: `${R}/${f.path}` });
  });
  if (copies.length && liveDir) {
    mkdirOnce(R);
    prepare.push({
      kind: 'run',
      argv: ['dp_copy_files', liveDir, R, ...copies],
      desc: `copy ${copied.length === 1 ? copied[0] : `${copied.length} unchanged files`} from the live release`,
    });
  }
  if (uploads.length) prepare.push({ kind: 'remove', paths: [incoming] });

  // Install, unless this exact artifact (and requirements) is installed already.
  const stamp = installStamp(input.files, config);
  let venvReused = false;
  const installSkipped = state.releaseFiles['.deployer/installed'] === sha256(stamp);
  if (!installSkipped) {
    if (config.installationMode === 'python-package') {
      const venv = `${R}/.venv`;
      const wheels = input.files.some((f) => f.path.startsWith('wheels/'));
      const offline = wheels ? ['--no-index', '--find-links', `${R}/wheels`] : [];
      const hasReq = input.files.some((f) => f.path === 'requirements.txt');
      prepare.push({ kind: 'remove', paths: [venv] });
      // Hot swap: when the dependencies are the live release's, copy its venv
      // and reinstall only the app's wheel instead of building a new one.
      const deps = (files: Record<string, string>) =>
        Object.entries(files)
          .filter(([p]) => p === 'requirements.txt' || p.startsWith('wheels/'))
          .map(([p, h]) => `${p} ${h}`)
          .sort()
          .join('\n');
      const wanted = Object.fromEntries(input.files.map((f) => [f.path, f.sha256]));
      venvReused = Boolean(liveDir && state.currentVenv && deps(wanted) === deps(state.currentFiles ?? {}));
      if (venvReused) {
        prepare.push(
          {
            kind: 'run',
            argv: ['cp', '-a', '--', `${liveDir}/.venv`, venv],
            desc: 'reuse the live virtual environment (dependencies unchanged)',
          },
          {
            kind: 'run',
            argv: ['dp_relocate_venv', `${liveDir}/.venv`, venv],
            desc: 'point the copied virtual environment at its new place',
          },
          {
            kind: 'run',
            argv: [
              `${venv}/bin/python`,
              '-m',
              'pip',
              'install',
              '--quiet',
              '--no-deps',
              '--force-reinstall',
              ...offline,
              `${R}/${input.artifact}`,
            ],
            desc: `install ${input.artifact} (dependencies reused)`,
          },
        );
      } else if (state.hasUv) {
        prepare.push({ kind: 'run', argv: ['uv', 'venv', '--quiet', venv], desc: 'create the virtual environment (uv)' });
        const pip = ['uv', 'pip', 'install', '--quiet', '--python', `${venv}/bin/python`, ...offline];
        if (hasReq) prepare.push({ kind: 'run', argv: [...pip, '-r', `${R}/requirements.txt`], desc: 'install requirements (uv)' });
        prepare.push({ kind: 'run', argv: [...pip, `${R}/${input.artifact}`], desc: `install ${input.artifact} (uv)` });
      } else {
        prepare.push({ kind: 'run', argv: ['python3', '-m', 'venv', venv], desc: 'create the virtual environment' });
        const pip = [`${venv}/bin/python`, '-m', 'pip', 'install', '--quiet', ...offline];
        if (hasReq) prepare.push({ kind: 'run', argv: [...pip, '-r', `${R}/requirements.txt`], desc: 'install requirements' });
        prepare.push({ kind: 'run', argv: [...pip, `${R}/${input.artifact}`], desc: `install ${input.artifact}` });
      }
    } else {
      prepare.push(
        { kind: 'run', argv: ['chmod', '0755', `${R}/${input.artifact}`], desc: 'make the binary executable' },
        { kind: 'symlink', target: input.artifact, path: `${R}/app_binary` },
      );
    }
    prepare.push({ kind: 'write', path: `${L.metaDir(version)}/installed`, mode: '0644', content: stamp });
  }
  const newSite = input.files.find((f) => f.path === '.deployer/caddy.site');
  const caddyChanged = (newSite?.content ?? undefined) !== state.caddySite;
  if (newSite && caddyChanged && !onlyTheSlotMoves(input, slot)) {
    if (!state.caddyImportsSites) {
      prepare.push({
        kind: 'run',
        argv: ['dp_require_caddy_import', L.caddyfile, L.caddySitesDir],
        desc: 'check that Caddy imports the app sites',
      });
    }
    prepare.push({ kind: 'caddy-validate', caddyfile: L.caddyfile, sitesDir: L.caddySitesDir, site, candidate: `${R}/${newSite.path}` });
  }
  // The app runs as another user: its release_command and pre_switch hook
  // may add to the release (collectstatic's static/, built assets) while it
  // is prepared; then it is sealed, read-only for that user (what it added
  // handed to the SSH user), its env files 0640 in the user's group so the
  // services, hooks and `app exec` read them. The running app never writes
  // its own code, and prune and down delete everything in it.
  const appWrites = Boolean(config.releaseCommand || config.hooks.preSwitch);
  if (runAs && appWrites) prepare.push({ kind: 'open-release', dir: R, user: runAs });
  if (config.releaseCommand)
    prepare.push({
      kind: 'app-command',
      command: config.releaseCommand,
      releaseDir: R,
      runAs,
      desc: `release command: ${config.releaseCommand}`,
    });
  if (config.hooks.preSwitch)
    prepare.push({
      kind: 'app-command',
      command: config.hooks.preSwitch,
      releaseDir: R,
      runAs,
      desc: `pre_switch hook: ${config.hooks.preSwitch}`,
    });
  const seal: Step[] = runAs ? [{ kind: 'seal-release', dir: R, user: runAs }] : [];
  prepare.push(...seal);

  // Records for each outcome, computed now so the host only moves them into place.
  const sha = input.files.find((f) => f.label === 'artifact')?.sha256.slice(0, 12) ?? '';
  const record = (status: ReleaseStatus): ReleaseRecord => ({ version, status, time: input.time, sha, by: input.by });
  const previous = state.current && state.current !== version ? state.current : undefined;
  const goodRecords = recordRelease(state.versions, record('good'));
  const failedRecords = recordRelease(state.versions, record('failed'));
  const hist = (result: string) =>
    historyLine({ time: input.time, by: input.by, action: input.action, host: host.name, from: state.current, to: version, result });
  // The switch, decided here: from what is installed to this release; and back.
  const installedNow: Installed = { units: state.units, caddySite: state.caddySite };
  const target: SwitchTarget = { releaseDirName: L.releaseDirName(version), ...switchFilesOf(input.files) };
  const diff = diffSwitch(installedNow, target);
  const afterSwitch: Installed = { units: target.units, caddySite: target.caddySite };
  // Redeploying the live version in place reverts to itself (its old units).
  const revertTarget = state.current ? switchTargetOnHost(L, state.current, state.releaseSwitch, installedNow) : undefined;
  const records = (text: string, line: string): Step[] => [
    { kind: 'write', path: L.versionsFile, mode: '0644', content: text },
    { kind: 'append-line', path: L.historyFile, line },
  ];
  const bg: BlueGreenSwitch | undefined =
    slots && slot
      ? {
          layout: L,
          release: L.releaseDirName(version),
          slots,
          slot,
          liveSlot: state.liveSlot,
          drainUnit: drainUnitName(config),
          drainSec: config.drainSeconds,
          restartWeb: restartEraWeb(slots, installedNow, target),
          gate: gateFor(config, host, slots.ports[slot][0]),
        }
      : undefined;
  const revert = bg
    ? [...blueGreenRevert(bg, afterSwitch, revertTarget), ...records(formatVersions(failedRecords), hist('failed, rolled back'))]
    : revertSteps({
        layout: L,
        installed: afterSwitch,
        target: revertTarget,
        versionsText: formatVersions(failedRecords),
        history: hist('failed, rolled back'),
      });
  const units = releaseUnits(target);

  const prune = selectPrune({
    dirs: [...new Set([...state.releases, version])],
    records: goodRecords,
    current: version,
    keep: config.versionsToKeep,
  });
  // .versions lists the releases that stay on the host.
  const kept = goodRecords.filter((r) => !prune.includes(r.version));
  const commit: Step[] = [
    ...(bg ? blueGreenCommit(bg) : []),
    { kind: 'write', path: L.versionsFile, mode: '0644', content: formatVersions(kept) },
    { kind: 'append-line', path: L.historyFile, line: hist('ok') },
  ];
  if (prune.length) {
    // With sudo when the app has its own user: a release whose prepare was cut short may hold files it made.
    commit.push({ kind: 'remove', paths: prune.map((v) => L.releaseDir(v)), ...(runAs ? { sudo: true } : {}) });
    // `history` lists every prune, the ones a deploy makes too (same record as `deployer prune`).
    const pruned = historyLine({
      time: input.time,
      by: input.by,
      action: 'prune',
      host: host.name,
      from: prune.join(' '),
      result: `removed ${prune.length} (versions_to_keep = ${config.versionsToKeep}, after ${input.action} ${version})`,
    });
    commit.push({ kind: 'append-line', path: L.historyFile, line: pruned });
  }
  if (config.hooks.postDeploy)
    commit.push({
      kind: 'app-command',
      command: config.hooks.postDeploy,
      releaseDir: R,
      runAs,
      desc: `post_deploy hook: ${config.hooks.postDeploy}`,
    });

  const summary: HostDeployPlan['summary'] = {
    installSkipped,
    venvReused,
    copied,
    unitsChanged: diff.unitsChanged,
    unitsRemoved: diff.unitsRemoved,
    caddyChanged: diff.caddy === 'install',
    previous,
    prune,
  };
  const inactive = state.inactive ?? [];
  if (state.current === version && inactive.length && liveReleaseUnchanged(input)) {
    // The live release as it is, with services that are not running: start them again, nothing else.
    const line = (result: string): Step[] => [{ kind: 'append-line', path: L.historyFile, line: hist(result) }];
    return {
      host: host.name,
      version,
      releaseDir: R,
      uploads,
      unchanged,
      prepare: { phaseLock: L.phaseLockFile, steps: [] },
      switch: healSwitch({
        phaseLock: L.phaseLockFile,
        inactive,
        bg,
        timeoutSec: config.healthCheck.timeout,
        healed: line(`ok, started ${inactive.join(' ')} again`),
        failed: line(`failed: ${inactive.join(' ')} did not start again; ${version} stays live`),
      }),
      summary: { ...summary, prune: [], healing: inactive },
    };
  }
  const prepareFailRecords = formatVersions(failedRecords);
  return {
    host: host.name,
    version,
    releaseDir: R,
    uploads,
    unchanged,
    prepare: {
      phaseLock: L.phaseLockFile,
      steps: prepare,
      // Nothing live was touched: just record the failure.
      onFail: [
        // Not left open: nothing of it may go live, and prune deletes it.
        ...(runAs && appWrites ? seal : []),
        { kind: 'write', path: L.versionsFile, mode: '0644', content: prepareFailRecords },
        { kind: 'append-line', path: L.historyFile, line: hist('failed before the switch') },
      ],
    },
    switch: {
      phaseLock: L.phaseLockFile,
      steps: [
        ...(bg ? blueGreenSteps(bg, installedNow, target) : activateSteps(L, installedNow, target)),
        ...(units.length ? [{ kind: 'wait-units', units, timeoutSec: config.healthCheck.timeout, stableSec: 1 } as const] : []),
      ],
      onFail: revert,
      verdict: { timeoutSec: config.healthCheck.timeout + 120, commit, rollback: revert },
    },
    summary,
  };
}
