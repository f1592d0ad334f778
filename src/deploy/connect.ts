// The common shape of commands that work on hosts: one SSH connection per
// host (bounded parallelism), the app's lock and state read in one channel,
// the command's work, then the lock released and the connection closed, even
// on failure.
import { hostname, userInfo } from 'node:os';
import type { Config, HostConfig } from '../config/types.js';
import type { Context } from '../context.js';
import { DeployerError } from '../errors.js';
import { RemoteHost, type Lock } from '../exec/remote.js';
import { layoutFor } from '../plan/layout.js';
import { IDENTITY_FILE } from '../plan/ownership.js';
import type { RemoteState } from '../plan/probe.js';
import { SshSession } from '../ssh/session.js';
import { mapLimit, selectHosts, whoAmI } from './hosts.js';

export interface HostHandle {
  host: HostConfig;
  session: SshSession;
  remote: RemoteHost;
  state: RemoteState;
}

export interface HostsOptions {
  /** Take the app's lock (commands that change the host). */
  lock: boolean;
  /** Create apps_dir / the app dir if missing. */
  create?: boolean;
  /** Release whose files the state lists. */
  version?: string;
  lockWait?: number;
  command: string;
}

export function whoIsAsking(ctx: Context): string {
  return whoAmI(ctx.env, userInfo().username, hostname());
}

export async function connectHost(ctx: Context, config: Config, host: HostConfig, opts: HostsOptions): Promise<{ handle: HostHandle; lock: Lock }> {
  const session = await SshSession.connect(host, { env: ctx.env, interactive: ctx.interactive, debug: (m) => ctx.reporter.debug(m, host.name) });
  try {
    const remote = new RemoteHost(session, ctx.reporter);
    const holder = `${whoIsAsking(ctx)} pid ${process.pid}: deployer ${opts.command} (since ${new Date().toISOString()})`;
    const lock = await remote.lock(
      { layout: layoutFor(config), appName: config.appName, identity: config, version: opts.version, lockWait: opts.lockWait ?? 0, holder, lock: opts.lock, create: opts.create ?? false },
    );
    if (lock.state.owner === 'adopted') {
      ctx.reporter.info(`adopted ${layoutFor(config).appDir}: made by an earlier deployer for ${config.appName}; it now carries an identity record (${IDENTITY_FILE})`, host.name);
    }
    return { handle: { host, session, remote, state: lock.state }, lock };
  } catch (e) {
    session.close();
    throw e;
  }
}

/** Runs `fn` on every selected host; returns results in host order; throws the first failure after all finished. */
export async function forEachHost<T>(ctx: Context, config: Config, opts: HostsOptions, fn: (h: HostHandle) => Promise<T>): Promise<T[]> {
  const hosts = selectHosts(config, ctx.global.host);
  const results = await mapLimit(hosts, config.parallel, async (host) => {
    const { handle, lock } = await connectHost(ctx, config, host, opts);
    try {
      return await fn(handle);
    } finally {
      lock.release();
      handle.session.close();
    }
  });
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 1) {
    for (const f of failed.slice(1)) ctx.reporter.error(f.reason instanceof Error ? f.reason.message : String(f.reason));
  }
  if (failed.length) throw failed[0].reason instanceof Error ? failed[0].reason : new DeployerError(String(failed[0].reason));
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
