// The addresses a visitor uses, from the Caddy site's addresses (the
// domains, or the catch-all `:80` on the host's own address).
import type { Config, HostConfig } from '../config/types.js';

/** The site's URLs on one host: `https://` for a bare domain (Caddy's automatic HTTPS), `http://` where the address says so. */
export function siteUrls(config: Pick<Config, 'webserver'>, host: Pick<HostConfig, 'address' | 'domains'>): string[] {
  if (!config.webserver.enabled) return [];
  const addresses = [...new Set([...config.webserver.domains, ...host.domains])];
  if (addresses.length === 0) return [`http://${hostForUrl(host.address)}/`];
  return addresses.flatMap((a) => {
    if (a.includes('*')) return [];
    if (/^https?:\/\//i.test(a)) return [a.endsWith('/') ? a : `${a}/`];
    if (a.startsWith(':')) {
      const port = a.slice(1);
      return [
        port === '443' ? `https://${hostForUrl(host.address)}/` : `http://${hostForUrl(host.address)}${port === '80' ? '' : `:${port}`}/`,
      ];
    }
    return [`https://${a.replace(/\/+$/, '')}/`];
  });
}

/** An IPv6 address goes in brackets in a URL. */
function hostForUrl(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}
