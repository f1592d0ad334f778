// Names of what the renderers produce on a host: unit files, unit instances
// and the Caddy site. The executor, `status`, `logs` and `down` use the same
// functions, so a name is spelt in exactly one place.
import type { Config, ProcessConfig } from '../config/types.js';
import { layoutFor } from '../plan/layout.js';

/** `<appName>-<process>`: the unit file stem and the SyslogIdentifier. */
export function unitBaseName(config: Pick<Config, 'appName'>, process: Pick<ProcessConfig, 'name'> | string): string {
  const name = typeof process === 'string' ? process : process.name;
  return `${config.appName}-${name}`;
}

/** `/etc/caddy/sites/<appName>.caddy`; the main Caddyfile imports the folder. */
export function caddySitePath(config: Pick<Config, 'appsDir' | 'appName'>): string {
  return layoutFor(config).caddySite;
}

/** The unit file name of a process's service: a template unit when it has replicas. */
export function serviceUnitName(config: Pick<Config, 'appName'>, process: Pick<ProcessConfig, 'name' | 'replicas'>): string {
  const base = unitBaseName(config, process);
  return process.replicas > 1 ? `${base}@.service` : `${base}.service`;
}
