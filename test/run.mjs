#!/usr/bin/env node
// Runs the compiled tests with node's own test runner and ends with a plain
// "N passed, N failed" line (CI reads it). Usage: node test/run.mjs [unit|e2e ...]
import { spawn } from 'node:child_process';
import { readdirSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'e2e'];
const files = [];
for (const suite of suites) {
  const dir = join(root, 'dist', 'test', suite);
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.test.js')) files.push(join(dir, f));
}
if (files.length === 0) {
  console.error('no compiled test files found (run `npm run build` first)');
  process.exit(1);
}
const tapFile = join(mkdtempSync(join(tmpdir(), 'deployer-test-')), 'results.tap');
// e2e files each boot their own test host; two at a time fits a 2-core machine.
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const child = spawn(process.execPath, [
  // A backstop per file; each test and hook has its own limit (test/helpers/timed.ts).
  '--test', `--test-concurrency=${concurrency}`, '--test-timeout=1500000',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
  ...files,
], { stdio: 'inherit' });
child.on('exit', (code, signal) => {
  let pass = 0, fail = 0, skipped = 0;
  try {
    const tap = readFileSync(tapFile, 'utf8');
    pass = Number(/^# pass (\d+)$/m.exec(tap)?.[1] ?? 0);
    // A test that timed out (or whose file did) is "cancelled": it failed.
    fail = Number(/^# fail (\d+)$/m.exec(tap)?.[1] ?? 0) + Number(/^# cancelled (\d+)$/m.exec(tap)?.[1] ?? 0);
    skipped = Number(/^# skipped (\d+)$/m.exec(tap)?.[1] ?? 0);
  } catch { fail = fail || 1; }
  console.log(`${pass} passed, ${fail} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(code ?? (signal ? 1 : 0));
});
