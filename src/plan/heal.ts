// A deploy of the live release with nothing changed, while some of its
// services are not running (stopped by hand, or failed after systemd gave up
// restarting them): neither "unchanged, nothing to do" nor a new release.
// The stopped units start again in place, as they are: a blue-green web
// instance of the live slot on its own port (its link already points at the
// live release), gated like a new one; Caddy, the slot and the records of
// releases are not touched. If they cannot start, the deploy fails and says
// so: the release stays live, and there is nothing to revert. Pure.
import type { BlueGreenSwitch } from './blueGreen.js';
import type { ReleasePlace } from './deployInput.js';
import type { RecordsPlan } from './records.js';
import { liveReleaseUnchanged } from './releaseChoice.js';
import type { ScriptSpec, Step } from '../remote/steps.js';

export interface HealInput {
  phaseLock: string;
  /** The live release's units that are not active (from the probe). */
  inactive: string[];
  /** Blue-green: the live slot, as a switch into it (its instances, ports and gate). */
  bg?: BlueGreenSwitch;
  timeoutSec: number;
  /** History lines for each outcome. */
  healed: Step[];
  failed: Step[];
}

/** The switch phase of a heal: start the stopped units, gate the web instances, wait for the others. */
export function healSwitch(h: HealInput): ScriptSpec {
  const slot = h.bg ? h.bg.slots.instances[h.bg.slot] : [];
  const web = h.inactive.filter((u) => slot.includes(u));
  const others = h.inactive.filter((u) => !slot.includes(u));
  const steps: Step[] = [{ kind: 'heal-units', units: h.inactive }];
  if (h.bg && web.length) {
    const ports = web.map((u) => h.bg!.slots.ports[h.bg!.slot][slot.indexOf(u)]);
    steps.push({ kind: 'web-gate', units: web, ports, ...h.bg.gate });
  }
  if (others.length) steps.push({ kind: 'wait-units', units: others, timeoutSec: h.timeoutSec, stableSec: 1 });
  return {
    phaseLock: h.phaseLock,
    steps,
    onFail: h.failed,
    verdict: { timeoutSec: h.timeoutSec + 120, commit: h.healed, rollback: h.failed },
  };
}

/**
 * The prepare and switch of a deploy that heals: the live release as it is,
 * with services that are not running (undefined: this deploy is not one).
 */
export function planHeal(
  p: ReleasePlace,
  bg: BlueGreenSwitch | undefined,
  records: RecordsPlan,
): { prepare: ScriptSpec; switch: ScriptSpec } | undefined {
  const inactive = p.state.inactive ?? [];
  if (p.state.current !== p.version || !inactive.length || !liveReleaseUnchanged(p)) return undefined;
  return {
    prepare: { phaseLock: p.L.phaseLockFile, steps: [] },
    switch: healSwitch({
      phaseLock: p.L.phaseLockFile,
      inactive,
      bg,
      timeoutSec: p.config.healthCheck.timeout,
      healed: [records.history(`ok, started ${inactive.join(' ')} again`)],
      failed: [records.history(`failed: ${inactive.join(' ')} did not start again; ${p.version} stays live`)],
    }),
  };
}
