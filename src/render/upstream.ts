// webserver.upstream is where Caddy proxies to: "host:port" or a unix socket
// ("unix//run/app.sock", Caddy's spelling). Web replicas listen on
// consecutive ports from the upstream's port, so Caddy gets one address each.
import { ConfigError } from '../errors.js';

export interface Upstream {
  /** Absolute socket path for a unix upstream. */
  unixPath?: string;
  host: string;
  port?: number;
}

export function parseUpstream(upstream: string): Upstream {
  const unix = /^unix(?:\/|:)(\/.*)$/.exec(upstream);
  if (unix) return { unixPath: unix[1], host: '' };
  const withoutScheme = upstream.replace(/^https?:\/\//, '');
  const hostPort = /^(.*):(\d+)$/.exec(withoutScheme);
  if (hostPort) return { host: hostPort[1] === '' ? '127.0.0.1' : hostPort[1], port: Number(hostPort[2]) };
  return { host: withoutScheme };
}

/** The addresses for Caddy's reverse_proxy: one per web replica. */
export function upstreamAddresses(upstream: string, port: number | undefined, replicas: number): string[] {
  const parsed = parseUpstream(upstream);
  if (parsed.unixPath !== undefined) {
    if (replicas > 1) {
      throw new ConfigError(`webserver.upstream ${upstream} is a unix socket, but processes.web has ${replicas} replicas`, {
        hint: 'use a host:port upstream (replicas get consecutive ports), or remove replicas',
      });
    }
    return [`unix/${parsed.unixPath}`];
  }
  const base = port ?? parsed.port;
  if (base === undefined) return [upstream];
  return Array.from({ length: Math.max(1, replicas) }, (_, i) => `${parsed.host}:${base + i}`);
}
