// `deployer status` on two real hosts: healthy and in sync (exit 0), a
// hand-edited unit on one host (drift there, the other clean, exit 8), fixed
// by a redeploy, a host that missed a deploy, a stopped instance (unhealthy,
// exit 7), and the lock's holder while a deploy holds it.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { startHost, type TestHost } from '../helpers/testhost.js';
import { appToml, createProject, resultEvent, waitForPause, type CliResult, type Project } from '../helpers/project.js';

interface HostData {
  host: string;
  release?: string;
  healthy: boolean;
  lockedBy?: string;
  maintenance: boolean;
  drift: Array<{ kind: string; name: string; change: string; message: string }>;
  instances: Array<{ unit: string; process?: string; port?: number; active: string; gate: { ok: boolean } }>;
}

const hosts: TestHost[] = [];
let app: Project;
const unit = 'stat-web@.service';

const root = async (h: TestHost, cmd: string) => {
  const r = await h.ssh(cmd, { user: 'root' });
  assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
  return r.stdout.trim();
};
async function status(): Promise<{ r: CliResult; byHost: Record<string, HostData> }> {
  const r = await app.run(['status', '--json']);
  const data = resultEvent(r)?.data as unknown as { version: number; hosts: HostData[] } | undefined;
  assert.ok(data, `a result event: ${r.stdout}\n${r.stderr}`);
  assert.equal(data.version, 1);
  return { r, byHost: Object.fromEntries(data.hosts.map((h) => [h.host, h])) };
}
async function deploy(args: string[] = []): Promise<void> {
  const r = await app.run(['deploy', ...args]);
  assert.equal(r.code, 0, r.stderr);
}

before(async () => {
  hosts.push(...(await Promise.all([startHost(), startHost()])));
  app = createProject('binary-app', hosts, appToml({ app: 'stat', timeout: 8 }));
  await deploy();
});
after(async () => {
  app?.cleanup();
  await Promise.all(hosts.map((h) => h.down()));
});

test('after a deploy: both hosts healthy and in sync, exit 0, a compact block per host', async () => {
  const { r, byHost } = await status();
  assert.equal(r.code, 0, r.stdout + r.stderr);
  for (const name of ['h1', 'h2']) {
    const h = byHost[name];
    assert.equal(h.healthy, true, JSON.stringify(h));
    assert.deepEqual(h.drift, []);
    assert.equal(h.release, '1.0.0');
    assert.equal(h.maintenance, false);
    assert.ok(
      h.instances.some((i) => i.process === 'web' && i.port !== undefined && i.gate.ok),
      JSON.stringify(h.instances),
    );
  }
  const text = await app.run(['status']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^h1: stat 1\.0\.0 live since .* — healthy$/m);
  assert.match(text.stdout, /all 2 hosts healthy and in sync/);
});

test('a hand-edited unit on one host: drift there, the other clean, non-zero; a redeploy fixes it', async () => {
  await root(hosts[0], `echo '# edited by hand' >> /etc/systemd/system/${unit}`);
  const { r, byHost } = await status();
  assert.equal(r.code, 8, r.stderr);
  assert.deepEqual(
    byHost.h1.drift.map((d) => [d.kind, d.name, d.change]),
    [['unit', unit, 'changed']],
  );
  assert.equal(byHost.h1.healthy, true);
  assert.deepEqual(byHost.h2.drift, []);
  const text = await app.run(['status']);
  assert.equal(text.code, 8);
  assert.match(
    text.stdout,
    new RegExp(`drift: unit ${unit} differs from what a deploy writes: deployer deploy \\(or redeploy\\) rewrites it`),
  );
  assert.match(text.stderr, /drift from the config: h1/);

  const fix = await app.run(['redeploy']);
  assert.equal(fix.code, 0, fix.stderr);
  const after = await status();
  assert.equal(after.r.code, 0, JSON.stringify(after.byHost));
});

test('a host that missed the last deploy is drift', async () => {
  app.setVersion('1.0.1');
  await deploy(['--host', 'h1']);
  const { r, byHost } = await status();
  assert.equal(r.code, 8, r.stderr);
  assert.deepEqual(byHost.h1.drift, []);
  assert.deepEqual(
    byHost.h2.drift.map((d) => [d.kind, d.change, d.name]),
    [['release', 'behind', '1.0.1']],
  );
  await deploy();
  const after = await status();
  assert.equal(after.r.code, 0, JSON.stringify(after.byHost));
});

test('a stopped instance: that host unhealthy, exit 7', async () => {
  const before = (await status()).byHost.h2;
  const web = before.instances.find((i) => i.process === 'web')!;
  await root(hosts[1], `systemctl stop ${web.unit}`);
  const { r, byHost } = await status();
  assert.equal(r.code, 7, r.stderr);
  assert.equal(byHost.h2.healthy, false);
  assert.equal(byHost.h1.healthy, true);
  assert.notEqual(byHost.h2.instances.find((i) => i.unit === web.unit)?.active, 'active');
  await root(hosts[1], `systemctl start ${web.unit}`);
});

test('a host that cannot be reached: unhealthy with the reason, the other still reported, exit 7', async () => {
  await hosts[1].stopProxy(22);
  try {
    const { r, byHost } = await status();
    assert.equal(r.code, 7, r.stderr);
    assert.equal(byHost.h1.healthy, true);
    assert.equal(byHost.h2.healthy, false);
    assert.ok((byHost.h2 as HostData & { error?: string }).error, JSON.stringify(byHost.h2));
  } finally {
    await hosts[1].startProxy(22);
  }
});

test('while a deploy holds the lock, status shows the holder and does not wait for it', async () => {
  const holder = app.start(['redeploy'], { env: { DEPLOYER_TEST_PAUSE_AT: 'locked' } });
  try {
    await waitForPause(holder.child, 'locked');
    const { byHost } = await status();
    for (const name of ['h1', 'h2']) assert.match(byHost[name].lockedBy ?? '', /deployer redeploy/, name);
  } finally {
    holder.child.kill('SIGKILL');
    await holder.result;
  }
});
