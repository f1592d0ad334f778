// Which units belong to a process (or to the whole app), for `app logs`,
// `app status` and `app start|stop|restart`. Pure: names only, from the config
// and src/render/names.ts, so a unit name is spelt in one place.
import { usesBlueGreen } from '../plan/slots.js';
import type { Config, HostConfig, ProcessConfig } from '../config/types.js';
import { hostRuns } from '../config/roles.js';
import { ConfigError } from '../errors.js';
import { unitBaseName } from '../render/names.js';

/** The process called `name`, or an error listing the known ones. */
export function findProcess(config: Pick<Config, 'processes' | 'file'>, name: string): ProcessConfig {
  const found = config.processes.find((p) => p.name === name);
  if (found) return found;
  const known = config.processes.map((p) => p.name).join(', ');
  throw new ConfigError(`no process named "${name}" in ${config.file}`, { hint: `known processes: ${known}` });
}

/**
 * The selected hosts that run the process `name` (its roles), or all of them
 * when none is named: a host is asked only for units it runs.
 */
export function hostsRunning(config: Pick<Config, 'processes' | 'file'>, hosts: HostConfig[], name?: string): HostConfig[] {
  if (name === undefined) return hosts;
  const process = findProcess(config, name);
  const running = hosts.filter((h) => hostRuns(h, process));
  if (running.length) return running;
  throw new ConfigError(
    `no selected host runs the process "${name}": its roles are ${JSON.stringify(process.roles)} and the selected hosts (${hosts.map((h) => h.name).join(', ')}) have none of them`,
    { hint: `select a host with one of those roles, e.g. --role ${process.roles?.[0] ?? 'web'}` },
  );
}

/** Unit name stems (`<appName>-<process>`) of one process, or of every process when none is named. */
export function selectUnitBases(config: Pick<Config, 'processes' | 'file' | 'appName'>, name?: string): string[] {
  const processes = name === undefined ? config.processes : [findProcess(config, name)];
  return processes.map((p) => unitBaseName(config, p));
}

/**
 * journalctl -u arguments for a process: its service (all instances of a
 * template unit when it has replicas), plus its timer or socket, whose own
 * messages (triggered, failed to listen) belong to it too.
 */
export function journalUnits(config: Pick<Config, 'processes' | 'file' | 'appName'>, name?: string): string[] {
  const processes = name === undefined ? config.processes : [findProcess(config, name)];
  return processes.flatMap((p) => {
    const base = unitBaseName(config, p);
    // A blue-green web process is a template unit too, one instance per port.
    const instanced = p.replicas > 1 || (p.name === 'web' && 'strategy' in config && usesBlueGreen(config as Config));
    const units = [instanced ? `${base}@*.service` : `${base}.service`];
    if (p.timer !== undefined) units.push(`${base}.timer`);
    if (p.socket) units.push(`${base}.socket`);
    return units;
  });
}

/** True when `unit` (an instance name like `app-web@8000.service`) belongs to one of the stems. */
export function unitMatchesBases(unit: string, bases: readonly string[]): boolean {
  return bases.some((b) => unit.startsWith(`${b}.`) || unit.startsWith(`${b}@`));
}
