// `deployer releases`: per host, the releases installed on it (their
// directories), each with its status and time from .versions, and which one
// is live. Read-only, no lock.
import type { Context } from '../context.js';
import { forEachHost } from '../deploy/hostRun.js';
import { loadCommandConfig } from '../deploy/commandConfig.js';
import type { RemoteState } from '../remote/state.js';

export interface ReleaseRow {
  /** The release directory's name without its `v` (1.2.3, or 1.2.3_2 for a changed redeploy). */
  release: string;
  /** good / failed / rolled-back, or `unrecorded` for a directory .versions does not know (an interrupted deploy). */
  status: string;
  time?: string;
  by?: string;
  live: boolean;
}

/** Installed releases, newest first as .versions lists them, unrecorded directories last. */
export function releaseRows(state: Pick<RemoteState, 'releases' | 'versions' | 'current'>): ReleaseRow[] {
  const installed = new Set(state.releases);
  const rows: ReleaseRow[] = state.versions
    .filter((r) => installed.has(r.version))
    .map((r) => ({
      release: r.version,
      status: r.status,
      time: r.time || undefined,
      by: r.by || undefined,
      live: r.version === state.current,
    }));
  const recorded = new Set(rows.map((r) => r.release));
  for (const d of [...state.releases].sort())
    if (!recorded.has(d)) rows.push({ release: d, status: 'unrecorded', live: d === state.current });
  return rows;
}

export function formatReleases(host: string, app: string, rows: ReleaseRow[]): string {
  if (rows.length === 0) return `${host}: ${app} has no releases installed`;
  const w = Math.max(...rows.map((r) => r.release.length));
  const sw = Math.max(...rows.map((r) => r.status.length));
  const lines = rows.map((r) => {
    const when = [r.time, r.by && `by ${r.by}`].filter(Boolean).join(' ');
    return `  ${r.live ? '*' : ' '} ${r.release.padEnd(w)}  ${r.status.padEnd(sw)}${when ? `  ${when}` : ''}${r.live ? '  (live)' : ''}`.trimEnd();
  });
  return [`${host}: ${app}`, ...lines].join('\n');
}

export async function runReleases(ctx: Context): Promise<void> {
  const config = loadCommandConfig(ctx);
  const hosts = await forEachHost(ctx, config, { lock: false, command: 'releases' }, async (h) => ({
    host: h.host.name,
    live: h.state.current ?? null,
    releases: releaseRows(h.state),
  }));
  if (ctx.reporter.json) ctx.reporter.emit({ type: 'result', command: 'releases', ok: true, data: { app: config.appName, hosts } });
  else ctx.reporter.print(hosts.map((h) => formatReleases(h.host, config.appName, h.releases)).join('\n\n'));
}
