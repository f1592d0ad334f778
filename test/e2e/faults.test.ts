// Faults against a real host: the CLI killed with SIGKILL at every step of a
// deploy, the SSH connection cut mid-upload, ten deploys at once, and a Caddy
// template that renders an invalid site. Every time the old release keeps
// answering and the next plain deploy needs no cleanup.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { appToml, createProject, waitForPause, type Project } from '../helpers/project.js';

let host: TestHost;
let app: Project;
let live = '';
let counter = 0;

// The artifact is padded (40 MB, or PAD_BYTES) so an upload takes long enough to be cut.
const base = appToml({
  app: 'faulty',
  build: './build.sh && head -c ${PAD_BYTES:-40000000} /dev/urandom >> dist/hello-bin',
  settings: { versions_to_keep: 3 },
  timeout: 8,
});

const served = async () => {
  try {
    const r = await httpGet(host.httpPort, '/', 'faulty.localhost');
    return `${r.status} ${r.body.trim()}`;
  } catch (e) {
    return `error ${(e as Error).message}`;
  }
};

/** The old release must answer now and keep answering (a revert on the host may still be running). */
async function assertStillServes(version: string, what: string): Promise<void> {
  const want = `200 hello-bin ${version}`;
  let last = '';
  for (let i = 0; i < 60; i++) {
    last = await served();
    if (last === want) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(last, want, `${what}: the old release must answer`);
  // ... and stays: no late switch to the killed deploy's release.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await served(), want, `${what}: still the old release a moment later`);
}

async function plainDeploy(): Promise<void> {
  const version = `1.${++counter}.0`;
  app.setVersion(version);
  const r = await app.run(['deploy']);
  assert.equal(r.code, 0, `plain deploy of ${version} after a fault must succeed:\n${r.stderr}`);
  assert.equal(await served(), `200 hello-bin ${version}`);
  live = version;
}

before(async () => {
  host = await startHost();
  app = createProject('binary-app', [host], base);
  await plainDeploy();
});
after(async () => {
  app?.cleanup();
  await host?.down();
});

for (const point of ['locked', 'uploading', 'uploaded', 'prepared', 'switched', 'verified']) {
  test(`SIGKILL at "${point}": the old release keeps serving, the next deploy just works`, async () => {
    app.setVersion(`9.${counter}.${point.length}`);
    const { child, result } = app.start(['deploy'], { env: { DEPLOYER_TEST_PAUSE_AT: point } });
    await waitForPause(child, point);
    child.kill('SIGKILL');
    await result;
    await assertStillServes(live, `killed at ${point}`);
    await plainDeploy();
  });
}

test('cutting the SSH connection mid-upload leaves the old release serving', async () => {
  app.setVersion('9.9.9');
  // 600 MB: seconds of upload even on loopback, so the cut lands mid-transfer.
  const { child, result } = app.start(['deploy'], { env: { DEPLOYER_TEST_PAUSE_AT: 'uploading', PAD_BYTES: '600000000' } });
  await waitForPause(child, 'uploading');
  await host.stopProxy(22);
  const r = await result;
  await host.startProxy(22);
  assert.notEqual(r.code, 0, r.stderr);
  assert.match(r.stderr, /connection|lost|closed|reset/i);
  await assertStillServes(live, 'connection cut');
  await plainDeploy();
});

test('ten deploys at once: one runs, the others are refused naming the holder', async (t) => {
  // The holder pauses once it has the lock, so the others certainly meet it.
  app.setVersion(live); // redeploy of the live version: no build race, same artifact
  const holder = app.start(['redeploy'], { env: { DEPLOYER_TEST_PAUSE_AT: 'locked' } });
  await waitForPause(holder.child, 'locked');
  const started = Date.now();
  const others = await Promise.all(
    Array.from({ length: 9 }, async () => {
      const t0 = Date.now();
      const r = await app.run(['redeploy']);
      return { ...r, ms: Date.now() - t0 };
    }),
  );
  holder.child.kill('SIGKILL');
  await holder.result;
  for (const r of others) {
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /locked by .*pid \d+: deployer redeploy/);
  }
  // Refused at once (flock -n), not queued: every one of them ended while the
  // holder still held the lock. How fast that is belongs to the benchmark.
  t.diagnostic(
    `refused deploys took ${Math.min(...others.map((r) => r.ms))}-${Math.max(...others.map((r) => r.ms))} ms each, all within ${Date.now() - started} ms`,
  );
  // The kernel released the dead holder's lock: a plain deploy goes through.
  await plainDeploy();
});

test('ten deploys at once with --lock-wait run one after another and all succeed', async () => {
  const runs = await Promise.all(Array.from({ length: 10 }, () => app.run(['redeploy', '--lock-wait', '300', '--json'])));
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const history = await app.run(['history', '--json', '-n', '10']);
  const entries = (
    history.events.find((e) => e.type === 'result') as { data: { entries: Array<{ action: string; result: string; time: string }> } }
  ).data.entries;
  assert.equal(entries.filter((e) => e.action === 'redeploy' && e.result.startsWith('ok')).length, 10);
  assert.equal(await served(), `200 hello-bin ${live}`);
});

test('a Caddy template that renders an invalid config is refused before reload', async () => {
  const before = (await host.ssh('sha256sum /etc/caddy/sites/faulty.caddy', { user: 'root' })).stdout;
  mkdirSync(join(app.dir, '.deployer'), { recursive: true });
  writeFileSync(join(app.dir, '.deployer', 'caddy.site.hbs'), '{{#each addresses}}{{this}} {{/each}}{\n\tthis_is_not_a_directive 1\n}\n');
  try {
    app.setVersion('8.0.0');
    const r = await app.run(['deploy']);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /Caddy/);
  } finally {
    writeFileSync(join(app.dir, '.deployer', 'caddy.site.hbs.disabled'), '');
    const { rmSync } = await import('node:fs');
    rmSync(join(app.dir, '.deployer', 'caddy.site.hbs'));
  }
  assert.equal((await host.ssh('sha256sum /etc/caddy/sites/faulty.caddy', { user: 'root' })).stdout, before);
  assert.equal(await served(), `200 hello-bin ${live}`);
  assert.equal((await host.ssh('systemctl is-active caddy', { user: 'root' })).stdout.trim(), 'active');
});
