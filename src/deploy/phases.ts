// The phases of a deploy, in the order src/deploy/run.ts calls them. Each
// takes what the previous one produced and either returns the next record or
// throws a typed error saying what state the hosts are in.
import { DeployerError, RemoteCommandError } from '../errors.js';
import { SwitchHandle } from '../exec/remote.js';
import { findArtifact, runLocalCommand } from '../local/build.js';
import { formatBytes } from '../output/reporter.js';
import { parseMarker } from '../remote/protocol.js';
import { chooseRelease, isNoop, noopHistoryLine, planDeploy, releaseChoiceLine } from '../plan/deploy.js';
import { checkUnitsAndSite } from '../plan/ownership.js';
import { lockHost } from './connect.js';
import { checkHealth, readUnitLog } from './health.js';
import { visitSite } from './visit.js';
import { usesBlueGreen } from '../plan/slots.js';
import { mapLimit } from './hosts.js';
import { buildReleaseFiles, portInEnvWarning, resolveHostEnv } from './releaseFiles.js';
import { ambiguousAddress, explainSiteClash } from './siteClash.js';
import type { Connected, Decided, Flow, LocalResult, Locked, Planned, Switched, Verified } from './flow.js';

const NOTHING_SWITCHED = 'No host was switched: every host keeps its current release.';

/**
 * 1–2. Local: pre_build, build_command, the artifact, each host's release
 * files (env, units, site). `dialing` settles once the SSH handshakes have
 * started: with no build to run, the local work (hashing, rendering) waits
 * for that, so it runs while the hosts answer instead of before the first
 * packet goes out.
 */
export async function buildLocally(flow: Flow, signal?: AbortSignal, dialing?: Promise<void>): Promise<LocalResult> {
  const { ctx, config, version, opts } = flow;
  const { reporter } = ctx;
  const builds = opts.action === 'deploy' && Boolean(config.hooks.preBuild || config.buildCommand);
  if (!builds) await dialing;
  // Env first: its secret values must be known to the redactor before any build output is printed.
  const envs = new Map(
    await Promise.all(flow.hosts.map(async (h) => [h.name, await resolveHostEnv(config, h, ctx.env, reporter.redactor)] as const)),
  );
  const port = portInEnvWarning(config, envs);
  if (port) reporter.warn(port);
  if (opts.action === 'deploy') {
    const env = { ...ctx.env, DEPLOYER_VERSION: version };
    const run = (command: string, what: string) =>
      runLocalCommand({ command, what, cwd: config.root, env, timeoutSec: config.buildTimeout, reporter, signal });
    if (config.hooks.preBuild) await run(config.hooks.preBuild, 'pre_build hook');
    if (config.buildCommand) {
      reporter.emit({ type: 'phase', phase: 'build', status: 'start' });
      await run(config.buildCommand, 'build_command');
    }
  }
  const artifact = await findArtifact(config, version);
  const files = new Map(
    await Promise.all(
      flow.hosts.map(
        async (h) =>
          [
            h.name,
            await buildReleaseFiles({ config, host: h, artifact, env: ctx.env, redactor: reporter.redactor, entries: envs.get(h.name) }),
          ] as const,
      ),
    ),
  );
  reporter.emit({
    type: 'phase',
    phase: 'build',
    label: opts.action === 'deploy' ? 'build' : 'local checks',
    status: 'done',
    ms: flow.timings.lap('build'),
    detail: `${artifact.name}, ${formatBytes(artifact.size)}`,
  });
  return { artifact, files };
}

/**
 * 3a. One SSH connection per host (started while the build runs). On any
 * failure the others are closed. `onDial`: a handshake has started.
 */
export async function connectHosts(flow: Flow, onDial?: () => void): Promise<Connected[]> {
  const { ctx, config } = flow;
  const results = await mapLimit(flow.hosts, config.parallel, async (host) => ({ host, remote: await ctx.connect(host, { onDial }) }));
  const connected = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  try {
    throwFirst(flow, results);
  } catch (e) {
    for (const c of connected) c.remote.close();
    throw e;
  }
  ctx.reporter.emit({
    type: 'phase',
    phase: 'connect',
    status: 'done',
    detail: `${connected.length} host${connected.length === 1 ? '' : 's'} reachable`,
  });
  return connected;
}

/** 3b. The app's lock and the host's state, in one channel per host. */
export async function lockHosts(flow: Flow, connected: Connected[], held: Locked[]): Promise<Locked[]> {
  const { ctx, config, opts, version } = flow;
  const results = await mapLimit(connected, config.parallel, async (c) => {
    const { lock } = await lockHost(ctx, config, c.host, c.remote, {
      lock: true,
      create: true,
      ports: true,
      version,
      lockWait: opts.lockWait,
      command: `${opts.action} ${version}`,
    });
    const locked = { ...c, lock };
    held.push(locked);
    return locked;
  });
  throwFirst(flow, results);
  ctx.reporter.emit({ type: 'phase', phase: 'lock', label: 'connect and lock', status: 'done', ms: flow.timings.lap('lock') });
  await ctx.pause('locked');
  return results.map((r) => (r as PromiseFulfilledResult<Locked>).value);
}

/** 4a. What each host needs (pure: src/plan/deploy.ts). */
export function planHosts(flow: Flow, local: LocalResult, locked: Locked[]): Planned[] {
  const { ctx, config, version, opts } = flow;
  return locked.map((l) => {
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
    };
    // Another app's units or site under this app's names: refused before anything changes (exit 4).
    const unitNames = files.filter((f) => f.path.startsWith('.deployer/units/')).map((f) => f.path.slice('.deployer/units/'.length));
    checkUnitsAndSite(
      l.host.name,
      config,
      l.lock.state,
      unitNames,
      files.some((f) => f.path === '.deployer/caddy.site'),
    );
    const chosen = chooseRelease(input);
    const why = releaseChoiceLine(version, chosen);
    if (why) ctx.reporter.info(why, l.host.name);
    const plan = planDeploy({ ...input, version: chosen.release, state: chosen.state });
    const healing = plan.summary.healing ?? [];
    if (healing.length)
      ctx.reporter.warn(
        `${version} is live but ${healing.join(', ')} ${healing.length === 1 ? 'is' : 'are'} not running: starting ${healing.length === 1 ? 'it' : 'them'} again`,
        l.host.name,
      );
    if (plan.unchanged.length)
      ctx.reporter.emit({ type: 'step', host: l.host.name, step: `already on the host: ${plan.unchanged.join(', ')}`, status: 'skipped' });
    return { ...l, plan, uploadedBytes: 0 };
  });
}

export function nothingToDo(planned: Planned[]): boolean {
  return planned.every((p) => isNoop(p.plan, p.lock.state));
}

/** When nothing changed anywhere: one history line per host (through the lock's channel), nothing restarted. */
export async function recordUnchanged(flow: Flow, planned: Planned[]): Promise<Decided[]> {
  const { ctx, config, version, opts } = flow;
  const results = await mapLimit(planned, config.parallel, async (p) => {
    await p.lock.appendHistory(noopHistoryLine({ host: p.host, version, time: flow.time, by: flow.by, action: opts.action }));
    ctx.reporter.emit({
      type: 'phase',
      host: p.host.name,
      phase: 'unchanged',
      label: `${version} is already live`,
      status: 'skipped',
      detail: 'nothing changed: no upload, no install, no restart',
    });
    return { ...p, healthy: true, rolledBack: false };
  });
  throwFirst(flow, results);
  return results.map((r) => (r as PromiseFulfilledResult<Decided>).value);
}

/** 4b. Upload what differs, then the prepare script (install, caddy validate, release_command). Nothing live changes. */
export async function prepareHosts(flow: Flow, planned: Planned[]): Promise<void> {
  const { ctx, config, version } = flow;
  const { reporter } = ctx;
  const uploaded = await mapLimit(planned, config.parallel, async (p) => {
    let paused = false;
    await p.remote.upload(p.plan.uploads, (file, bytes, total) => {
      reporter.emit({ type: 'upload', host: p.host.name, file, bytes, total });
      if (bytes === total) p.uploadedBytes += total;
      if (!paused && bytes > 0 && bytes < total) {
        paused = true;
        void ctx.pause('uploading');
      }
    });
  });
  throwFirst(flow, uploaded, NOTHING_SWITCHED);
  const none = planned.every((p) => p.plan.uploads.length === 0);
  reporter.emit({
    type: 'phase',
    phase: 'upload',
    status: none ? 'skipped' : 'done',
    detail: none ? 'everything already on the hosts' : undefined,
    ms: flow.timings.lap('upload'),
  });
  await ctx.pause('uploaded');

  const prepared = await mapLimit(planned, config.parallel, async (p) => {
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
  });
  throwFirst(flow, prepared, NOTHING_SWITCHED);
  reporter.emit({ type: 'phase', phase: 'prepare', status: 'done', ms: flow.timings.lap('prepare') });
  await ctx.pause('prepared');
}

/** 5. Every host switches (units, `current`, restart, Caddy) and waits for its units; each then waits for the verdict. */
export async function switchHosts(flow: Flow, planned: Planned[]): Promise<Switched[]> {
  const { ctx, config } = flow;
  const switchedAt = ctx.clock.now();
  const results = await mapLimit(planned, config.parallel, async (p) => ({
    ...p,
    switchedAt,
    switch: await p.remote.startSwitch(p.plan.switch),
  }));
  const switched: Switched[] = results.map((r, i) =>
    r.status === 'fulfilled' ? r.value : { ...planned[i], switchedAt, switchError: errorText(r.reason) },
  );
  const allReady = switched.every((s) => s.switch?.ready);
  ctx.reporter.emit({ type: 'phase', phase: 'switch', status: allReady ? 'done' : 'failed', ms: flow.timings.lap('switch') });
  await ctx.pause('switched');
  return switched;
}

/**
 * 5b. The HTTP check of each host whose units came up: the site itself,
 * through Caddy, as a visitor reaches it. Blue-green: the new instances passed
 * their gate on the host before traffic moved; restart: the app's own health
 * check on its port comes first.
 */
export async function verifyHosts(flow: Flow, switched: Switched[]): Promise<Verified[]> {
  const { ctx, config } = flow;
  const results = await mapLimit(switched, config.parallel, async (s): Promise<Verified> => {
    if (!s.switch?.ready) return { ...s, healthy: false };
    const visit = () => visitSite(s.remote, config, s.host, (ms) => ctx.clock.sleep(ms));
    // Restart: the app on its port first (it just restarted), then the site as a visitor reaches it.
    const app = usesBlueGreen(config) ? undefined : await checkHealth(s.remote, config, ctx.clock, s.host);
    const h = app && !app.ok ? app : await visit();
    if (h.ok && h.error) ctx.reporter.info(h.error, s.host.name);
    if (h.ok) return { ...s, healthy: true };
    ctx.reporter.error(`health check failed: ${h.error}`, s.host.name);
    const unitLog = await readUnitLog(s.remote, config, s.host, (ctx.clock.now() - s.switchedAt) / 1000 + 5);
    if (unitLog) ctx.reporter.emit({ type: 'output', host: s.host.name, stream: 'stdout', text: unitLog });
    return { ...s, healthy: false, healthError: `health check failed: ${h.error}`, unitLog };
  });
  const verified = results.map((r, i): Verified =>
    r.status === 'fulfilled' ? r.value : { ...switched[i], healthy: false, healthError: errorText(r.reason) },
  );
  ctx.reporter.emit({
    type: 'phase',
    phase: 'verify',
    status: verified.every((v) => v.healthy) ? 'done' : 'failed',
    ms: flow.timings.lap('verify'),
  });
  await ctx.pause('verified');
  return verified;
}

/** 6. Commit everywhere, or roll back (every host with rollback = "all", else the failed ones). */
export async function decide(flow: Flow, verified: Verified[]): Promise<Decided[]> {
  const { ctx, config } = flow;
  const anyFailed = verified.some((v) => !v.healthy);
  const results = await mapLimit(verified, config.parallel, async (v): Promise<Decided> => {
    if (!v.switch) return { ...v, rolledBack: false };
    const back = !v.healthy || (anyFailed && config.rollback === 'all');
    const result = await v.switch.decide(back ? 'rollback' : 'commit');
    return { ...v, result, rolledBack: SwitchHandle.rolledBack(result) };
  });
  const decided = results.map((r, i): Decided =>
    r.status === 'fulfilled'
      ? r.value
      : { ...verified[i], healthy: false, healthError: verified[i].healthError ?? errorText(r.reason), rolledBack: false },
  );
  const failed = anyFailed || decided.some((d) => !d.healthy);
  ctx.reporter.emit({
    type: 'phase',
    phase: failed ? 'rollback' : 'commit',
    label: failed ? 'roll back' : 'record and prune',
    status: 'done',
    ms: flow.timings.lap(failed ? 'rollback' : 'commit'),
  });
  return decided;
}

export function tail(text: string, n = 20): string {
  return text
    .trim()
    .split('\n')
    .filter((l) => !parseMarker(l))
    .slice(-n)
    .join('\n');
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Throws the first failure of a parallel step (the others are logged), with a note on the hosts' state. */
function throwFirst(flow: Flow, results: PromiseSettledResult<unknown>[], note?: string): void {
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length === 0) return;
  for (const f of failed.slice(1)) flow.ctx.reporter.error(errorText(f.reason));
  const first = failed[0].reason;
  if (first instanceof DeployerError && note) {
    throw new DeployerError(`${first.message}. ${note}`, { exitCode: first.exitCode, hint: first.hint, details: first.details });
  }
  throw first;
}
