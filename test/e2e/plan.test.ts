// `deployer plan` against a real host: after a deploy, changing one process
// shows exactly that unit's diff (the others `same`, env unchanged because
// the host's value hashes match ours), env changes are reported by name
// only, a held lock is reported, a missing artifact is said, and the host is
// byte-for-byte unchanged (every path, mode, size, mtime and ctime) after
// each plan.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, type TestHost } from '../helpers/testhost.js';
import { appToml, createProject, waitForPause, type CliResult, type Project } from '../helpers/project.js';
import type { HostPreview } from '../../src/plan/preview.js';

const SECRET = 'plan-S3CRET-value-91c4';
const SECRET2 = 'plan-S3CRET-rotated-0b7e';
let host: TestHost;
let project: Project;

// writeConfig(worker(…)) adds a process after the rest of the config.
const base = appToml({ app: 'hello-plan', settings: { strategy: 'restart', versions_to_keep: 3, envfile: 'app.env' }, timeout: 15 });
const worker = (command: string) => `[processes.worker]\ncommand = ${JSON.stringify(command)}`;

const writeEnv = (text: string) => writeFileSync(join(project.dir, 'app.env'), text);

/** Every path under the app, unit and Caddy dirs with type, mode, owner, size, mtime and ctime. */
async function hostListing(): Promise<string> {
  const r = await host.ssh("find /srv/deployer /etc/systemd/system /etc/caddy -printf '%p %y %m %U %s %T@ %C@\\n' | sort", {
    user: 'root',
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\/srv\/deployer\/hello-plan\/v1\.0\.0 d/);
  return r.stdout;
}

/** Runs plan and checks that nothing on the host changed meanwhile. */
async function plan(args: string[], env: NodeJS.ProcessEnv = { PLAN_TOKEN: SECRET }): Promise<CliResult> {
  const before = await hostListing();
  const r = await project.run(['plan', ...args], { env });
  assert.equal(await hostListing(), before, 'plan changed something on the host');
  assert.ok(!(r.stdout + r.stderr).includes(SECRET) && !(r.stdout + r.stderr).includes(SECRET2), 'plan printed a secret value');
  return r;
}

function previews(r: CliResult): HostPreview[] {
  return r.events.filter((e) => e.type === 'result' && e.command === 'plan').map((e) => e.data as HostPreview);
}

before(async () => {
  host = await startHost();
  project = createProject('binary-app', [host], base);
  project.writeConfig(worker('sleep 100000'));
  writeEnv('SECRET_TOKEN=$PLAN_TOKEN\nOTHER=1\n');
  const r = await project.run(['deploy'], { env: { PLAN_TOKEN: SECRET } });
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  project?.cleanup();
  await host?.down();
});

test('plan after changing one process shows exactly that unit diff, and changes nothing', async () => {
  project.writeConfig(worker('sleep 200000'));
  const r = await plan(['--json']);
  assert.equal(r.code, 0, r.stderr);
  const all = previews(r);
  assert.equal(all.length, 1, r.stdout);
  const p = all[0];
  // The live version with a change: deploy would give it a release dir of its own.
  assert.equal(p.release, '1.0.0_2');
  assert.equal(p.current, '1.0.0');
  assert.equal(p.releaseExists, false);
  const changed = p.unitDiffs.filter((d) => d.status !== 'same');
  assert.deepEqual(
    changed.map((d) => [d.name, d.status]),
    [['hello-plan-worker.service', 'changed']],
  );
  assert.ok(
    p.unitDiffs.some((d) => d.name === 'hello-plan-web.service' && d.status === 'same' && d.diff === ''),
    JSON.stringify(p.unitDiffs),
  );
  const edits = changed[0].diff.split('\n').filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l));
  assert.equal(edits.length, 2, changed[0].diff);
  assert.match(edits[0], /^-ExecStart=.*sleep 100000$/);
  assert.match(edits[1], /^\+ExecStart=.*sleep 200000$/);
  assert.equal(p.caddyDiff?.status, 'same');
  // The host hashed its live values the way plan hashes the new ones.
  assert.deepEqual(p.env, { added: [], removed: [], changed: [] });
  // Same artifact: the rest is copied from the live release on the host; only
  // the changed unit would be uploaded.
  assert.deepEqual(
    p.uploads.map((u) => u.label),
    ['unit hello-plan-worker.service'],
  );
  assert.equal(p.installSkipped, false);
  assert.deepEqual(p.lock, { status: 'free' });
  assert.deepEqual(p.prune, []);
});

test('plan names added, removed and changed env keys and never prints a value; the text form shows the diff', async () => {
  writeEnv('SECRET_TOKEN=$PLAN_TOKEN\nNEW_KEY=x\n');
  const json = await plan(['--json'], { PLAN_TOKEN: SECRET2 });
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(previews(json)[0].env, { added: ['NEW_KEY'], removed: ['OTHER'], changed: ['SECRET_TOKEN'] });
  const text = await plan([], { PLAN_TOKEN: SECRET2 });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^h1 hello-plan 1\.0\.0_2 \(1\.0\.0 -> 1\.0\.0_2\)$/m);
  assert.match(text.stdout, /hello-plan-web\.service unchanged, hello-plan-worker\.service changed/);
  assert.match(text.stdout, /^ {4}-ExecStart=.*sleep 100000$/m);
  assert.match(text.stdout, /^ {4}\+ExecStart=.*sleep 200000$/m);
  assert.match(text.stdout, /^ {2}env {7}added NEW_KEY; removed OTHER; changed SECRET_TOKEN$/m);
  assert.ok(!text.stdout.includes('\x1b['), 'no colour when stdout is not a TTY');
  writeEnv('SECRET_TOKEN=$PLAN_TOKEN\nOTHER=1\n');
});

test('plan reports a held lock without waiting for it or taking it', async () => {
  const holder = project.start(['redeploy'], { env: { PLAN_TOKEN: SECRET, DEPLOYER_TEST_PAUSE_AT: 'locked' } });
  try {
    await waitForPause(holder.child, 'locked');
    const r = await plan(['--json']);
    assert.equal(r.code, 0, r.stderr);
    const { lock } = previews(r)[0];
    assert.equal(lock.status, 'held');
    assert.match(lock.by ?? '', /pid \d+: deployer redeploy/);
  } finally {
    holder.child.kill('SIGKILL');
    await holder.result;
  }
});

test('without --build and no artifact, plan says so and still diffs units, Caddy and env', async () => {
  rmSync(join(project.dir, 'dist'), { recursive: true, force: true });
  const r = await plan(['--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(
    r.events.some((e) => e.type === 'log' && e.level === 'warn' && /dist\/hello-bin does not exist/.test(String(e.message))),
    r.stdout,
  );
  const p = previews(r)[0];
  assert.match(p.artifact.missing ?? '', /dist\/hello-bin$/);
  assert.equal(p.installSkipped, null);
  assert.deepEqual(
    p.unitDiffs.filter((d) => d.status !== 'same').map((d) => d.name),
    ['hello-plan-worker.service'],
  );
  assert.equal(p.caddyDiff?.status, 'same');
  // --build builds it (build_command is local only): the same artifact, so it
  // is copied from the live release on the host, not uploaded.
  const built = await plan(['--json', '--build']);
  assert.equal(built.code, 0, built.stderr);
  const pb = previews(built)[0];
  assert.equal(pb.artifact.missing, undefined);
  assert.ok(!pb.uploads.some((u) => u.label === 'artifact'), JSON.stringify(pb.uploads));
});

test('plan shows which instances the switch stops and how Caddy reloads, as the probe found the host; the deploy does that', async () => {
  const isActive = async (unit: string) => (await host.ssh(`systemctl is-active ${unit} || true`, { user: 'root' })).stdout.trim();
  project.writeConfig(`${worker('sleep 100000')}\nreplicas = 3`);
  let r = await project.run(['deploy'], { env: { PLAN_TOKEN: SECRET } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await isActive('hello-plan-worker@3.service'), 'active');
  // One replica fewer (one alone would be a plain unit), and another domain (a new Caddy site).
  project.writeConfig(`${worker('sleep 100000')}\nreplicas = 2`);
  const toml = join(project.dir, 'deployer.toml');
  writeFileSync(toml, readFileSync(toml, 'utf8').replace('http://hello-plan.localhost', 'http://hello-plan-2.localhost'));
  const p = previews(await plan(['--json']))[0];
  assert.ok(p.switch.includes('stop hello-plan-worker@3.service: the release does not run it'), p.switch.join('\n'));
  // Each test host has its own network namespace: Caddy's admin API is on its default address there.
  assert.ok(p.switch.includes('reload Caddy through its admin API on 127.0.0.1:2019'), p.switch.join('\n'));
  r = await project.run(['deploy', '--json'], { env: { PLAN_TOKEN: SECRET } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await isActive('hello-plan-worker@3.service'), 'inactive');
  assert.equal(await isActive('hello-plan-worker@2.service'), 'active');
  assert.ok(
    r.events.some((e) => e.type === 'step' && e.step === 'reload Caddy through its admin API on 127.0.0.1:2019'),
    JSON.stringify(r.events.filter((e) => e.type === 'step')),
  );
});
