// Plans for the commands that change a host after a deploy: rollback, prune
// and down. Pure, like planDeploy.
import type { Config, HostConfig } from '../config/types.js';
import { ConfigError, StateError } from '../errors.js';
import { layoutFor } from './layout.js';
import {
  activateSteps,
  afterSwitchTo,
  deactivateSteps,
  installedOn,
  parseInstances,
  releaseUnits,
  switchTargetOnHost,
  type Installed,
  type SwitchTarget,
} from './activate.js';
import { appUserFor } from './appUser.js';
import { revertSteps } from './deploySwitch.js';
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
import { IDENTITY_FILE, identityText, ownerLine } from './ownership.js';
import { historyLine } from './records.js';
import { idleSlot, webSlots } from './slots.js';
import type { ScriptSpec, Step } from '../remote/steps.js';
import type { RemoteState } from '../remote/state.js';
import { unitMarker } from './probeRequest.js';
import { formatVersions, selectPrune, setStatus } from './versions.js';

export interface Who {
  time: string;
  by: string;
}

/** The release `rollback` goes to: --to, or the newest good release older than the current one. */
export function rollbackTarget(state: RemoteState, to: string | undefined, host: HostConfig): string {
  if (to) {
    if (!state.releases.includes(to)) {
      throw new ConfigError(`${host.name}: there is no release ${to} to roll back to`, {
        hint: `releases on the host: ${state.releases.join(', ') || 'none'}`,
      });
    }
    if (to === state.current) throw new ConfigError(`${host.name}: ${to} is already the current release`);
    return to;
  }
  if (!state.current)
    throw new StateError(`${host.name}: nothing is deployed, so there is nothing to roll back`, {
      hint: 'deploy a release first: `deployer deploy`',
    });
  const idx = state.versions.findIndex((r) => r.version === state.current);
  const older = (idx >= 0 ? state.versions.slice(idx + 1) : state.versions).find(
    (r) => r.status === 'good' && r.version !== state.current && state.releases.includes(r.version),
  );
  if (!older) {
    const others = state.releases.filter((r) => r !== state.current);
    throw new StateError(`${host.name}: nothing to roll back to: no good release older than ${state.current} is left on the host`, {
      hint: others.length
        ? `other releases on the host: ${others.join(', ')}; pass --to VERSION to switch to one of them anyway`
        : `${state.current} is the only release on the host; to go back, deploy the version you want`,
    });
  }
  return older.version;
}

/** Switches to `target` (code and its own .env together), health-gated like a deploy. */
export function planRollback(config: Config, host: HostConfig, state: RemoteState, target: string, who: Who): ScriptSpec {
  const L = layoutFor(config);
  const from = state.current;
  const installedNow = installedOn(state);
  const to = switchTargetOnHost(L, target, state.releaseSwitch, installedNow);
  const afterSwitch = afterSwitchTo(installedNow, to);
  const back = from ? switchTargetOnHost(L, from, state.releaseSwitch, installedNow) : undefined;
  const units = releaseUnits(to);
  const hist = (result: string) => historyLine({ ...who, action: 'rollback', host: host.name, from, to: target, result });
  const rolled = from ? setStatus(state.versions, from, 'rolled-back') : state.versions;
  const bg = rollbackBlueGreen(config, host, state, to);
  if (bg) {
    // The site of the slot it starts in is copied into place on the host: its content is not known here, so the revert always reinstalls the old one.
    const after: Installed = { ...afterSwitch, caddySite: '' };
    const records = (text: string, line: string): Step[] => [
      { kind: 'write', path: L.versionsFile, mode: '0644', content: text },
      { kind: 'append-line', path: L.historyFile, line },
    ];
    const failed = formatVersions(setStatus(state.versions, target, 'failed'));
    return {
      phaseLock: L.phaseLockFile,
      steps: [
        ...blueGreenSteps(bg, installedNow, to),
        ...(units.length ? [{ kind: 'wait-units', units, timeoutSec: config.healthCheck.timeout, stableSec: 1 } as const] : []),
      ],
      onFail: [...blueGreenRevert(bg, after, back), ...records(failed, hist('failed, back on ' + (from ?? 'nothing')))],
      verdict: {
        timeoutSec: config.healthCheck.timeout + 120,
        commit: [...blueGreenCommit(bg), ...records(formatVersions(rolled), hist('ok'))],
        rollback: [...blueGreenRevert(bg, after, back), ...records(failed, hist('failed health check, back on ' + (from ?? 'nothing')))],
      },
    };
  }
  return {
    phaseLock: L.phaseLockFile,
    steps: [
      // The release's units and site must be absent or this app's (another app may have taken a name since).
      {
        kind: 'check-owned',
        marker: unitMarker(config.appName),
        owner: ownerLine(config),
        unitDir: L.unitDir,
        units: Object.keys(to.units),
        ...(to.caddySite !== undefined ? { site: L.caddySite } : {}),
      },
      ...activateSteps(L, installedNow, to),
      ...(units.length ? [{ kind: 'wait-units', units, timeoutSec: config.healthCheck.timeout, stableSec: 1 } as const] : []),
    ],
    onFail: revertSteps({
      layout: L,
      installed: afterSwitch,
      target: back,
      versionsText: formatVersions(setStatus(state.versions, target, 'failed')),
      history: hist('failed, back on ' + (from ?? 'nothing')),
    }),
    verdict: {
      timeoutSec: config.healthCheck.timeout + 120,
      commit: [
        { kind: 'write', path: L.versionsFile, mode: '0644', content: formatVersions(rolled) },
        { kind: 'append-line', path: L.historyFile, line: hist('ok') },
      ],
      rollback: revertSteps({
        layout: L,
        installed: afterSwitch,
        target: back,
        versionsText: formatVersions(setStatus(state.versions, target, 'failed')),
        history: hist('failed health check, back on ' + (from ?? 'nothing')),
      }),
    },
  };
}

/**
 * Blue-green applies to a rollback when the config asks for it and the
 * target release was itself deployed blue-green (its web unit runs from the
 * per-port links, and it carries a Caddy site per slot); an older release
 * goes back by restart, as it was deployed. It comes back with as many web
 * instances as it ran with (its `web-instances`), which its Caddy sites,
 * rendered then, name: not the config's replicas of today.
 */
function rollbackBlueGreen(config: Config, host: HostConfig, state: RemoteState, to: SwitchTarget): BlueGreenSwitch | undefined {
  const ran = parseInstances(to.webInstances).restart.length;
  const slots = webSlots(ran > 0 ? withWebReplicas(config, ran) : config);
  if (!slots || !to.units[slots.unit]?.includes(`${layoutFor(config).webDir}/%i`)) return undefined;
  const slot = idleSlot(state.liveSlot);
  return {
    layout: layoutFor(config),
    release: to.releaseDirName,
    slots,
    slot,
    liveSlot: state.liveSlot,
    drainUnit: drainUnitName(config),
    drainSec: config.drainSeconds,
    restartWeb: restartEraWeb(slots, { units: state.units }, to),
    running: runningWeb(slots, state),
    gate: gateFor(config, host, slots.ports[slot][0]),
  };
}

function withWebReplicas(config: Config, replicas: number): Config {
  return { ...config, processes: config.processes.map((p) => (p.name === 'web' ? { ...p, replicas } : p)) };
}

export function planPrune(
  config: Config,
  host: HostConfig,
  state: RemoteState,
  keep: number,
  who: Who,
): { remove: string[]; script: ScriptSpec } {
  const L = layoutFor(config);
  const remove = selectPrune({ dirs: state.releases, records: state.versions, current: state.current, keep });
  const steps: Step[] = [];
  if (remove.length) {
    // With sudo when the app has its own user: a release whose prepare was cut short may hold files it made.
    const sudo = appUserFor(config).name !== host.user;
    steps.push({ kind: 'remove', paths: remove.map((v) => L.releaseDir(v)), ...(sudo ? { sudo } : {}) });
    const kept = state.versions.filter((r) => !remove.includes(r.version));
    steps.push({ kind: 'write', path: L.versionsFile, mode: '0644', content: formatVersions(kept) });
  }
  steps.push({
    kind: 'append-line',
    path: L.historyFile,
    line: historyLine({
      ...who,
      action: 'prune',
      host: host.name,
      from: remove.join(' ') || undefined,
      result: remove.length ? `removed ${remove.length}` : 'nothing to remove',
    }),
  });
  return { remove, script: { phaseLock: L.phaseLockFile, steps } };
}

/**
 * Removes everything of this app (units, Caddy site, app dir, its dedicated
 * user) and nothing of any other: the probe reports only units and a site
 * with this app's marker and no other app's owner line, the app dir goes only
 * when its identity record is this app's (checked again on the host, right
 * before the rm), the user only when its comment says deployer created it for
 * this app.
 */
export function planDown(config: Config, host: HostConfig, state: RemoteState, who: Who): ScriptSpec {
  const L = layoutFor(config);
  const user = appUserFor(config);
  return {
    phaseLock: L.phaseLockFile,
    steps: [
      ...deactivateSteps(L, installedOn(state)),
      { kind: 'remove-app-dir', appDir: L.appDir, identityFile: IDENTITY_FILE, identity: identityText(config) },
      ...(user.dedicated ? [{ kind: 'remove-app-user' as const, name: user.name, comment: user.comment }] : []),
      {
        kind: 'append-line',
        path: L.historyFile,
        line: historyLine({ ...who, action: 'down', host: host.name, from: state.current, result: 'removed' }),
      },
    ],
  };
}
