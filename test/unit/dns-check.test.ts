// The post-deploy DNS check with an injected resolver (no network): a domain
// that does not resolve to its host gets a warning naming the fix; what DNS
// has no say in (`:80`, wildcards, IPs) is left alone; the check is skipped,
// with a --verbose note, where the comparison cannot mean anything.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { checkDomains, domainName, type Resolver, prefetchingResolver } from '../../src/deploy/dnsCheck.js';

const zone: Record<string, string[]> = {
  'shop.example': ['203.0.113.10'],
  'other.example': ['198.51.100.7'],
  'web1-alias.internal': ['203.0.113.10'],
  'both.example': ['2001:db8::1', '::ffff:203.0.113.10'],
};
const resolver: Resolver = async (name) => {
  const a = zone[name];
  if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  return a;
};
const host = (domains: string[], over: Partial<{ address: string; jumped: boolean }> = {}) => ({
  name: 'web1',
  address: '203.0.113.10',
  jumped: false,
  domains,
  ...over,
});

test('domainName: names only where DNS has a say', () => {
  assert.deepEqual(domainName('shop.example'), { name: 'shop.example', plainHttp: false });
  assert.deepEqual(domainName('http://hello.test:8080/'), { name: 'hello.test', plainHttp: true });
  for (const s of [':80', 'http://:8080', '*.example.com', '203.0.113.10', 'http://[2001:db8::1]'])
    assert.equal(domainName(s), undefined, s);
});

test('.localhost names (RFC 6761 loopback) are not checked: no warning even when this machine does not resolve them', async () => {
  for (const s of ['localhost', 'hello.localhost', 'http://hello.localhost', 'https://api.Shop.LOCALHOST:8443/x', 'hello.localhost.'])
    assert.equal(domainName(s), undefined, s);
  for (const s of ['localhost.example', 'mylocalhost', 'localhost-shop.test']) assert.ok(domainName(s), `${s} is an ordinary name`);
  const asked: string[] = [];
  const notes = await checkDomains([host(['http://hello.localhost', 'localhost', 'ledger.test'])], async (name) => {
    asked.push(name);
    return resolver(name);
  });
  assert.deepEqual(
    notes.map((n) => n.message.split(' ')[0]),
    ['ledger.test'],
    'only the ordinary name warns',
  );
  assert.ok(!asked.some((n) => /localhost/.test(n)), `no lookup of a .localhost name (${asked.join(', ')})`);
});

test('a domain resolving to the host gives no note; IPv4-mapped IPv6 answers count', async () => {
  assert.deepEqual(await checkDomains([host(['shop.example', 'https://both.example', ':443'])], resolver), []);
});

test('a domain that does not resolve: a warning naming the DNS record, and http:// for a site without a public name', async () => {
  const [n, ...rest] = await checkDomains([host(['ledger.test'])], resolver);
  assert.equal(rest.length, 0);
  assert.equal(n.level, 'warn');
  assert.equal(n.host, 'web1');
  assert.match(n.message, /^ledger\.test does not resolve as seen from this machine/);
  assert.match(n.message, /Fix: add a DNS A\/AAAA record for ledger\.test pointing to 203\.0\.113\.10/);
  assert.match(n.message, /write "http:\/\/ledger\.test" in domains/);
  const [plain] = await checkDomains([host(['http://ledger.test'])], resolver);
  assert.match(plain.message, /DNS A\/AAAA record for ledger\.test/);
  assert.doesNotMatch(plain.message, /write "http:/, 'already plain HTTP: DNS is the fix');
});

test('a domain resolving elsewhere names where it points', async () => {
  const [n] = await checkDomains([host(['other.example'])], resolver);
  assert.match(n.message, /^other\.example resolves to 198\.51\.100\.7, not to this host \(203\.0\.113\.10\)/);
});

test('an ssh-config address (HostName) is resolved and compared', async () => {
  assert.deepEqual(await checkDomains([host(['shop.example'], { address: 'web1-alias.internal' })], resolver), []);
  const [n] = await checkDomains([host(['other.example'], { address: 'web1-alias.internal' })], resolver);
  assert.equal(n.level, 'warn');
});

test('skipped with a debug note: through ProxyJump, or a host address that does not resolve here', async () => {
  const [j] = await checkDomains([host(['ledger.test'], { jumped: true })], resolver);
  assert.equal(j.level, 'debug');
  assert.match(j.message, /skipped: the host is reached through ProxyJump/);
  const [u] = await checkDomains([host(['ledger.test'], { address: 'only-in-ssh-config' })], resolver);
  assert.equal(u.level, 'debug');
  assert.match(u.message, /does not resolve from this machine/);
});

test('a resolver that never answers is given up on (the deploy is not held)', async () => {
  const never: Resolver = () => new Promise(() => undefined);
  const [n] = await checkDomains([host(['slow.example'])], never);
  assert.equal(n.level, 'warn');
});

test('a private host address: a domain resolving elsewhere is not judged (NAT), one resolving nowhere still warns', async () => {
  const [nat] = await checkDomains([host(['shop.example'], { address: '10.0.0.5' })], resolver);
  assert.equal(nat.level, 'debug');
  assert.match(nat.message, /is private/);
  const [none] = await checkDomains([host(['ledger.test'], { address: '192.168.1.9' })], resolver);
  assert.equal(none.level, 'warn');
});

test('the prefetching resolver starts each site lookup once, early, and answers later from it (failures included)', async () => {
  const asked: string[] = [];
  const r = prefetchingResolver(async (name) => {
    asked.push(name);
    if (name === 'gone.example') throw new Error('ENOTFOUND');
    return ['203.0.113.7'];
  });
  r.prefetch(['https://shop.example.com', 'http://gone.example', ':80', 'SHOP.example.com']);
  assert.deepEqual(asked, ['shop.example.com', 'gone.example', 'SHOP.example.com']);
  assert.deepEqual(await r('shop.example.com'), ['203.0.113.7']);
  await assert.rejects(r('gone.example'), /ENOTFOUND/);
  const notes = await checkDomains(
    [{ name: 'h1', address: '203.0.113.7', jumped: false, domains: ['https://shop.example.com', 'http://gone.example'] }],
    r,
  );
  assert.deepEqual(asked, ['shop.example.com', 'gone.example', 'SHOP.example.com'], 'no second lookup');
  assert.equal(notes.length, 1);
  assert.match(notes[0].message, /^gone\.example does not resolve/);
});
