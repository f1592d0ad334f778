// Drift for `deployer status`: what a host holds against what a deploy would
// write now, compared by sha256 (units, Caddy site, env values), and a host
// whose live release is not the fleet's newest. Pure: both sides are given.
import { createHash } from 'node:crypto';
import type { ReleaseFile } from '../plan/planDeploy.js';
import { diffEnv } from '../plan/preview.js';
import { slotSitePath } from '../plan/slots.js';
import type { RemoteState } from '../remote/state.js';

export type DriftKind = 'unit' | 'site' | 'env' | 'release';

export interface DriftItem {
  kind: DriftKind;
  /** The unit file, the site's path, the env key, or the release. */
  name: string;
  /** changed: both differ; missing: a deploy writes it, the host lacks it; extra: the host has it, a deploy would not write it; behind: the host missed a deploy. */
  change: 'changed' | 'missing' | 'extra' | 'behind';
  /** What differs, in a person's words, with the fix. */
  message: string;
  /** sha256 of what a deploy would write, and of what the host holds (units and site). */
  expectedSha256?: string;
  hostSha256?: string;
}

/** What a deploy would write now on one host: unit files, the Caddy site, env value hashes (never values). */
export interface Desired {
  units: Record<string, string>;
  /** Undefined when the app has no Caddy site. */
  site?: string;
  envHashes: Record<string, string>;
}

const UNITS = '.deployer/units/';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * From buildReleaseFiles' output. Blue-green: the site a deploy installs is
 * the one of the slot that serves (the host's live slot).
 */
export function desiredFrom(files: readonly ReleaseFile[], envHashes: Record<string, string>, liveSlot?: 'a' | 'b'): Desired {
  const units: Record<string, string> = {};
  for (const f of files) if (f.path.startsWith(UNITS)) units[f.path.slice(UNITS.length)] = f.content ?? '';
  const slotted = liveSlot ? files.find((f) => f.path === slotSitePath(liveSlot)) : undefined;
  const site = (slotted ?? files.find((f) => f.path === '.deployer/caddy.site'))?.content;
  return { units, site, envHashes };
}

const REWRITE = 'deployer deploy (or redeploy) rewrites it; hand edits are lost';

/** Units, site and env keys whose hash differs from what a deploy would write. */
export function findDrift(desired: Desired, state: Pick<RemoteState, 'units' | 'caddySite' | 'envHashes'>, sitePath: string): DriftItem[] {
  const out: DriftItem[] = [];
  const names = [...new Set([...Object.keys(desired.units), ...Object.keys(state.units)])].sort();
  for (const name of names) {
    const want = desired.units[name];
    const have = state.units[name];
    if (want !== undefined && have !== undefined && sha(want) === sha(have)) continue;
    const hashes = { expectedSha256: want === undefined ? undefined : sha(want), hostSha256: have === undefined ? undefined : sha(have) };
    if (have === undefined)
      out.push({
        kind: 'unit',
        name,
        change: 'missing',
        message: `unit ${name} is missing on the host: deployer deploy (or redeploy) writes it`,
        ...hashes,
      });
    else if (want === undefined)
      out.push({
        kind: 'unit',
        name,
        change: 'extra',
        message: `unit ${name} is on the host but the config no longer makes it: deployer deploy removes it`,
        ...hashes,
      });
    else
      out.push({ kind: 'unit', name, change: 'changed', message: `unit ${name} differs from what a deploy writes: ${REWRITE}`, ...hashes });
  }
  const want = desired.site;
  const have = state.caddySite;
  if (!(want === undefined && have === undefined) && !(want !== undefined && have !== undefined && sha(want) === sha(have))) {
    const change = have === undefined ? 'missing' : want === undefined ? 'extra' : 'changed';
    const what = {
      missing: `Caddy site ${sitePath} is missing on the host: deployer deploy (or redeploy) writes it`,
      extra: `Caddy site ${sitePath} is on the host but the config has no site: deployer deploy removes it`,
      changed: `Caddy site ${sitePath} differs from what a deploy writes: ${REWRITE}`,
    }[change];
    out.push({
      kind: 'site',
      name: sitePath,
      change,
      message: what,
      expectedSha256: want === undefined ? undefined : sha(want),
      hostSha256: have === undefined ? undefined : sha(have),
    });
  }
  if (state.envHashes) {
    const env = diffEnv(state.envHashes, desired.envHashes);
    const fix = 'deployer deploy (or redeploy) writes the env from the config';
    for (const key of env.added)
      out.push({ kind: 'env', name: key, change: 'missing', message: `env key ${key} is not on the host: ${fix}` });
    for (const key of env.removed)
      out.push({ kind: 'env', name: key, change: 'extra', message: `env key ${key} is on the host but not in the config: ${fix}` });
    for (const key of env.changed)
      out.push({ kind: 'env', name: key, change: 'changed', message: `env key ${key} has another value on the host: ${fix}` });
  }
  return out;
}

/** One host's live release and since when (its `.versions` record), for the fleet comparison. */
export interface LiveRelease {
  host: string;
  release?: string;
  since?: string;
}

/** A release's version: `1.2.0_2` is 1.2.0 deployed again with another config (src/plan/releaseChoice.ts). */
export const versionOf = (release: string) => release.replace(/_[0-9]+$/, '');

/**
 * The release the fleet should run: the live one that went live last (a host
 * that missed the last deploy still runs an older one). Undefined when no
 * host runs any.
 */
export function newestRelease(hosts: readonly LiveRelease[]): string | undefined {
  let best: LiveRelease | undefined;
  for (const h of hosts) if (h.release && (!best || (h.since ?? '') > (best.since ?? ''))) best = h;
  return best?.release;
}

/**
 * The drift line for a host whose live version is not the newest across
 * hosts (or that runs none). Versions, not release ids: a redeploy that
 * changed one host's units makes `1.2.0_2` there while the other keeps 1.2.0.
 */
export function missedDeploy(host: LiveRelease, newest: string | undefined): DriftItem | undefined {
  if (newest === undefined || (host.release !== undefined && versionOf(host.release) === versionOf(newest))) return undefined;
  const has = host.release ? `runs ${host.release}` : 'runs no release';
  return {
    kind: 'release',
    name: newest,
    change: 'behind',
    message: `${has} while the other hosts run ${newest}: it missed the last deploy; deployer deploy --host ${host.host} (or redeploy) brings it in line`,
  };
}
