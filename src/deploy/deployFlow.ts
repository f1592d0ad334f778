// `deployer deploy` (and `redeploy`): the whole flow across hosts, in the
// order of the README's "What a deploy does".
import type { Config } from '../config/types.js';
import type { Context } from '../context.js';
import { whoIsAsking } from './connect.js';
import { Timings, type Decided, type DeployOptions, type Flow, type LocalResult, type Planned } from './flow.js';
import { runEndHooks, type DeployEnd } from './hooks.js';
import { loadDeployConfig } from './commandConfig.js';
import { reportFailure, reportOutcome, reportStoppedHosts, reportTimings } from './outcome.js';
import { HostRun, type Locked } from './hostRun.js';
import { buildLocally } from './localPhase.js';
import { connectHosts, lockHosts, nothingToDo, planHosts, recordUnchanged } from './phases.js';
import { rollOut } from './rollout.js';
import { selectHosts } from './hostSelection.js';
import { describeInterruption, interruptedHosts, watchInterrupt } from './interrupt.js';
import { prefetchingResolver } from './dnsCheck.js';

export type { DeployOptions } from './flow.js';

export async function runDeploy(ctx: Context, opts: DeployOptions): Promise<void> {
  const target = loadDeployConfig(ctx);
  // Ctrl-C (or SIGTERM): no wave and no switch starts after it; say what was interrupted and where each host is left
  // (src/deploy/interrupt.ts), each host in the final table.
  const hostNames = () => selectHosts(target.config, ctx.global.host, ctx.global.role).map((h) => h.name);
  const stop = new AbortController();
  const ctrlC = watchInterrupt(process, (signal) => {
    stop.abort();
    const seen = { events: ctx.reporter.events, hosts: hostNames(), version: target.version, rollback: target.config.rollback };
    for (const e of interruptedHosts(seen)) ctx.reporter.emit(e);
    return describeInterruption(seen.events, seen.hosts, seen.version, { signal, rollback: seen.rollback });
  });
  try {
    await Promise.race([deploy(ctx, opts, target, stop.signal), ctrlC.interrupted]);
  } finally {
    ctrlC.dispose();
  }
}

/** How a deploy ended; `decided` once every host had its verdict. */
export type DeployResult = { outcome: 'success'; decided: Decided[] } | { outcome: 'failure'; error: unknown; decided?: Decided[] };

export async function deploy(
  ctx: Context,
  opts: DeployOptions,
  target: { config: Config; version: string },
  interrupt?: AbortSignal,
): Promise<void> {
  const flow = { ...startFlow(ctx, opts, target), interrupt };
  try {
    const result = await attempt(flow);
    // Interrupted: the interruption said it all, and the process ends now; the hosts settle by themselves.
    if (interrupt?.aborted) throw result.outcome === 'failure' ? result.error : interrupt.reason;
    // on_failure / always: on the hosts while their lock is still held, then locally.
    const held = flow.run.held.filter((h) => !flow.reached || flow.reached.has(h.host.name));
    await runEndHooks(flow, held, endOf(held, result));
    if (result.outcome === 'failure') throw result.error;
  } finally {
    flow.run.close();
  }
}

/** The deploy up to its reported outcome; never throws. */
async function attempt(flow: Flow): Promise<DeployResult> {
  let reached: { unchanged: true; planned: Planned[] } | { unchanged: false; decided: Decided[] };
  try {
    reached = await untilVerdict(flow);
  } catch (error) {
    if (flow.interrupt?.aborted) return { outcome: 'failure', error };
    // A deploy that stopped before the per-host verdict (build, SSH, lock, prepare) still says why, and how far each host got.
    reportTimings(flow);
    reportStoppedHosts(flow);
    reportFailure(flow, error);
    return { outcome: 'failure', error };
  }
  let decided: Decided[] | undefined;
  try {
    decided = reached.unchanged ? await recordUnchanged(flow, reached.planned) : reached.decided;
    await reportOutcome(flow, decided, { unchanged: reached.unchanged });
    return { outcome: 'success', decided };
  } catch (error) {
    return { outcome: 'failure', error, decided };
  }
}

async function untilVerdict(flow: Flow) {
  // 1–3. Build, hash, render; meanwhile one SSH connection per host, so a wrong address fails in seconds.
  const local = await buildWhileConnecting(flow);
  // 3. The app's lock and the host's state.
  const locked = await lockHosts(flow);
  // 4. Plan, upload what differs, prepare the release. Nothing live changes.
  const planned = planHosts(flow, local, locked);
  if (nothingToDo(planned)) return { unchanged: true as const, planned };
  // 4b–6. Upload and prepare, switch, check each host's health while its switch script waits, commit or roll back:
  // all hosts at once, or wave after wave with [rollout] (src/deploy/rollout.ts); flow.run keeps every lock until the end.
  return { unchanged: false as const, decided: await rollOut(flow, planned) };
}

/** Which hosts failed and which serve a release now, for the end hooks. */
function endOf(held: Locked[], result: DeployResult): DeployEnd {
  const failed = result.outcome === 'failure';
  const byName = new Map((result.decided ?? []).map((d) => [d.host.name, d]));
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
  return { outcome: result.outcome, failedHosts, servingHosts };
}

function startFlow(ctx: Context, opts: DeployOptions, { config, version }: { config: Config; version: string }): Flow {
  const hosts = selectHosts(config, ctx.global.host, ctx.global.role);
  ctx.reporter.info(
    `${opts.action === 'redeploy' ? 'Redeploying' : 'Deploying'} ${config.appName} ${version} to ${hosts.map((h) => h.name).join(', ')}`,
  );
  const timings = new Timings(() => ctx.clock.now());
  const resolve = prefetchingResolver(ctx.resolve);
  if (config.webserver.enabled) resolve.prefetch([...config.webserver.domains, ...hosts.flatMap((h) => h.domains)]);
  return {
    ctx,
    opts,
    config,
    version,
    hosts,
    run: new HostRun(ctx, config, hosts),
    touched: new Set(),
    decided: [],
    timings,
    by: whoIsAsking(ctx),
    time: new Date(ctx.clock.now()).toISOString(),
    resolve,
  };
}

/** The local phase with the connections opened alongside it: a host that cannot be reached stops the build at once. */
async function buildWhileConnecting(flow: Flow): Promise<LocalResult> {
  const stop = new AbortController();
  // Settles when the first handshake has started, or connecting ended (failed) before that.
  let dialed!: () => void;
  const dialing = new Promise<void>((resolve) => (dialed = resolve));
  const connecting = connectHosts(flow, dialed).catch((e: unknown) => {
    stop.abort();
    throw e;
  });
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
