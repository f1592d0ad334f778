// The switch phase of a deploy: from what is installed to this release
// (restart, or blue-green for the web process), the wait for its services,
// then the client's verdict: "commit" records it good and prunes; anything
// else (health check failed, client died) makes the previous release live
// again. Pure.
import {
  activateSteps,
  afterSwitchTo,
  deactivateSteps,
  installedOn,
  diffSwitch,
  releaseUnits,
  switchTargetOnHost,
  type Installed,
  type SwitchDiff,
  type SwitchTarget,
} from './activate.js';
import {
  blueGreenCommit,
  blueGreenRevert,
  blueGreenSteps,
  drainUnitName,
  gateFor,
  restartEraWeb,
  runningWeb,
  type BlueGreenSwitch,
} from './blueGreen.js';
import type { ReleasePlace } from './deployInput.js';
import type { Layout } from './layout.js';
import type { RecordsPlan } from './records.js';
import type { HooksPlan } from './releaseHooks.js';
import { switchFilesOf } from './releaseChoice.js';
import type { ScriptSpec } from '../remote/steps.js';
import type { Step } from '../remote/steps.js';

export interface SwitchPlan {
  spec: ScriptSpec;
  diff: SwitchDiff;
  /** Blue-green: the switch of the web slots (heal gates the live slot with it). */
  bg?: BlueGreenSwitch;
}

export function planSwitch(p: ReleasePlace, records: RecordsPlan, hooks: HooksPlan): SwitchPlan {
  const { L, state, config } = p;
  const installed = installedOn(state);
  const target: SwitchTarget = { releaseDirName: L.releaseDirName(p.version), ...switchFilesOf(p.files) };
  const afterSwitch = afterSwitchTo(installed, target);
  // Redeploying the live version in place reverts to itself (its old units).
  const back = state.current ? switchTargetOnHost(L, state.current, state.releaseSwitch, installed) : undefined;
  const bg = blueGreenSwitch(p, installed, target);
  const revert = [...(bg ? blueGreenRevert(bg, afterSwitch, back) : backSteps(L, afterSwitch, back)), ...records.rolledBack];
  const units = releaseUnits(target);
  const timeoutSec = config.healthCheck.timeout;
  const steps: Step[] = [
    ...(bg ? blueGreenSteps(bg, installed, target) : activateSteps(L, installed, target)),
    ...(units.length ? [{ kind: 'wait-units', units, timeoutSec, stableSec: 1 } as const] : []),
  ];
  const commit = [...(bg ? blueGreenCommit(bg) : []), ...records.commit, ...hooks.commit];
  return {
    spec: { phaseLock: L.phaseLockFile, steps, onFail: revert, verdict: { timeoutSec: timeoutSec + 120, commit, rollback: revert } },
    diff: diffSwitch(installed, target),
    bg,
  };
}

/** Blue-green: the release starts in its slot beside the live one (undefined: it deploys by restart). */
function blueGreenSwitch(p: ReleasePlace, installed: Installed, target: SwitchTarget): BlueGreenSwitch | undefined {
  if (!p.slots || !p.slot) return undefined;
  return {
    layout: p.L,
    release: target.releaseDirName,
    slots: p.slots,
    slot: p.slot,
    liveSlot: p.state.liveSlot,
    drainUnit: drainUnitName(p.config),
    drainSec: p.config.drainSeconds,
    restartWeb: restartEraWeb(p.slots, installed, target),
    running: runningWeb(p.slots, p.state),
    gate: gateFor(p.config, p.host, p.slots.ports[p.slot][0]),
  };
}

/** Restart: `target` live again over what the switch installed, or the app taken down when there is none. */
function backSteps(L: Layout, installed: Installed, target: SwitchTarget | undefined): Step[] {
  return target ? activateSteps(L, installed, target) : deactivateSteps(L, installed);
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
  return [
    ...backSteps(L, opts.installed, opts.target),
    { kind: 'write', path: L.versionsFile, mode: '0644', content: opts.versionsText },
    { kind: 'append-line', path: L.historyFile, line: opts.history },
  ];
}
