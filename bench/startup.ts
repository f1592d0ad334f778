// `deployer --help` start-up time, next to a bare `node -e 0` (the floor no
// CLI written for Node can go below on this machine).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cliPath } from '../test/helpers/project.js';

const execFileAsync = promisify(execFile);

export interface StartupResult {
  helpMs: number[];
  nodeMs: number[];
}

export async function measureStartup(runs: number): Promise<StartupResult> {
  const res: StartupResult = { helpMs: [], nodeMs: [] };
  // Interleaved, so both see the same load; one untimed run warms the page cache.
  await execFileAsync(process.execPath, [cliPath, '--help']);
  for (let i = 0; i < runs; i++) {
    res.helpMs.push(await timeNode([cliPath, '--help'], /Usage: deployer/));
    res.nodeMs.push(await timeNode(['-e', '0']));
  }
  return res;
}

async function timeNode(args: string[], expect?: RegExp): Promise<number> {
  const t0 = performance.now();
  const { stdout } = await execFileAsync(process.execPath, args);
  const ms = performance.now() - t0;
  if (expect && !expect.test(stdout)) throw new Error(`node ${args.join(' ')} printed no help:\n${stdout.slice(0, 500)}`);
  return ms;
}
