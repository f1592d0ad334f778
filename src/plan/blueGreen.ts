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
//
// The first blue-green switch over a release deployed with strategy =
// "restart" finds its web unit, <app>-web.service, serving on slot a's first
// port: that unit is the old slot. It keeps running and installed until the
// commit, which drains it with the old slot and removes its file; a revert
// only points Caddy back at it.
import type { Config, HostConfig } from '../config/types.js';
import { healthCheckHost } from '../config/healthHost.js';
import {
  activateSteps,
  deactivateSteps,
  diffSwitch,
  parseInstances,
  reloadCaddy,
  stopUnlisted,
  type Installed,
  type SwitchTarget,
} from './activate.js';
import type { Layout } from './layout.js';
import type { ReleaseSwitchFiles, RemoteState } from '../remote/state.js';
import { slotSitePath, type Slot, type WebSlots } from './slots.js';
import type { Step } from '../remote/steps.js';

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
  /** The restart-era web unit installed now that the release has not (name -> content): the old slot until the commit. */
  restartWeb?: Record<string, string>;
  /** Instances of the web template the probe found running (after a replicas change, some neither slot names): the commit retires them. */
  running?: string[];
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
    // Long enough to see an app that answers once and exits; traffic waits for it.
    stableSec: 0.1,
  };
}

/** The web unit of strategy = "restart": `<app>-web.service`. */
function restartWebName(slots: WebSlots): string {
  return slots.unit.replace(/@\.service$/, '.service');
}

/** `<app>-web.service` when it is installed (a release deployed by restart serves) and `target` does not have it. */
export function restartEraWeb(slots: WebSlots, installed: Installed, target: ReleaseSwitchFiles): Record<string, string> {
  const name = restartWebName(slots);
  return name in installed.units && !(name in target.units) ? { [name]: installed.units[name] } : {};
}

/** Instances of the web template the probe found not inactive (as `systemctl list-units` lists them without --all). */
export function runningWeb(slots: WebSlots, state: Pick<RemoteState, 'templateInstances'>): string[] {
  const stem = slots.unit.replace(/\.service$/, '');
  return Object.entries(state.templateInstances ?? {})
    .filter(([unit, active]) => unit.startsWith(stem) && unit.endsWith('.service') && active !== 'inactive')
    .map(([unit]) => unit)
    .sort();
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
  // A restart-era web unit no longer installed may still be draining (retired by the commit
  // before): cancelling that drain must not leave it running on slot a's first port.
  const restartName = restartWebName(bg.slots);
  const stale = restartName in installed.units ? [] : [restartName];
  steps.push(
    { kind: 'web-start', appDir: L.appDir, release: target.releaseDirName, drainUnit: bg.drainUnit, units, ports, stale },
    { kind: 'web-gate', units, ports, ...bg.gate },
    // The release's caddy.site is the site of the slot it serves from: a
    // later revert to this release, and the probe, read it there.
    {
      kind: 'run',
      argv: ['cp', '--', `${meta}/${slotSitePath(bg.slot).slice('.deployer/'.length)}`, `${meta}/caddy.site`],
      desc: `select the Caddy site for slot ${bg.slot}`,
    },
    { kind: 'install-site', from: `${meta}/caddy.site`, site: L.caddySite },
    reloadCaddy(L, installed),
  );
  // The restart-era web unit serves until the commit: it is the old slot.
  const removed = diff.unitsRemoved.filter((name) => !(name in (bg.restartWeb ?? {})));
  steps.push(...removed.map((name): Step => ({ kind: 'remove-unit', unitDir: L.unitDir, name })));
  if (removed.length) steps.push({ kind: 'daemon-reload' });
  steps.push({ kind: 'switch-current', appDir: L.appDir, release: target.releaseDirName });
  const { restart, start } = parseInstances(target.instances);
  const templates = Object.keys(target.units)
    .filter((n) => n.endsWith('@.service') && n !== bg.slots.unit)
    .sort();
  if (templates.length) steps.push(stopUnlisted(installed, templates, [...restart, ...start]));
  if (restart.length || start.length) steps.push({ kind: 'start-units', restart, start });
  return steps;
}

/** After the verdict "commit": the new slot is the live one. */
export function blueGreenCommit(bg: BlueGreenSwitch): Step[] {
  const retired = Object.keys(bg.restartWeb ?? {});
  const units = bg.slots.instances[bg.slot];
  const live = bg.liveSlot && bg.liveSlot !== bg.slot ? bg.slots.instances[bg.liveSlot] : [];
  // After a replicas change (3 -> 1) the live instances ran on ports of the old layout, which the old slot as the new config sees it does not all name.
  const strays = (bg.running ?? []).filter((u) => !units.includes(u) && !live.includes(u));
  const old = [...live, ...retired, ...strays];
  return [
    { kind: 'web-commit', drainUnit: bg.drainUnit, drainSec: bg.drainSec, units, old },
    // The restart-era web unit drains with the old slot (above); its file goes now, so it never starts again.
    ...retired.map((name): Step => ({ kind: 'retire-unit', unitDir: bg.layout.unitDir, name })),
    ...(retired.length ? [{ kind: 'daemon-reload' } as const] : []),
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
  // The restart-era web unit was never removed nor stopped: it is still installed, and serves again once Caddy points back at it.
  const kept = bg.restartWeb ?? {};
  const installed: Installed = { ...afterSwitch, units: { ...afterSwitch.units, ...kept } };
  const back = previous ? activateSteps(bg.layout, installed, previous) : deactivateSteps(bg.layout, installed);
  const keptRunning = (u: string) => u in kept;
  // Going back to a release deployed by restart removes the web template: only once Caddy no longer routes to its instances.
  const template = back.find((s) => s.kind === 'remove-unit' && s.name === bg.slots.unit);
  const steps = back.flatMap((s): Step[] => {
    if (s === template) return [];
    if (s.kind === 'start-units') {
      // `start` leaves a running unit alone (and starts it if it died); `restart` would cut its requests.
      return [{ ...s, restart: s.restart.filter((u) => !keptRunning(u)), start: [...s.restart.filter(keptRunning), ...s.start] }];
    }
    if (s.kind !== 'stop-unlisted') return [s];
    const templates = s.templates.filter((t) => t !== bg.slots.unit);
    return templates.length ? [stopUnlisted(installed, templates, s.keep)] : [];
  });
  steps.push({ kind: 'web-stop', units: bg.slots.instances[bg.slot] });
  if (template) steps.push(template, { kind: 'daemon-reload' });
  return steps;
}
