// The check through Caddy after a blue-green switch: where a visitor of the
// site connects, and what counts as a pass (a fake connection answers).
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import type { Config } from '../../src/config/types.js';
import { siteTarget, visitSite } from '../../src/deploy/visit.js';
import { makeConfig, makeHost } from './render-helpers.js';

const withDomains = (domains: string[], hc: Partial<Config['healthCheck']> = {}) =>
  makeConfig({
    webserver: { enabled: true, domains, upstream: '127.0.0.1:8000', port: 8000, statics: {} },
    healthCheck: { path: '/healthz', status: 200, timeout: 2, ...hc },
  } as Partial<Config>);

test('siteTarget: a bare domain is HTTPS on 443 with SNI; http:// is port 80; a port is kept; no domain is :80', () => {
  assert.deepEqual(siteTarget(withDomains(['shop.example.com']), makeHost()), { port: 443, tls: true, hostName: 'shop.example.com' });
  assert.deepEqual(siteTarget(withDomains(['http://shop.localhost']), makeHost()), { port: 80, tls: false, hostName: 'shop.localhost' });
  assert.deepEqual(siteTarget(withDomains(['https://shop.example.com:8443']), makeHost()), {
    port: 8443,
    tls: true,
    hostName: 'shop.example.com:8443',
  });
  assert.deepEqual(siteTarget(withDomains([]), makeHost()), { port: 80, tls: false, hostName: '127.0.0.1' });
  assert.deepEqual(siteTarget(withDomains([], { host: 'app.internal' }), makeHost({ domains: ['http://vps1.example.com'] })), {
    port: 80,
    tls: false,
    hostName: 'app.internal',
  });
});

test('visitSite passes on the health status through Caddy, and fails naming what answered', async () => {
  const calls: string[] = [];
  const ok = await visitSite(
    { httpGet: async (port, path, o) => (calls.push(`${port} ${path} ${o?.host} ${o?.tls}`), { status: 200 }) },
    withDomains(['shop.example.com']),
    makeHost(),
    async () => {},
  );
  assert.equal(ok.ok, true);
  assert.deepEqual(calls, ['443 /healthz shop.example.com true']);
  const bad = await visitSite(
    { httpGet: async () => ({ status: 502 }) },
    withDomains(['http://shop.localhost'], { timeout: 0.3 }),
    makeHost(),
    async () => new Promise((r) => setTimeout(r, 50)),
  );
  assert.equal(bad.ok, false);
  assert.match(bad.error!, /GET \/healthz through Caddy \(http, port 80, Host: shop\.localhost\) answered 502, expected 200/);
});

test('visitSite: only TLS failures (a certificate still being issued) warn instead of failing', async () => {
  const tlsErr = Object.assign(new Error('tlsv1 alert internal error'), { code: 'ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR' });
  const r = await visitSite(
    {
      httpGet: async () => {
        throw tlsErr;
      },
    },
    withDomains(['shop.example.com'], { timeout: 0.2 }),
    makeHost(),
    async () => new Promise((res) => setTimeout(res, 50)),
  );
  assert.equal(r.ok, true);
  assert.match(r.error!, /not checked through Caddy/);
  const refused = await visitSite(
    {
      httpGet: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
    },
    withDomains(['shop.example.com'], { timeout: 0.2 }),
    makeHost(),
    async () => new Promise((res) => setTimeout(res, 50)),
  );
  assert.equal(refused.ok, false);
});
