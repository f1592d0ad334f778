// `deployer deploy` (and `redeploy`): the whole flow across hosts, in the
// order of the README's "What a deploy does". The phases live in phases.ts,
// what the user is told at the end in outcome.ts.
import type { Config } from '../config/types.js';
import type { Context } from '../context.js';
import { whoIsAsking } from './connect.js';
import { Timings, type Connected, type Decided, type DeployOptions, type Flow, type LocalResult, type Locked } from './flow.js';
import { runEndHooks, type DeployEnd } from './hooks.js';
import { loadDeployConfig } from './load.js';
import { reportFailure, reportOutcome, reportTimings } from './outcome.js';
import {
  buildLocally,
  connectHosts,
  decide,
  lockHosts,
  nothingToDo,
  planHosts,
  prepareHosts,
  recordUnchanged,
  switchHosts,
  verifyHosts,
} from './phases.js';
import { selectHosts } from './hosts.js';
import { describeInterruption, watchInterrupt } from './interrupt.js';
import { prefetchingResolver } from './dnsCheck.js';

export type { DeployOptions } from './flow.js';

export async function runDeploy(ctx: Context, opts: DeployOptions): Promise<void> {
  const target = loadDeployConfig(ctx);
  // Ctrl-C: say what was interrupted and where each host is left (src/deploy/interrupt.ts).
  const hostNames = () => selectHosts(target.config, ctx.global.host).map((h) => h.name);
  const ctrlC = watchInterrupt(process, () => describeInterruption(ctx.reporter.events, hostNames(), target.version));
  try {
    await Promise.race([deploy(ctx, opts, target), ctrlC.interrupted]);
  } finally {
    ctrlC.dispose();
  }
}

export async function deploy(ctx: Context, opts: DeployOptions, target: { config: Config; version: string }): Promise<void> {
  const flow = startFlow(ctx, opts, target);
  const connected: Connected[] = [];
  const held: Locked[] = [];
  let reported = false;
  let decided: Decided[] | undefined;
  let failed = true;
  try {
    // 1–3. Build, hash, render; meanwhile one SSH connection per host, so a wrong address fails in seconds.
    const local = await buildWhileConnecting(flow, connected);
    // 3. The app's lock and the host's state.
    const locked = await lockHosts(flow, connected, held);
    // 4. Plan, upload what differs, prepare the release. Nothing live changes.
    const planned = planHosts(flow, local, locked);
    if (nothingToDo(planned)) {
      reported = true;
      decided = await recordUnchanged(flow, planned);
      await reportOutcome(flow, decided, { unchanged: true });
      failed = false;
      return;
    }
    await prepareHosts(flow, planned);
    // 5. Switch every host, then check each one's health while its switch script waits.
    const verified = await verifyHosts(flow, await switchHosts(flow, planned));
    // 6. Commit, or roll back.
    decided = await decide(flow, verified);
    reported = true;
    await reportOutcome(flow, decided, { unchanged: false });
    failed = false;
  } catch (e) {
    // A deploy that stopped before the per-host verdict (build, SSH, lock, prepare) still says why, and how far it got.
    if (!reported) {
      reportTimings(flow);
      reportFailure(flow, e);
    }
    throw e;
  } finally {
    // on_failure / always: on the hosts while their lock is still held, then locally.
    await runEndHooks(flow, held, endOf(held, decided, failed));
    for (const h of held) h.lock.release();
    for (const c of connected) c.remote.close();
  }
}

/** Which hosts failed and which serve a release now, for the end hooks. */
function endOf(held: Locked[], decided: Decided[] | undefined, failed: boolean): DeployEnd {
  const byName = new Map((decided ?? []).map((d) => [d.host.name, d]));
  const failedHosts = new Set(
    held
      .filter((h) => failed && (byName.get(h.host.name)?.healthy !== true || byName.get(h.host.name)?.rolledBack))
      .map((h) => h.host.name),
  );
  // A host serves when it had a release before, or when the new one is live there.
  const servingHosts = new Set(
    held
      .filter((h) => h.lock.state.current !== undefined || (byName.get(h.host.name)?.healthy && !byName.get(h.host.name)?.rolledBack))
      .map((h) => h.host.name),
  );
  return { outcome: failed ? 'failure' : 'success', failedHosts, servingHosts };
}

function startFlow(ctx: Context, opts: DeployOptions, { config, version }: { config: Config; version: string }): Flow {
  const hosts = selectHosts(config, ctx.global.host);
  ctx.reporter.info(
    `${opts.action === 'redeploy' ? 'Redeploying' : 'Deploying'} ${config.appName} ${version} to ${hosts.map((h) => h.name).join(', ')}`,
  );
  const timings = new Timings(() => ctx.clock.now());
  const resolve = prefetchingResolver(ctx.resolve);
  if (config.webserver.enabled) resolve.prefetch([...config.webserver.domains, ...hosts.flatMap((h) => h.domains)]);
  return { ctx, opts, config, version, hosts, timings, by: whoIsAsking(ctx), time: new Date(ctx.clock.now()).toISOString(), resolve };
}

/**
 * The local phase with the connections opened alongside it. A host that
 * cannot be reached stops the build at once; a failed build closes the
 * connections. `connected` receives the open connections for the caller to close.
 */
async function buildWhileConnecting(flow: Flow, connected: Connected[]): Promise<LocalResult> {
  const stop = new AbortController();
  // Settles when the first handshake has started, or connecting ended (failed) before that.
  let dialed!: () => void;
  const dialing = new Promise<void>((resolve) => (dialed = resolve));
  const connecting = connectHosts(flow, dialed).then(
    (c) => {
      connected.push(...c);
      return c;
    },
    (e: unknown) => {
      stop.abort();
      throw e;
    },
  );
  // Awaited below; until then a rejection is not "unhandled".
  connecting.catch(() => undefined).finally(dialed);
  let local: LocalResult;
  try {
    local = await buildLocally(flow, stop.signal, dialing);
  } catch (e) {
    // When the build stopped because a host is unreachable, that is the reason to report.
    const reach = await connecting.then(
      () => undefined,
      (err: unknown) => err,
    );
    if (reach !== undefined && stop.signal.aborted) throw reach;
    throw e;
  }
  await connecting;
  return local;
}
