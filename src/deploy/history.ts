// `deployer history`: the log every deploy, rollback, prune and down appends
// to on each host (who, when, from which version to which, the result).
import type { Context } from '../context.js';
import { layoutFor } from '../plan/layout.js';
import { shellJoin } from '../shell/quote.js';
import { forEachHost } from './hostRun.js';
import { loadCommandConfig } from './commandConfig.js';
import type { HistoryEntry } from '../plan/records.js';

export type { HistoryEntry };

export function parseHistory(text: string): HistoryEntry[] {
  return text
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as HistoryEntry];
      } catch {
        return [];
      }
    });
}

export function formatHistory(entries: HistoryEntry[]): string {
  if (entries.length === 0) return 'no history yet';
  const rows = entries.map((e) => [
    e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    e.host,
    e.action,
    [e.from, e.to].filter(Boolean).join(' -> ') || '-',
    e.result,
    e.by,
  ]);
  const head = ['time', 'host', 'action', 'versions', 'result', 'by'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

export async function runHistory(ctx: Context, opts: { limit: number }): Promise<void> {
  const config = loadCommandConfig(ctx);
  const file = layoutFor(config).historyFile;
  const perHost = await forEachHost(ctx, config, { lock: false, command: 'history' }, async (h) => {
    const r = await h.remote.exec(shellJoin(['sh', '-c', 'cat -- "$1" 2>/dev/null || true', 'sh', file]));
    return parseHistory(r.stdout);
  });
  const entries = perHost
    .flat()
    .sort((a, b) => b.time.localeCompare(a.time))
    .slice(0, opts.limit);
  if (ctx.reporter.json) ctx.reporter.emit({ type: 'result', command: 'history', ok: true, data: { app: config.appName, entries } });
  else ctx.reporter.print(formatHistory(entries));
}
