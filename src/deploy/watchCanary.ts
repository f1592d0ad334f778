// The canary's watch, for a deploy's rollout and a fleet rollback's alike:
// the canary hosts passed their checks, and their switch scripts wait for the
// verdict while deployer keeps checking them for `canary_wait` seconds. One
// that fails meanwhile counts as a failed host of the canary's wave.
import type { Context } from '../context.js';
import { messageOf } from './settle.js';

/** How often a canary is checked again while it is watched. */
const WATCH_EVERY_MS = 2000;

export interface Watched<T> {
  host(item: T): string;
  healthy(item: T): boolean;
  /** The same check as after the switch (the site through Caddy, or the app on its port). */
  check(item: T): Promise<{ ok: boolean; error?: string }>;
  /** The item marked failed with `why`. */
  failed(item: T, why: string): T;
}

/** `items` after `waitSec` of checks every few seconds (or at once, when none is healthy or there is no wait). */
export async function watchCanary<T>(ctx: Context, items: T[], waitSec: number, how: Watched<T>): Promise<T[]> {
  const watched = items.filter((v) => how.healthy(v));
  if (waitSec <= 0 || watched.length === 0) return items;
  ctx.reporter.info(`watching the canary ${watched.map((v) => how.host(v)).join(', ')} for ${waitSec} s`);
  const end = ctx.clock.now() + waitSec * 1000;
  let current = items;
  while (ctx.clock.now() < end && current.some((v) => how.healthy(v))) {
    await ctx.clock.sleep(Math.min(WATCH_EVERY_MS, end - ctx.clock.now()));
    current = await Promise.all(
      current.map(async (v) => {
        if (!how.healthy(v)) return v;
        const h = await how.check(v).catch((e: unknown) => ({ ok: false, error: messageOf(e) }));
        if (h.ok) return v;
        ctx.reporter.error(`the canary failed its check while watched: ${h.error}`, how.host(v));
        return how.failed(v, `health check failed while watched as the canary: ${h.error}`);
      }),
    );
  }
  return current;
}
