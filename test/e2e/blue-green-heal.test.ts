// Blue-green heals and hands over, on a real host, with the load generator
// sending requests through Caddy (test/helpers/load.ts):
//
// - a redeploy with nothing changed notices a stopped web instance of the
//   live slot (the probe reads the live release's web-instances) and brings
//   it back in place (started, gated on its port; Caddy untouched) instead of
//   saying "unchanged, nothing to do", or fails saying it cannot;
//   strategy = "restart" heals its web unit the same way;
// - the first blue-green deploy over a release deployed by restart: its web
//   unit, <app>-web.service, is the old slot. A release that fails after the
//   traffic moved (the check through Caddy fails), or a CLI SIGKILLed right
//   after the Caddy reload, only points Caddy back at it: never restarted,
//   no failed request. A good one goes live, and the old unit stops after the
//   drain and is removed; a deploy during that drain stops it too.
import { test, before, after, describe } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { createProject, resultEvent, waitForPause, type Project } from '../helpers/project.js';
import { describeFailures, formatSummary, startLoad, summarize, type Sample } from '../helpers/load.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RATE = 50;

let host: TestHost;
before(async () => {
  host = await startHost();
});
after(async () => {
  await host?.down();
});

const toml = (app: string, port: number, web: string) => `
app = "${app}"
build_command = "./build.sh"
distfile = "dist/hello-bin"
installation_mode = "binary"
versions_to_keep = 6
strategy = "restart"
envfile = ".env"

[processes]
web = ${web}

[webserver]
domains = ["http://${app}.localhost"]
upstream = "127.0.0.1:${port}"

[health_check]
path = "/healthz"
timeout = 15
`;

/** A binary-app project whose deployer.toml says strategy = "restart" until `useBlueGreen()`. */
function project(app: string, port: number, env: string, web = '"app_binary"') {
  const p = createProject('binary-app', [host], toml(app, port, web));
  writeFileSync(join(p.dir, '.env'), `${env}\n`);
  let blueGreen = false;
  const setVersion = (v: string) => {
    p.setVersion(v);
    // blue-green is the default: without the strategy line.
    if (blueGreen) {
      const f = join(p.dir, 'deployer.toml');
      writeFileSync(f, readFileSync(f, 'utf8').replace('strategy = "restart"\n', ''));
    }
  };
  return {
    p,
    app,
    domain: `${app}.localhost`,
    setVersion,
    useBlueGreen: () => (blueGreen = true),
    async deploy(v: string, env: Record<string, string> = {}) {
      setVersion(v);
      return p.run(['deploy', '--json'], { env });
    },
  };
}
type P = ReturnType<typeof project>;

async function served(a: P): Promise<string> {
  try {
    const r = await httpGet(host.httpPort, '/', a.domain);
    return `${r.status} ${r.body.trim()}`;
  } catch (e) {
    return `error ${(e as Error).message}`;
  }
}

async function show(unit: string, prop: string): Promise<string> {
  return (await host.ssh(`systemctl show -p ${prop} --value -- ${unit}`)).stdout.trim();
}

async function current(a: P): Promise<string> {
  return (await host.ssh(`readlink /srv/deployer/${a.app}/current`)).stdout.trim();
}

/** The live slot's web instances, from the live release's web-instances file. */
async function liveInstances(a: P): Promise<string[]> {
  const r = await host.ssh(`cat /srv/deployer/${a.app}/current/.deployer/web-instances`);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter(Boolean);
}

/** Waits until no deploy phase runs on the host (a killed deploy's host-side revert included). */
async function settled(a: P): Promise<void> {
  for (let i = 0; i < 240; i++) {
    if ((await host.ssh(`flock -n /srv/deployer/.deployer/${a.app}.phase.lock true`, { user: 'deploy' })).code === 0) return;
    await sleep(250);
  }
  throw new Error(`a phase of ${a.app} still runs after a minute`);
}

/**
 * Runs `action` under load (1 s before, 1 s after the host settled) and
 * asserts that no request failed and that each answer came from `before`
 * until the host settled (or from one of `during`), then from `after`.
 */
async function underLoad(
  t: { diagnostic(msg: string): void },
  a: P,
  what: string,
  expect: { before: string; during: string[]; after: string },
  action: () => Promise<void>,
): Promise<void> {
  const load = startLoad({ port: host.httpPort, host: a.domain, rate: RATE, timeoutMs: 5000, maxMs: 3 * 60_000 });
  await sleep(1000);
  const started = load.mark('action');
  let settledAt = Infinity;
  let samples: Sample[];
  try {
    await action();
    await settled(a);
    settledAt = load.mark('settled');
    await sleep(1000);
  } finally {
    samples = await load.stop();
  }
  const summary = summarize(samples);
  t.diagnostic(`${what}: ${formatSummary(summary)}`);
  assert.equal(summary.failed, 0, `${what}: no request may fail:\n${describeFailures(samples)}`);
  assert.ok(summary.total >= RATE, `${what}: the load ran (${summary.total} requests)`);
  const wrong = samples.filter((s) => {
    const allowed = s.end < started ? [expect.before] : s.start < settledAt ? [expect.before, ...expect.during] : [expect.after];
    return !allowed.includes(s.version ?? '');
  });
  assert.deepEqual(
    wrong.map((s) => `#${s.seq} at ${s.start.toFixed(0)} ms answered by ${s.version}`),
    [],
    `${what}: every answer comes from the version expected at that moment`,
  );
}

describe('a redeploy with nothing changed heals a stopped web instance of the live release', () => {
  // Two replicas: with one of them stopped the site still serves (through the other), so the heal runs under load.
  let bg: P;
  before(async () => {
    bg = project('heal-bg', 8300, 'A=1', '{ command = "app_binary", replicas = 2 }');
    bg.useBlueGreen();
    const r = await bg.deploy('1.0.0');
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => bg?.p.cleanup());

  test('blue-green: still a no-op while healthy; a stopped live instance is started again, with no failed request', async (t) => {
    const healthy = await bg.p.run(['deploy', '--json']);
    assert.equal(healthy.code, 0, healthy.stderr);
    assert.equal(resultEvent(healthy)?.data && (resultEvent(healthy)!.data as { unchanged?: boolean }).unchanged, true);

    const live = await liveInstances(bg);
    assert.equal(live.length, 2);
    assert.equal((await host.ssh(`systemctl stop -- ${live[0]}`)).code, 0);
    assert.equal(await show(live[0], 'ActiveState'), 'inactive');

    let out = '';
    await underLoad(t, bg, 'heal a stopped instance', { before: '1.0.0', during: [], after: '1.0.0' }, async () => {
      const r = await bg.p.run(['deploy', '--json']);
      out = r.stdout + r.stderr;
      assert.equal(r.code, 0, out);
      assert.notEqual((resultEvent(r)?.data as { unchanged?: boolean } | undefined)?.unchanged, true, 'not "unchanged"');
    });
    assert.match(out, new RegExp(`${live[0].replace(/[@.]/g, '\\$&')} is not running`));
    for (const u of await liveInstances(bg)) assert.equal(await show(u, 'ActiveState'), 'active', u);
    assert.equal(await served(bg), '200 hello-bin 1.0.0');
    assert.equal(await current(bg), 'v1.0.0', 'in place, not a new release directory');
  });

  test('blue-green: an instance that cannot start again fails the deploy, saying so; the release stays live', async () => {
    const live = await liveInstances(bg);
    const binary = `/srv/deployer/${bg.app}/current/app_binary`;
    assert.equal((await host.ssh(`systemctl stop -- ${live[1]} && chmod a-x -- "$(readlink -f ${binary})"`)).code, 0);
    try {
      const r = await bg.p.run(['deploy']);
      assert.notEqual(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`keeps 1\\.0\\.0 live, but ${live[1].replace(/[@.]/g, '\\$&')} could not be started again`));
    } finally {
      await host.ssh(`chmod a+x -- "$(readlink -f ${binary})"`);
    }
    assert.equal(await served(bg), '200 hello-bin 1.0.0', 'the other instance still serves');
    const r = await bg.p.run(['deploy']);
    assert.equal(r.code, 0, r.stderr);
    for (const u of await liveInstances(bg)) assert.equal(await show(u, 'ActiveState'), 'active', u);
  });
});

describe('the first blue-green deploy over a release deployed by restart', () => {
  // Slow to start (3 s) with slow requests: a restart of the old web unit would show as failed requests.
  let rs: P;
  const oldWeb = 'bgrs-web.service';
  let invocation = '';
  before(async () => {
    rs = project('bgrs', 8400, 'HELLO_SLOW=1');
    const r = await rs.deploy('1.0.0');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await served(rs), '200 hello-bin 1.0.0');
  });
  after(() => rs?.p.cleanup());

  test('strategy = "restart" heals a stopped web unit the same way: started again in place', async () => {
    assert.equal((await host.ssh(`systemctl stop -- ${oldWeb}`)).code, 0);
    const r = await rs.deploy('1.0.0');
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual((resultEvent(r)?.data as { unchanged?: boolean } | undefined)?.unchanged, true, 'not "unchanged"');
    assert.match(r.stdout + r.stderr, /bgrs-web\.service is not running/);
    assert.equal(await current(rs), 'v1.0.0', 'in place, not a new release directory');
    assert.equal(await show(oldWeb, 'ActiveState'), 'active');
    assert.equal(await served(rs), '200 hello-bin 1.0.0');
    invocation = await show(oldWeb, 'InvocationID');
    assert.ok(invocation);
  });

  /** The restart-era web unit serves again, the same process (never restarted), and Caddy routes to it. */
  async function oldStillServes(): Promise<void> {
    assert.equal(await show(oldWeb, 'ActiveState'), 'active');
    assert.equal(await show(oldWeb, 'InvocationID'), invocation, `${oldWeb} was restarted`);
    assert.equal(await served(rs), '200 hello-bin 1.0.0');
    assert.equal((await host.ssh(`test -f /etc/systemd/system/${oldWeb}`)).code, 0, `${oldWeb} is still installed`);
  }

  test('a release that fails its check through Caddy after the switch: Caddy points back at the old unit, no failed request', async (t) => {
    rs.useBlueGreen();
    // The instance passes its own gate on its port; through Caddy /healthz answers 503.
    const exported = await rs.p.run(['templates', 'export', 'caddy.site.hbs']);
    assert.equal(exported.code, 0, exported.stderr);
    const tpl = join(rs.p.dir, '.deployer', 'caddy.site.hbs');
    writeFileSync(tpl, readFileSync(tpl, 'utf8').replace('\treverse_proxy', '\trespond /healthz 503\n\n\treverse_proxy'));
    try {
      await underLoad(t, rs, 'fails after the switch', { before: '1.0.0', during: ['1.1.0'], after: '1.0.0' }, async () => {
        const r = await rs.deploy('1.1.0');
        assert.notEqual(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout + r.stderr, /through Caddy/);
      });
    } finally {
      rmSync(tpl);
    }
    await oldStillServes();
  });

  test('the CLI SIGKILLed right after the Caddy reload: the host points Caddy back at the old unit, no failed request', async (t) => {
    rs.setVersion('1.2.0');
    await underLoad(t, rs, 'SIGKILL after the switch', { before: '1.0.0', during: ['1.2.0'], after: '1.0.0' }, async () => {
      const { child, result } = rs.p.start(['deploy'], { env: { DEPLOYER_TEST_PAUSE_AT: 'switched' } });
      await waitForPause(child, 'switched');
      child.kill('SIGKILL');
      await result;
    });
    await oldStillServes();
  });

  test('a good one goes live with no failed request; the old unit drains, then is stopped, and its file is gone', async (t) => {
    await underLoad(t, rs, 'first good blue-green deploy', { before: '1.0.0', during: ['1.3.0'], after: '1.3.0' }, async () => {
      const r = await rs.deploy('1.3.0');
      assert.equal(r.code, 0, r.stderr);
      // Removed at the commit, never to start again, but still running: requests in flight finish during the drain.
      assert.equal((await host.ssh(`test -e /etc/systemd/system/${oldWeb}`)).code, 1, `${oldWeb} removed`);
      assert.equal(await show(oldWeb, 'ActiveState'), 'active', 'drained, not cut');
    });
    assert.equal(await served(rs), '200 hello-bin 1.3.0');
    // drain_seconds = 10 (the default).
    let state = '';
    for (let i = 0; i < 100 && state !== 'inactive'; i++) {
      state = await show(oldWeb, 'ActiveState');
      if (state !== 'inactive') await sleep(250);
    }
    assert.equal(state, 'inactive', `${oldWeb} stopped after the drain`);
    assert.notEqual((await host.ssh(`systemctl is-enabled -- ${oldWeb}`)).stdout.trim(), 'enabled');
    assert.equal(await served(rs), '200 hello-bin 1.3.0');
  });
});

test('a blue-green deploy during the drain of a retired restart-era web unit stops it (it held the port of the slot)', async () => {
  const fast = project('bgrs2', 8500, 'A=1');
  try {
    let r = await fast.deploy('1.0.0');
    assert.equal(r.code, 0, r.stderr);
    fast.useBlueGreen();
    r = await fast.deploy('1.1.0');
    assert.equal(r.code, 0, r.stderr);
    // Draining for 10 s on 8500, the first port of slot a, where the next deploy starts.
    assert.equal(await show('bgrs2-web.service', 'ActiveState'), 'active');
    r = await fast.deploy('1.2.0');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await show('bgrs2-web.service', 'ActiveState'), 'inactive');
    assert.equal(await show('bgrs2-web@8500.service', 'ActiveState'), 'active');
    assert.equal(await served(fast), '200 hello-bin 1.2.0');
  } finally {
    fast.p.cleanup();
  }
});
