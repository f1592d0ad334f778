// Upload progress: in a real terminal (tmux) at 50 and 120 columns, one live
// line for all hosts, redrawn in place, never wrapped; piped (--verbose),
// plain lines every 10 % or 5 s; human sizes everywhere.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatBytes, UploadProgress } from '../../src/output/progress.js';
import { tempDir } from '../helpers/tmp.js';

const script = fileURLToPath(new URL('../helpers/progressScript.js', import.meta.url));
const haveTmux = spawnSync('tmux', ['-V']).status === 0;

async function until<T>(what: string, fn: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < end) {
    last = fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

for (const width of [50, 120]) {
  test(
    `in a ${width}-column terminal: one live line for the hosts (never a bar per host), updated in place, never wrapped`,
    { skip: !haveTmux && 'tmux is not installed' },
    async () => {
      const dir = tempDir('deployer-progress-');
      const sock = join(dir, 'tmux.sock');
      const flag = join(dir, 'go');
      const tmux = (...args: string[]) => execFileSync('tmux', ['-S', sock, ...args], { encoding: 'utf8' });
      // -J joins wrapped rows back into one: a wrapped line shows up longer than the width.
      const screen = () =>
        tmux('capture-pane', '-p', '-J', '-t', 'p')
          .split('\n')
          .map((l) => l.trimEnd());
      try {
        tmux('new-session', '-d', '-s', 'p', '-x', String(width), '-y', '30', `${process.execPath} ${script} ${flag}; sleep 60`);
        const mid = await until('the halfway point', () => {
          const rows = screen();
          return rows.some((r) => r.includes('uploading 50%')) ? rows : undefined;
        });
        const live = mid.filter((r) => r.includes('uploading'));
        assert.equal(live.length, 1, `one line for both hosts:\n${mid.join('\n')}`);
        assert.ok(live[0].startsWith('… 2 hosts: uploading 50% '), mid.join('\n'));
        if (width >= 120) assert.match(live[0], / 200\.0\/400\.0 MiB — 0 done, 0 failed$/, live[0]);
        for (const r of mid) assert.ok(r.length <= width, `no row wider than ${width} (wrapped):\n${r}`);
        assert.equal(mid.filter((r) => r.includes('a log line in between')).length, 1, 'the log line printed once, above the live line');
        assert.ok(mid.indexOf(live[0]) > mid.findIndex((r) => r.includes('a log line in between')), mid.join('\n'));
        writeFileSync(flag, '');
        const end = await until('the end', () => {
          const rows = screen();
          return rows.some((r) => r.includes('ALL-DONE')) ? rows : undefined;
        });
        assert.equal(end.filter((r) => r.includes('uploading')).length, 0, `no live line left at the end:\n${end.join('\n')}`);
        assert.equal(end.filter((r) => r.includes('uploaded')).length, 0, `each file's line is for --verbose:\n${end.join('\n')}`);
      } finally {
        spawnSync('tmux', ['-S', sock, 'kill-server']);
      }
    },
  );
}

test('piped: a plain line every 10 % (at most one a second) or every 5 s, sizes in MiB', () => {
  let now = 0;
  const lines: string[] = [];
  const p = new UploadProgress(
    (host, text) => lines.push(`[${host}] ${text}`),
    () => now,
  );
  const total = 196186 * 1024;
  // 10 s at an even rate: 1 % every 100 ms.
  for (let pct = 0; pct <= 100; pct++) {
    now = pct * 100;
    p.update({ type: 'upload', host: 'h1', file: 'artifact', bytes: Math.ceil((total * pct) / 100), total });
  }
  assert.equal(lines.length, 10, lines.join('\n'));
  assert.match(lines[0], /^\[h1\] uploading artifact: 10% 19\.2 MiB of 191\.6 MiB, 19\.2 MiB\/s, 9 s left$/);
  assert.match(lines.at(-1)!, /^\[h1\] uploaded artifact \(191\.6 MiB, 10 s, 19\.2 MiB\/s\)$/);
  // A slow link: 1 % every 2 s still prints every 5 s or so.
  lines.length = 0;
  for (let pct = 0; pct < 10; pct++) {
    now = 100_000 + pct * 2000;
    p.update({ type: 'upload', host: 'h2', file: 'artifact', bytes: Math.floor((total * pct) / 100), total });
  }
  assert.equal(lines.length, 3, lines.join('\n'));
});

test('sizes are human', () => {
  assert.equal(formatBytes(196186 * 1024), '191.6 MiB');
  assert.equal(formatBytes(3 * 1024 ** 3), '3.00 GiB');
  assert.equal(formatBytes(512), '512 B');
});
