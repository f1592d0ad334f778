// A load generator for zero-downtime tests and the benchmark: a steady
// (open-loop) stream of GET requests on loopback through Caddy — the test
// host's forwarded :80 with the site's Host header — half on fresh
// connections, half on kept-alive ones. Every request is recorded: when it
// started and ended, its status, the error if any (reset, timeout, refused…),
// and which version answered. Bounded in count and in time, so a test that
// forgets to stop it cannot run away.
//
// Open loop: a request is sent every 1/rate seconds whatever the ones before
// it are doing, so a stall shows as latency and a gap as errors, instead of
// slowing the generator down (a closed loop hides both).
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export type Connection = 'new' | 'keep-alive';

export interface Sample {
  seq: number;
  conn: Connection;
  /** Milliseconds since the load started (performance clock). */
  start: number;
  end: number;
  status?: number;
  /** The version that answered (the body's last word, e.g. "hello-bin 1.2.0" -> "1.2.0"). */
  version?: string;
  /** Set when the request failed: "status 502", "reset", "timeout", "refused", or another error code. */
  error?: string;
  /** The failure as Node reported it (ECONNRESET, "socket hang up"…) and where: before or after any answer, on a reused kept-alive socket or a new one. */
  detail?: string;
  /**
   * A kept-alive connection the server closed just as this request went out
   * was retried once on a new connection, as browsers and Node's own docs do
   * (`req.reusedSocket`) for idempotent requests. Counted, never hidden.
   */
  retried?: boolean;
  /** The app said this one was slow on purpose (X-Hello-Slow: 1, the examples' HELLO_SLOW mode). */
  slowByDesign?: boolean;
}

export interface LoadOptions {
  /** Loopback port (the test host's forwarded :80). */
  port: number;
  /** Host header: the site's domain. */
  host: string;
  path?: string;
  /** Requests per second (default 50). */
  rate?: number;
  /** Per-request timeout (default 5000 ms): slower counts as a failure ("timeout"). */
  timeoutMs?: number;
  /** Stop sending after this many requests (default 50,000). */
  maxRequests?: number;
  /** Stop sending after this long (default 10 minutes). */
  maxMs?: number;
  /**
   * An answer that is not a failure although not 2xx (maintenance mode's 503
   * page): the version to count it as, or undefined (then it fails as usual).
   */
  accept?: (status: number, headers: Record<string, string | string[] | undefined>, body: string) => string | undefined;
}

export interface Mark {
  name: string;
  at: number;
}

export interface LoadSummary {
  total: number;
  failed: number;
  /** Failures by kind: { "reset": 3, "status 502": 1 }. */
  errors: Record<string, number>;
  retried: number;
  versions: Record<string, number>;
  p50: number;
  p99: number;
  max: number;
  /** The same over ordinary requests only (not slow by design). */
  ordinary: { p50: number; p99: number; max: number };
}

export class Load {
  readonly samples: Sample[] = [];
  readonly marks: Mark[] = [];
  private readonly t0 = performance.now();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly pending = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private seq = 0;
  private stopped = false;

  constructor(private readonly opts: LoadOptions) {}

  now(): number {
    return performance.now() - this.t0;
  }

  /** Records a named moment (e.g. "deploy 1.2.0 returned") on the load's clock. */
  mark(name: string): number {
    const at = this.now();
    this.marks.push({ name, at });
    return at;
  }

  start(): this {
    const interval = 1000 / (this.opts.rate ?? 50);
    const maxRequests = this.opts.maxRequests ?? 50_000;
    const maxMs = this.opts.maxMs ?? 600_000;
    let due = 0;
    // Catch up on missed ticks (timers are late on a busy machine), so the rate holds.
    const tick = () => {
      const now = this.now();
      while (due <= now && !this.stopped) {
        if (this.seq >= maxRequests || now >= maxMs) {
          this.stopped = true;
          break;
        }
        this.fire();
        due += interval;
      }
      if (!this.stopped) this.timer = setTimeout(tick, Math.max(1, due - this.now()));
    };
    tick();
    return this;
  }

  /** Stops sending and waits for the requests in flight to end (each is bounded by its timeout). */
  async stop(): Promise<Sample[]> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.pending.size) await Promise.all([...this.pending]);
    this.agent.destroy();
    return this.samples;
  }

  /** Samples whose request started in [from, to) on the load's clock. */
  between(from: number, to = Infinity): Sample[] {
    return this.samples.filter((s) => s.start >= from && s.start < to);
  }

  private fire(): void {
    const seq = ++this.seq;
    const conn: Connection = seq % 2 === 0 ? 'keep-alive' : 'new';
    const sample: Sample = { seq, conn, start: this.now(), end: 0 };
    this.samples.push(sample);
    const p = this.send(sample, conn, false).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private send(sample: Sample, conn: Connection, isRetry: boolean): Promise<void> {
    const timeoutMs = this.opts.timeoutMs ?? 5000;
    return new Promise<void>((resolve) => {
      let done = false;
      let gotResponse = false;
      const finish = (fields: Partial<Sample>) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        Object.assign(sample, fields, { end: this.now() });
        resolve();
      };
      const req = request(
        {
          host: '127.0.0.1',
          port: this.opts.port,
          path: this.opts.path ?? '/',
          method: 'GET',
          headers: conn === 'new' ? { Host: this.opts.host, Connection: 'close' } : { Host: this.opts.host },
          agent: conn === 'new' ? false : this.agent,
        },
        (res) => {
          gotResponse = true;
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body.length < 4096 ? (body += d) : undefined));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const version = body.trim().split(/\s+/).pop() || undefined;
            const slowByDesign = res.headers['x-hello-slow'] === '1' || undefined;
            const accepted = status >= 200 && status < 300 ? undefined : this.opts.accept?.(status, res.headers, body);
            if (accepted !== undefined) return finish({ status, version: accepted });
            finish(
              status >= 200 && status < 300
                ? { status, version, slowByDesign }
                : { status, version, slowByDesign, error: `status ${status}` },
            );
          });
          res.on('error', (e) => finish({ status: res.statusCode, error: errorKind(e), detail: `${rawError(e)} during the answer` }));
        },
      );
      // The whole request, connection included, must end within the timeout.
      const timer = setTimeout(
        () => {
          finish({ error: 'timeout' });
          req.destroy();
        },
        Math.max(1, timeoutMs - (this.now() - sample.start)),
      );
      req.on('error', (e) => {
        if (done) return;
        // The server closed an idle kept-alive connection as this request went
        // out: nothing was processed, so retry once on a fresh connection.
        if (
          !isRetry &&
          !gotResponse &&
          req.reusedSocket &&
          /ECONNRESET|socket hang up/.test(`${(e as NodeJS.ErrnoException).code} ${e.message}`)
        ) {
          done = true;
          clearTimeout(timer);
          sample.retried = true;
          void this.send(sample, 'new', true).then(resolve);
          return;
        }
        finish({
          error: errorKind(e),
          detail: `${rawError(e)} ${gotResponse ? 'during the answer' : 'before any answer'}, ${req.reusedSocket ? 'reused' : 'new'} socket`,
        });
      });
      req.end();
    });
  }
}

function rawError(e: Error): string {
  return (e as NodeJS.ErrnoException).code ?? e.message;
}

function errorKind(e: Error): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET' || /socket hang up/.test(e.message)) return 'reset';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ETIMEDOUT') return 'timeout';
  return code ?? e.message;
}

export function startLoad(opts: LoadOptions): Load {
  return new Load(opts).start();
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function summarize(samples: Sample[]): LoadSummary {
  const errors: Record<string, number> = {};
  const versions: Record<string, number> = {};
  for (const s of samples) {
    if (s.error) errors[s.error] = (errors[s.error] ?? 0) + 1;
    else if (s.version) versions[s.version] = (versions[s.version] ?? 0) + 1;
  }
  const lat = samples.map((s) => s.end - s.start).sort((a, b) => a - b);
  const ord = samples
    .filter((s) => !s.slowByDesign)
    .map((s) => s.end - s.start)
    .sort((a, b) => a - b);
  return {
    ordinary: { p50: percentile(ord, 50), p99: percentile(ord, 99), max: ord.length ? ord[ord.length - 1] : 0 },
    total: samples.length,
    failed: samples.filter((s) => s.error).length,
    errors,
    retried: samples.filter((s) => s.retried).length,
    versions,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    max: lat.length ? lat[lat.length - 1] : 0,
  };
}

export function formatSummary(s: LoadSummary): string {
  const kinds = Object.entries(s.errors)
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ');
  const vers = Object.entries(s.versions)
    .map(([v, n]) => `${v} ×${n}`)
    .join(', ');
  return `${s.total} requests, ${s.failed} failed${kinds ? ` (${kinds})` : ''}, ${s.retried} retried on a fresh connection; p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(0)} ms (ordinary requests: p50 ${s.ordinary.p50.toFixed(1)} ms, p99 ${s.ordinary.p99.toFixed(1)} ms); answered by ${vers || 'nobody'}`;
}

/** One line per failed request, for a test's message. */
export function describeFailures(samples: Sample[], limit = 15): string {
  const failed = samples.filter((s) => s.error);
  const lines = failed
    .slice(0, limit)
    .map(
      (s) =>
        `  #${s.seq} ${s.conn} at ${s.start.toFixed(0)} ms: ${s.error} after ${(s.end - s.start).toFixed(0)} ms${s.detail ? ` (${s.detail}${s.retried ? ', on the retry' : ''})` : ''}`,
    );
  if (failed.length > limit) lines.push(`  … and ${failed.length - limit} more`);
  return lines.join('\n');
}

/**
 * The zero-downtime assertion of a window of load: no request failed, the load
 * ran (at least `minTotal` requests), and every answer came from one of
 * `versions`. The summary line goes to the output either way.
 */
export function assertServedThrough(what: string, samples: Sample[], versions: string[], minTotal: number): void {
  const s = summarize(samples);
  console.log(`# ${what}: ${formatSummary(s)}`);
  assert.equal(s.failed, 0, `${what}: no request may fail:\n${describeFailures(samples)}`);
  assert.ok(s.total >= minTotal, `${what}: the load ran (${s.total} requests)`);
  const wrong = samples.filter((x) => !versions.includes(x.version ?? ''));
  assert.deepEqual(
    wrong.slice(0, 5).map((x) => `#${x.seq} ${x.status} answered by ${x.version}`),
    [],
    `${what}: every answer is ${versions.join(' or ')}`,
  );
}
