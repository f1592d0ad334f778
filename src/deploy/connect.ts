// One host's connection and lock: what every command that works on hosts
// starts with (src/deploy/hostRun.ts runs it over the selected hosts).
import { hostname, userInfo } from 'node:os';
import type { Config, HostConfig } from '../config/types.js';
import { configForHost } from '../config/roles.js';
import { whereWritten } from '../config/where.js';
import type { Context, Remote } from '../context.js';
import { RemoteHost, type Lock } from '../exec/remote.js';
import { layoutFor } from '../plan/layout.js';
import { IDENTITY_FILE } from '../plan/ownership.js';
import { probeArgs } from '../plan/probeRequest.js';
import { findPortClash, portClashError, portsLineOf } from '../plan/ports.js';
import type { RemoteState } from '../remote/state.js';
import type { SshSession } from '../ssh/session.js';
import { whoAmI } from './hostSelection.js';
import { lockPolicy } from './lockPolicy.js';

export interface HostHandle {
  host: HostConfig;
  remote: Remote;
  state: RemoteState;
  /** The SSH session itself, for commands that stream or need a PTY (app logs, shell, exec). */
  readonly session: SshSession;
}

function handleFor(host: HostConfig, remote: Remote, state: RemoteState): HostHandle {
  return {
    host,
    remote,
    state,
    get session(): SshSession {
      if (remote instanceof RemoteHost) return remote.session;
      throw new Error(`${host.name}: this command needs a real SSH session`);
    },
  };
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
  /** Refuse ports another app or stage on the host holds (deploy, plan), before anything is created. */
  ports?: boolean;
}

export function whoIsAsking(ctx: Context): string {
  return whoAmI(ctx.env, userInfo().username, hostname());
}

export async function connectHost(
  ctx: Context,
  config: Config,
  host: HostConfig,
  opts: HostsOptions,
): Promise<{ handle: HostHandle; lock: Lock }> {
  return lockHost(ctx, config, host, await ctx.connect(host), opts);
}

/** Takes the app's lock (and reads the state) on a connected host; closes the connection when that fails. */
export async function lockHost(
  ctx: Context,
  config: Config,
  host: HostConfig,
  remote: Remote,
  opts: HostsOptions,
): Promise<{ handle: HostHandle; lock: Lock }> {
  // The units and ports this host runs (its roles), not the whole app's.
  config = configForHost(config, host);
  try {
    const holder = `${whoIsAsking(ctx)} pid ${ctx.pid}: deployer ${opts.command} (since ${new Date(ctx.clock.now()).toISOString()})`;
    const layout = layoutFor(config);
    const args = probeArgs({
      layout,
      appName: config.appName,
      identity: config,
      version: opts.version,
      lockWait: opts.lockWait ?? 0,
      holder,
      lock: opts.lock,
      create: opts.create ?? false,
      // A missing app dir is made only once the checks below passed: a refused deploy leaves nothing.
      createLater: true,
      ports: opts.ports ?? false,
      // Its own web unit already recording this range spares the host's scan.
      ownPortsLine: opts.ports ? portsLineOf(config) : undefined,
    });
    const lock = await remote.lock(args);
    try {
      lockPolicy(host.name, lock.state, { identity: config, appDir: layout.appDir, lock: opts.lock });
    } catch (e) {
      lock.release();
      throw e;
    }
    if (opts.ports) {
      const clash = findPortClash(config, lock.state.webUnits);
      if (clash) throw portClashError(host.name, config, clash, whereWritten(config, ['webserver', 'upstream'], ctx.cwd));
    }
    if (opts.create && lock.state.owner === 'missing') await lock.createAppDir();
    if (lock.state.owner === 'adopted') {
      ctx.reporter.info(
        `adopted ${layout.appDir}: made by an earlier deployer for ${config.appName}; it now carries an identity record (${IDENTITY_FILE})`,
        host.name,
      );
    }
    return { handle: handleFor(host, remote, lock.state), lock };
  } catch (e) {
    remote.close();
    throw e;
  }
}
