// The run object of a command (src/deploy/hostRun.ts): it keeps every lock
// while steps go over subsets of the hosts (a rollout's waves), settles each
// step the one way, and lets every host go at the end.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { DeployerError } from '../../src/errors.js';
import { forEachHost, HostRun } from '../../src/deploy/hostRun.js';
import { makeTestContext } from '../helpers/context.js';
import { FakeRemote, type FakeHostSettings } from '../helpers/fakeRemote.js';
import { makeConfig, makeHost } from './render-helpers.js';

const config = makeConfig({ hosts: ['h1', 'h2', 'h3'].map((name) => makeHost({ name })) });

function setup(settings: Record<string, FakeHostSettings> = {}) {
  const remotes: Record<string, FakeRemote> = {};
  const t = makeTestContext({ connect: async (host) => (remotes[host.name] = new FakeRemote(host.name, settings[host.name])) });
  return { ...t, remotes };
}

test('steps over waves of the locked hosts keep every lock until close()', async () => {
  const { ctx, remotes } = setup();
  const run = new HostRun(ctx, config);
  await run.connect();
  const locked = await run.lock({ lock: true, command: 'deploy 1.0.0' });
  const seen: string[][] = [];
  for (const wave of [locked.slice(0, 1), locked.slice(1)]) {
    seen.push(await run.each(wave, async (l) => l.host.name));
    assert.deepEqual(
      Object.values(remotes).map((r) => r.lockReleased || r.closed),
      [false, false, false],
    );
  }
  assert.deepEqual(seen, [['h1'], ['h2', 'h3']]);
  assert.deepEqual(
    run.held.map((h) => h.host.name),
    ['h1', 'h2', 'h3'],
  );
  run.close();
  assert.ok(Object.values(remotes).every((r) => r.lockReleased && r.closed));
  assert.deepEqual(run.held, []);
});

test('a refused lock fails the step after every host settled; the locks taken stay held until close()', async () => {
  const { ctx, remotes } = setup({ h2: { lockedBy: 'alice' } });
  const run = new HostRun(ctx, config);
  await run.connect();
  await assert.rejects(run.lock({ lock: true, command: 'deploy 1.0.0' }), /h2: .* is locked by alice/);
  assert.deepEqual(
    run.held.map((h) => h.host.name),
    ['h1', 'h3'],
  );
  run.close();
  assert.ok(Object.values(remotes).every((r) => r.closed));
});

test('forEachHost throws the first failure, reports the others, and lets every host go', async () => {
  const { ctx, remotes, err } = setup();
  const done = forEachHost(ctx, config, { lock: true, command: 'prune' }, async (h) => {
    if (h.host.name !== 'h1') throw new DeployerError(`${h.host.name}: failed`);
    return h.host.name;
  });
  await assert.rejects(done, /^DeployerError: h2: failed$/);
  assert.match(err.join(''), /h3: failed/);
  assert.ok(Object.values(remotes).every((r) => r.lockReleased && r.closed));
});
