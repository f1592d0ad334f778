// Ports shared on one host (issue 18, finding 9): each app's and stage's range
// from its config, the ranges of the other apps read from their web units
// (recorded, or derived from what an older deployer left), the overlap, and
// a free range for the fix. Pure: src/plan/ports.ts.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { whereWritten } from '../../src/config/where.js';
import type { Config } from '../../src/config/types.js';
import { ExitCode } from '../../src/errors.js';
import {
  claimOf,
  findPortClash,
  freeRange,
  otherClaims,
  portClashError,
  portRangeOf,
  portsRecordLine,
  type WebUnitFacts,
} from '../../src/plan/ports.js';
import { makeConfig, makeProcess } from './render-helpers.js';
import { tempDir } from '../helpers/tmp.js';

const blueGreen = (over: Partial<Config> = {}) =>
  makeConfig({ strategy: 'blue-green', app: 'shop', stage: undefined, appName: 'shop', ...over } as Partial<Config>);
const staging = (port: number, over: Partial<Config> = {}) =>
  blueGreen({
    stage: 'staging',
    appName: 'shop-staging',
    webserver: { enabled: true, domains: [], upstream: `127.0.0.1:${port}`, port, statics: {} },
    ...over,
  });
const facts = (lines: string[], more: Partial<WebUnitFacts> = {}): WebUnitFacts => ({
  lines,
  enabled: [],
  links: [],
  upstreams: [],
  ...more,
});
const owner = (app: string, stage = '') => `# deployer-owner: app=${app} stage=${stage} apps_dir=/srv/deployer`;
const recorded = (name: string, first: number, last: number, app = name) => ({
  [`${name}-web@.service`]: facts([`# deployer-app: ${name}`, owner(app), portsRecordLine({ first, last })]),
});

test('a blue-green app takes 2 ports per web replica from its upstream port; restart one per replica; no web process none', () => {
  assert.deepEqual(portRangeOf(blueGreen()), { first: 8000, last: 8001 });
  assert.deepEqual(portRangeOf(blueGreen({ processes: [makeProcess('web', 'x', { replicas: 3 })] })), { first: 8000, last: 8005 });
  assert.deepEqual(portRangeOf(makeConfig()), { first: 8000, last: 8000 });
  assert.deepEqual(portRangeOf(makeConfig({ processes: [makeProcess('web', 'x', { replicas: 3 })] })), { first: 8000, last: 8002 });
  assert.equal(portRangeOf(makeConfig({ processes: [makeProcess('worker', 'x')] })), undefined);
  const unix = makeConfig({ webserver: { enabled: true, domains: [], upstream: 'unix//run/app.sock', statics: {} } });
  assert.equal(portRangeOf(unix), undefined);
});

test('a stage on the next port (the old documented layout) clashes with production under blue-green; the fix names a free range', () => {
  const clash = findPortClash(staging(8001), recorded('shop', 8000, 8001));
  assert.ok(clash);
  assert.deepEqual(clash.mine, { first: 8001, last: 8002 });
  assert.deepEqual(
    clash.others.map((c) => [c.appName, c.first, c.last, c.recorded]),
    [['shop', 8000, 8001, true]],
  );
  assert.deepEqual(clash.free, { first: 8002, last: 8003 });
  const err = portClashError('web1', { ...staging(8001), file: '/home/me/shop/deployer.toml' }, clash);
  assert.equal(err.exitCode, ExitCode.config);
  assert.equal(
    err.message,
    'web1: shop (stage staging) would take ports 8001-8002 (webserver.upstream 127.0.0.1:8001), which overlap shop in /srv/deployer/shop, ' +
      'which has ports 8000-8001 (recorded in shop-web@.service): with strategy "blue-green" each app and stage takes 2 ports per web replica ' +
      'from its upstream port (slot a the even offsets, slot b the odd ones), so a stage on the next port collides with the other slot at a switch. ' +
      'Nothing was changed on web1. Fix: set upstream = "127.0.0.1:8002" under [stages.staging.webserver] in deployer.toml (ports 8002-8003 are free on web1), or move the other app.',
  );
  assert.ok(!err.message.includes('\n'), 'one paragraph');
});

test('no clash: adjacent ranges, the app itself, restart apps on consecutive ports, no web process', () => {
  assert.equal(findPortClash(staging(8002), recorded('shop', 8000, 8001)), undefined);
  assert.equal(findPortClash(staging(8001), recorded('shop-staging', 8001, 8002)), undefined, "the app's own units are not another app");
  const restart = (port: number) => staging(port, { strategy: 'restart' });
  assert.equal(findPortClash(restart(8001), recorded('shop', 8000, 8000)), undefined);
  assert.equal(findPortClash(staging(8001, { processes: [makeProcess('worker', 'x')] }), recorded('shop', 8000, 8001)), undefined);
});

test('the free range skips every other range on the host and keeps the size', () => {
  const taken = [
    { first: 8000, last: 8001 },
    { first: 8002, last: 8005 },
    { first: 8007, last: 8008 },
  ];
  assert.deepEqual(freeRange(2, taken, 8001), { first: 8009, last: 8010 });
  assert.deepEqual(freeRange(1, taken, 8001), { first: 8006, last: 8006 });
  assert.deepEqual(freeRange(2, taken, 9000), { first: 9000, last: 9001 });
  assert.equal(freeRange(2, [{ first: 65000, last: 65535 }], 65000), undefined);
  const clash = findPortClash(staging(8001), { ...recorded('shop', 8000, 8001), ...recorded('blog', 8002, 8003) });
  assert.deepEqual(clash?.free, { first: 8004, last: 8005 });
});

test('units written before the ports record: the range is derived from what is on the host', () => {
  const marker = (n: string) => `# deployer-app: ${n}`;
  // Restart, one port: Environment=PORT=.
  assert.deepEqual(pick(claimOf('a-web.service', facts([marker('a'), 'Environment=PORT=8000']))), [8000, 8000, false]);
  // Restart with replicas: the enabled instances.
  assert.deepEqual(
    pick(
      claimOf(
        'b-web@.service',
        facts([marker('b'), 'Environment=PORT=%i', 'WorkingDirectory=/srv/deployer/b/current'], { enabled: [9000, 9001] }),
      ),
    ),
    [9000, 9001, false],
  );
  // Blue-green, live in slot b (8001, first deploy): slot a's 8000 is beside it.
  const bg = (more: Partial<WebUnitFacts>) =>
    pick(claimOf('shop-web@.service', facts([marker('shop'), 'Environment=PORT=%i', 'WorkingDirectory=/srv/deployer/shop/.web/%i'], more)));
  assert.deepEqual(bg({ enabled: [8001], live: 'b', links: [8001] }), [8000, 8001, false]);
  // Live in slot a with two replicas: 8000, 8002 serve; 8001, 8003 are slot b's.
  assert.deepEqual(bg({ enabled: [8000, 8002], live: 'a' }), [8000, 8003, false]);
  // Nothing enabled (a stopped host): the Caddy site's upstreams and the links.
  assert.deepEqual(bg({ upstreams: [8001], live: 'b', links: [8001, 8000] }), [8000, 8001, false]);
  // No marker: not deployer's; nothing that tells a port: no claim.
  assert.equal(claimOf('x-web.service', facts(['Environment=PORT=8000'])), undefined);
  assert.equal(claimOf('y-web@.service', facts([marker('y'), 'Environment=PORT=%i'])), undefined);
});

test("otherClaims leaves out this app's own units and keeps the owner record for the message", () => {
  const claims = otherClaims('shop', { ...recorded('shop', 8000, 8001), ...recorded('shop-staging', 8002, 8003, 'shop') });
  assert.equal(claims.length, 1);
  assert.equal(claims[0].appName, 'shop-staging');
  assert.match(claims[0].owner ?? '', /^app=shop /);
});

function pick(c: ReturnType<typeof claimOf>): [number, number, boolean] | undefined {
  return c && [c.first, c.last, c.recorded];
}

test('the refusal starts with where webserver.upstream is written: the stage overlay (inline table or header) over the base', () => {
  const dir = tempDir('deployer-ports-');
  const file = join(dir, 'deployer.toml');
  writeFileSync(
    file,
    'app = "shop"\n\n[webserver]\nupstream = "127.0.0.1:8000"\n\n[stages.staging]\nwebserver = { domains = [], upstream = "127.0.0.1:8001" }\n\n[stages.qa.webserver]\nupstream = "127.0.0.1:8001"\n',
  );
  try {
    assert.equal(whereWritten({ file, stage: 'staging' }, ['webserver', 'upstream'], dir), 'deployer.toml:7:40');
    assert.equal(whereWritten({ file, stage: 'qa' }, ['webserver', 'upstream'], dir), 'deployer.toml:10:12');
    assert.equal(whereWritten({ file, stage: 'production' }, ['webserver', 'upstream'], dir), 'deployer.toml:4:12');
    assert.equal(whereWritten({ file, stage: undefined }, ['webserver', 'upstream'], '/elsewhere'), `${file}:4:12`);
    const clash = findPortClash(staging(8001), recorded('shop', 8000, 8001))!;
    assert.match(
      portClashError('web1', { ...staging(8001), file }, clash, 'deployer.toml:7:40').message,
      /^deployer\.toml:7:40: web1: shop \(stage staging\)/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
