// Steps 5–6 of a deploy: switch, check each host's health while its switch
// script waits, then commit or roll back. A rollout (issue 20) runs these
// once per wave of locked hosts; the records are per host, so waves add up.
import { SwitchHandle } from '../exec/remote.js';
import { usesBlueGreen } from '../plan/slots.js';
import { checkHealth, readUnitLog, type HealthResult } from './health.js';
import { mapLimit } from './hostSelection.js';
import { messageOf } from './settle.js';
import { visitSite } from './visit.js';
import { configForHost, runsWeb } from '../config/roles.js';
import type { Decided, Flow, Planned, Switched, Verified } from './flow.js';

/** 5–6 for one wave of planned hosts (today: all of them). */
export async function switchWave(flow: Flow, wave: Planned[]): Promise<Decided[]> {
  return decide(flow, await verifyHosts(flow, await switchHosts(flow, wave)));
}

/** 5. Every host switches (units, `current`, restart, Caddy) and waits for its units; each then waits for the verdict. */
export async function switchHosts(flow: Flow, planned: Planned[]): Promise<Switched[]> {
  const { ctx, config } = flow;
  const switchedAt = ctx.clock.now();
  const results = await mapLimit(planned, config.parallel, async (p) => ({
    ...p,
    switchedAt,
    switch: await p.remote.startSwitch(p.plan.switch),
  }));
  const switched: Switched[] = results.map((r, i) =>
    r.status === 'fulfilled' ? r.value : { ...planned[i], switchedAt, switchError: messageOf(r.reason) },
  );
  const allReady = switched.every((s) => s.switch?.ready);
  ctx.reporter.emit({ type: 'phase', phase: 'switch', status: allReady ? 'done' : 'failed', ms: flow.timings.lap('switch') });
  await ctx.pause('switched');
  return switched;
}

/**
 * 5b. The HTTP check of each host whose units came up: the site itself,
 * through Caddy, as a visitor reaches it. Blue-green: the new instances passed
 * their gate on the host before traffic moved; restart: the app's own health
 * check on its port comes first.
 */
export async function verifyHosts(flow: Flow, switched: Switched[]): Promise<Verified[]> {
  const { ctx } = flow;
  const results = await mapLimit(switched, flow.config.parallel, async (s): Promise<Verified> => {
    if (!s.switch?.ready) return { ...s, healthy: false };
    const h = await checkSwitched(flow, s);
    if (h.ok && h.error) ctx.reporter.info(h.error, s.host.name);
    if (h.ok) return { ...s, healthy: true };
    ctx.reporter.error(`health check failed: ${h.error}`, s.host.name);
    const unitLog = await readUnitLog(s.remote, configForHost(flow.config, s.host), s.host, (ctx.clock.now() - s.switchedAt) / 1000 + 5);
    if (unitLog) ctx.reporter.emit({ type: 'output', host: s.host.name, stream: 'stdout', text: unitLog });
    return { ...s, healthy: false, healthError: `health check failed: ${h.error}`, unitLog };
  });
  const verified = results.map((r, i): Verified =>
    r.status === 'fulfilled' ? r.value : { ...switched[i], healthy: false, healthError: messageOf(r.reason) },
  );
  ctx.reporter.emit({
    type: 'phase',
    phase: 'verify',
    status: verified.every((v) => v.healthy) ? 'done' : 'failed',
    ms: flow.timings.lap('verify'),
  });
  await ctx.pause('verified');
  return verified;
}

/** A switched host's check: restart, the app on its port first (it just restarted); then the site as a visitor reaches it. */
export async function checkSwitched(flow: Flow, s: Switched): Promise<HealthResult> {
  const { ctx } = flow;
  const config = configForHost(flow.config, s.host);
  // A host without the web process (its roles) has no site: its units' gate in the switch proved it.
  if (!runsWeb(config)) return { ok: true, attempts: 0 };
  // Restart: the app on its port first (it just restarted), then the site as a visitor reaches it.
  const app = usesBlueGreen(config) ? undefined : await checkHealth(s.remote, config, ctx.clock, s.host);
  return app && !app.ok ? app : visitSite(s.remote, config, s.host, (ms) => ctx.clock.sleep(ms));
}

/**
 * 6. Commit everywhere, or roll back: the failed hosts, and every host when
 * `everyone` (by default: one failed, with rollback = "all"). A rollout
 * (src/deploy/rollout.ts) says `everyone` itself, over several waves' hosts.
 */
export async function decide(flow: Flow, verified: Verified[], everyone?: boolean): Promise<Decided[]> {
  const { ctx, config } = flow;
  const anyFailed = verified.some((v) => !v.healthy);
  const all = everyone ?? (anyFailed && config.rollback === 'all');
  const ended = new Map<Verified, number>();
  const results = await mapLimit(verified, config.parallel, async (v): Promise<Decided> => {
    try {
      if (!v.switch) return { ...v, rolledBack: false, endedAt: ctx.clock.now() };
      const back = !v.healthy || all;
      const result = await v.switch.decide(back ? 'rollback' : 'commit');
      return { ...v, result, rolledBack: SwitchHandle.rolledBack(result), endedAt: ctx.clock.now() };
    } finally {
      ended.set(v, ctx.clock.now());
    }
  });
  const decided = results.map((r, i): Decided =>
    r.status === 'fulfilled'
      ? r.value
      : {
          ...verified[i],
          healthy: false,
          healthError: verified[i].healthError ?? messageOf(r.reason),
          rolledBack: false,
          endedAt: ended.get(verified[i]) ?? ctx.clock.now(),
        },
  );
  flow.decided.push(...decided);
  const failed = anyFailed || all || decided.some((d) => !d.healthy);
  ctx.reporter.emit({
    type: 'phase',
    phase: failed ? 'rollback' : 'commit',
    label: failed ? 'roll back' : 'record and prune',
    status: 'done',
    ms: flow.timings.lap(failed ? 'rollback' : 'commit'),
  });
  return decided;
}
