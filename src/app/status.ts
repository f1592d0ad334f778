// `deployer app status [PROCESS]`: per host, the current release, each unit's
// state and uptime, and the URL. Read-only: no lock (it must work while a
// deploy runs, and says so when one does).
import type { Context } from '../context.js';
import { RemoteCommandError } from '../errors.js';
import { forEachHost } from '../deploy/hostRun.js';
import { loadCommandConfig } from '../deploy/commandConfig.js';
import { layoutFor } from '../plan/layout.js';
import { hasMarker, Marker, parseMarkers } from '../remote/protocol.js';
import { hostsRunning, selectUnitBases } from './processUnits.js';
import { selectHosts } from '../deploy/hostSelection.js';
import { configForHost } from '../config/roles.js';
import { renderStatusScript } from './appScripts.js';
import { formatHostStatus, parseStatusOutput, siteUrls, type HostStatus } from './statusView.js';

export async function runStatus(ctx: Context, opts: { process?: string }): Promise<void> {
  const config = loadCommandConfig(ctx);
  const bases = opts.process === undefined ? [] : selectUnitBases(config, opts.process);
  const script = renderStatusScript(layoutFor(config), bases);
  const hosts = hostsRunning(config, selectHosts(config, ctx.global.host, ctx.global.role), opts.process);
  const statuses = await forEachHost(
    ctx,
    config,
    { lock: false, command: 'app status' },
    async (h): Promise<HostStatus> => {
      const r = await h.session.execScript(script);
      if (r.code !== 0 || !hasMarker(parseMarkers(r.stdout), Marker.end)) {
        throw new RemoteCommandError(`${h.host.name}: reading the units' state failed`, r.code, r.stderr, {
          details: r.stderr.trim() || undefined,
        });
      }
      const version = h.state.current;
      return {
        host: h.host.name,
        app: config.appName,
        version,
        release: h.state.versions.find((rec) => rec.version === version),
        urls: version ? siteUrls(configForHost(config, h.host), h.host) : [],
        units: parseStatusOutput(r.stdout),
        lockedBy: h.state.lockHeld ? h.state.lockedBy || 'another deployer process' : undefined,
      };
    },
    hosts,
  );
  if (ctx.reporter.json)
    ctx.reporter.emit({ type: 'result', command: 'app status', ok: true, data: { app: config.appName, hosts: statuses } });
  else ctx.reporter.print(statuses.map(formatHostStatus).join('\n\n'));
}
