// `deployer deploy` (and `redeploy`): the whole flow across hosts.
//   local:   config, version, build, artifact, env + secrets, rendered units
//   connect: one SSH connection per host, lock + state in one channel
//   prepare: upload what differs, install, release_command  (every host)
//   switch:  activate + wait for units                       (every host)
//   verify:  HTTP health check through the connection
//   decide:  commit everywhere, or roll back (all hosts, or the failed ones)
import type { Config } from '../config/types.js';
import { checkUnitsAndSite } from '../plan/ownership.js';
import type { Context } from '../context.js';
import { DeployerError, RemoteCommandError, UnhealthyError } from '../errors.js';
import { pausePoint, SwitchHandle, type Lock, type RemoteHost, type ScriptResult } from '../exec/remote.js';
import { formatBytes, formatMs } from '../output/reporter.js';
import { chooseRelease, isNoop, noopScript, planDeploy, type HostDeployPlan } from '../plan/deploy.js';
import { hasMarker, Marker, parseMarker } from '../remote/protocol.js';
import type { SshSession } from '../ssh/session.js';
import { findArtifact, runLocalCommand, type Artifact } from '../local/build.js';
import { loadDeployConfig } from './load.js';
import { buildReleaseFiles, resolveHostEnv } from './releaseFiles.js';
import { mapLimit, selectHosts } from './hosts.js';
import { connectHost, whoIsAsking } from './connect.js';
import { checkHealth } from './health.js';
import { describeInterruption, watchInterrupt } from './interrupt.js';
import { writeFailureSummary, writeStepSummary } from './summary.js';

export interface DeployOptions {
  action: 'deploy' | 'redeploy';
  lockWait: number;
  timings: boolean;
}

interface HostRun {
  name: string;
  session: SshSession;
  remote: RemoteHost;
  lock: Lock;
  plan?: HostDeployPlan;
  switchHandle?: SwitchHandle;
  healthy?: boolean;
  healthError?: string;
  result?: ScriptResult;
  uploadedBytes: number;
}

class Timings {
  readonly phases: Array<[string, number]> = [];
  private t = performance.now();
  lap(name: string): number {
    const now = performance.now();
    const ms = now - this.t;
    this.phases.push([name, ms]);
    this.t = now;
    return ms;
  }
}

export async function runDeploy(ctx: Context, opts: DeployOptions): Promise<void> {
  const loaded = loadDeployConfig(ctx);
  const outcome = { summarised: false };
  const hostNames = () => selectHosts(loaded.config, ctx.global.host).map((h) => h.name);
  const ctrlC = watchInterrupt(process, () => describeInterruption(ctx.reporter.events, hostNames(), loaded.version));
  try {
    await Promise.race([deployLoaded(ctx, opts, loaded, outcome), ctrlC.interrupted]);
  } catch (e) {
    // A deploy that stopped before the per-host verdict (build, SSH, lock,
    // prepare) still leaves its reason on the CI job's page.
    if (!outcome.summarised) {
      const { redactor } = ctx.reporter;
      const message = e instanceof Error ? e.message : String(e);
      const hint = e instanceof DeployerError && e.hint ? redactor.redact(e.hint) : undefined;
      try {
        writeFailureSummary(ctx.env, loaded.config.appName, loaded.version, redactor.redact(message), hint);
      } catch {
        // An unwritable summary file must not hide why the deploy failed.
      }
    }
    throw e;
  } finally {
    ctrlC.dispose();
  }
}

async function deployLoaded(ctx: Context, opts: DeployOptions, { config, version }: { config: Config; version: string }, outcome: { summarised: boolean }): Promise<void> {
  const { reporter } = ctx;
  const timings = new Timings();
  const hosts = selectHosts(config, ctx.global.host);
  reporter.info(`${opts.action === 'redeploy' ? 'Redeploying' : 'Deploying'} ${config.appName} ${version} to ${hosts.map((h) => h.name).join(', ')}`);

  // --- local phase ---------------------------------------------------------
  // Env first: its secret values must be known to the redactor before any build output is printed.
  const envs = new Map(await Promise.all(hosts.map(async (h) => [h.name, await resolveHostEnv(config, h, ctx.env, reporter.redactor)] as const)));
  if (opts.action === 'deploy') {
    const localEnv = { ...ctx.env, DEPLOYER_VERSION: version };
    if (config.hooks.preBuild) await runLocalCommand({ command: config.hooks.preBuild, what: 'pre_build hook', cwd: config.root, env: localEnv, timeoutSec: config.buildTimeout, reporter });
    if (config.buildCommand) {
      reporter.emit({ type: 'phase', phase: 'build', status: 'start' });
      await runLocalCommand({ command: config.buildCommand, what: 'build_command', cwd: config.root, env: localEnv, timeoutSec: config.buildTimeout, reporter });
    }
  }
  const artifact: Artifact = await findArtifact(config, version);
  const files = new Map(await Promise.all(hosts.map(async (h) => [h.name, await buildReleaseFiles({ config, host: h, artifact, env: ctx.env, redactor: reporter.redactor, entries: envs.get(h.name) })] as const)));
  reporter.emit({ type: 'phase', phase: opts.action === 'deploy' ? 'build' : 'local checks', status: 'done', ms: timings.lap('build'), detail: `${artifact.name}, ${formatBytes(artifact.size)}` });

  // --- connect and lock ------------------------------------------------------
  const by = whoIsAsking(ctx);
  const runs: HostRun[] = [];
  const cleanup = () => {
    for (const r of runs) {
      r.lock.release();
      r.session.close();
    }
  };
  try {
    const connected = await mapLimit(hosts, config.parallel, async (host) => {
      const { handle, lock } = await connectHost(ctx, config, host, { lock: true, create: true, version, lockWait: opts.lockWait, command: `${opts.action} ${version}` });
      const run: HostRun = { name: host.name, session: handle.session, remote: handle.remote, lock, uploadedBytes: 0 };
      runs.push(run);
      return run;
    });
    throwFirst(connected);
    reporter.emit({ type: 'phase', phase: 'connect and lock', status: 'done', ms: timings.lap('connect') });
    await pausePoint('locked', ctx.env, reporter);

    // --- plan, upload, prepare (every host; nothing live changes) -----------
    const time = new Date().toISOString();
    for (const r of runs) {
      const host = hosts.find((h) => h.name === r.name)!;
      const input = { config, host, version, artifact: artifact.name, files: files.get(r.name)!, state: r.lock.state, time, by, action: opts.action };
      const unitNames = input.files.filter((f) => f.path.startsWith('.deployer/units/')).map((f) => f.path.slice('.deployer/units/'.length));
      checkUnitsAndSite(r.name, config, r.lock.state, unitNames, input.files.some((f) => f.path === '.deployer/caddy.site'));
      const chosen = chooseRelease(input);
      if (chosen.release !== version) reporter.info(`${version} is live and would change: deploying it as release ${chosen.release}, so the live one stays intact to go back to`, r.name);
      r.plan = planDeploy({ ...input, version: chosen.release, state: chosen.state });
      if (r.plan.unchanged.length) reporter.emit({ type: 'step', host: r.name, step: `already on the host: ${r.plan.unchanged.join(', ')}`, status: 'skipped' });
    }
    // Nothing to do anywhere: record it and stop, restarting nothing.
    if (runs.every((r) => isNoop(r.plan!, r.lock.state))) {
      const noop = await mapLimit(runs, config.parallel, async (r) => {
        const res = await r.remote.runScript(noopScript({ config, host: hosts.find((h) => h.name === r.name)!, version, time, by, action: opts.action }));
        if (!res.ok) throw new RemoteCommandError(`${r.name}: recording the deploy failed`, res.code, res.stderr);
        r.healthy = true;
        reporter.emit({ type: 'phase', host: r.name, phase: `${version} is already live`, status: 'skipped', detail: 'nothing changed: no upload, no install, no restart' });
      });
      throwFirst(noop);
      const summary = runs.map((r) => hostSummary(r));
      reporter.emit({ type: 'result', command: opts.action, ok: true, data: { app: config.appName, version, unchanged: true, hosts: summary } });
      writeStepSummary(ctx.env, config, version, summary, true);
      return;
    }
    const uploaded = await mapLimit(runs, config.parallel, async (r) => {
      let paused = false;
      await r.remote.upload(r.plan!.uploads, (label, bytes, total) => {
        reporter.emit({ type: 'upload', host: r.name, file: label, bytes, total });
        if (bytes === total) r.uploadedBytes += total;
        if (!paused && bytes > 0 && bytes < total && ctx.env.DEPLOYER_TEST_PAUSE_AT === 'uploading') {
          paused = true;
          void pausePoint('uploading', ctx.env, reporter);
        }
      });
    });
    throwFirst(uploaded);
    if (runs.every((r) => r.plan!.uploads.length === 0)) reporter.emit({ type: 'phase', phase: 'upload', status: 'skipped', detail: 'everything already on the hosts', ms: timings.lap('upload') });
    else reporter.emit({ type: 'phase', phase: 'upload', status: 'done', ms: timings.lap('upload') });
    await pausePoint('uploaded', ctx.env, reporter);

    const prepared = await mapLimit(runs, config.parallel, async (r) => {
      const res = await r.remote.runScript(r.plan!.prepare);
      if (!res.ok) {
        throw new RemoteCommandError(`${r.name}: ${res.failedStep ?? 'preparing the release'} failed; nothing was switched, the current release keeps serving`, res.code, res.stderr, {
          details: tail(res.stderr) || undefined,
        });
      }
      const sum = r.plan!.summary;
      if (sum.installSkipped) reporter.emit({ type: 'step', host: r.name, step: `install of ${version}`, status: 'skipped', detail: 'already installed' });
      if (sum.venvReused) reporter.emit({ type: 'step', host: r.name, step: 'new virtual environment', status: 'skipped', detail: 'dependencies unchanged: the live one was copied, only the app reinstalled' });
      if (sum.copied.length) reporter.emit({ type: 'step', host: r.name, step: `upload of ${sum.copied.join(', ')}`, status: 'skipped', detail: 'unchanged: copied from the live release on the host' });
    });
    throwFirst(prepared, 'No host was switched: every host keeps its current release.');
    reporter.emit({ type: 'phase', phase: 'prepare', status: 'done', ms: timings.lap('prepare') });
    await pausePoint('prepared', ctx.env, reporter);

    // --- switch (every host), then verify ------------------------------------
    await mapLimit(runs, config.parallel, async (r) => {
      r.switchHandle = await r.remote.startSwitch(r.plan!.switch);
    });
    reporter.emit({ type: 'phase', phase: 'switch', status: runs.every((r) => r.switchHandle?.ready) ? 'done' : 'failed', ms: timings.lap('switch') });
    await pausePoint('switched', ctx.env, reporter);

    await mapLimit(runs, config.parallel, async (r) => {
      if (!r.switchHandle?.ready) {
        r.healthy = false;
        return;
      }
      const h = await checkHealth(r.session, config);
      r.healthy = h.ok;
      r.healthError = h.error;
      if (!h.ok) reporter.error(`health check failed: ${h.error}`, r.name);
    });
    reporter.emit({ type: 'phase', phase: 'verify', status: runs.every((r) => r.healthy) ? 'done' : 'failed', ms: timings.lap('verify') });
    await pausePoint('verified', ctx.env, reporter);

    // --- decide ---------------------------------------------------------------
    const anyFailed = runs.some((r) => !r.healthy);
    await mapLimit(runs, config.parallel, async (r) => {
      const rollback = !r.healthy || (anyFailed && config.rollback === 'all');
      r.result = await r.switchHandle!.decide(rollback ? 'rollback' : 'commit');
    });
    reporter.emit({ type: 'phase', phase: anyFailed ? 'roll back' : 'record and prune', status: 'done', ms: timings.lap('commit') });

    const summary = runs.map((r) => hostSummary(r));
    reporter.emit({ type: 'result', command: opts.action, ok: !anyFailed, data: { app: config.appName, version, hosts: summary } });
    if (opts.timings || reporter.verbose) {
      reporter.info('timings: ' + timings.phases.map(([n, ms]) => `${n} ${formatMs(ms)}`).join(', '));
    }
    writeStepSummary(ctx.env, config, version, summary, !anyFailed);
    outcome.summarised = true;
    if (anyFailed) {
      const failed = runs.filter((r) => !r.healthy);
      const details = failed.map((r) => `${r.name}: ${r.healthError ?? (r.switchHandle?.ready ? 'rolled back' : `switch failed at: ${r.result?.failedStep ?? '?'}`)}\n${tail(r.result?.stderr ?? '')}`).join('\n');
      const rolledBack = runs.filter((r) => r.result && SwitchHandle.rolledBack(r.result)).map((r) => r.name);
      throw new UnhealthyError(`${config.appName} ${version} failed its checks on ${failed.map((r) => r.name).join(', ')}; rolled back on ${rolledBack.join(', ') || 'no host'}, the previous release serves again and ${version} is marked failed`, {
        details,
        hint: 'see the unit log lines above; `deployer app logs` shows more',
      });
    }
    for (const r of runs) {
      const s = hostSummary(r);
      reporter.emit({ type: 'phase', host: r.name, phase: `${version} is live`, status: 'done', detail: [s.uploads ? `${s.uploads} uploaded` : 'nothing uploaded', s.copied ? `${s.copied} copied on the host` : null, s.installSkipped ? 'install skipped' : s.venvReused ? 'venv reused' : null, s.daemonReload ? 'units changed' : 'units unchanged (no daemon-reload)', s.caddyReload ? 'Caddy reloaded' : 'Caddy unchanged', s.pruned.length ? `pruned ${s.pruned.join(', ')}` : null].filter(Boolean).join(', ') });
    }
    if (config.hooks.postDeployLocal) await runLocalCommand({ command: config.hooks.postDeployLocal, what: 'post_deploy_local hook', cwd: config.root, env: { ...ctx.env, DEPLOYER_VERSION: version }, timeoutSec: config.buildTimeout, reporter });
  } finally {
    cleanup();
  }
}

function hostSummary(r: HostRun) {
  const markers = r.result?.markers ?? [];
  return {
    host: r.name,
    uploads: r.plan?.uploads.length ?? 0,
    uploadedBytes: r.uploadedBytes,
    installSkipped: r.plan?.summary.installSkipped ?? false,
    venvReused: r.plan?.summary.venvReused ?? false,
    copied: r.plan?.summary.copied.length ?? 0,
    daemonReload: hasMarker(markers, Marker.daemonReload),
    caddyReload: hasMarker(markers, Marker.caddyReload),
    healthy: r.healthy ?? false,
    pruned: r.healthy ? r.plan?.summary.prune ?? [] : [],
    execChannels: r.session.execCount,
  };
}

function tail(text: string, n = 20): string {
  return text.trim().split('\n').filter((l) => !parseMarker(l)).slice(-n).join('\n');
}

function throwFirst(results: PromiseSettledResult<unknown>[], note?: string): void {
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length === 0) return;
  const first = failed[0].reason;
  if (first instanceof DeployerError && note) {
    throw new DeployerError(`${first.message}. ${note}`, { exitCode: first.exitCode, hint: first.hint, details: first.details });
  }
  throw first;
}

export type { Config };
