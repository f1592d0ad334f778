// `deployer status` as data and text: one report per host, the verdict (exit
// code) over all of them, and the compact block a person reads. Pure.
import type { UnitStatus } from '../app/statusView.js';
import { ExitCode } from '../errors.js';
import type { ReleaseStatus } from '../remote/state.js';
import type { DriftItem } from './drift.js';

/** The version of `result.data` of `deployer status --json` (docs/json.md#status-result). */
export const STATUS_DATA_VERSION = 1;

export interface Check {
  ok: boolean;
  error?: string;
}

export interface InstanceReport {
  unit: string;
  /** The [processes] entry it runs. */
  process?: string;
  /** The port a web instance listens on. */
  port?: number;
  active: string;
  sub: string;
  /** systemd's automatic restarts since the unit was (re)started by the deploy that made this release live. */
  restarts?: number;
  /** A web instance's own health check on its port (the deploy's gate); workers: active or not. */
  gate: Check;
}

export interface HostReport {
  host: string;
  app: string;
  release?: string;
  /** When the live release went live (its `.versions` record), ISO 8601. */
  since?: string;
  releaseStatus?: ReleaseStatus;
  /** GET through Caddy, as a visitor; absent without a Caddy site or release. */
  site?: Check;
  instances: InstanceReport[];
  /** Who holds the deploy lock (a deploy runs now). */
  lockedBy?: string;
  /** `<app dir>/.maintenance` exists (maintenance mode, see `app maintenance`). */
  maintenance: boolean;
  drift: DriftItem[];
  healthy: boolean;
  /** Why the host could not be read (cannot connect, the app dir is not this app's …): then it is unhealthy. */
  error?: string;
}

/** The report of a host that could not be read. */
export function unreadableReport(host: string, app: string, error: string): HostReport {
  return { host, app, instances: [], maintenance: false, drift: [], healthy: false, error };
}

/** A host is healthy when it runs a release, every instance is up and passes its gate, and the site answers through Caddy. */
export function isHealthy(r: Pick<HostReport, 'release' | 'site' | 'instances'>): boolean {
  return r.release !== undefined && (r.site?.ok ?? true) && r.instances.every((i) => i.active === 'active' && i.gate.ok);
}

/** The unit's process and port from its name: `<app>-<process>.service` or `<app>-<process>@<port>.service`. */
export function instanceOf(unit: string, appName: string, processes: readonly string[]): { process?: string; port?: number } {
  const m = /^(.*?)(?:@([^.]*))?\.[a-z]+$/.exec(unit);
  const base = m?.[1] ?? unit;
  const process = processes.find((p) => base === `${appName}-${p}`);
  const port = m?.[2] !== undefined && /^\d+$/.test(m[2]) ? Number(m[2]) : undefined;
  return { process, port };
}

/** Joins the unit states (app-status.sh) with their gates. */
export function instanceReports(
  units: readonly UnitStatus[],
  gates: ReadonlyMap<string, Check>,
  appName: string,
  processes: readonly string[],
): InstanceReport[] {
  return units.map((u) => ({
    unit: u.unit,
    ...instanceOf(u.unit, appName, processes),
    active: u.active,
    sub: u.sub,
    restarts: u.restarts,
    gate: gates.get(u.unit) ?? (u.active === 'active' ? { ok: true } : { ok: false, error: `${u.unit} is ${u.active} (${u.sub})` }),
  }));
}

/** Unhealthy wins over drift: exit 7 (unhealthy), else 8 (state: drift), else 0. */
export function statusExitCode(reports: readonly HostReport[]): number {
  if (reports.some((r) => !r.healthy)) return ExitCode.unhealthy;
  if (reports.some((r) => r.drift.length > 0)) return ExitCode.state;
  return ExitCode.ok;
}

/** The one-line verdict under the blocks, or the error message when the exit code is not 0. */
export function statusVerdict(reports: readonly HostReport[]): string {
  const sick = reports.filter((r) => !r.healthy).map((r) => r.host);
  const drifted = reports.filter((r) => r.drift.length > 0).map((r) => r.host);
  const parts = [
    sick.length ? `unhealthy: ${sick.join(', ')}` : '',
    drifted.length ? `drift from the config: ${drifted.join(', ')}` : '',
  ].filter(Boolean);
  return parts.length
    ? parts.join('; ')
    : `all ${reports.length} host${reports.length === 1 ? '' : 's'} healthy and in sync with the config`;
}

const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

export function formatHostReport(r: HostReport): string {
  if (r.error !== undefined) return `${r.host}: could not be read — UNHEALTHY\n  ${r.error.replace(/\n/g, '\n  ')}`;
  const head = r.release
    ? `${r.host}: ${r.app} ${r.release}${r.since ? ` live since ${when(r.since)}` : ''}${r.releaseStatus && r.releaseStatus !== 'good' ? ` (${r.releaseStatus})` : ''}`
    : `${r.host}: ${r.app} is not deployed`;
  const lines = [`${head} — ${r.healthy ? 'healthy' : 'UNHEALTHY'}${r.drift.length ? ', drift' : ''}`];
  if (r.lockedBy) lines.push(`  locked by ${r.lockedBy}`);
  if (r.maintenance) lines.push('  maintenance mode is on');
  if (r.site) lines.push(`  site through Caddy: ${r.site.ok ? 'ok' : 'FAILED'}${r.site.error ? ` (${r.site.error})` : ''}`);
  const width = Math.max(0, ...r.instances.map((i) => i.unit.length));
  for (const i of r.instances) {
    const extra = [
      i.restarts ? `${i.restarts} restart${i.restarts === 1 ? '' : 's'}` : '',
      i.gate.ok ? '' : `gate failed: ${i.gate.error ?? ''}`,
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${i.unit.padEnd(width)}  ${i.active === 'active' && i.gate.ok ? 'ok' : i.active}${extra ? `  ${extra}` : ''}`);
  }
  for (const d of r.drift) lines.push(`  drift: ${d.message}`);
  return lines.join('\n');
}

export function formatStatus(reports: readonly HostReport[]): string {
  return reports.map(formatHostReport).join('\n\n');
}
