// previewDeploy: what `deployer plan` shows for one host, as data. It asks
// planDeploy (the same planner `deploy` runs) for uploads, install and prune,
// and adds what a reviewer wants to read: unit and Caddy diffs against what
// is installed, env key changes (names only) and the lock state. Pure.
import type { Config, HostConfig } from '../config/types.js';
import { planHostDeploy, type ReleaseFile } from './planDeploy.js';
import { unifiedDiff } from './diff.js';
import { layoutFor } from './layout.js';
import type { RemoteState } from '../remote/state.js';
import { describeStep } from '../remote/steps.js';

export type DiffStatus = 'added' | 'removed' | 'changed' | 'same';

export interface FileDiff {
  name: string;
  status: DiffStatus;
  /** Unified diff, installed -> new; empty when the status is `same`. */
  diff: string;
}

export interface EnvChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface PreviewInput {
  config: Config;
  host: HostConfig;
  version: string;
  /** The release files (buildReleaseFiles), without the artifact when it is missing. */
  files: ReleaseFile[];
  /** Basename of the artifact inside the release. */
  artifactName: string;
  /** Local path of the artifact when it does not exist (plan without --build before a build). */
  artifactMissing?: string;
  /** The new env: key -> sha256 of its value (the values themselves are not needed). */
  envHashes: Record<string, string>;
  state: RemoteState;
}

export interface HostPreview {
  host: string;
  app: string;
  /** The version a deploy would make live. */
  release: string;
  releaseDir: string;
  /** True when v<release>/ is on the host already (a redeploy of it reuses what matches). */
  releaseExists: boolean;
  current?: string;
  artifact: { name: string; size?: number; missing?: string };
  uploads: Array<{ label: string; size: number }>;
  uploadBytes: number;
  /** Labels of files already in the release dir with the same sha256. */
  unchanged: string[];
  /** null when the artifact is missing, so it cannot be told. */
  installSkipped: boolean | null;
  unitDiffs: FileDiff[];
  /** null when neither the release nor the host has a Caddy site. */
  caddyDiff: FileDiff | null;
  env: EnvChanges;
  /** Releases the deploy's prune would delete. */
  prune: string[];
  /** The switch, step by step, as the deploy would run it; with blue-green, last, the commit's drain (which old instances stop). */
  switch: string[];
  lock: { status: 'free' | 'held'; by?: string };
}

const UNIT_PREFIX = '.deployer/units/';

/** Status and diff of one file, from what is installed (undefined: absent) to what the release holds. */
export function diffFile(
  name: string,
  installed: string | undefined,
  next: string | undefined,
  labels = { from: `installed/${name}`, to: `release/${name}` },
): FileDiff {
  if (installed === undefined && next === undefined) return { name, status: 'same', diff: '' };
  const status: DiffStatus = installed === undefined ? 'added' : next === undefined ? 'removed' : installed === next ? 'same' : 'changed';
  const from = installed === undefined ? '/dev/null' : labels.from;
  const to = next === undefined ? '/dev/null' : labels.to;
  return { name, status, diff: unifiedDiff(installed ?? '', next ?? '', { from, to }) };
}

/** Env keys added, removed and changed, by comparing value hashes. */
export function diffEnv(installed: Record<string, string>, next: Record<string, string>): EnvChanges {
  const sorted = (keys: string[]) => keys.sort();
  return {
    added: sorted(Object.keys(next).filter((k) => !(k in installed))),
    removed: sorted(Object.keys(installed).filter((k) => !(k in next))),
    changed: sorted(Object.keys(next).filter((k) => k in installed && installed[k] !== next[k])),
  };
}

export function previewDeploy(input: PreviewInput): HostPreview {
  const { config, host, files } = input;
  const L = layoutFor(config);
  // No time or author: nothing is recorded, only uploads, install and prune are read.
  // The release is the one deploy would choose (a changed live version gets its own).
  const { plan, state } = planHostDeploy({
    config,
    host,
    version: input.version,
    artifact: input.artifactName,
    files,
    state: input.state,
    time: '',
    by: '',
    action: 'plan',
  });
  const { version } = plan;
  const artifactFile = files.find((f) => f.label === 'artifact');

  const desired = new Map(
    files.filter((f) => f.path.startsWith(UNIT_PREFIX)).map((f) => [f.path.slice(UNIT_PREFIX.length), f.content ?? '']),
  );
  const names = [...new Set([...desired.keys(), ...Object.keys(state.units)])].sort();
  const unitDiffs = names.map((name) =>
    diffFile(name, state.units[name], desired.get(name), {
      from: `${L.unitDir}/${name}`,
      to: `${L.releaseDirName(version)}/${UNIT_PREFIX}${name}`,
    }),
  );

  const site = L.caddySite;
  const newSite = files.find((f) => f.path === '.deployer/caddy.site')?.content;
  const caddyDiff =
    newSite === undefined && state.caddySite === undefined
      ? null
      : diffFile(site, state.caddySite, newSite, { from: site, to: `${L.releaseDirName(version)}/.deployer/caddy.site` });

  return {
    host: host.name,
    app: config.appName,
    release: version,
    releaseDir: plan.releaseDir,
    releaseExists: state.releases.includes(version),
    current: state.current,
    artifact:
      input.artifactMissing !== undefined
        ? { name: input.artifactName, missing: input.artifactMissing }
        : { name: input.artifactName, size: artifactFile?.size },
    uploads: plan.uploads.map((u) => ({ label: u.label, size: u.size })),
    uploadBytes: plan.uploads.reduce((sum, u) => sum + u.size, 0),
    unchanged: plan.unchanged,
    installSkipped: input.artifactMissing !== undefined ? null : plan.summary.installSkipped,
    unitDiffs,
    caddyDiff,
    env: diffEnv(state.envHashes ?? {}, input.envHashes),
    prune: plan.summary.prune,
    // The commit's drain too: it names every old web instance the commit stops.
    switch: [...plan.switch.steps, ...(plan.switch.verdict?.commit ?? []).filter((s) => s.kind === 'web-commit')].map(describeStep),
    lock: state.lockHeld ? { status: 'held', by: state.lockedBy || 'another deployer process (no holder recorded)' } : { status: 'free' },
  };
}
