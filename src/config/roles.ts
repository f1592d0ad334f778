// Roles: which hosts run which processes. A host's `roles` and a process's
// `roles` meet: the host runs the process when they share a role. Either side
// left out means "all": a host without roles runs every process (and --role
// selects it whatever the role), a process without roles runs on every host.
// The web process decides where the Caddy site goes: a host that does not run
// it gets no site and no HTTP check; its units' gate proves its deploy.
import type { Config, HostConfig, ProcessConfig } from './types.js';
import type { Issues } from './issues.js';

export function hostRuns(host: Pick<HostConfig, 'roles'>, process: Pick<ProcessConfig, 'roles'>): boolean {
  if (!host.roles?.length || !process.roles?.length) return true;
  return process.roles.some((r) => host.roles!.includes(r));
}

/** Whether the host has the role (a host without roles has every role). */
export function hostHasRole(host: Pick<HostConfig, 'roles'>, role: string): boolean {
  return !host.roles?.length || host.roles.includes(role);
}

/** Every role written on a host, in file order, without repeats. */
export function declaredRoles(hosts: ReadonlyArray<Pick<HostConfig, 'roles'>>): string[] {
  return [...new Set(hosts.flatMap((h) => h.roles ?? []))];
}

const views = new WeakMap<Config, WeakMap<HostConfig, Config>>();

/**
 * The config as one host sees it: only the processes it runs, and the web
 * server off where the web process does not run. Rendering, planning and the
 * checks after a switch read this view, so a worker-only host gets no web unit,
 * no Caddy site and no visit through Caddy. The same object for the same host,
 * so callers may compare or cache by it.
 */
export function configForHost(config: Config, host: HostConfig): Config {
  if (config.processes.every((p) => hostRuns(host, p))) return config;
  let byHost = views.get(config);
  if (!byHost) views.set(config, (byHost = new WeakMap()));
  const cached = byHost.get(host);
  if (cached) return cached;
  const processes = config.processes.filter((p) => hostRuns(host, p));
  const web = processes.some((p) => p.name === 'web');
  const view: Config = { ...config, processes, webserver: web ? config.webserver : { ...config.webserver, enabled: false } };
  byHost.set(host, view);
  return view;
}

/** Whether this (host's) config runs the web process. */
export function runsWeb(config: Pick<Config, 'processes'>): boolean {
  return config.processes.some((p) => p.name === 'web');
}

/** Whether the host serves the site (runs the web process behind Caddy). */
export function hostServesWeb(config: Config, host: HostConfig): boolean {
  return configForHost(config, host).webserver.enabled;
}

/**
 * Roles across hosts and processes: a process role no host declares is a
 * typo (its process would run nowhere by that role), and a host whose roles
 * match no process would be deployed to for nothing.
 */
export function checkRoles(issues: Issues, hostIssues: Issues, hosts: HostConfig[], processes: ProcessConfig[]): void {
  const known = declaredRoles(hosts);
  let unknown = false;
  for (const p of processes) {
    (p.roles ?? []).forEach((role, n) => {
      if (known.includes(role)) return;
      unknown = true;
      const path = ['processes', p.name, 'roles', n];
      const have = known.length ? `the hosts' roles are ${known.map((r) => JSON.stringify(r)).join(', ')}` : 'no host has roles';
      issues.attempt(() =>
        issues.fail(
          path,
          'value',
          `${issues.name(path)} is the role ${JSON.stringify(role)}, but no host has it (${have}), so no host would run "${p.name}" for it. Fix: add roles = [${JSON.stringify(role)}] to the hosts that should run ${p.name}, or correct the name.`,
        ),
      );
    });
  }
  // A misspelt process role leaves hosts without processes: that one problem is reported, not also its consequence.
  if (unknown) return;
  hosts.forEach((h, n) => {
    if (!h.roles?.length || processes.some((p) => hostRuns(h, p))) return;
    const path = ['hosts', n, 'roles'];
    hostIssues.attempt(() =>
      hostIssues.fail(
        path,
        'value',
        `${hostIssues.name(path)} = ${JSON.stringify(h.roles)} matches no process's roles, so host ${h.name} would run nothing. Fix: add one of these roles to a process (roles = [${JSON.stringify(h.roles![0])}] in its table), or remove the host.`,
      ),
    );
  });
}
