// Blue-green rendering: the web process becomes a template unit whose
// instances (one per port) each run their own release through
// <appDir>/.web/<port>; the Caddy site is rendered once per slot.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import type { Config } from '../../src/config/types.js';
import { renderAll } from '../../src/render/index.js';
import { blueGreenBlocker, idleSlot, webSlots } from '../../src/plan/slots.js';
import { makeConfig, makeProcess, makeRenderer, makeHost, matchSnapshot } from './render-helpers.js';

const blueGreen = (extra: Partial<Config> = {}) => makeConfig({ strategy: 'blue-green', ...extra } as Partial<Config>);

test('slots: a and b each get one port per replica from the upstream port, a the even offsets, b the odd ones', () => {
  const slots = webSlots(blueGreen({ processes: [makeProcess('web', 'hello-app', { replicas: 2 })] }));
  assert.deepEqual(slots, {
    unit: 'hello-production-web@.service',
    ports: { a: [8000, 8002], b: [8001, 8003] },
    instances: {
      a: ['hello-production-web@8000.service', 'hello-production-web@8002.service'],
      b: ['hello-production-web@8001.service', 'hello-production-web@8003.service'],
    },
  });
  // A replicas change never puts the new slot on a port of the live one, whichever slot is live.
  const ports = (r: number) => webSlots(blueGreen({ processes: [makeProcess('web', 'hello-app', { replicas: r })] }))!.ports;
  for (const [from, to] of [
    [2, 3],
    [3, 1],
    [1, 4],
    [4, 2],
  ]) {
    for (const live of ['a', 'b'] as const) {
      const fresh = ports(to)[idleSlot(live)];
      assert.deepEqual(
        fresh.filter((p) => ports(from)[live].includes(p)),
        [],
        `replicas ${from} -> ${to}, live ${live}`,
      );
    }
  }
  assert.equal(idleSlot(undefined), 'b', "a restart-strategy web listens on slot a's port: start in b");
  assert.equal(idleSlot('b'), 'a');
  assert.equal(idleSlot('a'), 'b');
});

test('slots: restart, a socket-activated web or a unix upstream deploy by restart', () => {
  assert.equal(webSlots(makeConfig({ strategy: 'restart' } as Partial<Config>)), undefined);
  const socket = blueGreen({ processes: [makeProcess('web', 'hello-app', { socket: true })] });
  assert.equal(webSlots(socket), undefined);
  assert.match(blueGreenBlocker(socket)!, /socket-activated/);
  const unix = blueGreen({ webserver: { enabled: true, domains: [], upstream: 'unix//run/hello.sock', statics: {} } });
  assert.match(blueGreenBlocker(unix)!, /unix socket/);
});

test('blue-green web unit: instanced by port, each instance runs its own release link', () => {
  const out = renderAll(blueGreen(), makeHost(), makeRenderer());
  const web = out.units.find((u) => u.name === 'hello-production-web@.service');
  assert.ok(web, out.units.map((u) => u.name).join(', '));
  assert.deepEqual(web.instances, [], 'the switch starts the instances, in the idle slot');
  assert.match(web.content, /^WorkingDirectory=\/srv\/deployer\/hello-production\/\.web\/%i$/m);
  assert.match(web.content, /^EnvironmentFile=\/srv\/deployer\/hello-production\/\.web\/%i\/\.env$/m);
  assert.match(web.content, /^ExecStart=\/srv\/deployer\/hello-production\/\.web\/%i\/\.venv\/bin\/hello-app$/m);
  assert.match(web.content, /^Environment=PORT=%i$/m);
  assert.doesNotMatch(web.content, /\/current/);
  matchSnapshot('web-blue-green.service', web.content);
});

test("blue-green binary web unit runs the release's app_binary; % in arguments stays literal", () => {
  const config = blueGreen({
    installationMode: 'binary',
    distfile: 'dist/hello-bin',
    processes: [makeProcess('web', 'app_binary --pct 100%')],
  });
  const web = renderAll(config, makeHost(), makeRenderer()).units[0];
  assert.match(web.content, /^ExecStart=@\/srv\/deployer\/hello-production\/\.web\/%i\/app_binary app_binary --pct 100%%$/m);
});

test("blue-green Caddy site: one per slot, each proxying to its slot's ports", () => {
  const config = blueGreen({
    processes: [makeProcess('web', 'hello-app', { replicas: 2 })],
    webserver: { enabled: true, domains: ['example.com'], upstream: '127.0.0.1:8000', port: 8000, statics: {} },
  });
  const out = renderAll(config, makeHost(), makeRenderer());
  assert.ok(out.slotSites);
  assert.match(out.slotSites.a, /reverse_proxy 127\.0\.0\.1:8000 127\.0\.0\.1:8002 \{/);
  assert.match(out.slotSites.b, /reverse_proxy 127\.0\.0\.1:8001 127\.0\.0\.1:8003 \{/);
  assert.equal(out.caddySite!.content, out.slotSites.a);
  matchSnapshot('caddy-slot-b.caddy', out.slotSites.b);
});
