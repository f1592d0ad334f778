#!/usr/bin/env node
// Runs the compiled tests with node's own test runner and ends with a plain
// "N passed, N failed" line (CI reads it). Usage: node test/run.mjs [unit|e2e|trixie ...]
// (no argument: all three). `trixie` runs the TRIXIE_E2E files again, on
// Debian 13 test hosts (TESTHOST_SUITE=trixie); the others boot Debian 12.
// The tests run with TMPDIR set to a fresh private directory; whatever is
// left in it at the end counts as one failure (tests clean up after themselves).
import { spawn } from 'node:child_process';
import { chmodSync, readdirSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

/** e2e files (without .test.js) that CI also runs on a Debian 13 host. Add a name to extend. */
const TRIXIE_E2E = ['deploy-python', 'lifecycle', 'faults', 'zero-downtime', 'real-apps'];

const root = new URL('..', import.meta.url).pathname;
const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'e2e', 'trixie'];
const compiled = (suite) => {
  const dir = join(root, 'dist', 'test', suite);
  return existsSync(dir)
    ? readdirSync(dir)
        .sort()
        .filter((f) => f.endsWith('.test.js'))
        .map((f) => join(dir, f))
    : [];
};
const runs = [];
const files = suites.filter((s) => s !== 'trixie').flatMap(compiled);
if (files.length) runs.push({ files, env: {} });
if (suites.includes('trixie')) {
  const trixie = TRIXIE_E2E.map((name) => join(root, 'dist', 'test', 'e2e', `${name}.test.js`));
  const missing = trixie.filter((f) => !existsSync(f));
  if (missing.length) {
    console.error(`TRIXIE_E2E names files that do not exist: ${missing.join(', ')}`);
    process.exit(1);
  }
  runs.push({ files: trixie, env: { TESTHOST_SUITE: 'trixie' }, title: `Debian 13 (trixie): ${TRIXIE_E2E.join(', ')}` });
}
if (runs.length === 0) {
  console.error('no compiled test files found (run `npm run build` first)');
  process.exit(1);
}

// The results file lives outside the private TMPDIR, so it is not a leftover.
const resultsDir = mkdtempSync(join(tmpdir(), 'deployer-test-'));
const privateTmp = mkdtempSync(join(tmpdir(), 'deployer-tmpdir-'));
// As open as /tmp: tests run scripts as other users (runuser) inside it.
chmodSync(privateTmp, 0o1777);
const removeTemp = () => {
  rmSync(privateTmp, { recursive: true, force: true });
  rmSync(resultsDir, { recursive: true, force: true });
};
// Interrupted (Ctrl-C reaches the test processes too): nothing to count, still nothing left behind.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    removeTemp();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

// e2e files each boot their own test host; two at a time fits a 2-core machine.
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
function runOnce({ files, env, title }, index) {
  if (title) console.log(`\n::: e2e again on ${title}`);
  const tapFile = join(resultsDir, `results-${index}.tap`);
  const child = spawn(
    process.execPath,
    [
      // A backstop per file; each test and hook has its own limit (test/helpers/timed.ts).
      '--test',
      `--test-concurrency=${concurrency}`,
      '--test-timeout=1500000',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tapFile}`,
      ...files,
    ],
    { stdio: 'inherit', env: { ...process.env, ...env, TMPDIR: privateTmp } },
  );
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      let pass = 0,
        fail = 0,
        skipped = 0;
      try {
        const tap = readFileSync(tapFile, 'utf8');
        pass = Number(/^# pass (\d+)$/m.exec(tap)?.[1] ?? 0);
        // A test that timed out (or whose file did) is "cancelled": it failed.
        fail = Number(/^# fail (\d+)$/m.exec(tap)?.[1] ?? 0) + Number(/^# cancelled (\d+)$/m.exec(tap)?.[1] ?? 0);
        skipped = Number(/^# skipped (\d+)$/m.exec(tap)?.[1] ?? 0);
      } catch {
        fail = fail || 1;
      }
      resolve({ pass, fail, skipped, code: code ?? (signal ? 1 : 0) });
    });
  });
}

let pass = 0,
  fail = 0,
  skipped = 0,
  code = 0;
for (const [index, run] of runs.entries()) {
  const r = await runOnce(run, index);
  pass += r.pass;
  fail += r.fail;
  skipped += r.skipped;
  if (r.code !== 0 && code === 0) code = r.code;
}
const leftovers = readdirSync(privateTmp);
if (leftovers.length) {
  console.log(`\n✗ the tests left ${leftovers.length} entries in TMPDIR (${privateTmp}); each test removes what it creates:`);
  for (const name of leftovers.sort()) console.log(`  ${name}`);
  fail += 1;
  if (code === 0) code = 1;
}
removeTemp();
console.log(`${pass} passed, ${fail} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(code);
