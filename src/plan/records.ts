// The records a deploy leaves for each outcome (.versions, the history log)
// and the prune after a good one, computed before the deploy runs so the
// host only moves them into place. Pure.
import type { DeployPlanInput, ReleasePlace } from './deployInput.js';
import type { Step } from '../remote/steps.js';
import { formatVersions, recordRelease, selectPrune, type ReleaseStatus } from './versions.js';

/** One line of the app's history log (JSON), as `deployer history` reads it back. */
export interface HistoryEntry {
  time: string;
  by: string;
  action: string;
  host: string;
  from?: string;
  to?: string;
  result: string;
}

export function historyLine(entry: HistoryEntry): string {
  return JSON.stringify(entry);
}

/** The record a no-op deploy leaves: one history line. */
export function noopHistoryLine(input: Pick<DeployPlanInput, 'host' | 'version' | 'time' | 'by' | 'action'>): string {
  return historyLine({
    time: input.time,
    by: input.by,
    action: input.action,
    host: input.host.name,
    from: input.version,
    to: input.version,
    result: 'ok, nothing changed',
  });
}

export interface RecordsPlan {
  /** This deploy's history line with `result`. */
  history(result: string): Step;
  /** Prepare failed: the release is recorded failed, nothing live changed. */
  prepareFailed: Step[];
  /** The switch failed or the verdict was not "commit": recorded failed after the revert. */
  rolledBack: Step[];
  /** The verdict "commit": recorded good, the pruned releases deleted and logged. */
  commit: Step[];
  prune: string[];
}

export function planRecords(p: ReleasePlace): RecordsPlan {
  const { L, state, version, config } = p;
  const sha = p.files.find((f) => f.label === 'artifact')?.sha256.slice(0, 12) ?? '';
  const recorded = (status: ReleaseStatus) => recordRelease(state.versions, { version, status, time: p.time, sha, by: p.by });
  const line = (result: string) =>
    historyLine({ time: p.time, by: p.by, action: p.action, host: p.host.name, from: state.current, to: version, result });
  const history = (result: string): Step => ({ kind: 'append-line', path: L.historyFile, line: line(result) });
  const versions = (text: string): Step => ({ kind: 'write', path: L.versionsFile, mode: '0644', content: text });
  const failed = versions(formatVersions(recorded('failed')));
  const good = recorded('good');
  const prune = selectPrune({
    dirs: [...new Set([...state.releases, version])],
    records: good,
    current: version,
    keep: config.versionsToKeep,
  });
  // .versions lists the releases that stay on the host.
  const commit: Step[] = [versions(formatVersions(good.filter((r) => !prune.includes(r.version)))), history('ok')];
  if (prune.length) {
    // With sudo when the app has its own user: a release whose prepare was cut short may hold files it made.
    commit.push({ kind: 'remove', paths: prune.map((v) => L.releaseDir(v)), ...(p.runAs ? { sudo: true } : {}) });
    // `history` lists every prune, the ones a deploy makes too (same record as `deployer prune`).
    const pruned = historyLine({
      time: p.time,
      by: p.by,
      action: 'prune',
      host: p.host.name,
      from: prune.join(' '),
      result: `removed ${prune.length} (versions_to_keep = ${config.versionsToKeep}, after ${p.action} ${version})`,
    });
    commit.push({ kind: 'append-line', path: L.historyFile, line: pruned });
  }
  return {
    history,
    prepareFailed: [failed, history('failed before the switch')],
    rolledBack: [failed, history('failed, rolled back')],
    commit,
    prune,
  };
}
