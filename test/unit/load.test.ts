// The load generator counts what zero-downtime tests assert on, so it is
// tested against a local server that answers, fails, resets and stalls on cue.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { percentile, startLoad, summarize } from '../helpers/load.js';

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

test('records status, version, resets and timeouts of every request, new and kept-alive', async () => {
  let i = 0;
  let fresh = 0;
  const sockets = new WeakSet<object>();
  const hosts = new Set<string>();
  const { server, port } = await serve((req, res) => {
    hosts.add(req.headers.host ?? '');
    // Every third new connection is reset at its first request: a failure the
    // client must count. (A reset on a reused kept-alive connection is retried
    // instead, so resets there would count only by luck.)
    if (!sockets.has(req.socket)) {
      sockets.add(req.socket);
      if (++fresh % 3 === 0) return void req.socket.destroy();
    }
    const k = ++i % 4;
    if (k === 1) res.end('hello 1.0.0\n');
    else if (k === 2) res.end('hello 2.0.0\n');
    else if (k === 3) ((res.statusCode = 502), res.end('bad gateway'));
    // k === 0: never answers (a stall): the client's timeout must count it
  });
  try {
    const load = startLoad({ port, host: 'site.test', rate: 100, timeoutMs: 1500, maxRequests: 20 });
    await new Promise((r) => setTimeout(r, 500));
    const samples = await load.stop();
    assert.equal(samples.length, 20, 'bounded in count');
    assert.deepEqual([...hosts], ['site.test']);
    const s = summarize(samples);
    assert.equal(s.total, 20);
    // Which request gets which answer depends on how requests land on connections: counts are checked by kind.
    assert.ok(s.versions['1.0.0'] > 0 && s.versions['2.0.0'] > 0, JSON.stringify(s));
    assert.ok(s.errors['status 502'] > 0, JSON.stringify(s));
    assert.ok((s.errors.reset ?? 0) > 0, JSON.stringify(s));
    assert.ok(s.errors.timeout > 0, JSON.stringify(s));
    assert.equal(s.failed + s.versions['1.0.0'] + s.versions['2.0.0'], 20, 'every request is either answered or failed');
    assert.deepEqual(Object.keys(s.errors).sort(), ['reset', 'status 502', 'timeout']);
    assert.equal(s.failed, samples.filter((x) => x.error).length);
    assert.ok(samples.some((x) => x.conn === 'new') && samples.some((x) => x.conn === 'keep-alive'));
    for (const x of samples.filter((x) => x.error === 'timeout')) assert.ok(x.end - x.start < 3000, 'a timeout ends the request');
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('holds its rate on an open loop and stops at its time bound', async () => {
  const { server, port } = await serve((_req, res) => setTimeout(() => res.end('app 1.0.0\n'), 200));
  try {
    const load = startLoad({ port, host: 'x', rate: 50, timeoutMs: 2000, maxMs: 400 });
    await new Promise((r) => setTimeout(r, 800));
    const samples = await load.stop();
    // 400 ms at 50/s = 20 requests, although each takes 200 ms (open loop: no waiting for answers).
    assert.ok(samples.length >= 18 && samples.length <= 21, `${samples.length} requests`);
    const s = summarize(samples);
    assert.equal(s.failed, 0);
    assert.ok(s.p50 >= 190, `p50 ${s.p50}`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('percentile picks the nearest rank', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(xs, 50), 50);
  assert.equal(percentile(xs, 99), 99);
  assert.equal(percentile(xs, 100), 100);
  assert.equal(percentile([], 99), 0);
});

test('requests slow by design (X-Hello-Slow: 1) are left out of the ordinary latency', async () => {
  let i = 0;
  const { server, port } = await serve((_req, res) => {
    if (++i % 4 === 0) {
      res.setHeader('X-Hello-Slow', '1');
      setTimeout(() => res.end('app 1.0.0\n'), 300);
    } else res.end('app 1.0.0\n');
  });
  try {
    const load = startLoad({ port, host: 'x', rate: 100, timeoutMs: 2000, maxRequests: 20 });
    await new Promise((r) => setTimeout(r, 300));
    const samples = await load.stop();
    const s = summarize(samples);
    assert.ok(samples.filter((x) => x.slowByDesign).length >= 4);
    assert.ok(s.max >= 290, `max ${s.max}`);
    assert.ok(s.ordinary.max < 250, `ordinary max ${s.ordinary.max}`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
