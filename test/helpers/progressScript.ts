// Run inside a real terminal (tmux) by test/unit/progress.test.ts:
// two hosts upload at once through a TTY Reporter, with a log line in
// between; it stops halfway until the file named by argv[2] exists.
import { existsSync } from 'node:fs';
import { Reporter } from '../../src/output/reporter.js';

const flag = process.argv[2];
const reporter = new Reporter({ tty: true, color: false });
const total = 200 * 1024 * 1024;
const hosts = ['h1', 'web-two'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (let pct = 0; pct <= 100; pct++) {
  for (const host of hosts) reporter.emit({ type: 'upload', host, file: 'artifact', bytes: Math.floor((total * pct) / 100), total });
  if (pct === 20) reporter.info('a log line in between', 'h1');
  await sleep(15);
  if (pct === 50) {
    process.stdout.write('');
    while (!existsSync(flag)) await sleep(50);
  }
}
reporter.info('ALL-DONE');
