// The switch, as explicit steps. Which units are removed or installed,
// whether systemd reloads, which units restart and whether Caddy changes are
// decided here, once, from what is installed and what the release holds; the
// host only carries the steps out (remote/phase.sh). Pure.
//
// The order is the order of a switch: units in place, the `current` link,
// services restarted, then Caddy. A zero-downtime switch reorders these same
// steps (start the new instances beside the old, wait, point Caddy, stop the
// old) rather than adding a second decision on the host.
import type { Layout } from './layout.js';
import type { Step } from '../remote/steps.js';
import type { ReleaseSwitchFiles, RemoteState } from '../remote/state.js';

/** What the host has in place now: installed unit files and Caddy site, and what the switch decides from. */
export interface Installed {
  units: Record<string, string>;
  caddySite?: string;
  /** Instances of template units systemd has loaded (the probe's list, plus what a switch started): the ones to stop come from here. */
  instances?: string[];
  /** How this host's Caddy takes a reload (absent: systemctl). */
  caddyReload?: CaddyReload;
}

/** Caddy's admin API when the probe found it answering (and the Caddyfile readable), else `systemctl reload caddy`. */
export type CaddyReload = { via: 'admin-api'; address: string } | { via: 'systemctl' };

/** What is installed and loaded on the host, as the probe found it. */
export function installedOn(state: RemoteState): Installed {
  return {
    units: state.units,
    caddySite: state.caddySite,
    instances: Object.keys(state.templateInstances ?? {}).sort(),
    caddyReload: state.caddyAdmin ? { via: 'admin-api', address: state.caddyAdmin } : { via: 'systemctl' },
  };
}

/** What is installed once a switch to `target` ran over `installed`: its units and site; loaded, what was and what it started. */
export function afterSwitchTo(installed: Installed, target: ReleaseSwitchFiles): Installed {
  const instances = [...new Set([...(installed.instances ?? []), ...releaseUnits(target)])].sort();
  return { ...installed, units: target.units, caddySite: target.caddySite, instances };
}

/** The instances of `templates` (x@.service) in `installed` that `keep` does not name: the ones a switch stops. */
export function stopUnlisted(installed: Installed, templates: string[], keep: string[]): Step {
  const of = (unit: string) => templates.some((t) => unit.startsWith(t.replace(/\.service$/, '')) && unit.endsWith('.service'));
  const stop = (installed.instances ?? []).filter((u) => of(u) && !keep.includes(u));
  return { kind: 'stop-unlisted', templates, keep, stop };
}

export function reloadCaddy(L: Layout, installed: Installed): Step {
  const how = installed.caddyReload ?? { via: 'systemctl' };
  return { kind: 'reload-caddy', caddyfile: L.caddyfile, ...how };
}

/** A release to make live: its dir name (v1.0.0) and the files its switch installs. */
export interface SwitchTarget extends ReleaseSwitchFiles {
  releaseDirName: string;
}

export interface SwitchDiff {
  unitsRemoved: string[];
  unitsChanged: string[];
  caddy?: 'install' | 'remove';
}

/** The units of an instances file: services restart, sockets and timers start. */
export function parseInstances(text: string | undefined): { restart: string[]; start: string[] } {
  const restart: string[] = [];
  const start: string[] = [];
  for (const line of (text ?? '').split('\n')) {
    const [action, unit] = line.trim().split(/\s+/);
    if (!unit) continue;
    (action === 'start' ? start : restart).push(unit);
  }
  return { restart, start };
}

export function diffSwitch(installed: Installed, target: ReleaseSwitchFiles): SwitchDiff {
  const unitsRemoved = Object.keys(installed.units)
    .filter((n) => !(n in target.units))
    .sort();
  const unitsChanged = Object.keys(target.units)
    .filter((n) => installed.units[n] !== target.units[n])
    .sort();
  const caddy =
    target.caddySite !== undefined
      ? target.caddySite !== installed.caddySite
        ? 'install'
        : undefined
      : installed.caddySite !== undefined
        ? 'remove'
        : undefined;
  return { unitsRemoved, unitsChanged, caddy };
}

/** The instances a release runs, for waiting on them after the switch. */
export function releaseUnits(target: ReleaseSwitchFiles): string[] {
  const { restart, start } = parseInstances(target.instances);
  return [...restart, ...start];
}

/** Makes `target` live over what is installed: only what differs is touched. */
export function activateSteps(L: Layout, installed: Installed, target: SwitchTarget): Step[] {
  const meta = `${L.appDir}/${target.releaseDirName}/.deployer`;
  const diff = diffSwitch(installed, target);
  // A host that no longer serves the site (web taken off its roles): the site goes first, so Caddy stops
  // sending requests to the web units before they stop, never to a stopped upstream.
  const siteOut: Step[] = diff.caddy === 'remove' ? [{ kind: 'remove-site', site: L.caddySite }, reloadCaddy(L, installed)] : [];
  const steps: Step[] = [
    ...siteOut,
    ...diff.unitsRemoved.map((name): Step => ({ kind: 'remove-unit', unitDir: L.unitDir, name })),
    ...diff.unitsChanged.map((name): Step => ({ kind: 'install-unit', from: `${meta}/units/${name}`, unitDir: L.unitDir, name })),
  ];
  if (diff.unitsRemoved.length || diff.unitsChanged.length) steps.push({ kind: 'daemon-reload' });
  steps.push({ kind: 'switch-current', appDir: L.appDir, release: target.releaseDirName });
  const { restart, start } = parseInstances(target.instances);
  const templates = Object.keys(target.units)
    .filter((n) => n.endsWith('@.service'))
    .sort();
  if (templates.length) steps.push(stopUnlisted(installed, templates, [...restart, ...start]));
  if (restart.length || start.length) steps.push({ kind: 'start-units', restart, start });
  if (diff.caddy === 'install')
    steps.push({ kind: 'install-site', from: `${meta}/caddy.site`, site: L.caddySite }, reloadCaddy(L, installed));
  return steps;
}

/** Takes the app off the host's services: its units stopped and removed, its site removed, no `current`. */
export function deactivateSteps(L: Layout, installed: Installed): Step[] {
  const names = Object.keys(installed.units).sort();
  const steps: Step[] = names.map((name) => ({ kind: 'remove-unit', unitDir: L.unitDir, name }));
  if (names.length) steps.push({ kind: 'daemon-reload' });
  if (installed.caddySite !== undefined) steps.push({ kind: 'remove-site', site: L.caddySite }, reloadCaddy(L, installed));
  steps.push({ kind: 'remove', paths: [L.current] });
  return steps;
}

/** What the switch installs for a release, as the probe read it from the host (or, lacking that, what is installed now). */
export function switchTargetOnHost(
  L: Layout,
  release: string,
  files: Record<string, ReleaseSwitchFiles> | undefined,
  installed: Installed,
): SwitchTarget {
  const found = files?.[release];
  return { releaseDirName: L.releaseDirName(release), ...(found ?? { units: installed.units, caddySite: installed.caddySite }) };
}
