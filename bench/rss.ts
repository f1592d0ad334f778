// Peak RSS and CPU time of one CLI run, from GNU time (%M: max resident set,
// KiB; %U/%S: user and system seconds). The --json output is read line by
// line: a 1 GiB upload prints many progress events, and only the phases, the
// hosts and the result matter here.
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
  /** User + system CPU time of the CLI process. */
  cpuMs: number;
  wallMs: number;
  uploadMs: number;
  uploadedBytes: number;
  /** Every --json event but the upload progress. */
  events: Array<Record<string, unknown>>;
  code: number | null;
  stderr: string;
}

/** Runs `deployer <args>` under GNU time; a non-zero exit throws unless `allowFailure`. */
export async function measurePeakRss(cwd: string, args: string[], opts: { allowFailure?: boolean } = {}): Promise<RssResult> {
  const dir = mkdtempSync(join(tmpdir(), 'deployer-bench-rss-'));
  const out = join(dir, 'rss');
  try {
    const t0 = performance.now();
    const child = spawn(TIME_BIN, ['-f', '%M %U %S', '-o', out, process.execPath, cliPath, ...args], {
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
    if (code !== 0 && !opts.allowFailure) throw new Error(`deployer ${args.join(' ')} exited ${code}:\n${tail(stderr)}`);
    // GNU time prints "Command exited with non-zero status N" first when it did.
    const [rss, user, sys] = readFileSync(out, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
    if (!(rss > 0) || !(user >= 0) || !(sys >= 0)) throw new Error(`GNU time printed no peak RSS and CPU: ${readFileSync(out, 'utf8')}`);
    return {
      peakRssKiB: rss,
      cpuMs: (user + sys) * 1000,
      wallMs,
      uploadMs: phasesOf({ events }).upload ?? NaN,
      uploadedBytes: hostsOf({ events })[0]?.uploadedBytes ?? 0,
      events,
      code,
      stderr,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
