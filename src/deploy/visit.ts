// The check after a blue-green switch: the site through Caddy as a visitor
// reaches it (its port, Host header, SNI), over the SSH connection. The gate
// checked each instance on its own port; this proves Caddy routes to them.
import type { Config, HostConfig } from '../config/types.js';
import { healthCheckHost } from '../config/healthHost.js';
import type { HealthResult } from './health.js';

export interface SiteTarget {
  port: number;
  tls: boolean;
  /** Host header and SNI name. */
  hostName: string;
}

/** Where a visitor of the site's first address connects (Caddy's address syntax: "https://x", "http://x:8080", "x", ":80"). */
export function siteTarget(config: Pick<Config, 'webserver' | 'healthCheck'>, host: Pick<HostConfig, 'domains'>): SiteTarget {
  const address = [...config.webserver.domains, ...host.domains][0] ?? ':80';
  const scheme = /^([a-z]+):\/\//i.exec(address)?.[1]?.toLowerCase();
  const hostPort = address.replace(/^[a-z]+:\/\//i, '').split('/')[0];
  const m = /^(.*?)(?::(\d+))?$/.exec(hostPort)!;
  const name = m[1];
  // Caddy serves a bare domain over HTTPS; an address without a name (":80") over HTTP.
  const tls = scheme === 'https' || (scheme === undefined && name !== '' && m[2] === undefined);
  const port = m[2] ? Number(m[2]) : tls ? 443 : 80;
  return { port, tls, hostName: healthCheckHost(config, host) ?? (name && !name.includes('*') ? name : '127.0.0.1') };
}

/** What the check needs of the connection: one GET through it (src/ssh/session.ts httpGet). */
export interface HttpThrough {
  httpGet(port: number, path: string, opts?: { host?: string; timeoutMs?: number; tls?: boolean }): Promise<{ status: number }>;
}

/**
 * GET health_check.path (or /) through Caddy until it answers health_check.status
 * (any answer below 500 without a path), for at most a few seconds: the
 * instances already passed their own check, so a wrong answer here means
 * Caddy does not route to them.
 */
export async function visitSite(
  session: HttpThrough,
  config: Config,
  host: HostConfig,
  sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)),
): Promise<HealthResult> {
  const target = siteTarget(config, host);
  const path = config.healthCheck.path ?? '/';
  const want = config.healthCheck.path ? `${config.healthCheck.status}` : 'an answer below 500';
  const what = `GET ${path} through Caddy (${target.tls ? 'https' : 'http'}, port ${target.port}, Host: ${target.hostName})`;
  const deadline = Date.now() + Math.min(10, config.healthCheck.timeout) * 1000;
  let attempts = 0;
  let last = '';
  let onlyTls = target.tls;
  for (;;) {
    attempts++;
    try {
      const { status } = await session.httpGet(target.port, path, { host: target.hostName, timeoutMs: 5000, tls: target.tls });
      onlyTls = false;
      if (config.healthCheck.path ? status === config.healthCheck.status : status < 500) return { ok: true, attempts };
      last = `${what} answered ${status}, expected ${want}`;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (!/SSL|TLS|alert|handshake|socket disconnected/i.test(`${err.code ?? ''} ${err.message}`)) onlyTls = false;
      last = `${what}: ${err.message}`;
    }
    if (Date.now() >= deadline) {
      // Caddy may still be obtaining the site's certificate (a first deploy of
      // a domain): the instances passed their own check, so this is a warning.
      if (onlyTls) return { ok: true, attempts, error: `not checked through Caddy: ${last}` };
      return { ok: false, error: last, attempts };
    }
    await sleep(200);
  }
}
