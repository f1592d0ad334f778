// Steps 3–4 of a deploy, before anything live changes: connect, lock, plan,
// upload and prepare. Each takes the previous step's records and returns the next.
import { RemoteCommandError, UserAbort } from '../errors.js';
import { maintenancePage } from '../app/maintenance.js';
import { isNoop, noopHistoryLine, planHostDeploy, releaseChoiceLine } from '../plan/planDeploy.js';
import { checkUnitsAndSite } from '../plan/ownership.js';
import { ambiguousAddress, explainSiteClash } from './siteClash.js';
import { tail } from './tail.js';
import { configForHost } from '../config/roles.js';
import type { Connected, Decided, Flow, LocalResult, Locked, Planned } from './flow.js';

const NOTHING_SWITCHED = 'No host was switched: every host keeps its current release.';
const LATER_WAVE = 'The rollout stopped in this wave: its hosts were not switched; the final table shows where each host ended.';

/** 3a. One SSH connection per host (started while the build runs). `onDial`: a handshake has started. */
export async function connectHosts(flow: Flow, onDial?: () => void): Promise<Connected[]> {
  const connected = await flow.run.connect(onDial);
  flow.ctx.reporter.emit({
    type: 'phase',
    phase: 'connect',
    status: 'done',
    detail: `${connected.length} host${connected.length === 1 ? '' : 's'} reachable`,
  });
  return connected;
}

/** 3b. The app's lock and the host's state, in one channel per host. */
export async function lockHosts(flow: Flow): Promise<Locked[]> {
  const { ctx, opts, version } = flow;
  const locked = await flow.run.lock({
    lock: true,
    create: true,
    ports: true,
    version,
    lockWait: opts.lockWait,
    command: `${opts.action} ${version}`,
  });
  ctx.reporter.emit({ type: 'phase', phase: 'lock', label: 'connect and lock', status: 'done', ms: flow.timings.lap('lock') });
  await ctx.pause('locked');
  return locked;
}

const RELOAD_RESETS =
  "net.ipv4.tcp_migrate_req is 0 on this host: each Caddy reload (every switch) may reset a few visitors' new connections; run `deployer server bootstrap` again to set it to 1";

/** 4a. What each host needs (pure: src/plan/planDeploy.ts). */
export function planHosts(flow: Flow, local: LocalResult, locked: Locked[]): Planned[] {
  const { ctx, version, opts } = flow;
  const maintenance = opts.maintenance ? maintenancePage(flow.config, { cwd: ctx.cwd }) : undefined;
  return locked.map((l) => {
    const config = configForHost(flow.config, l.host);
    const files = local.files.get(l.host.name) ?? [];
    const input = {
      config,
      host: l.host,
      version,
      artifact: local.artifact.name,
      files,
      state: l.lock.state,
      time: flow.time,
      by: flow.by,
      action: opts.action,
      maintenance,
    };
    // Another app's units or site under this app's names: refused before anything changes (exit 4).
    const unitNames = files.filter((f) => f.path.startsWith('.deployer/units/')).map((f) => f.path.slice('.deployer/units/'.length));
    const hasSite = files.some((f) => f.path === '.deployer/caddy.site');
    checkUnitsAndSite(l.host.name, config, l.lock.state, unitNames, hasSite);
    const { plan, ...chosen } = planHostDeploy(input);
    const why = releaseChoiceLine(version, chosen);
    if (why) ctx.reporter.info(why, l.host.name);
    const healing = plan.summary.healing ?? [];
    if (healing.length)
      ctx.reporter.warn(
        `${version} is live but ${healing.join(', ')} ${healing.length === 1 ? 'is' : 'are'} not running: starting ${healing.length === 1 ? 'it' : 'them'} again`,
        l.host.name,
      );
    if (plan.unchanged.length)
      ctx.reporter.emit({ type: 'step', host: l.host.name, step: `already on the host: ${plan.unchanged.join(', ')}`, status: 'skipped' });
    if (l.lock.state.reloadResetsQueued && hasSite) ctx.reporter.warn(RELOAD_RESETS, l.host.name);
    return { ...l, plan, uploadedBytes: 0 };
  });
}

export function nothingToDo(planned: Planned[]): boolean {
  return planned.every((p) => isNoop(p.plan, p.lock.state));
}

/** When nothing changed anywhere: one history line per host (through the lock's channel), nothing restarted. */
export async function recordUnchanged(flow: Flow, planned: Planned[]): Promise<Decided[]> {
  const { ctx, config, version, opts } = flow;
  return flow.run.each(planned, async (p) => {
    await p.lock.appendHistory(noopHistoryLine({ host: p.host, version, time: flow.time, by: flow.by, action: opts.action }));
    ctx.reporter.emit({
      type: 'phase',
      host: p.host.name,
      phase: 'unchanged',
      label: `${version} is already live`,
      status: 'skipped',
      detail: 'nothing changed: no upload, no install, no restart',
    });
    // Never switched, so no switch time: nothing reads it of an unchanged host.
    return { ...p, healthy: true, rolledBack: false, endedAt: ctx.clock.now() } as Decided;
  });
}

/** 4b. Upload what differs, then the prepare script (install, caddy validate, release_command). Nothing live changes. */
export async function prepareHosts(flow: Flow, planned: Planned[]): Promise<void> {
  const { ctx, config, version } = flow;
  const { reporter } = ctx;
  // In a rollout's later wave, hosts of earlier waves were switched: "no host was switched" would not be true.
  const note = planned.some((p) => (flow.waveOf?.get(p.host.name) ?? 1) > 1) ? LATER_WAVE : NOTHING_SWITCHED;
  await flow.run.each(
    planned,
    async (p) => {
      flow.touched.add(p.host.name);
      let paused = false;
      await p.remote.upload(p.plan.uploads, (file, bytes, total) => {
        reporter.emit({ type: 'upload', host: p.host.name, file, bytes, total });
        if (bytes === total) p.uploadedBytes += total;
        if (!paused && bytes > 0 && bytes < total) {
          paused = true;
          void ctx.pause('uploading');
        }
      });
    },
    note,
  );
  const none = planned.every((p) => p.plan.uploads.length === 0);
  reporter.emit({
    type: 'phase',
    phase: 'upload',
    status: none ? 'skipped' : 'done',
    detail: none ? 'everything already on the hosts' : undefined,
    ms: flow.timings.lap('upload'),
  });
  await ctx.pause('uploaded');
  goOn(flow);

  await flow.run.each(
    planned,
    async (p) => {
      const res = await p.remote.runScript(p.plan.prepare);
      if (!res.ok) {
        const clash = ambiguousAddress(res.stderr);
        const why = clash === undefined ? undefined : await explainSiteClash(p.remote, config, clash);
        throw new RemoteCommandError(
          `${p.host.name}: ${res.failedStep ?? 'preparing the release'} failed${why ? `: ${why}` : ''}; nothing was switched, the current release keeps serving`,
          res.code,
          res.stderr,
          {
            details: tail(res.stderr) || undefined,
          },
        );
      }
      const sum = p.plan.summary;
      const skipped = (step: string, detail: string) => reporter.emit({ type: 'step', host: p.host.name, step, status: 'skipped', detail });
      if (sum.installSkipped) skipped(`install of ${version}`, 'already installed');
      if (sum.venvReused) skipped('new virtual environment', 'dependencies unchanged: the live one was copied, only the app reinstalled');
      if (sum.copied.length) skipped(`upload of ${sum.copied.join(', ')}`, 'unchanged: copied from the live release on the host');
    },
    note,
  );
  reporter.emit({ type: 'phase', phase: 'prepare', status: 'done', ms: flow.timings.lap('prepare') });
  await ctx.pause('prepared');
}

/** After Ctrl-C (or SIGTERM) no prepare, no switch and no wave starts: what was not reached stays untouched. */
export function goOn(flow: Flow): void {
  if (flow.interrupt?.aborted) throw new UserAbort('interrupted: nothing more was started on the hosts');
}
