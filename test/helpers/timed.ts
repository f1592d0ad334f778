// node:test's test/before/after/describe with a time limit on every test and
// hook, so a hang fails that test in minutes with a message instead of eating
// the CI budget. Node 20's --test-timeout limits whole files, not tests, so
// the limit is set here. Every test file imports from this module instead of
// 'node:test'; an explicit { timeout } still wins.
import * as nodeTest from 'node:test';

type Fn = nodeTest.TestFn;
type HookFn = nodeTest.HookFn;
type Opts = nodeTest.TestOptions;
type HookOpts = nodeTest.HookOptions;

// Each test file runs in its own process, so argv[1] says which suite it is.
const e2e = /[/\\]e2e[/\\]/.test(process.argv[1] ?? '');
/** Per test: real-host tests deploy, install venvs and upload large files. */
export const TEST_TIMEOUT_MS = Number(process.env.DEPLOYER_TEST_TIMEOUT_MS) || (e2e ? 6 * 60_000 : 30_000);
/** Per hook: booting hosts, building fixtures. */
export const HOOK_TIMEOUT_MS = e2e ? 4 * 60_000 : 30_000;

function split<O, F>(a?: O | F, b?: F): [O, F | undefined] {
  return typeof a === 'function' ? [{} as O, a as F] : [(a ?? {}) as O, b];
}

export function test(name: string, a?: Opts | Fn, b?: Fn): Promise<void> {
  const [opts, fn] = split<Opts, Fn>(a, b);
  return nodeTest.test(name, { timeout: TEST_TIMEOUT_MS, ...opts }, fn);
}

export function describe(name: string, fn: nodeTest.SuiteFn): Promise<void> {
  return nodeTest.describe(name, fn);
}

function hook(kind: 'before' | 'after' | 'beforeEach' | 'afterEach') {
  return (fn: HookFn, opts: HookOpts = {}): void => {
    nodeTest[kind](fn, { timeout: HOOK_TIMEOUT_MS, ...opts });
  };
}

export const before = hook('before');
export const after = hook('after');
export const beforeEach = hook('beforeEach');
export const afterEach = hook('afterEach');
