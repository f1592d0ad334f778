// What deployer.toml itself shows in clear (every value but env and
// [secrets]), for the Redactor's keep(): anyone who reads the config reads
// these, and `[REDACTED]` in their place would tell which secret equals them.
import type { Config } from '../config/types.js';
import { siteUrls } from './urls.js';

/** Keys whose values may hold secrets: env text and secret adapter options. */
const HIDDEN_KEYS = new Set(['env', 'secrets']);

export function clearValues(config: Config): string[] {
  const out = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') out.add(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') for (const [key, v] of Object.entries(value)) if (!HIDDEN_KEYS.has(key)) walk(v);
  };
  walk(config);
  // Tolerant of a partial Config (one built by hand has no webserver or hosts): this only ever adds clear text.
  const webserver = config.webserver as Config['webserver'] | undefined;
  const hosts = config.hosts ?? [];
  walk(Object.keys(webserver?.statics ?? {}));
  const sites = [...(webserver?.domains ?? []), ...hosts.flatMap((h) => h.domains ?? [])];
  for (const site of sites) {
    const hostPart = site.replace(/^https?:\/\//i, '').replace(/\/.*$/, '');
    const name = hostPart.replace(/:\d+$/, '');
    for (const v of [hostPart, name, name.replace(/\.$/, '')]) {
      if (!v || v.startsWith(':')) continue;
      out.add(v);
      out.add(`http://${v}`);
      out.add(`https://${v}`);
    }
  }
  if (webserver) for (const h of hosts) for (const url of siteUrls(config, h)) out.add(url);
  return [...out].filter((v) => v.trim() !== '');
}
