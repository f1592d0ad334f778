// After a deploy: does each site's domain resolve (from here) to its host?
// Warnings only, since DNS seen from here may differ from a visitor's.
// Skipped where the comparison means nothing: ProxyJump hosts, unresolvable or
// private host addresses (NAT), and .localhost names (loopback by RFC 6761).
import { isIP } from 'node:net';
import { systemResolver, type Resolver } from '../local/resolver.js';

export type { Resolver } from '../local/resolver.js';

/**
 * A resolver that looks each name up once, and can start the lookups early:
 * a deploy starts its sites' lookups when it starts and reads the answers at
 * its end, so a slow DNS server costs it nothing. A failed lookup is kept as
 * such (checkDomains reports it).
 */
export function prefetchingResolver(resolve: Resolver): Resolver & { prefetch(sites: string[]): void } {
  const seen = new Map<string, Promise<string[]>>();
  const once: Resolver = (name) => {
    let p = seen.get(name);
    if (!p) {
      p = resolve(name);
      p.catch(() => undefined); // read later, or never
      seen.set(name, p);
    }
    return p;
  };
  return Object.assign(once, {
    prefetch(sites: string[]) {
      for (const s of sites) {
        const d = domainName(s);
        if (d) void once(d.name).catch(() => undefined);
      }
    },
  });
}

export interface DnsHost {
  /** The host's name in deployer.toml (for the message). */
  name: string;
  /** The address deployer connected to: HostName after ~/.ssh/config, or the configured address. */
  address: string;
  /** Reached through ProxyJump: the address is as the last hop sees it. */
  jumped: boolean;
  /** The site's addresses as written (the config's and the host's domains). */
  domains: string[];
}

export interface DnsNote {
  host: string;
  level: 'warn' | 'debug';
  message: string;
}

/** The name in a site address, or undefined for what DNS has no say in (`:80`, wildcards, IP literals, `*.localhost`). */
export function domainName(site: string): { name: string; plainHttp: boolean } | undefined {
  const plainHttp = /^http:\/\//i.test(site);
  const rest = site.replace(/^https?:\/\//i, '').replace(/\/.*$/, '');
  if (rest === '' || rest.startsWith(':') || rest.includes('*') || rest.startsWith('[')) return undefined;
  const name = rest.replace(/:\d+$/, '').replace(/\.$/, '');
  if (name === '' || isIP(name) || isLoopbackName(name)) return undefined;
  return { name, plainHttp };
}

/** `localhost` and every name under `.localhost` (any case): reserved for loopback by RFC 6761. */
export function isLoopbackName(name: string): boolean {
  return /(?:^|\.)localhost\.?$/i.test(name);
}

const TIMEOUT_MS = 3000;

async function resolveWithin(resolve: Resolver, name: string): Promise<string[] | Error> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      resolve(name),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
      }),
    ]);
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  } finally {
    clearTimeout(timer);
  }
}

/** Loopback, RFC 1918, CGNAT, link-local and unique-local addresses: a public name may well reach them through NAT. */
export function isPrivate(address: string): boolean {
  const a = normalize(address);
  if (isIP(a) === 4) {
    const [x, y] = a.split('.').map(Number);
    return (
      x === 10 ||
      x === 127 ||
      (x === 172 && y >= 16 && y < 32) ||
      (x === 192 && y === 168) ||
      (x === 100 && y >= 64 && y < 128) ||
      (x === 169 && y === 254)
    );
  }
  return a === '::1' || /^f[cd]/.test(a) || /^fe[89ab]/.test(a);
}

function normalize(a: string): string {
  return a.toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}

/** The notes for every host's domains: warnings where a domain does not resolve to its host, debug lines where the check was skipped. */
export async function checkDomains(hosts: DnsHost[], resolve: Resolver = systemResolver): Promise<DnsNote[]> {
  const cache = new Map<string, Promise<string[] | Error>>();
  const lookupOnce = (name: string) => {
    if (!cache.has(name)) cache.set(name, resolveWithin(resolve, name));
    return cache.get(name)!;
  };
  const perHost = await Promise.all(
    hosts.map(async (h): Promise<DnsNote[]> => {
      const domains = [
        ...new Map(
          h.domains
            .map(domainName)
            .filter((d) => d !== undefined)
            .map((d) => [d.name.toLowerCase(), d]),
        ).values(),
      ];
      if (domains.length === 0) return [];
      const skip = (why: string): DnsNote[] => [
        { host: h.name, level: 'debug', message: `DNS check of ${domains.map((d) => d.name).join(', ')} skipped: ${why}` },
      ];
      if (h.jumped)
        return skip(`the host is reached through ProxyJump, so its address ${h.address} is as the jump host sees it, not as visitors do`);
      const hostAddrs = isIP(h.address) ? [h.address] : await lookupOnce(h.address);
      if (hostAddrs instanceof Error)
        return skip(
          `the host's address ${h.address} does not resolve from this machine (${hostAddrs.message}), so there is nothing to compare with`,
        );
      const own = new Set(hostAddrs.map(normalize));
      const shown = hostAddrs.join(', ');
      const notes: DnsNote[] = [];
      for (const d of domains) {
        const got = await lookupOnce(d.name);
        if (!(got instanceof Error) && got.some((a) => own.has(normalize(a)))) continue;
        if (!(got instanceof Error) && hostAddrs.every(isPrivate)) {
          notes.push({
            host: h.name,
            level: 'debug',
            message: `DNS check of ${d.name} skipped: it resolves to ${got.join(', ')} and the host's address ${shown} is private (behind NAT or a load balancer, the public address is not known here)`,
          });
          continue;
        }
        const seen = got instanceof Error ? 'does not resolve' : `resolves to ${got.join(', ')}, not to this host (${shown})`;
        const fix = d.plainHttp
          ? `add a DNS A/AAAA record for ${d.name} pointing to ${shown} (or a hosts-file entry for a test name)`
          : `add a DNS A/AAAA record for ${d.name} pointing to ${shown} (Caddy also needs it to get the HTTPS certificate); for a site without a public name, write "http://${d.name}" in domains to serve plain HTTP`;
        notes.push({
          host: h.name,
          level: 'warn',
          message: `${d.name} ${seen} as seen from this machine: visitors may not reach the site. Fix: ${fix}.`,
        });
      }
      return notes;
    }),
  );
  return perHost.flat();
}
