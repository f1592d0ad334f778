// The HTTP health check, made through the SSH connection (a forwarded
// channel to 127.0.0.1:<port> on the host), so the host needs no curl and the
// app needs no public port.
import type { Config } from '../config/types.js';
import type { SshSession } from '../ssh/session.js';

export interface HealthResult {
  ok: boolean;
  error?: string;
  attempts: number;
}

export async function checkHealth(session: SshSession, config: Config, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<HealthResult> {
  const hc = config.healthCheck;
  if (!hc.path) return { ok: true, attempts: 0 };
  const port = hc.port ?? config.webserver.port;
  if (!port) return { ok: false, error: 'health_check.path is set but no port is known: set health_check.port or webserver.upstream = "127.0.0.1:PORT"', attempts: 0 };
  const deadline = Date.now() + hc.timeout * 1000;
  let attempts = 0;
  let last = '';
  while (true) {
    attempts++;
    try {
      const res = await session.httpGet(port, hc.path, { timeoutMs: Math.min(5000, Math.max(500, deadline - Date.now())) });
      if (res.status === hc.status) return { ok: true, attempts };
      last = `GET ${hc.path} on port ${port} answered ${res.status}, expected ${hc.status}`;
      // A definite wrong answer from a running app will not fix itself by waiting long.
      if (res.status >= 500 && attempts >= 3) break;
    } catch (e) {
      last = `GET ${hc.path} on port ${port}: ${(e as Error).message}`;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(500 * attempts, 2000));
  }
  return { ok: false, error: last, attempts };
}
