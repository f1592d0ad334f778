// The HTTP health check through the SSH connection (no curl on the host, no
// public port), with the site's host name (Django's ALLOWED_HOSTS answers as to
// a visitor), retried until health_check.timeout: a 503 while warming up is no failure.
import type { Config, HostConfig } from '../config/types.js';
import { journalUnits } from '../app/processUnits.js';
import { sudoArgv } from '../app/appScripts.js';
import { healthCheckHost } from '../config/healthHost.js';
import type { Clock, Remote } from '../context.js';
import { shellJoin } from '../shell/quote.js';

export interface HealthResult {
  ok: boolean;
  error?: string;
  attempts: number;
}

export async function checkHealth(
  remote: Pick<Remote, 'httpGet'>,
  config: Config,
  clock: Clock,
  host?: Pick<HostConfig, 'domains'>,
): Promise<HealthResult> {
  const hc = config.healthCheck;
  if (!hc.path) return { ok: true, attempts: 0 };
  const port = hc.port ?? config.webserver.port;
  if (!port)
    return {
      ok: false,
      error: 'health_check.path is set but no port is known: set health_check.port or webserver.upstream = "127.0.0.1:PORT"',
      attempts: 0,
    };
  const hostHeader = healthCheckHost(config, { domains: host?.domains ?? [] });
  const what = `GET ${hc.path} on port ${port}${hostHeader ? ` (Host: ${hostHeader})` : ''}`;
  const deadline = clock.now() + hc.timeout * 1000;
  let attempts = 0;
  let last = '';
  while (true) {
    attempts++;
    try {
      const res = await remote.httpGet(port, hc.path, {
        host: hostHeader,
        timeoutMs: Math.min(5000, Math.max(500, deadline - clock.now())),
      });
      if (res.status === hc.status) return { ok: true, attempts };
      last = `${what} answered ${res.status}, expected ${hc.status}`;
    } catch (e) {
      last = `${what}: ${(e as Error).message}`;
    }
    const left = deadline - clock.now();
    if (left <= 0) break;
    await clock.sleep(Math.min(500 * attempts, 2000, left));
  }
  return { ok: false, error: `${last} (${attempts} attempt${attempts === 1 ? '' : 's'} in ${hc.timeout} s)`, attempts };
}

/**
 * The app's journal lines since this deploy's switch (`--since -Ns` is
 * relative to the host's own clock, so clock skew does not matter): shown
 * when a health check fails, without the noise of earlier deploys.
 */
export function unitLogCommand(config: Config, host: Pick<HostConfig, 'user'>, sinceSeconds: number, lines = 20): string {
  const argv = ['journalctl', '--no-pager', '-o', 'cat', '-n', String(lines), '--since', `-${Math.max(1, Math.ceil(sinceSeconds))}s`];
  for (const u of journalUnits(config)) argv.push('-u', u);
  return shellJoin(sudoArgv(host.user, argv));
}

export async function readUnitLog(
  remote: Pick<Remote, 'exec'>,
  config: Config,
  host: Pick<HostConfig, 'user'>,
  sinceSeconds: number,
): Promise<string | undefined> {
  try {
    const r = await remote.exec(unitLogCommand(config, host, sinceSeconds));
    const text = r.stdout.trim();
    return r.code === 0 && text && text !== '-- No entries --' ? text : undefined;
  } catch {
    return undefined; // The logs are a courtesy: their absence must not hide the health check's own error.
  }
}
