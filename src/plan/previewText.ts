// The human form of a HostPreview: a few labelled lines per host and the
// diffs of whatever changed. Colours come in as functions (picocolors on a
// TTY, identity otherwise), so this stays pure and testable.
import type { FileDiff, HostPreview } from './preview.js';

export interface Paint {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export const noPaint: Paint = { red: (s) => s, green: (s) => s, yellow: (s) => s, cyan: (s) => s, dim: (s) => s, bold: (s) => s };

export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function paintDiff(diff: string, c: Paint): string[] {
  return diff
    .replace(/\n$/, '')
    .split('\n')
    .map((l) =>
      l.startsWith('+++') || l.startsWith('---')
        ? c.bold(l)
        : l.startsWith('@@')
          ? c.cyan(l)
          : l.startsWith('+')
            ? c.green(l)
            : l.startsWith('-')
              ? c.red(l)
              : l,
    );
}

function statusWord(d: FileDiff, c: Paint): string {
  return d.status === 'same'
    ? c.dim('unchanged')
    : d.status === 'added'
      ? c.green('new')
      : d.status === 'removed'
        ? c.red('removed')
        : c.yellow('changed');
}

export function formatPreview(p: HostPreview, c: Paint = noPaint): string {
  const out: string[] = [];
  const row = (label: string, text: string) => out.push(`  ${label.padEnd(9)} ${text}`);
  const live =
    p.current === undefined ? 'nothing live yet' : p.current === p.release ? `redeploy of ${p.release}` : `${p.current} -> ${p.release}`;
  out.push(`${c.bold(c.cyan(p.host))} ${p.app} ${p.release} (${live})`);

  row('lock', p.lock.status === 'free' ? 'free' : c.yellow(`held by ${p.lock.by}: a deploy now would fail (or wait with --lock-wait)`));
  row('release', `${p.releaseDir} ${c.dim(p.releaseExists ? '(exists: only differing files would be uploaded)' : '(new)')}`);
  if (p.artifact.missing !== undefined) row('artifact', c.yellow(`${p.artifact.missing} is missing: build it first, or run plan --build`));
  else row('artifact', `${p.artifact.name}${p.artifact.size !== undefined ? ` (${formatSize(p.artifact.size)})` : ''}`);
  if (p.uploads.length === 0) row('upload', c.dim('nothing'));
  else
    row(
      'upload',
      `${p.uploads.length} file${p.uploads.length === 1 ? '' : 's'}, ${formatSize(p.uploadBytes)}: ${p.uploads.map((u) => `${u.label} (${formatSize(u.size)})`).join(', ')}`,
    );
  if (p.unchanged.length) row('on host', c.dim(p.unchanged.join(', ')));
  row(
    'install',
    p.installSkipped === null
      ? c.dim('unknown until the artifact is built')
      : p.installSkipped
        ? c.dim('skipped (already installed)')
        : 'yes',
  );

  const changed = (d: FileDiff) => d.status !== 'same';
  const unitSummary = p.unitDiffs.length === 0 ? c.dim('none') : p.unitDiffs.map((d) => `${d.name} ${statusWord(d, c)}`).join(', ');
  row('units', unitSummary);
  for (const d of p.unitDiffs.filter(changed)) out.push(...paintDiff(d.diff, c).map((l) => `    ${l}`));
  if (p.caddyDiff === null) row('caddy', c.dim('no site'));
  else {
    row('caddy', `${p.caddyDiff.name} ${statusWord(p.caddyDiff, c)}`);
    if (changed(p.caddyDiff)) out.push(...paintDiff(p.caddyDiff.diff, c).map((l) => `    ${l}`));
  }

  const { added, removed, changed: envChanged } = p.env;
  const env = [
    added.length ? c.green(`added ${added.join(', ')}`) : '',
    removed.length ? c.red(`removed ${removed.join(', ')}`) : '',
    envChanged.length ? c.yellow(`changed ${envChanged.join(', ')}`) : '',
  ].filter(Boolean);
  row('env', env.length ? env.join('; ') : c.dim('unchanged'));
  row('switch', p.switch.join('; '));
  row('prune', p.prune.length ? `would delete ${p.prune.map((v) => `v${v}`).join(', ')}` : c.dim('nothing'));
  return out.join('\n');
}
