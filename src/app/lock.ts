// `deployer lock status`: per host, who holds the app's deploy lock and since
// when, or that it is free. Read-only: it never takes the lock (the probe
// only tests it).
import type { Context } from '../context.js';
import { forEachHost } from '../deploy/hostRun.js';
import { loadCommandConfig } from '../deploy/commandConfig.js';

export interface LockStatus {
  host: string;
  locked: boolean;
  /** "alice@laptop pid 123: deployer deploy (since 2026-…)" as the holder wrote it. */
  holder?: string;
  since?: string;
}

export async function runLockStatus(ctx: Context): Promise<void> {
  const config = loadCommandConfig(ctx);
  const statuses = await forEachHost(ctx, config, { lock: false, command: 'lock status' }, async (h): Promise<LockStatus> => {
    if (!h.state.lockHeld) return { host: h.host.name, locked: false };
    const holder = h.state.lockedBy || 'another deployer process (no holder recorded)';
    return { host: h.host.name, locked: true, holder, since: holderSince(holder) };
  });
  if (ctx.reporter.json)
    ctx.reporter.emit({ type: 'result', command: 'lock status', ok: true, data: { app: config.appName, hosts: statuses } });
  else ctx.reporter.print(statuses.map((s) => formatLockStatus(s, Date.now())).join('\n'));
}

/** The ISO time in the holder line's `(since …)`, if it has one. */
export function holderSince(holder: string): string | undefined {
  const m = /\(since (\d{4}-\d\d-\d\dT[^)\s]+)\)\s*$/.exec(holder);
  return m && !Number.isNaN(Date.parse(m[1])) ? m[1] : undefined;
}

export function formatLockStatus(s: LockStatus, now: number): string {
  if (!s.locked) return `${s.host}: free`;
  const held = s.since ? `, held for ${formatDuration(now - Date.parse(s.since))}` : '';
  return `${s.host}: locked by ${s.holder}${held}`;
}

export function formatDuration(ms: number): string {
  const sec = Math.max(0, Math.round(ms / 1000));
  if (sec < 60) return `${sec}s`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min}m${sec % 60 ? ` ${sec % 60}s` : ''}`;
  const h = Math.floor(min / 60);
  return `${h}h${min % 60 ? ` ${min % 60}m` : ''}`;
}
