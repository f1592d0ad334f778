// planDeploy: config + what the host has + what we built -> the uploads and
// the two phase scripts for one host. Pure: no I/O, no clock (the caller
// passes the time), so it is tested by comparing data. Each part is planned
// by its own sub-planner, in the order the host runs them:
//   prepare: app home (appHome.ts), uploads, install, site checks, deploy
//            --maintenance on (maintenanceMode.ts), release hooks — nothing
//            live changes but the mode;
//   switch:  activate the release, wait for its services, then the client's
//            verdict: commit (records.ts) or revert (deploySwitch.ts).
import type { SwitchDiff } from './activate.js';
import type { DeployPlanInput } from './deployInput.js';
import { planAppHome } from './appHome.js';
import { releasePlace, type ReleasePlace } from './deployInput.js';
import { planSwitch } from './deploySwitch.js';
import { planHeal } from './heal.js';
import { planInstall, type InstallPlan } from './install.js';
import { planDeployMaintenance, withMaintenanceOff } from './maintenanceMode.js';
import { planRecords } from './records.js';
import { chooseRelease, deploySlot, withSlotSite } from './releaseChoice.js';
import { planReleaseHooks } from './releaseHooks.js';
import type { ScriptSpec } from '../remote/steps.js';
import { planSiteChecks } from './siteChecks.js';
import { webSlots } from './slots.js';
import type { Upload } from '../remote/steps.js';
import { planUploads, type UploadsPlan } from './uploads.js';

export type { ReleaseFile, DeployPlanInput } from './deployInput.js';
export { installStamp, sha256 } from './install.js';
export { historyLine, noopHistoryLine } from './records.js';
export { revertSteps } from './deploySwitch.js';
export { chooseRelease, isNoop, releaseChoiceLine, type ReleaseChoice } from './releaseChoice.js';

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

/** The release a deploy uses on this host (chooseRelease: `why` when it is not v<version>), planned. */
export function planHostDeploy(input: DeployPlanInput): ReturnType<typeof chooseRelease> & { plan: HostDeployPlan } {
  const chosen = chooseRelease(input);
  return { ...chosen, plan: planDeploy({ ...input, version: chosen.release, state: chosen.state }) };
}

/** Plans `input.version`, the release chooseRelease chose. */
export function planDeploy(input: DeployPlanInput): HostDeployPlan {
  const slots = webSlots(input.config);
  const slot = slots ? deploySlot(input) : undefined;
  const p = releasePlace(slot ? withSlotSite(input, slot) : input, slots, slot);
  const files = planUploads(p);
  const install = planInstall(p);
  const hooks = planReleaseHooks(p);
  const records = planRecords(p);
  const sw = planSwitch(p, records, hooks);
  const heal = planHeal(p, sw.bg, records);
  const mm = planDeployMaintenance(p);
  const prepare = [...planAppHome(p), ...files.steps, ...install.steps, ...planSiteChecks(p), ...mm.on, ...hooks.prepare];
  const summary = summarize(p, files, install, sw.diff, heal ? [] : records.prune);
  return {
    host: p.host.name,
    version: p.version,
    releaseDir: p.dir,
    uploads: files.uploads,
    unchanged: files.unchanged,
    prepare: heal?.prepare ?? {
      phaseLock: p.L.phaseLockFile,
      steps: prepare,
      onFail: [...hooks.onFail, ...records.prepareFailed, ...mm.off],
    },
    switch: heal?.switch ?? withMaintenanceOff(sw.spec, mm.off),
    summary: heal ? { ...summary, healing: p.state.inactive } : summary,
  };
}

function summarize(
  p: ReleasePlace,
  files: UploadsPlan,
  install: InstallPlan,
  diff: SwitchDiff,
  prune: string[],
): HostDeployPlan['summary'] {
  return {
    installSkipped: install.skipped,
    venvReused: install.venvReused,
    copied: files.copied,
    unitsChanged: diff.unitsChanged,
    unitsRemoved: diff.unitsRemoved,
    caddyChanged: diff.caddy === 'install',
    previous: p.liveDir ? p.state.current : undefined,
    prune,
  };
}
