// `deployer server bootstrap` and `server create-user NAME`: one SSH
// connection per host, one script each (remote/server-*.sh, given their
// arguments by bootstrap.ts / createUser.ts), its @@ markers turned into a report of what changed. These
// work on the host, not on an app: no app lock, no app state read.
import type { Config, HostConfig } from '../config/types.js';
import type { Context } from '../context.js';
import { DeployerError, RemoteCommandError } from '../errors.js';
import { mapLimit, selectHosts } from '../deploy/hostSelection.js';
import { loadCommandConfig } from '../deploy/commandConfig.js';
import { layoutFor } from '../plan/layout.js';
import { SshSession } from '../ssh/session.js';
import { renderBootstrapScript } from './bootstrap.js';
import { checkUserName, renderCreateUserScript } from './createUser.js';
import { parseServerOutput, type ServerReport } from './prelude.js';

export interface HostReport extends ServerReport {
  host: string;
}

async function runOnHosts(ctx: Context, config: Config, what: string, script: (host: HostConfig) => string): Promise<HostReport[]> {
  const { reporter } = ctx;
  const hosts = selectHosts(config, ctx.global.host, ctx.global.role);
  const results = await mapLimit(hosts, config.parallel, async (host): Promise<HostReport> => {
    const session = await SshSession.connect(host, { env: ctx.env, debug: (m) => reporter.debug(m, host.name) });
    try {
      const text = script(host);
      const errLines = reporter.redactor.lines((t) => t.trim() && reporter.debug(t.trimEnd(), host.name));
      const r = await session.execScript(text, { onStderr: (c) => errLines.push(c) });
      errLines.flush();
      const report = parseServerOutput(r.stdout);
      for (const c of report.changed) reporter.info(`changed: ${c}`, host.name);
      for (const u of report.unchanged) reporter.debug(`unchanged: ${u}`, host.name);
      if (report.error || r.code !== 0 || !report.ended) {
        const why = report.error ?? `the script stopped (exit ${r.code ?? r.signal})`;
        reporter.emit({ type: 'phase', host: host.name, phase: what.split(' ')[0], label: what, status: 'failed' });
        throw new RemoteCommandError(`${host.name}: ${what} failed: ${why}`, r.code, r.stderr, { details: tail(r.stderr) || undefined });
      }
      const detail = report.changed.length === 0 ? 'no change' : `${report.changed.length} change${report.changed.length === 1 ? '' : 's'}`;
      reporter.emit({ type: 'phase', host: host.name, phase: what.split(' ')[0], label: what, status: 'done', detail });
      return { host: host.name, ...report };
    } finally {
      session.close();
    }
  });
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  for (const f of failed.slice(1)) reporter.error(f.reason instanceof Error ? f.reason.message : String(f.reason));
  if (failed.length) throw failed[0].reason instanceof Error ? failed[0].reason : new DeployerError(String(failed[0].reason));
  return results.map((r) => (r as PromiseFulfilledResult<HostReport>).value);
}

function tail(text: string, n = 15): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

export async function runBootstrap(ctx: Context): Promise<void> {
  const config = loadCommandConfig(ctx);
  const L = layoutFor(config);
  const script = renderBootstrapScript({ appsDir: L.appsDir, sitesDir: L.caddySitesDir, caddyfile: L.caddyfile });
  const hosts = await runOnHosts(ctx, config, 'bootstrap', () => script);
  ctx.reporter.emit({ type: 'result', command: 'server bootstrap', ok: true, data: { hosts } });
}

export async function runCreateUser(ctx: Context, name: string): Promise<void> {
  checkUserName(name);
  const config = loadCommandConfig(ctx);
  const script = renderCreateUserScript(name);
  const hosts = await runOnHosts(ctx, config, `create-user ${name}`, () => script);
  ctx.reporter.emit({ type: 'result', command: 'server create-user', ok: true, data: { user: name, hosts } });
}
