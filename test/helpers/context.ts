// A Context for unit tests: a reporter writing into arrays, no host
// reachable unless the test passes `connect`, a clock the test controls.
import type { Clock, Context } from '../../src/context.js';
import { Reporter, type ReporterOptions } from '../../src/output/reporter.js';

/** A clock that only moves when slept on (or advanced): tests of timeouts run instantly. */
export class FakeClock implements Clock {
  constructor(public t = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface TestContext {
  ctx: Context;
  /** Everything written to stdout and stderr. */
  out: string[];
  err: string[];
  clock: FakeClock;
}

export function makeTestContext(over: Partial<Context> & { reporterOptions?: ReporterOptions } = {}): TestContext {
  const out: string[] = [];
  const err: string[] = [];
  const clock = new FakeClock();
  const { reporterOptions, ...rest } = over;
  const reporter = new Reporter({
    stdout: { write: (s) => void out.push(s) },
    stderr: { write: (s) => void err.push(s) },
    ...reporterOptions,
  });
  const ctx: Context = {
    cwd: '/nonexistent',
    env: {},
    reporter,
    interactive: false,
    global: { config: 'deployer.toml' },
    connect: async (host) => {
      throw new Error(`no host in unit tests (${host.name})`);
    },
    clock,
    // No DNS in unit tests: every name is unknown unless a test passes its own resolver.
    resolve: async (name) => {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    },
    pid: 4242,
    pause: async () => undefined,
    ...rest,
  };
  return { ctx, out, err, clock };
}
