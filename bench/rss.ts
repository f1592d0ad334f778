// Peak RSS of one CLI run, from GNU time's %M (max resident set, KiB). The
// --json output is read line by line: a 1 GiB upload prints many progress
// events, and only the phases and the result matter here.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cliPath } from '../test/helpers/project.js';
import { hostsOf, phasesOf, tail } from './cli.js';
import { TIME_BIN } from './setup.js';

export interface RssResult {
  peakRssKiB: number;
  wallMs: number;
  uploadMs: number;
  uploadedBytes: number;
}

export async function measurePeakRss(cwd: string, args: string[]): Promise<RssResult> {
  const dir = mkdtempSync(join(tmpdir(), 'deployer-bench-rss-'));
  const out = join(dir, 'rss');
  try {
    const t0 = performance.now();
    const child = spawn(TIME_BIN, ['-f', '%M', '-o', out, process.execPath, cliPath, ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events: Array<Record<string, unknown>> = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{') && !line.includes('"type":"upload"')) events.push(JSON.parse(line) as Record<string, unknown>);
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    const wallMs = performance.now() - t0;
    if (code !== 0) throw new Error(`deployer ${args.join(' ')} exited ${code}:\n${tail(stderr)}`);
    const peakRssKiB = Number(readFileSync(out, 'utf8').trim().split('\n').at(-1));
    if (!Number.isFinite(peakRssKiB) || peakRssKiB <= 0) throw new Error(`GNU time printed no peak RSS: ${readFileSync(out, 'utf8')}`);
    return { peakRssKiB, wallMs, uploadMs: phasesOf({ events }).upload ?? NaN, uploadedBytes: hostsOf({ events })[0]?.uploadedBytes ?? 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
