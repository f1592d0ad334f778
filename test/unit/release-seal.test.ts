// Issue 18 #6: release_command writes into the new release (Django's
// collectstatic makes static/), and the running app cannot write its own
// code. The plan opens the release to the app user while it is prepared and
// seals it before the switch; remote/phase.sh's dp_open_release and
// dp_seal_release run here in a real bash, as root with a stub sudo, with
// `nobody` as the app user (the part that needs root is skipped without it).
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planPrune } from '../../src/plan/maintenance.js';
import type { RemoteState } from '../../src/remote/state.js';
import { renderScript } from '../../src/remote/phaseScript.js';
import type { Step } from '../../src/remote/steps.js';
import { freshState, makeConfig, makeHost, planBinaryRelease } from './render-helpers.js';
import { stubHost } from '../helpers/stubHost.js';
import { releaseRecord } from '../helpers/remoteState.js';

const state = freshState();
const plan = (over: Parameters<typeof makeConfig>[0], s: RemoteState = state) =>
  planBinaryRelease({ app: 'shop', appName: 'shop', ...over }, s);
const kinds = (steps: Step[]) => steps.map((s) => s.kind);
const R = '/srv/deployer/shop/v1.0.0';

test('the release is open to the app user for release_command and pre_switch only, and sealed before it goes live', () => {
  const p = plan({ releaseCommand: 'python manage.py collectstatic --noinput', hooks: { preSwitch: 'echo hi' } as never });
  const k = kinds(p.prepare.steps);
  const open = k.indexOf('open-release');
  assert.deepEqual(k.slice(open), ['open-release', 'app-command', 'app-command', 'seal-release']);
  assert.deepEqual(p.prepare.steps[open], { kind: 'open-release', dir: R, user: 'dp-shop' });
  assert.deepEqual(p.prepare.steps[k.indexOf('seal-release')], { kind: 'seal-release', dir: R, user: 'dp-shop' });
  // Opened only after everything deployer writes into it (install included).
  assert.ok(k.lastIndexOf('write') < open && k.lastIndexOf('move') < open);
  // A failed prepare does not leave it open.
  assert.deepEqual(p.prepare.onFail?.[0], { kind: 'seal-release', dir: R, user: 'dp-shop' });
  // Without release_command or pre_switch it is never opened; the seal gives the env files to the app's group.
  const plain = plan({});
  assert.ok(!kinds(plain.prepare.steps).includes('open-release'));
  assert.deepEqual(kinds(plain.prepare.steps).slice(-1), ['seal-release']);
  // The app runs as the SSH user: nothing to open or seal.
  const same = plan({ appUser: 'deploy', releaseCommand: 'x' });
  assert.ok(!kinds(same.prepare.steps).some((x) => x === 'open-release' || x === 'seal-release'));
});

test('prune deletes with sudo when the app has its own user (a release cut short may hold its files)', () => {
  const rec = releaseRecord;
  const s: RemoteState = {
    ...state,
    current: '0.3.0',
    releases: ['0.1.0', '0.2.0', '0.3.0'],
    versions: [rec('0.3.0'), rec('0.2.0'), rec('0.1.0')],
  };
  const removes = (steps: Step[]) => steps.filter((x) => x.kind === 'remove' && x.paths.some((p) => p.includes('/v0.')));
  const deploy = plan({ versionsToKeep: 2 }, s);
  assert.deepEqual(removes(deploy.switch.verdict!.commit), [
    { kind: 'remove', paths: ['/srv/deployer/shop/v0.1.0', '/srv/deployer/shop/v0.2.0'], sudo: true },
  ]);
  const who = { time: 't', by: 'me' };
  const pruned = planPrune(makeConfig({ app: 'shop', appName: 'shop' }), makeHost(), s, 1, who);
  assert.deepEqual(removes(pruned.script.steps), [
    { kind: 'remove', paths: ['/srv/deployer/shop/v0.1.0', '/srv/deployer/shop/v0.2.0'], sudo: true },
  ]);
  const asSsh = planPrune(makeConfig({ app: 'shop', appName: 'shop', appUser: 'deploy' }), makeHost(), s, 1, who);
  assert.deepEqual(removes(asSsh.script.steps), [{ kind: 'remove', paths: ['/srv/deployer/shop/v0.1.0', '/srv/deployer/shop/v0.2.0'] }]);
});

const asRoot = process.getuid?.() === 0;
/** A test of the scripts as root (runuser, chown), skipped otherwise. */
const rootTest = (name: string, fn: () => void) => test(name, { skip: !asRoot && 'needs root (runuser, chown)' }, fn);

/** A release dir as prepare leaves it before release_command, a stub sudo, and `run(steps)` / `as(user, sh)`. */
function host() {
  const stub = stubHost();
  const d = stub.dir;
  chmodSync(d, 0o755);
  const rel = join(d, 'app', 'v1');
  mkdirSync(join(rel, '.deployer', 'units'), { recursive: true });
  chmodSync(join(d, 'app'), 0o755);
  chmodSync(rel, 0o755);
  writeFileSync(join(rel, '.deployer', 'units', 'shop-web.service'), '[Service]\n');
  writeFileSync(join(rel, '.env'), 'A=1\n', { mode: 0o600 });
  writeFileSync(join(rel, '.appenv'), 'export A=1\n', { mode: 0o600 });
  writeFileSync(join(rel, 'app'), 'binary\n', { mode: 0o755 });
  const run = (steps: Step[]) => stub.run(renderScript({ phaseLock: join(d, 'phase.lock'), steps }));
  const as = (user: string, script: string) =>
    spawnSync('runuser', ['-u', user, '--', 'sh', '-c', script, 'sh', rel], { encoding: 'utf8' });
  const mode = (p: string) => `${(statSync(join(rel, p)).mode & 0o7777).toString(8)}`;
  /** Each command, run as the app user (nobody), fails. */
  const refuses = (...commands: string[]) => {
    for (const cmd of commands) assert.notEqual(as('nobody', cmd).status, 0, cmd);
  };
  return { rel, run, as, mode, refuses };
}
const open: Step = { kind: 'open-release', dir: '', user: 'nobody' };
const seal: Step = { kind: 'seal-release', dir: '', user: 'nobody' };
const at = (s: Step, dir: string): Step => ({ ...s, dir }) as Step;

rootTest('seal of a release never opened (no release_command): only the env files are shared, nothing else is walked', () => {
  const h = host();
  // A file that is not ours but sits in a release nobody opened: the full
  // seal would refuse or hand it over; the light one does not look.
  writeFileSync(join(h.rel, 'left-alone'), 'x\n');
  chmodSync(join(h.rel, 'left-alone'), 0o664);
  const r = h.run([at(seal, h.rel)]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(h.mode('.env'), '640');
  assert.equal(h.mode('.appenv'), '640');
  assert.equal(h.mode('left-alone'), '664', 'the release was not walked');
  assert.equal(h.as('nobody', 'cat "$1/.env"').stdout, 'A=1\n');
  // Opened once (even by a prepare cut short): sealed in full.
  assert.equal(h.run([at(open, h.rel)]).code, 0);
  assert.equal(h.run([at(seal, h.rel)]).code, 0);
  assert.equal(h.mode('left-alone'), '644');
  assert.equal(h.mode('.'), '755');
});

rootTest("open: the app user adds dirs and files to the release and reads its env; it cannot touch deployer's entries", () => {
  const h = host();
  const r = h.run([at(open, h.rel)]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  // What collectstatic does: a dir with subdirs and files in the release.
  const made = h.as(
    'nobody',
    'mkdir -p "$1/static/admin/css" && echo "body{}" > "$1/static/admin/css/base.css" && echo x > "$1/generated.txt" && cat "$1/.appenv"',
  );
  assert.equal(made.status, 0, made.stderr);
  assert.equal(made.stdout, 'export A=1\n');
  // Deployer's own entries: not replaced (sticky dir), not written (the units root installs, the env).
  h.refuses(
    'mv "$1/.deployer" "$1/x"',
    'echo x > "$1/.deployer/units/evil.service"',
    'echo B=2 >> "$1/.env"',
    'rm -f "$1/app"',
    'echo x > "$1/app"',
  );
  assert.equal(h.mode('.env'), '640');
});

rootTest(
  'seal: read-only for the app user, what it made is handed over, .env 0640 in its group; an open again lets release_command rewrite its own',
  () => {
    const h = host();
    assert.equal(h.run([at(open, h.rel)]).code, 0);
    assert.equal(
      h.as('nobody', 'umask 077; mkdir -p "$1/static/css" && echo a > "$1/static/css/site.css" && echo s > "$1/secret"').status,
      0,
    );
    const r = h.run([at(seal, h.rel)]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    h.refuses('touch "$1/x"', 'touch "$1/static/x"', 'echo b > "$1/static/css/site.css"', 'rm -rf "$1/static"', 'chmod 777 "$1/static"');
    // Still readable by the app (its group), though it made them 0600/0700.
    assert.equal(h.as('nobody', 'cat "$1/static/css/site.css" "$1/secret" "$1/.env"').stdout, 'a\ns\nA=1\n');
    const own = spawnSync('stat', ['-c', '%U %G %a %n', '.', '.env', '.appenv', 'static', 'static/css/site.css', 'secret'], {
      cwd: h.rel,
      encoding: 'utf8',
    });
    assert.equal(
      own.stdout,
      [
        'root nogroup 755 .',
        'root nogroup 640 .env',
        'root nogroup 640 .appenv',
        'root nogroup 750 static',
        'root nogroup 640 static/css/site.css',
        'root nogroup 640 secret',
        '',
      ].join('\n'),
    );
    // Prepared again (a release switched back to as it is): release_command may rewrite what it made, then it is sealed again.
    assert.equal(h.run([at(open, h.rel)]).code, 0);
    const again = h.as('nobody', 'echo b > "$1/static/css/site.css" && rm "$1/secret" && mkdir "$1/static/js"');
    assert.equal(again.status, 0, again.stderr);
    assert.equal(h.run([at(seal, h.rel)]).code, 0);
    h.refuses('touch "$1/static/js/x"');
  },
);

rootTest('seal refuses a release where the app user made an entry deployer uses (a .venv in a binary release)', () => {
  const h = host();
  assert.equal(h.run([at(open, h.rel)]).code, 0);
  assert.equal(h.as('nobody', 'mkdir -p "$1/.venv/bin"').status, 0);
  const r = h.run([at(seal, h.rel)]);
  assert.equal(r.code, 10);
  assert.match(r.stderr, /\.venv was made by nobody .*not by deployer/);
});
