// `deployer app start|stop|restart [PROCESS]`. These take the deploy lock: a
// `stop` during a deploy's switch would make a healthy release look dead and
// roll it back, and a `start` during `down` could bring back removed units.
import type { Context } from '../context.js';
import { RemoteCommandError } from '../errors.js';
import { healthCheckHost } from '../config/healthHost.js';
import { findMarker, Marker, parseMarkers } from '../remote/protocol.js';
import { forEachHost } from '../deploy/hostRun.js';
import { loadCommandConfig } from '../deploy/commandConfig.js';
import { layoutFor } from '../plan/layout.js';
import { hostsRunning, selectUnitBases } from './processUnits.js';
import { selectHosts } from '../deploy/hostSelection.js';
import { renderControlScript, type UnitAction } from './appScripts.js';

const DONE: Record<UnitAction, string> = { start: 'started', stop: 'stopped', restart: 'restarted' };

// A blue-green web process restarts its live instances one at a time, each
// answering its health check before the next, so the site keeps answering;
// a single instance has nobody to cover for it, and the output says so.
type WebRestart = { mode: 'rolling' | 'in-place'; units: string[] };
const WEB_RESTART: Record<WebRestart['mode'], string> = {
  rolling: 'the web instances one at a time, each answering its health check before the next',
  'in-place': 'the only web instance, in place: requests wait until it is back; with replicas = 2 or more the restart is rolling',
};

function webRestartOf(arg: string | undefined): WebRestart | undefined {
  const [mode, ...units] = (arg ?? '').split(' ');
  return mode === 'rolling' || mode === 'in-place' ? { mode, units } : undefined;
}

export async function runControl(ctx: Context, action: UnitAction, opts: { process?: string; lockWait: number }): Promise<void> {
  const config = loadCommandConfig(ctx);
  const bases = opts.process === undefined ? [] : selectUnitBases(config, opts.process);
  const hosts = hostsRunning(config, selectHosts(config, ctx.global.host, ctx.global.role), opts.process);
  const results = await forEachHost(
    ctx,
    config,
    { lock: true, lockWait: opts.lockWait, command: `app ${action}` },
    async (h) => {
      const script = renderControlScript({
        layout: layoutFor(config),
        action,
        bases,
        sshUser: h.host.user,
        waitSec: Math.min(30, config.healthCheck.timeout),
        health: {
          path: config.healthCheck.path ?? '',
          status: config.healthCheck.status,
          host: healthCheckHost(config, h.host) ?? '',
        },
      });
      const r = await h.session.execScript(script);
      const markers = parseMarkers(r.stdout);
      const states = markers
        .filter((m) => m.marker === Marker.state)
        .map((m) => ({ unit: m.arg.split(' ')[0], state: m.arg.split(' ')[1] ?? '' }));
      const error = findMarker(markers, Marker.error);
      if (r.code !== 0) {
        const what =
          error ??
          (states.length
            ? `not every unit is ${action === 'stop' ? 'stopped' : 'active'}: ${states.map((s) => `${s.unit} ${s.state}`).join(', ')}`
            : `systemctl ${action} failed`);
        throw new RemoteCommandError(`${h.host.name}: ${what}`, r.code, r.stderr, {
          details: r.stderr.trim() || undefined,
          hint: "deployer app logs shows more of the units' logs",
        });
      }
      const web = webRestartOf(findMarker(markers, Marker.webRestart));
      ctx.reporter.emit({
        type: 'phase',
        host: h.host.name,
        phase: action,
        label: `${DONE[action]} ${states.map((s) => s.unit).join(', ')}${web ? ` (${WEB_RESTART[web.mode]})` : ''}`,
        status: 'done',
      });
      return { host: h.host.name, units: states, ...(web ? { webRestart: web.mode } : {}) };
    },
    hosts,
  );
  ctx.reporter.emit({ type: 'result', command: `app ${action}`, ok: true, data: { app: config.appName, hosts: results } });
}
