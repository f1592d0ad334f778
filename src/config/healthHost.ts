// The Host header the health check sends: health_check.host, else the site's
// first domain (webserver domains, then the host's own), so an app that checks
// its host name (Django's ALLOWED_HOSTS) answers as it would to a visitor.
// Undefined when neither is set: the checker then uses the address it dials.
import type { Config, HostConfig } from './types.js';

export function healthCheckHost(config: Pick<Config, 'healthCheck' | 'webserver'>, host: Pick<HostConfig, 'domains'>): string | undefined {
  if (config.healthCheck.host !== undefined) return config.healthCheck.host;
  const first = [...config.webserver.domains, ...host.domains][0];
  return first === undefined ? undefined : hostOfAddress(first);
}

/** A Caddy site address ("http://example.com:8080/x", "*.example.com", ":80") as a Host header value, or undefined. */
function hostOfAddress(address: string): string | undefined {
  const withoutScheme = address.replace(/^[a-z]+:\/\//i, '');
  const hostPort = withoutScheme.split('/')[0];
  if (hostPort === '' || hostPort.startsWith(':') || hostPort.includes('*')) return undefined;
  return hostPort;
}
