// When Caddy refuses a new site because another site on the host already
// claims its address (two apps with the default `domains = []` both serve
// `:80`), say which app holds it and that `domains` is the fix, instead of
// Caddy's bare "ambiguous site definition".
import type { Config } from '../config/types.js';
import type { Remote } from '../context.js';
import { layoutFor } from '../plan/layout.js';
import { shellJoin } from '../shell/quote.js';

/** The address Caddy named in "ambiguous site definition: ADDR", if that is why it refused. */
export function ambiguousAddress(stderr: string): string | undefined {
  return /ambiguous site definition: (\S+)/.exec(stderr)?.[1];
}

/** Reads the other sites' header lines: `# Managed by deployer for APP…` and the address line `a, b {`. */
export function sitesCommand(sitesDir: string): string {
  return shellJoin(['grep', '-rHE', '--', '^(# Managed by deployer for |[^#[:space:]].*\\{[[:space:]]*$)', sitesDir]);
}

/** file -> { app, addresses } from the grep output. */
export function parseSites(output: string): Map<string, { app?: string; addresses: string[] }> {
  const sites = new Map<string, { app?: string; addresses: string[] }>();
  for (const line of output.split('\n')) {
    const m = /^(.+?\.caddy):(.*)$/.exec(line);
    if (!m) continue;
    const site = sites.get(m[1]) ?? { addresses: [] };
    const app = /^# Managed by deployer for ([^\s:]+)/.exec(m[2]);
    if (app) site.app = app[1];
    else if (site.addresses.length === 0)
      site.addresses = m[2]
        .replace(/\{\s*$/, '')
        .split(/[\s,]+/)
        .filter(Boolean);
    sites.set(m[1], site);
  }
  return sites;
}

/** A sentence naming who holds `address` on the host and the fix; undefined when it cannot be told. */
export async function explainSiteClash(remote: Pick<Remote, 'exec'>, config: Config, address: string): Promise<string | undefined> {
  const L = layoutFor(config);
  let output: string;
  try {
    output = (await remote.exec(sitesCommand(L.caddySitesDir))).stdout;
  } catch {
    return undefined;
  }
  const strip = (a: string) => a.replace(/^"|"$/g, '');
  const holders = [...parseSites(output)].filter(([file, s]) => file !== L.caddySite && s.addresses.map(strip).includes(address));
  if (holders.length === 0) return undefined;
  const names = holders.map(([file, s]) => (s.app ? `app "${s.app}" (${file})` : file)).join(', ');
  const catchAll = address.startsWith(':');
  return (
    `the site address ${address} is already served on this host by ${names}. ` +
    (catchAll
      ? `Both apps have no domains, so both claim every name on port ${address.slice(1)}. Fix: set webserver.domains (or the host's domains) for ${config.appName}, e.g. domains = ["${config.app}.example.com"], and give the other app its own domains too`
      : `Fix: choose other domains for ${config.appName} in webserver.domains, or remove ${address} from the other app`)
  );
}
