// The app user: by default a dedicated system user per app and stage, created
// by the deploy before anything uses it and removed by `down`; `app_user`
// names another one explicitly, which deployer neither creates nor removes.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { appUserFor, dedicatedUserName } from '../../src/plan/appUser.js';
import { planDown } from '../../src/plan/maintenance.js';
import type { Step } from '../../src/remote/steps.js';
import { freshState, makeConfig, makeHost, planBinaryRelease } from './render-helpers.js';

const state = freshState();
const plan = (over: Parameters<typeof makeConfig>[0]) => planBinaryRelease({ app: 'shop', appName: 'shop-admin', stage: 'admin', ...over });
const kinds = (steps: Step[]) => steps.map((s) => s.kind);

test('the default app user is dedicated to the app and stage, its name fits useradd', () => {
  const u = appUserFor(makeConfig({ app: 'shop', appName: 'shop-admin', stage: 'admin' }));
  assert.equal(u.name, 'dp-shop-admin');
  assert.equal(u.dedicated, true);
  assert.match(u.comment, /^deployer app user for shop stage admin [0-9a-f]{12}$/);
  assert.doesNotMatch(u.comment, /[:,=]/); // useradd refuses these
  assert.notEqual(u.comment, appUserFor(makeConfig({ app: 'shop', appName: 'shop-admin', stage: 'admin', appsDir: '/opt' })).comment);
  const long = dedicatedUserName('a'.repeat(60));
  assert.ok(long.length <= 32 && /^[a-z_][a-z0-9_-]*$/.test(long), long);
  assert.notEqual(dedicatedUserName('a'.repeat(60)), dedicatedUserName('a'.repeat(59)));
  assert.deepEqual(appUserFor(makeConfig({ appUser: 'deploy' })), { name: 'deploy', dedicated: false, comment: '' });
});

test('a deploy creates the dedicated user and the data dir first, and gives the env files to its group (the seal)', () => {
  const p = plan({});
  assert.deepEqual(kinds(p.prepare.steps).slice(0, 2), ['ensure-app-user', 'ensure-data-dir']);
  assert.deepEqual(p.prepare.steps[1], { kind: 'ensure-data-dir', path: '/srv/deployer/shop-admin/data', user: 'dp-shop-admin' });
  assert.ok(p.prepare.steps.some((s) => s.kind === 'seal-release' && s.user === 'dp-shop-admin'));
});

test("app_user set to the SSH user: no user created, the env stays the SSH user's own", () => {
  const p = plan({ appUser: 'deploy' });
  assert.deepEqual(kinds(p.prepare.steps).slice(0, 1), ['ensure-data-dir']);
  assert.ok(!kinds(p.prepare.steps).includes('ensure-app-user'));
  assert.ok(!p.prepare.steps.some((s) => s.kind === 'seal-release' || s.kind === 'open-release'));
});

test('down removes the dedicated user after the app dir, and never a user named by app_user', () => {
  const who = { time: 't', by: 'me' };
  const dedicated = planDown(makeConfig({ app: 'shop', appName: 'shop' }), makeHost(), state, who);
  assert.deepEqual(kinds(dedicated.steps).slice(-3), ['remove-app-dir', 'remove-app-user', 'append-line']);
  const named = planDown(makeConfig({ app: 'shop', appName: 'shop', appUser: 'www-data' }), makeHost(), state, who);
  assert.ok(!kinds(named.steps).includes('remove-app-user'));
});
