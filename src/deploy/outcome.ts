// What a deploy tells its user at the end: each host's line, the site's
// URLs and the total time, the timings, the CI step summary and outputs,
// and — when it failed — an error that says what state each host is in.
import { DeployerError, UnhealthyError } from '../errors.js';
import { findMarker, hasMarker, Marker } from '../remote/protocol.js';
import { formatMs } from '../output/reporter.js';
import type { Decided, Flow } from './flow.js';
import { tail } from './tail.js';
import { runLocalCommand } from '../local/build.js';
import { writeFailureSummary, writeGithubOutputs, writeStepSummary, type HostOutcome } from './summary.js';
import { siteUrls } from './urls.js';
import { configForHost, hostServesWeb } from '../config/roles.js';
import { checkDomains } from './dnsCheck.js';
import { explainGate } from './gateWhy.js';
import { envSources } from './releaseFiles.js';
import { parseEnvText } from '../secrets/index.js';
import { reportHostOutcomes } from './hostOutcomes.js';

export function hostSummary(d: Decided): HostOutcome & Record<string, unknown> {
  const markers = d.result?.markers ?? [];
  const sum = d.plan.summary;
  return {
    host: d.host.name,
    uploads: d.plan.uploads.length,
    uploadedBytes: d.uploadedBytes,
    installSkipped: sum.installSkipped,
    venvReused: sum.venvReused,
    copied: sum.copied.length,
    daemonReload: hasMarker(markers, Marker.daemonReload),
    caddyReload: hasMarker(markers, Marker.caddyReload),
    healthy: d.healthy,
    rolledBack: d.rolledBack,
    pruned: d.healthy && !d.rolledBack ? sum.prune : [],
    healed: d.healthy && !d.rolledBack ? (sum.healing ?? []) : [],
    execChannels: d.remote.execCount,
    // Blue-green's gate: "FIRST_MS STABLE_MS UNIT..." (remote/web.sh).
    ...appAnswered(findMarker(markers, Marker.webHealthy)),
  };
}

export function appAnswered(arg: string | undefined): { appAnsweredMs?: number } {
  const ms = Number(arg?.split(' ')[0]);
  return arg !== undefined && Number.isInteger(ms) && ms >= 0 ? { appAnsweredMs: ms } : {};
}

/** The end of a deploy that reached a verdict on every host. Throws when any host failed. */
export async function reportOutcome(flow: Flow, decided: Decided[], { unchanged }: { unchanged: boolean }): Promise<void> {
  const { ctx, config, version, opts } = flow;
  const { reporter } = ctx;
  const hosts = decided.map(hostSummary);
  const ok = decided.every((d) => d.healthy && !d.rolledBack);
  const urls = [...new Set(flow.hosts.flatMap((h) => siteUrls(configForHost(config, h), h)))];
  if (!ok) {
    reportHostOutcomes(flow, decided, false, (d) => failureReason(config, d));
    reportTimings(flow);
    const totalMs = flow.timings.total();
    writeStepSummary(ctx.env, config, version, hosts, false, { totalMs });
    reporter.emit({ type: 'result', command: opts.action, ok: false, data: { app: config.appName, version, ms: totalMs, hosts } });
    throw failureError(flow, decided);
  }
  if (!unchanged) {
    for (const d of decided)
      reporter.emit({
        type: 'phase',
        host: d.host.name,
        phase: 'live',
        label: `${version} is live`,
        status: 'done',
        detail: liveDetail(hostSummary(d)),
      });
  }
  reportHostOutcomes(flow, decided, unchanged, (d) => failureReason(config, d));
  if (config.hooks.postDeployLocal) {
    await runLocalCommand({
      command: config.hooks.postDeployLocal,
      what: 'post_deploy_local hook',
      cwd: config.root,
      env: { ...ctx.env, DEPLOYER_VERSION: version },
      timeoutSec: config.buildTimeout,
      reporter,
    });
  }
  reportTimings(flow);
  const totalMs = flow.timings.total();
  for (const url of urls) reporter.info(`${config.appName} ${version}: ${url}`);
  await warnAboutDns(flow, decided);
  reporter.info(`done in ${formatMs(totalMs)}`);
  writeStepSummary(ctx.env, config, version, hosts, true, { urls, totalMs });
  writeGithubOutputs(ctx.env, { url: urls[0], version });
  reporter.emit({
    type: 'result',
    command: opts.action,
    ok: true,
    data: { app: config.appName, version, ...(unchanged ? { unchanged: true } : {}), urls, ms: totalMs, hosts },
  });
}

/** A domain that does not resolve (from here) to its host: a warning with the fix; never a failure. */
async function warnAboutDns(flow: Flow, decided: Decided[]): Promise<void> {
  const { config, ctx } = flow;
  if (!config.webserver.enabled) return;
  const notes = await checkDomains(
    decided
      .filter((d) => hostServesWeb(config, d.host))
      .map((d) => ({
        name: d.host.name,
        address: d.remote.route?.address ?? d.host.address,
        jumped: d.remote.route?.jumped ?? false,
        domains: [...config.webserver.domains, ...d.host.domains],
      })),
    flow.resolve,
  );
  // The same warning for several hosts (a domain that resolves nowhere, hosts on one address) is said once, naming them.
  const said = new Map<string, string[]>();
  for (const n of notes) said.set(`${n.level}\0${n.message}`, [...(said.get(`${n.level}\0${n.message}`) ?? []), n.host]);
  for (const [key, hosts] of said) {
    const [level, message] = key.split('\0') as ['warn' | 'debug', string];
    ctx.reporter.emit({ type: 'log', level, message, ...(hosts.length === 1 ? { host: hosts[0] } : { hosts }) });
  }
}

/** --timings (or --verbose): the phases that ran, also when the deploy failed. */
export function reportTimings(flow: Flow): void {
  if (!flow.opts.timings && !flow.ctx.reporter.verbose) return;
  const phases = flow.timings.phases;
  const ran = phases.length ? phases.map(([n, ms]) => `${n} ${formatMs(ms)}`).join(', ') : 'no phase finished';
  flow.ctx.reporter.info(`timings: ${ran}; total ${formatMs(flow.timings.total())}`);
}

/** For a deploy that stopped before every host's verdict: each host as far as it got, in the final table and --json. */
export function reportStoppedHosts(flow: Flow): void {
  reportHostOutcomes(flow, flow.decided, false, (d) => failureReason(flow.config, d));
}

/** For a deploy that stopped before any host's verdict: the reason on the CI job's page. */
export function reportFailure(flow: Flow, e: unknown): void {
  const { redactor } = flow.ctx.reporter;
  const message = e instanceof Error ? e.message : String(e);
  const hint = e instanceof DeployerError && e.hint ? redactor.redact(e.hint) : undefined;
  try {
    writeFailureSummary(flow.ctx.env, flow.config.appName, flow.version, redactor.redact(message), hint);
  } catch {
    // An unwritable summary file must not hide why the deploy failed.
  }
}

function liveDetail(s: ReturnType<typeof hostSummary>): string {
  return [
    s.uploads ? `${s.uploads} uploaded` : 'nothing uploaded',
    s.copied ? `${s.copied} copied on the host` : null,
    s.installSkipped ? 'install skipped' : s.venvReused ? 'venv reused' : null,
    s.daemonReload ? 'units changed' : 'units unchanged (no daemon-reload)',
    s.caddyReload ? 'Caddy reloaded' : 'Caddy unchanged',
    typeof s.appAnsweredMs === 'number' ? `the app answered ${formatMs(s.appAnsweredMs)} after its start` : null,
    s.pruned.length ? `pruned ${s.pruned.join(', ')}` : null,
    (s.healed as string[]).length ? `started again: ${(s.healed as string[]).join(', ')}` : null,
  ]
    .filter(Boolean)
    .join(', ');
}

/** What the host saw of a failed blue-green gate, with the cause the config shows (src/deploy/gateWhy.ts). */
function gateReasons(config: Flow['config'], d: Decided): string[] {
  const markers = d.result?.markers ?? [];
  const web = configForHost(config, d.host).processes.find((p) => p.name === 'web');
  if (!web) return [];
  let env: Array<{ key: string; value: string }> = [];
  try {
    env = envSources(config, d.host).flatMap(({ text, source }) => parseEnvText(text, source));
  } catch {
    // The deploy read it already; a file changed since only costs the env's part of the reason.
  }
  return explainGate(markers, { command: web.command, env });
}

/** Why one host failed, in a line. */
function failureReason(config: Flow['config'], d: Decided): string {
  return (
    d.healthError ??
    d.switchError ??
    (d.switch?.ready
      ? 'rolled back'
      : [`the switch failed at: ${d.result?.failedStep ?? 'its start'}`, ...gateReasons(config, d)].join('; '))
  );
}

/** The error of a failed verdict: which hosts failed and why, and what each host serves now. */
function failureError(flow: Flow, decided: Decided[]): UnhealthyError {
  const { config, version } = flow;
  const failed = decided.filter((d) => !d.healthy);
  const why = (d: Decided) => failureReason(config, d);
  const details = failed.map((d) => [`${d.host.name}: ${why(d)}`, tail(d.result?.stderr ?? '')].filter(Boolean).join('\n')).join('\n');
  const states = decided.map((d) => {
    const previous = d.plan.summary.previous;
    const healing = d.plan.summary.healing ?? [];
    if (healing.length && !d.healthy)
      return `${d.host.name} keeps ${version} live, but ${healing.join(', ')} could not be started again there: the site may be down`;
    // The release gone back to had services not running: it cannot be said to serve.
    const stopped = d.lock.state.current === previous ? (d.lock.state.inactive ?? []) : [];
    if (d.rolledBack && previous && stopped.length)
      return `${d.host.name} rolled back to ${previous}, which could not be healed: ${stopped.join(', ')} ${stopped.length === 1 ? 'is' : 'are'} still not running there`;
    if (d.rolledBack)
      return previous
        ? `${d.host.name} rolled back, ${previous} serves again`
        : `${d.host.name} rolled back; no release was live before, so ${config.appName} is stopped there`;
    if (!d.switch)
      return `${d.host.name} in an unknown state (its switch did not start; the host reverts by itself when the connection ends)`;
    return d.healthy ? `${d.host.name} kept ${version}` : `${d.host.name} not rolled back`;
  });
  // A rollout that stopped (src/deploy/rollout.ts) never reached the hosts of its later waves.
  const reached = new Set(decided.map((d) => d.host.name));
  const untouched = flow.hosts.filter((h) => !reached.has(h.name)).map((h) => h.name);
  if (untouched.length) states.push(`not touched (the rollout stopped before them): ${untouched.join(', ')}`);
  // A heal records no release: the live one stays as it was recorded.
  const marked = failed.some((d) => !d.plan.summary.healing?.length);
  // Units' log lines are in the output only when a wait on them failed (the
  // gate, wait-units: they print the journal) or the health check read it; a
  // step such as starting the slot (a port taken) prints only its reason.
  const printed = (d: Decided) => tail(d.result?.stderr ?? '') !== '';
  const unitLogsShown = failed.some((d) => d.unitLog !== undefined || (printed(d) && /^wait /.test(d.result?.failedStep ?? '')));
  const outputShown = failed.some(printed);
  return new UnhealthyError(
    `${config.appName} ${version} failed its checks on ${failed.map((d) => d.host.name).join(', ')}; ${states.join('; ')}${marked ? `; ${version} is marked failed` : ''}`,
    {
      details,
      hint: unitLogsShown
        ? "the unit's last log lines are shown above; `deployer app logs` shows more"
        : `${outputShown ? "the host's reason is shown above; " : ''}\`deployer app logs\` shows the app's log`,
    },
  );
}
