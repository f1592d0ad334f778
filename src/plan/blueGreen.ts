// The blue-green switch (strategy = "blue-green"), as explicit steps: the
// same decisions as activate.ts, reordered so the old web instances serve
// until the new ones have proven themselves. Pure.
//
//   1. new and changed unit files in place (removals wait until traffic moved)
//   2. the release's web instances start in the idle slot, each on its port
//   3. gate: active, never restarted, and the health check passes on each port
//   4. Caddy's site points at the new slot: a graceful reload, never a restart
//   5. units the release no longer has go; `current` flips; workers and timers
//      restart in place (they serve no requests)
//   commit: the new slot is enabled for boot; the old one drains, then stops
//   revert: the previous release's units and site again (Caddy back on the
//           old slot, which was never stopped), then the new slot stops
import type { Config, HostConfig } from '../config/types.js';
import { healthCheckHost } from '../config/healthHost.js';
import { activateSteps, deactivateSteps, diffSwitch, parseInstances, type Installed, type SwitchTarget } from './activate.js';
import type { Layout } from './layout.js';
import { slotSitePath, type Slot, type WebSlots } from './slots.js';
import type { Step } from './steps.js';

export interface BlueGreenSwitch {
  layout: Layout;
  slots: WebSlots;
  /** The release's directory name (v1.2.3). */
  release: string;
  /** The slot the release starts in (the idle one). */
  slot: Slot;
  /** The slot serving now, when the live release runs blue-green. */
  liveSlot?: Slot;
  drainUnit: string;
  drainSec: number;
  gate: { path: string; status: number; host: string; timeoutSec: number; stableSec: number };
}

/** The host name the gate sends: health_check.host, the site's first domain, else the address it dials. */
export function gateFor(config: Config, host: HostConfig, port: number): BlueGreenSwitch['gate'] {
  const hc = config.healthCheck;
  return {
    path: hc.path ?? '',
    status: hc.status,
    host: healthCheckHost(config, host) ?? `127.0.0.1:${port}`,
    timeoutSec: hc.timeout,
    stableSec: 0.2,
  };
}

export function drainUnitName(config: Pick<Config, 'appName'>): string {
  return `${config.appName}-web-drain`;
}

/** The switch's steps, from what is installed to `target` (whose web instances are not in its instances file). */
export function blueGreenSteps(bg: BlueGreenSwitch, installed: Installed, target: SwitchTarget): Step[] {
  const L = bg.layout;
  const meta = `${L.appDir}/${target.releaseDirName}/.deployer`;
  const diff = diffSwitch(installed, target);
  const units = bg.slots.instances[bg.slot];
  const ports = bg.slots.ports[bg.slot];
  const steps: Step[] = diff.unitsChanged.map((name): Step => ({
    kind: 'install-unit',
    from: `${meta}/units/${name}`,
    unitDir: L.unitDir,
    name,
  }));
  if (diff.unitsChanged.length) steps.push({ kind: 'daemon-reload' });
  steps.push(
    { kind: 'web-start', appDir: L.appDir, release: target.releaseDirName, drainUnit: bg.drainUnit, units, ports },
    { kind: 'web-gate', units, ports, ...bg.gate },
    // The release's caddy.site is the site of the slot it serves from: a
    // later revert to this release, and the probe, read it there.
    {
      kind: 'run',
      argv: ['cp', '--', `${meta}/${slotSitePath(bg.slot).slice('.deployer/'.length)}`, `${meta}/caddy.site`],
      desc: `select the Caddy site for slot ${bg.slot}`,
    },
    { kind: 'install-site', from: `${meta}/caddy.site`, site: L.caddySite },
    { kind: 'reload-caddy' },
  );
  steps.push(...diff.unitsRemoved.map((name): Step => ({ kind: 'remove-unit', unitDir: L.unitDir, name })));
  if (diff.unitsRemoved.length) steps.push({ kind: 'daemon-reload' });
  steps.push({ kind: 'switch-current', appDir: L.appDir, release: target.releaseDirName });
  const { restart, start } = parseInstances(target.instances);
  const templates = Object.keys(target.units)
    .filter((n) => n.endsWith('@.service') && n !== bg.slots.unit)
    .sort();
  if (templates.length) steps.push({ kind: 'stop-unlisted', templates, keep: [...restart, ...start] });
  if (restart.length || start.length) steps.push({ kind: 'start-units', restart, start });
  return steps;
}

/** After the verdict "commit": the new slot is the live one. */
export function blueGreenCommit(bg: BlueGreenSwitch): Step[] {
  const old = bg.liveSlot && bg.liveSlot !== bg.slot ? bg.slots.instances[bg.liveSlot] : [];
  const units = bg.slots.instances[bg.slot];
  return [
    { kind: 'web-commit', drainUnit: bg.drainUnit, drainSec: bg.drainSec, units, old },
    { kind: 'write', path: bg.layout.liveSlotFile, mode: '0644', content: `${bg.slot}\n` },
    // `app status/logs/restart` read the live release's instance lists.
    {
      kind: 'write',
      path: `${bg.layout.appDir}/${bg.release}/.deployer/web-instances`,
      mode: '0644',
      content: units.map((u) => `restart ${u}\n`).join(''),
    },
  ];
}

/**
 * Back to `previous` (or the app taken down when there is none) over what
 * the switch installed: the previous release's units and Caddy site (its old
 * slot never stopped), then the new slot's instances stop. The old slot's
 * web instances are never restarted: activate's "stop unlisted" leaves the
 * web template alone.
 */
export function blueGreenRevert(bg: BlueGreenSwitch, afterSwitch: Installed, previous?: SwitchTarget): Step[] {
  const back = previous ? activateSteps(bg.layout, afterSwitch, previous) : deactivateSteps(bg.layout, afterSwitch);
  const steps = back.flatMap((s): Step[] => {
    if (s.kind !== 'stop-unlisted') return [s];
    const templates = s.templates.filter((t) => t !== bg.slots.unit);
    return templates.length ? [{ ...s, templates }] : [];
  });
  // A restart-strategy web unit reinstalled by the revert starts on slot a's first port; blue-green instances never share it.
  steps.push({ kind: 'web-stop', units: bg.slots.instances[bg.slot] });
  return steps;
}
