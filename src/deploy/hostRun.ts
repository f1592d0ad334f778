// One command's hold on its hosts: the connections it opened and the locks it
// took, one record per host, all let go by close(). Every step over several
// hosts goes through each(), so every command settles its hosts the same way.
import type { Config, HostConfig } from '../config/types.js';
import type { Context, Remote } from '../context.js';
import type { Lock } from '../exec/remote.js';
import { connectHost, lockHost, type HostHandle, type HostsOptions } from './connect.js';
import { mapLimit, selectHosts } from './hostSelection.js';
import { messageOf, settle } from './settle.js';

export interface Connected {
  host: HostConfig;
  remote: Remote;
  /** When this host's connect started (ctx.clock): its own time in the final table counts from here. */
  since: number;
}

export interface Locked extends Connected {
  lock: Lock;
}

/** What the run holds on one host, and how far it got (the final table of a deploy that stopped reads it). */
export interface HostRecord {
  host: HostConfig;
  remote?: Remote;
  lock?: Lock;
  /** When its connect started. */
  since?: number;
  /** The first step that failed on it, and when. */
  error?: string;
  failedAt?: number;
}

/**
 * The steps of a command call each() over any subset of the hosts, as often
 * as they like, while the run keeps every lock: a rollout (issue 20) locks
 * all hosts with lock(), then switches, checks and decides one wave of the
 * locked hosts after another, and close() lets all go at the very end.
 */
export class HostRun {
  private readonly records: HostRecord[];

  constructor(
    readonly ctx: Context,
    readonly config: Config,
    readonly hosts: HostConfig[] = selectHosts(config, ctx.global.host, ctx.global.role),
  ) {
    this.records = hosts.map((host) => ({ host }));
  }

  /** `fn` over `items`, `parallel` at a time; the values in order, or the first failure once all settled. */
  async each<T, R>(items: T[], fn: (item: T) => Promise<R>, note?: string): Promise<R[]> {
    const results = await mapLimit(items, this.config.parallel, fn);
    results.forEach((r, i) => r.status === 'rejected' && this.failed(items[i], r.reason));
    return settle(this.ctx.reporter, results, note);
  }

  /** What the run knows of `host` (its lock, when it started, what failed on it). */
  record(host: HostConfig): Readonly<HostRecord> {
    return this.recordOf(host);
  }

  /** Notes the first failure of the host behind `item` (a host, or a record of one). */
  private failed(item: unknown, reason: unknown): void {
    const host = this.hosts.find((h) => h === item || h === (item as { host?: unknown } | undefined)?.host);
    const r = host && this.recordOf(host);
    if (!r || r.error !== undefined) return;
    r.error = messageOf(reason);
    r.failedAt = this.ctx.clock.now();
  }

  /** One SSH connection per host. On any failure every connection is closed. */
  async connect(onDial?: () => void): Promise<Connected[]> {
    try {
      return await this.each(this.hosts, async (host) => {
        const since = (this.recordOf(host).since = this.ctx.clock.now());
        const remote = await this.ctx.connect(host, { onDial });
        this.recordOf(host).remote = remote;
        return { host, remote, since };
      });
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** The app's lock and state on every connected host; the locks taken stay held when another host fails. */
  async lock(opts: HostsOptions): Promise<Locked[]> {
    return this.each(this.connected, async (c) => {
      const { lock } = await lockHost(this.ctx, this.config, c.host, c.remote, opts);
      this.recordOf(c.host).lock = lock;
      return { ...c, lock };
    });
  }

  /** Connects to one host and takes (or reads) its lock; release() lets it go. */
  async open(host: HostConfig, opts: HostsOptions): Promise<HostHandle> {
    this.recordOf(host).since ??= this.ctx.clock.now();
    const { handle, lock } = await connectHost(this.ctx, this.config, host, opts);
    Object.assign(this.recordOf(host), { remote: handle.remote, lock });
    return handle;
  }

  /** The hosts whose lock this run holds, in host order. */
  get held(): Locked[] {
    return this.records.flatMap((r) =>
      r.remote && r.lock ? [{ host: r.host, remote: r.remote, lock: r.lock, since: r.since ?? this.ctx.clock.now() }] : [],
    );
  }

  private get connected(): Connected[] {
    return this.records.flatMap((r) => (r.remote ? [{ host: r.host, remote: r.remote, since: r.since ?? this.ctx.clock.now() }] : []));
  }

  /** One host's lock released and its connection closed. */
  release(host: HostConfig): void {
    const r = this.recordOf(host);
    r.lock?.release();
    r.remote?.close();
    r.lock = r.remote = undefined;
  }

  /** Every lock released, every connection closed. */
  close(): void {
    for (const r of this.records) this.release(r.host);
  }

  private recordOf(host: HostConfig): HostRecord {
    const r = this.records.find((x) => x.host === host);
    if (!r) throw new Error(`${host.name} is not a host of this run`);
    return r;
  }
}

/** Runs `fn` on every selected host at once (bounded); each host is let go as soon as its `fn` ends. */
export async function forEachHost<T>(
  ctx: Context,
  config: Config,
  opts: HostsOptions,
  fn: (h: HostHandle) => Promise<T>,
  hosts?: HostConfig[],
): Promise<T[]> {
  const run = new HostRun(ctx, config, hosts);
  try {
    return await run.each(run.hosts, async (host) => {
      const h = await run.open(host, opts);
      try {
        return await fn(h);
      } finally {
        run.release(host);
      }
    });
  } finally {
    run.close();
  }
}

/** Runs `fn` on each selected host in turn, so one host's output ends before the next begins; stops at the first failure. */
export async function eachHostInTurn(
  ctx: Context,
  config: Config,
  opts: HostsOptions,
  fn: (h: HostHandle) => Promise<void>,
): Promise<void> {
  const run = new HostRun(ctx, config);
  try {
    for (const host of run.hosts) {
      await fn(await run.open(host, opts));
      run.release(host);
    }
  } finally {
    run.close();
  }
}
