// Plain-object view models for the templates, one per unit file plus the Caddy
// site. Every key a template may read is always present (null or false when
// unused), because templates render in strict mode and a missing key throws.
import { checkSiteAddress } from '../config/rules.js';
import type { Config, HostConfig, ProcessConfig } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { appUserFor } from '../plan/appUser.js';
import { layoutFor, MAINTENANCE_FILE } from '../plan/layout.js';
import { MAINTENANCE_RETRY_AFTER_SEC } from '../plan/maintenanceMode.js';
import { SLOTS, webLinksDir, webSlots, type Slot } from '../plan/slots.js';
import { buildBackupViews } from './backupViews.js';
import { renderExecStart } from './execStart.js';
import { serviceUnitName, unitBaseName } from './names.js';
import { parseUpstream, upstreamAddresses } from './upstream.js';

export type TemplateName =
  'web.service.hbs' | 'worker.service.hbs' | 'timer.hbs' | 'socket.hbs' | 'caddy.site.hbs' | 'backup.service.hbs' | 'maintenance.html.hbs';

/** What to do with a unit's instances after the switch. */
export type DeployAction =
  /** systemctl enable + restart (services, timers). */
  | 'restart'
  /** systemctl enable + start: restarting a listening socket whose service holds it fails. */
  | 'start';

export interface UnitView {
  /** Unit file name, e.g. "hello-web@.service". */
  name: string;
  template: TemplateName;
  view: Record<string, unknown>;
  /** Units to enable and start, e.g. ["hello-web@8000.service", "hello-web@8001.service"]; empty when another unit starts it. */
  instances: string[];
  action: DeployAction;
}

export interface CaddyView {
  template: 'caddy.site.hbs';
  view: Record<string, unknown>;
}

export interface Views {
  units: UnitView[];
  caddy?: CaddyView;
  /** Blue-green: the site once per slot, each proxying to that slot's ports. */
  slotCaddy?: Record<Slot, CaddyView>;
}

export function buildViews(config: Config, host: HostConfig): Views {
  const units: UnitView[] = [];
  for (const process of config.processes) units.push(...buildProcessViews(config, host, process));
  units.push(...buildBackupViews(config, host));
  if (!config.webserver.enabled) return { units };
  const slots = webSlots(config);
  if (!slots) return { units, caddy: buildCaddyView(config, host) };
  const upstreams = (slot: Slot) => slots.ports[slot].map((p) => `${parseUpstream(config.webserver.upstream).host}:${p}`);
  const slotCaddy = Object.fromEntries(SLOTS.map((slot) => [slot, buildCaddyView(config, host, upstreams(slot))])) as Record<
    Slot,
    CaddyView
  >;
  return { units, caddy: slotCaddy.a, slotCaddy };
}

function buildProcessViews(config: Config, host: HostConfig, process: ProcessConfig): UnitView[] {
  checkProcess(process);
  const { appDir } = layoutFor(config);
  const base = unitBaseName(config, process);
  const isWeb = process.name === 'web';
  // Blue-green: the web process is always a template unit, one instance per
  // port, each running the release its port's link points at.
  const slots = isWeb ? webSlots(config) : undefined;
  const instanced = process.replicas > 1 || slots !== undefined;
  const service = slots ? slots.unit : serviceUnitName(config, process);
  const slotDir = slots ? webLinksDir(config) : null;
  const socketUnit = process.socket ? `${base}.socket` : null;
  const timerUnit = process.timer !== undefined ? `${base}.timer` : null;
  const common = {
    app: config.app,
    appName: config.appName,
    stage: config.stage ?? null,
    process: process.name,
    description: `${config.app}${config.stage ? ` (${config.stage})` : ''} ${process.name}`,
    user: appUserFor(config).name,
    dataDir: layoutFor(config).dataDir,
    appDir,
    workingDirectory: `${appDir}/current`,
    environmentFile: `${appDir}/.env`,
    command: process.command,
    execStart: renderExecStart(config, process.command, slotDir ?? undefined),
    syslogIdentifier: base,
    replicas: process.replicas,
    instanced,
    socketUnit,
    timerUnit,
  };
  const view = isWeb
    ? { ...common, port: config.webserver.port ?? null, slotted: slots !== undefined, slotDir }
    : { ...common, oneshot: timerUnit !== null };
  const out: UnitView[] = [
    {
      name: service,
      template: isWeb ? 'web.service.hbs' : 'worker.service.hbs',
      view,
      // Blue-green web instances are started by the switch, in the idle slot.
      instances: timerUnit || slots ? [] : serviceInstances(config, base, process, isWeb),
      action: 'restart',
    },
  ];
  if (timerUnit) {
    out.push({
      name: timerUnit,
      template: 'timer.hbs',
      view: { ...common, onCalendar: process.timer, serviceUnit: service },
      instances: [timerUnit],
      action: 'restart',
    });
  }
  if (socketUnit) {
    out.push({
      name: socketUnit,
      template: 'socket.hbs',
      view: { ...common, listen: socketListen(config), serviceUnit: service },
      instances: [socketUnit],
      action: 'start',
    });
  }
  return out;
}

/** Web replicas are named by port (Environment=PORT=%i), others by number. */
function serviceInstances(config: Config, base: string, process: ProcessConfig, isWeb: boolean): string[] {
  if (process.replicas <= 1) return [`${base}.service`];
  const ids = isWeb ? webPorts(config, process.replicas) : Array.from({ length: process.replicas }, (_, i) => i + 1);
  return ids.map((id) => `${base}@${id}.service`);
}

function webPorts(config: Config, replicas: number): number[] {
  const port = config.webserver.port ?? parseUpstream(config.webserver.upstream).port;
  if (port === undefined) {
    throw new ConfigError('processes.web has replicas but the web server upstream has no port', {
      hint: 'set webserver.upstream to host:port (e.g. "127.0.0.1:8000"), or remove replicas',
    });
  }
  return Array.from({ length: replicas }, (_, i) => port + i);
}

function socketListen(config: Config): string {
  const up = parseUpstream(config.webserver.upstream);
  if (up.unixPath !== undefined) return up.unixPath;
  return `${up.host}:${config.webserver.port ?? up.port}`;
}

// The loader validates too; these combinations would render units systemd
// rejects or that silently do the wrong thing, so refuse them here as well.
function checkProcess(process: ProcessConfig): void {
  const where = `processes.${process.name}`;
  const fail = (what: string, hint: string) => {
    throw new ConfigError(`${where}: ${what}`, { hint });
  };
  if (process.timer !== undefined && process.name === 'web')
    fail('the web process cannot run on a timer', 'give the scheduled job its own process name');
  if (process.timer !== undefined && process.replicas > 1)
    fail('a timer process cannot have replicas', 'remove replicas, or split the job into several processes');
  if (process.timer !== undefined && process.socket)
    fail('a process cannot have both a timer and a socket', 'choose one of timer and socket');
  if (process.socket && process.name !== 'web')
    fail('only the web process can be socket-activated (it listens on webserver.upstream)', 'remove socket from this process');
  if (process.socket && process.replicas > 1) fail('a socket-activated process cannot have replicas', 'remove replicas or socket');
  if (process.replicas < 1) fail(`replicas must be at least 1 (got ${process.replicas})`, 'set replicas to 1 or more');
}

function buildCaddyView(config: Config, host: HostConfig, slotUpstreams?: string[]): CaddyView {
  const { appDir } = layoutFor(config);
  const addresses = [...new Set([...config.webserver.domains, ...host.domains])];
  // loadConfig has refused these already; a Config built any other way must not reach the site either.
  for (const a of addresses) {
    const broken = checkSiteAddress(a);
    if (broken)
      throw new ConfigError(`${config.file}: the site address ${JSON.stringify(a)} (domains of host ${host.name}) ${broken.problem}`, {
        hint: broken.fix,
      });
  }
  const web = config.processes.find((p) => p.name === 'web');
  const statics = Object.entries(config.webserver.statics).map(([prefix, dir]) => ({
    prefix,
    matcher: `${prefix.replace(/\/+$/, '')}/*`,
    root: dir.startsWith('/') ? dir : `${appDir}/current/${dir.replace(/^\.\//, '').replace(/\/+$/, '')}`,
  }));
  return {
    template: 'caddy.site.hbs',
    view: {
      app: config.app,
      appName: config.appName,
      stage: config.stage ?? null,
      appDir,
      addresses: addresses.length > 0 ? addresses : [':80'],
      statics,
      // Maintenance mode (src/plan/maintenanceMode.ts): the page Caddy looks for, and what bypasses it.
      maintenanceFile: `/${MAINTENANCE_FILE}`,
      healthPath: config.healthCheck.path ?? null,
      retryAfter: MAINTENANCE_RETRY_AFTER_SEC,
      upstreams:
        slotUpstreams ?? upstreamAddresses(config.webserver.upstream, config.webserver.port, web && !web.socket ? web.replicas : 1),
    },
  };
}
