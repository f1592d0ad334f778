// `deployer status [--json]`: every selected host at once, one connection
// each, without the lock (it reports who holds it): the probe's state, the
// units' state (remote/app-status.sh, as `app status` reads it), each web
// instance's gate and the site through Caddy, and drift from what a deploy
// would write now, rendered locally by the deploy's own code without a build.
import type { Config, HostConfig } from '../config/types.js';
import type { Context } from '../context.js';
import { DeployerError, RemoteCommandError } from '../errors.js';
import { renderStatusScript } from '../app/appScripts.js';
import { parseStatusOutput } from '../app/statusView.js';
import { healthCheckHost } from '../config/healthHost.js';
import { loadCommandConfig } from '../deploy/commandConfig.js';
import { HostRun } from '../deploy/hostRun.js';
import { hashEnvValues } from '../deploy/planFlow.js';
import { buildReleaseFiles, resolveHostEnv } from '../deploy/releaseFiles.js';
import { visitSite } from '../deploy/visit.js';
import type { HostHandle } from '../deploy/connect.js';
import { layoutFor } from '../plan/layout.js';
import type { ReleaseFile } from '../plan/planDeploy.js';
import { hasMarker, Marker, parseMarkers } from '../remote/protocol.js';
import { desiredFrom, findDrift, missedDeploy, newestRelease } from './drift.js';
import {
  formatStatus,
  instanceReports,
  isHealthy,
  STATUS_DATA_VERSION,
  statusExitCode,
  statusVerdict,
  unreadableReport,
  type Check,
  type HostReport,
} from './statusView.js';

/**
 * What a deploy would write on each host, without build_command: units, site
 * and env do not depend on the artifact (only its file would), so a stand-in
 * takes its place and is left out.
 */
async function localFiles(ctx: Context, config: Config, hosts: HostConfig[]): Promise<Map<string, ReleaseFile[]>> {
  const artifact = { path: '', name: 'artifact-not-built', sha256: '', size: 0 };
  const redactor = ctx.reporter.redactor;
  return new Map(
    await Promise.all(
      hosts.map(async (host) => {
        const entries = await resolveHostEnv(config, host, ctx.env, redactor);
        const files = await buildReleaseFiles({ config, host, artifact, env: ctx.env, redactor, entries });
        return [host.name, files.filter((f) => f.label !== 'artifact')] as const;
      }),
    ),
  );
}

/** One GET on the instance's own port, as the deploy's gate asks (health_check.path and status; without a path any answer). */
async function gate(h: HostHandle, config: Config, port: number): Promise<Check> {
  const hc = config.healthCheck;
  const path = hc.path ?? '/';
  try {
    const { status } = await h.remote.httpGet(port, path, {
      host: healthCheckHost(config, h.host) ?? `127.0.0.1:${port}`,
      timeoutMs: 5000,
    });
    if (!hc.path || status === hc.status) return { ok: true };
    return { ok: false, error: `GET ${path} on port ${port} answered ${status}, expected ${hc.status}` };
  } catch (e) {
    return { ok: false, error: `GET ${path} on port ${port}: ${(e as Error).message}` };
  }
}

async function hostReport(ctx: Context, config: Config, h: HostHandle, files: ReleaseFile[]): Promise<HostReport> {
  const layout = layoutFor(config);
  const r = await h.session.execScript(renderStatusScript(layout, []));
  const markers = parseMarkers(r.stdout);
  if (r.code !== 0 || !hasMarker(markers, Marker.end))
    throw new RemoteCommandError(`${h.host.name}: reading the units' state failed`, r.code, r.stderr, {
      details: r.stderr.trim() || undefined,
    });
  const processes = config.processes.map((p) => p.name);
  const units = parseStatusOutput(r.stdout);
  const webBase = `${config.appName}-web`;
  const webPort = config.healthCheck.port ?? config.webserver.port;
  const gates = new Map<string, Check>();
  await Promise.all(
    units.map(async (u) => {
      const port = /@(\d+)\.service$/.exec(u.unit)?.[1];
      const isWeb = u.unit === `${webBase}.service` || u.unit.startsWith(`${webBase}@`);
      if (!isWeb || u.active !== 'active') return;
      const p = port ? Number(port) : webPort;
      if (p !== undefined) gates.set(u.unit, await gate(h, config, p));
    }),
  );
  const release = h.state.current;
  const record = h.state.versions.find((v) => v.version === release);
  const instances = instanceReports(units, gates, config.appName, processes);
  const site = release && config.webserver.enabled ? await visitSite(h.remote, config, h.host, (ms) => ctx.clock.sleep(ms)) : undefined;
  const report: HostReport = {
    host: h.host.name,
    app: config.appName,
    release,
    since: record?.time || undefined,
    releaseStatus: record?.status,
    site: site && { ok: site.ok, ...(site.error ? { error: site.error } : {}) },
    instances,
    lockedBy: h.state.lockHeld ? h.state.lockedBy || 'another deployer process' : undefined,
    maintenance: h.state.maintenance === true,
    drift: findDrift(
      desiredFrom(files, hashEnvValues(files.find((f) => f.path === '.env')?.content ?? ''), h.state.liveSlot),
      h.state,
      layout.caddySite,
    ),
    healthy: false,
  };
  report.healthy = isHealthy(report);
  return report;
}

export async function runDeployerStatus(ctx: Context): Promise<HostReport[]> {
  const config = loadCommandConfig(ctx);
  const run = new HostRun(ctx, config);
  const local = await localFiles(ctx, config, run.hosts);
  let reports: HostReport[];
  try {
    reports = await run.each(run.hosts, async (host) => {
      try {
        return await hostReport(ctx, config, await run.open(host, { lock: false, command: 'status' }), local.get(host.name)!);
      } catch (e) {
        // A host that cannot be read is unhealthy; the others are still reported.
        if (e instanceof DeployerError) return unreadableReport(host.name, config.appName, e.message);
        throw e;
      } finally {
        run.release(host);
      }
    });
  } finally {
    run.close();
  }
  const newest = newestRelease(reports);
  for (const r of reports) {
    const missed = r.error === undefined ? missedDeploy(r, newest) : undefined;
    if (missed) r.drift.push(missed);
  }
  const exitCode = statusExitCode(reports);
  if (ctx.reporter.json)
    ctx.reporter.emit({
      type: 'result',
      command: 'status',
      ok: exitCode === 0,
      data: { version: STATUS_DATA_VERSION, app: config.appName, hosts: reports },
    });
  // A failure's verdict is the error line (✗ …) under the blocks.
  else ctx.reporter.print(formatStatus(reports) + (exitCode === 0 ? `\n\n${statusVerdict(reports)}` : ''));
  if (exitCode !== 0)
    throw new DeployerError(statusVerdict(reports), { exitCode, hint: 'each host block above says what differs and the fix' });
  return reports;
}
