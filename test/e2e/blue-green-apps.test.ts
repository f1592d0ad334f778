// Blue-green with several web instances, and the `app` commands on a
// blue-green release, on a real host (systemd, Caddy, nothing mocked).
//
// replicas > 1: each instance of the new slot runs on its own port from its
// own release directory; Caddy balances across all of them; a code change,
// a scale change (2 -> 3 -> 1) and a rollback go live under load with no
// failed request and end with only the new slot's instances running; a
// release with one unhealthy replica never gets traffic.
//
// app commands (replicas = 2): status, logs, restart (rolling, under load),
// stop/start and exec act on the live slot's instances, never on the idle
// slot's, nor on a `<app>-web.service` that does not exist.
import { test, before, after, describe } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { cliPath, createProject, type CliResult, type Project } from '../helpers/project.js';
import { assertServedThrough, formatSummary, startLoad, summarize, type Sample } from '../helpers/load.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let host: TestHost;
before(async () => {
  host = await startHost();
});
after(async () => {
  await host?.down();
});

const root = async (cmd: string) => (await host.ssh(cmd, { user: 'root' })).stdout.trim();

const config = (app: string, port: number) => `
app = "${app}"
build_command = "./build.sh"
distfile = "dist/hello-bin"
installation_mode = "binary"
versions_to_keep = 6
drain_seconds = 1
envfile = ".env"

[webserver]
domains = ["http://${app}.localhost"]
upstream = "127.0.0.1:${port}"

[health_check]
path = "/healthz"
timeout = 10
`;
const processes = (replicas: number) => `
[processes]
web = { command = "app_binary", replicas = ${replicas} }
`;

/** A project of the binary example for `app`, with `replicas` web instances. */
function makeApp(app: string, port: number, replicas: number, baseEnv = '') {
  const domain = `${app}.localhost`;
  const project: Project = createProject('binary-app', [host], config(app, port));
  const setReplicas = (n: number) => project.writeConfig(processes(n));
  const setEnv = (extra = '') => writeFileSync(join(project.dir, '.env'), `HELLO_DEBUG_ENV=1\n${baseEnv}\n${extra}\n`);
  setReplicas(replicas);
  setEnv();

  /** Active instances of the web template, sorted by port. */
  const running = async (): Promise<string[]> => {
    const out = await root(`systemctl list-units --plain --no-legend --state=active '${app}-web@*.service' | cut -d' ' -f1`);
    return out
      .split('\n')
      .filter(Boolean)
      .sort((x, y) => portOf(x) - portOf(y));
  };
  /** Waits until the active instances are exactly `n` (the old slot's stop after the drain). */
  const runningSettles = async (n: number, timeoutMs = 20_000): Promise<string[]> => {
    const deadline = Date.now() + timeoutMs;
    let now = await running();
    while (now.length !== n && Date.now() < deadline) {
      await sleep(250);
      now = await running();
    }
    return now;
  };
  /** Ports that answered GET /env/PORT through Caddy over `n` requests. */
  const portsThroughCaddy = async (n = 40): Promise<number[]> => {
    const seen = new Set<number>();
    for (let i = 0; i < n; i++) {
      const r = await httpGet(host.httpPort, '/env/PORT', domain);
      assert.equal(r.status, 200, `GET /env/PORT through Caddy: ${r.status} ${r.body}`);
      seen.add(Number(r.body.trim()));
    }
    return [...seen].sort((x, y) => x - y);
  };
  const served = async () => {
    const r = await httpGet(host.httpPort, '/', domain);
    return `${r.status} ${r.body.trim()}`;
  };
  const cli = (args: string[]): Promise<CliResult> => project.run(args);
  return { app, domain, project, setReplicas, setEnv, running, runningSettles, portsThroughCaddy, served, cli };
}

type App = ReturnType<typeof makeApp>;

function portOf(unit: string): number {
  const m = /@(\d+)\.service$/.exec(unit);
  assert.ok(m, `${unit} is an instance of the web template`);
  return Number(m[1]);
}

/** Runs `action` with a steady load through Caddy (1 s before, 1.5 s after); the samples. */
async function underLoad(domain: string, action: () => Promise<void>): Promise<Sample[]> {
  const load = startLoad({ port: host.httpPort, host: domain, rate: 40, timeoutMs: 5000, maxMs: 3 * 60_000 });
  await sleep(1000);
  try {
    await action();
  } catch (e) {
    await load.stop();
    throw e;
  }
  await sleep(1500);
  return load.stop();
}

describe('replicas > 1 under blue-green', () => {
  let a: App;
  const dir = '/srv/deployer/bg-rep';

  const deploy = async (version: string) => {
    a.project.setVersion(version);
    const r = await a.cli(['deploy']);
    assert.equal(r.code, 0, `deploy ${version}:\n${r.stderr}`);
  };

  /** Each running instance: its own port (PORT = instance name), run from the release's own directory. */
  async function assertInstances(version: string, n: number): Promise<string[]> {
    const units = await a.runningSettles(n);
    assert.equal(units.length, n, `exactly ${n} web instances run: ${units.join(', ')}`);
    const ports = units.map(portOf);
    assert.equal(new Set(ports).size, n, 'each on its own port');
    for (const u of units) {
      const port = portOf(u);
      assert.match(
        await root(`systemctl show -p Environment --value ${u}`),
        new RegExp(`(^| )PORT=${port}( |$)`),
        `${u} gets PORT=${port}`,
      );
      assert.equal(await root(`readlink ${dir}/.web/${port}`), `../v${version}`, `${u} runs the link to v${version}`);
      const pid = await root(`systemctl show -p MainPID --value ${u}`);
      assert.match(
        await root(`readlink /proc/${pid}/exe`),
        new RegExp(`^${dir}/v${version.replace(/\./g, '\\.')}/`),
        `${u} executes from v${version}`,
      );
    }
    assert.deepEqual(await a.portsThroughCaddy(n * 20), ports, 'Caddy balances across every instance, and only those');
    assert.equal(await a.served(), `200 hello-bin ${version}`);
    return units;
  }

  before(async () => {
    a = makeApp('bg-rep', 8200, 2);
    await deploy('1.0.0');
  });
  after(() => a?.project.cleanup());

  test('each instance runs on its own port from the release directory; Caddy answers from each', async () => {
    await assertInstances('1.0.0', 2);
  });

  test('a code change under load: no failed request; then only the new slot runs', async () => {
    const old = await a.running();
    const samples = await underLoad(a.domain, () => deploy('1.1.0'));
    assertServedThrough('code change, replicas = 2', samples, ['1.0.0', '1.1.0'], 60);
    const now = await assertInstances('1.1.0', 2);
    assert.deepEqual(
      now.filter((u) => old.includes(u)),
      [],
      'the new release runs in the other slot; the old slot is stopped after its drain',
    );
  });

  test('a release with one unhealthy replica never gets traffic; the old instances keep serving', async () => {
    const old = await a.running();
    // The idle slot's instance that is not the first one (the first is the one the gate's host name is built from).
    const idle = (await root(`ls ${dir}/.web`)).split('\n').filter((p) => /^\d+$/.test(p) && !old.map(portOf).includes(Number(p)));
    const bad = Math.max(...idle.map(Number));
    a.setEnv(`HELLO_UNHEALTHY_PORT=${bad}`);
    a.project.setVersion('1.9.0');
    const samples = await underLoad(a.domain, async () => {
      const r = await a.cli(['deploy']);
      assert.notEqual(r.code, 0, 'the deploy fails');
      assert.match(r.stderr, new RegExp(`port ${bad}`), 'it names the instance whose health check failed');
    });
    a.setEnv();
    assertServedThrough('one unhealthy replica', samples, ['1.1.0'], 60);
    assert.deepEqual(await a.running(), old, 'the old instances still run, and only they');
    await assertInstances('1.1.0', 2);
  });

  test('a scale change between deploys (2 -> 3 -> 1) goes live under load, leaving exactly the new instances', async () => {
    a.setReplicas(3);
    let samples = await underLoad(a.domain, () => deploy('1.2.0'));
    assertServedThrough('replicas 2 -> 3', samples, ['1.1.0', '1.2.0'], 60);
    await assertInstances('1.2.0', 3);

    a.setReplicas(1);
    samples = await underLoad(a.domain, () => deploy('1.3.0'));
    assertServedThrough('replicas 3 -> 1', samples, ['1.2.0', '1.3.0'], 60);
    await assertInstances('1.3.0', 1);
    assert.equal((await root(`systemctl list-units --plain --no-legend --state=failed '${a.app}-web@*'`)).trim(), '', 'no failed instance');
  });

  test('app restart with one instance says it restarts in place', async () => {
    const [unit] = await a.running();
    const pid = await root(`systemctl show -p MainPID --value ${unit}`);
    const r = await a.cli(['app', 'restart', 'web']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /in place/);
    assert.notEqual(await root(`systemctl show -p MainPID --value ${unit}`), pid);
    assert.deepEqual(await a.running(), [unit]);
  });

  test('a rollback under load brings back the previous release as it ran (3 instances)', async () => {
    const samples = await underLoad(a.domain, async () => {
      const r = await a.cli(['rollback']);
      assert.equal(r.code, 0, r.stderr);
    });
    assertServedThrough('rollback', samples, ['1.3.0', '1.2.0'], 60);
    await assertInstances('1.2.0', 3);
  });
});

describe('app commands on a blue-green release (replicas = 2)', () => {
  let a: App;
  const dir = '/srv/deployer/bg-cmd';
  let live: string[] = [];
  let idle: string[] = [];

  before(async () => {
    // Slow to start (it listens 3 s after it started): restarting every instance at once would leave the site
    // without one for 3 s, which Caddy's retry window turns into a 3 s stall.
    a = makeApp('bg-cmd', 8300, 2, 'HELLO_SLOW=1');
    for (const v of ['1.0.0', '1.0.1']) {
      a.project.setVersion(v);
      const r = await a.cli(['deploy']);
      assert.equal(r.code, 0, r.stderr);
    }
    live = await a.runningSettles(2);
    assert.equal(live.length, 2, live.join(', '));
    // The idle slot's instances (they ran 1.0.0, stopped after the drain): the other ports linked in .web.
    idle = (await root(`ls ${dir}/.web`))
      .split('\n')
      .filter((p) => /^\d+$/.test(p))
      .map((p) => `${a.app}-web@${p}.service`)
      .filter((u) => !live.includes(u));
    assert.equal(idle.length, 2, `the idle slot ran 1.0.0: ${idle.join(', ')}`);
  });
  after(() => a?.project.cleanup());

  const states = (units: string[]) => root(`systemctl is-active ${units.join(' ')} || true`);

  test('status lists the live instances, not the idle slot, not <app>-web.service', async () => {
    const r = await a.cli(['app', 'status']);
    assert.equal(r.code, 0, r.stderr);
    for (const u of live) assert.match(r.stdout, new RegExp(`${u.replace(/[.@]/g, '\\$&')} +active \\(running\\)`));
    for (const u of idle) assert.ok(!r.stdout.includes(u), `idle ${u} not listed:\n${r.stdout}`);
    assert.ok(!r.stdout.includes(`${a.app}-web.service`), r.stdout);
    const json = await a.cli(['app', 'status', 'web', '--json']);
    const result = json.events.find((e) => e.type === 'result') as { data: { hosts: Array<{ units: Array<{ unit: string }> }> } };
    assert.deepEqual(result.data.hosts[0].units.map((u) => u.unit).sort(), [...live].sort());
  });

  test('logs show the live instances', async () => {
    const r = await a.cli(['app', 'logs', 'web', '-n', '200']);
    assert.equal(r.code, 0, r.stderr);
    for (const u of live) assert.match(r.stdout, new RegExp(`hello-bin 1\\.0\\.1 listening on port ${portOf(u)}`));
  });

  test('exec gets PORT of a live instance', async () => {
    const r = await a.cli(['app', 'exec', '--', 'sh', '-c', 'echo "$PORT $PWD"']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${portOf(live[0])} ${dir}/current\n`);
  });

  test('shell gets PORT of a live instance (in a terminal)', async () => {
    // `script` gives the CLI a terminal; the shell reads its commands from it.
    const { spawn } = await import('node:child_process');
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(cliPath)} app shell`;
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: a.project.dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<number | null>((res) => child.on('close', res));
    await sleep(3000);
    child.stdin.write('echo "port=[$PORT]"; exit\n');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await done;
    clearTimeout(timer);
    assert.match(out, new RegExp(`port=\\[${portOf(live[0])}\\]`), out);
  });

  test('restart under load is rolling: no failed request; the live instances get new processes, the idle slot stays stopped', async (t) => {
    const pids = await Promise.all(live.map((u) => root(`systemctl show -p MainPID --value ${u}`)));
    let r: CliResult | undefined;
    const samples = await underLoad(a.domain, async () => {
      r = await a.cli(['app', 'restart', 'web']);
    });
    assert.equal(r!.code, 0, r!.stderr);
    assertServedThrough('app restart (rolling)', samples, ['1.0.1'], 60);
    // Rolling, not all at once, from systemd's own clock (latency under load is a diagnostic, not a test):
    // each instance went down only after the one before it was running again (and had answered its check).
    const times = await Promise.all(
      live.map(async (u) =>
        (await root(`systemctl show -p InactiveEnterTimestampMonotonic -p ActiveEnterTimestampMonotonic ${u}`))
          .split('\n')
          .reduce<Record<string, number>>((acc, line) => {
            const [k, v] = line.split('=');
            acc[k] = Number(v);
            return acc;
          }, {}),
      ),
    );
    for (let i = 1; i < live.length; i++) {
      assert.ok(
        times[i].InactiveEnterTimestampMonotonic > times[i - 1].ActiveEnterTimestampMonotonic,
        `${live[i]} stopped (${times[i].InactiveEnterTimestampMonotonic}) before ${live[i - 1]} was back (${times[i - 1].ActiveEnterTimestampMonotonic})`,
      );
    }
    t.diagnostic(`rolling restart under load: ${formatSummary(summarize(samples))}`);
    assert.match(r!.stderr, /one at a time/, 'the output says it is a rolling restart');
    const after = await Promise.all(live.map((u) => root(`systemctl show -p MainPID --value ${u}`)));
    after.forEach((p, i) => assert.notEqual(p, pids[i], `${live[i]} restarted`));
    assert.deepEqual(await a.running(), live);
    assert.equal(await states(idle), 'inactive\ninactive');
    assert.deepEqual(await a.portsThroughCaddy(), live.map(portOf));
  });

  test('stop and start act on the live instances only', async () => {
    let r = await a.cli(['app', 'stop', 'web']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await states([...live, ...idle]), 'inactive\ninactive\ninactive\ninactive');
    r = await a.cli(['app', 'start']);
    assert.equal(r.code, 0, r.stderr);
    for (const u of live) assert.match(r.stderr, new RegExp(u.replace(/[.@]/g, '\\$&')));
    assert.equal(await states(live), 'active\nactive');
    assert.equal(await states(idle), 'inactive\ninactive');
    assert.equal(await root(`systemctl cat ${a.app}-web.service >/dev/null 2>&1 && echo exists || echo none`), 'none');
    assert.deepEqual(await a.portsThroughCaddy(), live.map(portOf));
    assert.equal(await a.served(), '200 hello-bin 1.0.1');
  });
});
