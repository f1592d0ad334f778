// Maintenance mode: while `<app dir>/.maintenance` exists, the app's Caddy
// site answers every request with 503, Retry-After and that page
// (templates/caddy.site.hbs, its `@maintenance` matcher), except the health
// check path and deployer's own check through Caddy (header X-Deployer-Check).
// Caddy looks for the file on each request, so turning the mode on or off is
// writing or removing one file: no reload, no dropped connection, and the site
// a deploy renders is the same either way, so a deploy keeps the mode as it
// found it. The file is the mode's record (`status` reads it), written whole
// (temp + rename) and logged in the history. Pure.
import type { Config, HostConfig } from '../config/types.js';
import { ConfigError, StateError } from '../errors.js';
import type { ReleasePlace } from './deployInput.js';
import { layoutFor, MAINTENANCE_FILE, type Layout } from './layout.js';
import { historyLine } from './records.js';
import type { RemoteState } from '../remote/state.js';
import type { ScriptSpec, Step } from '../remote/steps.js';

/** The Retry-After of the maintenance answer, in seconds. */
export const MAINTENANCE_RETRY_AFTER_SEC = 300;
/** The largest page `--page` takes: it travels as one argument of the phase script. */
export const MAINTENANCE_PAGE_LIMIT = 64 * 1024;

/** Turning the mode on: the page, and what the history says of it. */
export interface MaintenanceOn {
  page: string;
  /** For the history: the message, or the page file's name. */
  note: string;
}

export interface Who {
  time: string;
  by: string;
}

/** The site installed on the host serves the mode (a site rendered by an older template does not). */
export function siteServesMaintenance(site: string | undefined): boolean {
  return site !== undefined && site.includes(`try_files /${MAINTENANCE_FILE}`) && site.includes('@maintenance');
}

function history(L: Layout, host: string, who: Who, action: string, result: string): Step {
  return { kind: 'append-line', path: L.historyFile, line: historyLine({ ...who, action, host, result }) };
}

export function maintenanceOnSteps(L: Layout, host: string, who: Who, on: MaintenanceOn, action = 'maintenance on'): Step[] {
  return [{ kind: 'write', path: L.maintenanceFile, mode: '0644', content: on.page }, history(L, host, who, action, on.note)];
}

export function maintenanceOffSteps(L: Layout, host: string, who: Who, action = 'maintenance off', result = 'ok'): Step[] {
  return [{ kind: 'remove', paths: [L.maintenanceFile] }, history(L, host, who, action, result)];
}

/** `deployer app maintenance on|off` on one host: the file written or removed, and the history line. */
export function planMaintenance(config: Config, host: HostConfig, state: RemoteState, on: MaintenanceOn | undefined, who: Who): ScriptSpec {
  const L = layoutFor(config);
  if (!config.webserver.enabled)
    throw new ConfigError(`${config.file}: maintenance mode needs the Caddy site, and webserver.enabled is false`, {
      hint: 'set [webserver] enabled = true, or take the app down with `deployer app stop`',
    });
  if (on && !siteServesMaintenance(state.caddySite))
    throw new StateError(
      state.caddySite === undefined
        ? `${host.name}: ${config.appName} has no Caddy site on this host yet`
        : `${host.name}: the Caddy site of ${config.appName} has no maintenance block (it was rendered by an older deployer, or from an older copy of caddy.site.hbs in .deployer/)`,
      {
        hint:
          state.caddySite === undefined
            ? 'deploy first: `deployer deploy`'
            : 'deploy once with this deployer (after `deployer templates export caddy.site.hbs --force` if you keep your own copy, re-applying your edits)',
      },
    );
  return {
    phaseLock: L.phaseLockFile,
    steps: on ? maintenanceOnSteps(L, host.name, who, on) : maintenanceOffSteps(L, host.name, who),
  };
}

/**
 * `deploy --maintenance`: on before release_command (the first of the release
 * hooks), off once the new release is live or the old one is back (the
 * commit, the rollback, and a failed prepare or switch). Already on when the
 * deploy found it: it stays on (a deploy keeps the mode as it found it).
 */
export function planDeployMaintenance(p: ReleasePlace): { on: Step[]; off: Step[] } {
  if (!p.maintenance || p.state.maintenance) return { on: [], off: [] };
  const who = { time: p.time, by: p.by };
  return {
    on: maintenanceOnSteps(p.L, p.host.name, who, p.maintenance, `${p.action} --maintenance`),
    off: maintenanceOffSteps(p.L, p.host.name, who, `${p.action} --maintenance`, 'maintenance off'),
  };
}

/** The spec with `off` run at its end whichever way it ends: the steps failing, the commit or the rollback. */
export function withMaintenanceOff(spec: ScriptSpec, off: Step[]): ScriptSpec {
  if (!off.length) return spec;
  return {
    ...spec,
    onFail: [...(spec.onFail ?? []), ...off],
    verdict: spec.verdict && { ...spec.verdict, commit: [...spec.verdict.commit, ...off], rollback: [...spec.verdict.rollback, ...off] },
  };
}
