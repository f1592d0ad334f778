// Ports shared on one host. Every app and stage (each its own app dir,
// units and site) takes a range of ports from its upstream port P: with
// blue-green, 2 per web replica (slot a the even offsets, slot b the odd
// ones, src/plan/slots.ts); with restart, one per replica. Two ranges on one
// host must not overlap, or one app starts its idle slot on a port the other
// serves from and the switch fails after the fact. Each app's range is
// recorded in its web unit file (`# deployer-ports: FIRST-LAST`, beside the
// marker and owner lines): units are global, so apps in any apps_dir are
// seen. For a web unit written before that line existed, the range is
// derived from what is on the host (the probe's `@@port-unit` facts). Pure.
import type { Config } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { parseUpstream } from '../render/upstream.js';
import { usesBlueGreen, type Slot } from './slots.js';

export interface PortRange {
  first: number;
  last: number;
}

/** Another app's (or stage's) ports on the host. */
export interface PortClaim extends PortRange {
  /** The app dir's name: `<app>` or `<app>-<stage>`. */
  appName: string;
  /** Its owner record, "app=shop stage=staging apps_dir=/srv/deployer", when its unit carries one. */
  owner?: string;
  /** The web unit file the range comes from. */
  unit: string;
  /** True when read from the unit's ports line; false when derived from its units, links and site. */
  recorded: boolean;
}

// What the probe saw of one web unit: a wire type (src/remote/state.ts).
import type { WebUnitFacts } from '../remote/state.js';
export type { WebUnitFacts };

export const PORTS_LINE = '# deployer-ports: ';

/** The line the web unit carries. */
export function portsRecordLine(range: PortRange): string {
  return `${PORTS_LINE}${range.first}-${range.last}`;
}

/** The line this config's web unit carries, or undefined when it takes no ports. */
export function portsLineOf(config: PortConfig): string | undefined {
  const range = portRangeOf(config);
  return range ? portsRecordLine(range) : undefined;
}

export function formatRange(r: PortRange): string {
  return r.first === r.last ? `port ${r.first}` : `ports ${r.first}-${r.last}`;
}

type PortConfig = Pick<Config, 'processes' | 'webserver' | 'appName' | 'strategy'>;

/** The ports this config's web process takes on a host, or undefined when it takes none (no web process, a unix socket). */
export function portRangeOf(config: PortConfig): PortRange | undefined {
  const web = config.processes.find((p) => p.name === 'web');
  if (!web) return undefined;
  const up = parseUpstream(config.webserver.upstream);
  const base = config.webserver.port ?? up.port;
  if (up.unixPath !== undefined || base === undefined) return undefined;
  const r = web.socket ? 1 : Math.max(1, web.replicas);
  return { first: base, last: base + (usesBlueGreen(config) ? 2 * r : r) - 1 };
}

export function overlaps(a: PortRange, b: PortRange): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** The web unit's record, or what shows on the host, as a range; undefined when nothing tells. */
export function claimOf(unit: string, facts: WebUnitFacts): PortClaim | undefined {
  const value = (prefix: string) =>
    facts.lines
      .find((l) => l.startsWith(prefix))
      ?.slice(prefix.length)
      .trim();
  const appName = value('# deployer-app: ');
  if (!appName) return undefined;
  const owner = value('# deployer-owner: ');
  const base = { appName, unit, ...(owner ? { owner } : {}) };
  const recorded = /^(\d+)-(\d+)$/.exec(value(PORTS_LINE) ?? '');
  if (recorded) return { ...base, first: Number(recorded[1]), last: Number(recorded[2]), recorded: true };
  const range = derivedRange(facts, value('Environment=PORT='), value('WorkingDirectory='));
  return range && { ...base, ...range, recorded: false };
}

/**
 * A range from an older deployer's units: a fixed `Environment=PORT=N`
 * (restart), else the ports its instances and site use; a blue-green app
 * (its instances run from `<appDir>/.web/%i`) also owns the other slot's
 * port beside each live one.
 */
function derivedRange(facts: WebUnitFacts, envPort: string | undefined, workDir: string | undefined): PortRange | undefined {
  if (envPort !== undefined && /^\d+$/.test(envPort)) return { first: Number(envPort), last: Number(envPort) };
  const live = facts.enabled.length ? facts.enabled : facts.upstreams;
  const seen = [...live, ...facts.links];
  if (seen.length === 0) return undefined;
  let first = Math.min(...seen);
  let last = Math.max(...seen);
  if (workDir?.endsWith('/.web/%i') && live.length) {
    // Slot a serves from P, P+2 …; slot b from P+1, P+3 …: the other slot is beside each.
    const lo = Math.min(...live);
    const hi = Math.max(...live);
    if (facts.live === 'b') first = Math.min(first, lo - 1);
    else last = Math.max(last, hi + 1);
  }
  return { first, last };
}

/** Every other app's range on the host (this app's own units are left out). */
export function otherClaims(appName: string, units: Record<string, WebUnitFacts> | undefined): PortClaim[] {
  return Object.entries(units ?? {})
    .map(([unit, facts]) => claimOf(unit, facts))
    .filter((c): c is PortClaim => c !== undefined && c.appName !== appName);
}

/** The first range of `size` ports from `from` up that overlaps none of `taken`. */
export function freeRange(size: number, taken: PortRange[], from: number): PortRange | undefined {
  let first = Math.max(1, from);
  while (first + size - 1 <= 65535) {
    const candidate = { first, last: first + size - 1 };
    const hit = taken.filter((t) => overlaps(t, candidate));
    if (hit.length === 0) return candidate;
    first = Math.max(...hit.map((t) => t.last)) + 1;
  }
  return undefined;
}

export interface PortClash {
  mine: PortRange;
  others: PortClaim[];
  /** A range of the same size free on this host, from this app's port up (or from 1024). */
  free?: PortRange;
}

export function findPortClash(config: PortConfig, units: Record<string, WebUnitFacts> | undefined): PortClash | undefined {
  const mine = portRangeOf(config);
  if (!mine) return undefined;
  const claims = otherClaims(config.appName, units);
  const others = claims.filter((c) => overlaps(c, mine));
  if (others.length === 0) return undefined;
  const size = mine.last - mine.first + 1;
  return { mine, others, free: freeRange(size, claims, mine.first) ?? freeRange(size, claims, 1024) };
}

/** "shop (stage staging)" from an owner record, else the app dir's name. */
function describeClaim(c: PortClaim): string {
  const app = /(?:^| )app=(\S+)/.exec(c.owner ?? '')?.[1];
  const stage = /(?:^| )stage=(\S+)/.exec(c.owner ?? '')?.[1];
  const dir = /(?:^| )apps_dir=(\S+)/.exec(c.owner ?? '')?.[1];
  const who = app ? (stage ? `${app} (stage ${stage})` : app) : c.appName;
  return `${who}${dir ? ` in ${dir}/${c.appName}` : ''}`;
}

/**
 * The refusal: where the upstream is written, both apps, both ranges, and
 * the fix (a free range for this app). Exit 2: the config asks for ports another app holds here, and only
 * the config can change that; nothing on the host was changed.
 */
export function portClashError(
  host: string,
  config: PortConfig & Pick<Config, 'app' | 'stage' | 'file'>,
  clash: PortClash,
  /** `file:line:col` of webserver.upstream (src/config/where.ts). */
  where?: string,
): ConfigError {
  const me = config.stage ? `${config.app} (stage ${config.stage})` : config.app;
  const them = clash.others
    .map((c) => `${describeClaim(c)}, which has ${formatRange(c)} (${c.recorded ? 'recorded in' : 'seen from'} ${c.unit})`)
    .join('; and ');
  const blueGreen = usesBlueGreen(config);
  const why = blueGreen
    ? `with strategy "blue-green" each app and stage takes 2 ports per web replica from its upstream port (slot a the even offsets, slot b the odd ones), so a stage on the next port collides with the other slot at a switch`
    : 'each app and stage takes one port per web replica from its upstream port';
  const file = config.file.split('/').pop() || 'deployer.toml';
  const table = config.stage ? `[stages.${config.stage}.webserver]` : '[webserver]';
  const host_ = parseUpstream(config.webserver.upstream).host || '127.0.0.1';
  const fix = clash.free
    ? `set upstream = "${host_}:${clash.free.first}" under ${table} in ${file} (${formatRange(clash.free)} ${clash.free.first === clash.free.last ? 'is' : 'are'} free on ${host}), or move the other app`
    : `choose another upstream port under ${table} in ${file}, or move the other app`;
  return new ConfigError(
    `${where ? `${where}: ` : ''}${host}: ${me} would take ${formatRange(clash.mine)} (webserver.upstream ${config.webserver.upstream}), which overlap${clash.mine.first === clash.mine.last ? 's' : ''} ${them}: ${why}. Nothing was changed on ${host}. Fix: ${fix}.`,
    { hint: `deployer refuses ports that another app or stage on the host holds; README "Zero downtime" says how ports are taken` },
  );
}
