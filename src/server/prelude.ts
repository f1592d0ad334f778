// Shared head of the `deployer server …` scripts: how to run as root, and the
// markers the runner reads (@@CHANGED what / @@OK what / @@FAIL why / @@end).
// Each check looks first and acts only when something differs, so a second
// run prints only @@OK lines: that is how "no change" is known, not guessed.
export const SERVER_PRELUDE = [
  'set -u',
  'export LC_ALL=C.UTF-8',
  'changed() { echo "@@CHANGED $*"; }',
  'ok() { echo "@@OK $*"; }',
  'fail() { echo "@@FAIL $*"; exit 1; }',
  // A fresh VPS is often reached as root, with no sudo installed yet.
  'if [ "$(id -u)" = 0 ]; then as_root() { "$@"; }; else as_root() { sudo -n "$@"; }; fi',
  '[ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null || fail "$(id -un) is neither root nor allowed passwordless sudo; connect as root, or give it sudo"',
].join('\n');

export interface ServerReport {
  changed: string[];
  unchanged: string[];
  error?: string;
  ended: boolean;
}

export function parseServerOutput(text: string): ServerReport {
  const report: ServerReport = { changed: [], unchanged: [], ended: false };
  for (const line of text.split('\n')) {
    if (line.startsWith('@@CHANGED ')) report.changed.push(line.slice(10));
    else if (line.startsWith('@@OK ')) report.unchanged.push(line.slice(5));
    else if (line.startsWith('@@FAIL ')) report.error = line.slice(7);
    else if (line === '@@end') report.ended = true;
  }
  return report;
}

/** A string as a grep -E pattern matching it literally. */
export function escapeEre(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
