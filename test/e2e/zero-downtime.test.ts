// Zero downtime, shown on a real host: a steady stream of requests through
// Caddy (new connections and kept-alive ones, test/helpers/load.ts) while
// deploys run — a code change, an env-only redeploy, a rollback, a release
// whose health check fails, one that crashes at start, and the CLI SIGKILLed
// at each step. The app is slow on purpose (HELLO_SLOW=1: it listens only
// after 3 s, and one request in ten takes 1.5 s), so requests are in flight
// whenever the switch happens.
//
// With the default strategy (blue-green) no request may fail and every answer
// must come from the version expected at that moment. The same scenarios run
// with strategy = "restart" (today's restart in place) and print their failures
// as a diagnostic: they are expected there, and not asserted.
import { test, before, after, describe } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { createProject, waitForPause, type Project } from '../helpers/project.js';
import { describeFailures, formatSummary, startLoad, summarize, type Load, type Sample } from '../helpers/load.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RATE = Number(process.env.ZD_RATE) || 50;

let host: TestHost;
before(async () => {
  host = await startHost();
});
after(async () => {
  await host?.down();
});

interface Window {
  load: Load;
  /** Load-clock times: the action started, it returned, the host settled (no phase running). */
  started: number;
  returned: number;
  settled: number;
  samples: Sample[];
}

for (const strategy of ['blue-green', 'restart'] as const) {
  const asserted = strategy === 'blue-green';
  const app = strategy === 'blue-green' ? 'zd-bg' : 'zd-rs';
  const domain = `${app}.localhost`;
  // blue-green is the default: its suite writes no strategy line.
  const base = `
app = "${app}"
build_command = "./build.sh"
distfile = "dist/hello-bin"
installation_mode = "binary"
versions_to_keep = 4
${strategy === 'restart' ? 'strategy = "restart"' : ''}
envfile = ".env"

[processes]
web = "app_binary"

[webserver]
domains = ["http://${domain}"]
upstream = "127.0.0.1:${strategy === 'blue-green' ? 8000 : 8100}"

[health_check]
path = "/healthz"
timeout = 15
`;

  describe(`strategy = "${strategy}"`, () => {
    let project: Project;
    let live = '';
    let previous = '';
    let n = 0;
    /** The app's env for the next deploy (the project's .env file); HELLO_SLOW=1 always. */
    const setEnv = (extra = '') => writeFileSync(join(project.dir, '.env'), `HELLO_SLOW=1\n${extra}\n`);

    const served = async () => {
      try {
        const r = await httpGet(host.httpPort, '/', domain);
        return `${r.status} ${r.body.trim()}`;
      } catch (e) {
        return `error ${(e as Error).message}`;
      }
    };

    /** Waits until no deploy phase runs on the host (a killed deploy's host-side revert included). */
    async function settled(): Promise<void> {
      const lock = `/srv/deployer/.deployer/${app}.phase.lock`;
      for (let i = 0; i < 240; i++) {
        const r = await host.ssh(`flock -n ${lock} true`, { user: 'deploy' });
        if (r.code === 0) return;
        await sleep(250);
      }
      throw new Error(`a phase still holds ${lock} after a minute`);
    }

    /** Runs `action` under load: 1 s of idle load before, 2 s after the host settled. */
    async function underLoad(action: (load: Load) => Promise<void>): Promise<Window> {
      const load = startLoad({ port: host.httpPort, host: domain, rate: RATE, timeoutMs: 5000, maxMs: 5 * 60_000 });
      await sleep(1000);
      const started = load.mark('action');
      try {
        await action(load);
      } catch (e) {
        await load.stop();
        throw e;
      }
      const returned = load.mark('returned');
      await settled();
      const settledAt = load.mark('settled');
      await sleep(2000);
      const samples = await load.stop();
      return { load, started, returned, settled: settledAt, samples };
    }

    /** The assertions (blue-green) or the diagnostic (restart) for one window. */
    function check(
      t: { diagnostic(msg: string): void },
      what: string,
      w: Window,
      expect: { before: string; during: string[]; after: string },
    ): void {
      const summary = summarize(w.samples);
      const line = `${strategy}, ${what}: ${formatSummary(summary)}`;
      t.diagnostic(line);
      console.log(`# ${line}`);
      const wrong = (from: number, to: number, allowed: string[]) =>
        w.samples.filter((s) => s.start >= from && s.start < to && !s.error && !allowed.includes(s.version ?? ''));
      const misattributed = [
        ...w.samples.filter((s) => s.end < w.started && !s.error && s.version !== expect.before),
        ...wrong(w.started, w.settled, [expect.before, ...expect.during]),
        ...wrong(w.settled, Infinity, [expect.after]),
      ];
      if (!asserted) {
        if (summary.failed) console.log(`# restart in place, failed requests (expected, not asserted):\n${describeFailures(w.samples)}`);
        return;
      }
      assert.equal(summary.failed, 0, `${what}: no request may fail:\n${describeFailures(w.samples)}`);
      assert.ok(summary.total >= RATE * 2, `${what}: the load ran (${summary.total} requests)`);
      assert.deepEqual(
        misattributed.map((s) => `#${s.seq} at ${s.start.toFixed(0)} ms answered by ${s.version}`),
        [],
        `${what}: every answer comes from the version expected at that moment (before ${expect.before}, during ${[expect.before, ...expect.during].join('|')}, after ${expect.after})`,
      );
    }

    async function deploy(version: string, args = ['deploy']): Promise<void> {
      project.setVersion(version);
      const r = await project.run(args);
      assert.equal(r.code, 0, `${args.join(' ')} ${version}:\n${r.stderr}`);
      previous = live;
      live = version;
    }

    before(async () => {
      project = createProject('binary-app', [host], base);
      setEnv();
      await deploy(`1.0.${n++}`);
      await deploy(`1.0.${n++}`);
      assert.equal(await served(), `200 hello-bin ${live}`);
    });
    after(() => project?.cleanup());

    test('a code change goes live with no failed request; requests in flight at the switch finish', async (t) => {
      const from = live;
      const to = `1.1.${n++}`;
      const w = await underLoad(() => deploy(to));
      check(t, 'code change', w, { before: from, during: [to], after: to });
      if (asserted) {
        // Slow requests the old release was serving when the new one took over still got their answer.
        const firstNew = w.samples.find((s) => s.version === to);
        assert.ok(firstNew, 'the new release answered');
        const spanning = w.samples.filter((s) => s.version === from && s.end > firstNew.start && s.end - s.start > 1000);
        assert.ok(spanning.length > 0, 'some slow requests to the old release were in flight at the switch, and finished');
      }
    });

    test('a rollback keeps serving and ends on the previous release', async (t) => {
      const from = live;
      const to = previous;
      const w = await underLoad(async () => {
        const r = await project.run(['rollback']);
        assert.equal(r.code, 0, r.stderr);
      });
      live = to;
      previous = from;
      check(t, 'rollback', w, { before: from, during: [to], after: to });
    });

    test('an env-only redeploy keeps serving', async (t) => {
      // The live version again, built from the same source, with a new env: a
      // release dir of its own (v<version>_2), switched like any other.
      setEnv('GREETING=changed');
      const w = await underLoad(() => deploy(live));
      check(t, 'env-only redeploy', w, { before: live, during: [], after: live });
    });

    test('a release whose health check fails never gets traffic', async (t) => {
      const bad = `2.0.${n++}`;
      setEnv('HELLO_HEALTH_STATUS=500');
      project.setVersion(bad);
      const w = await underLoad(async () => {
        const r = await project.run(['deploy']);
        assert.equal(r.code, 7, r.stderr);
      });
      setEnv();
      check(t, 'health check fails', w, { before: live, during: asserted ? [] : [bad], after: live });
    });

    test('a release that crashes at start never gets traffic', async (t) => {
      const bad = `2.1.${n++}`;
      setEnv('HELLO_EXIT_AT_START=1');
      project.setVersion(bad);
      const w = await underLoad(async () => {
        const r = await project.run(['deploy']);
        assert.notEqual(r.code, 0, r.stderr);
      });
      setEnv();
      check(t, 'crashes at start', w, { before: live, during: [], after: live });
    });

    for (const point of ['locked', 'uploading', 'uploaded', 'prepared', 'switched', 'verified']) {
      test(`the CLI SIGKILLed at "${point}": the old release keeps serving, with no failed request`, async (t) => {
        const killed = `3.${point.length}.${n++}`;
        project.setVersion(killed);
        // After "switched" the new release may have had traffic before the host reverted.
        const reachedTraffic = ['switched', 'verified'].includes(point);
        const w = await underLoad(async () => {
          const { child, result } = project.start(['deploy'], { env: { DEPLOYER_TEST_PAUSE_AT: point } });
          await waitForPause(child, point);
          child.kill('SIGKILL');
          await result;
        });
        check(t, `SIGKILL at ${point}`, w, { before: live, during: reachedTraffic ? [killed] : [], after: live });
        if (asserted) assert.equal(await served(), `200 hello-bin ${live}`);
      });
    }

    test('after all that, a plain deploy goes live', async (t) => {
      const to = `4.0.${n++}`;
      const from = live;
      const w = await underLoad(() => deploy(to));
      check(t, 'plain deploy after the faults', w, { before: from, during: [to], after: to });
    });
  });
}
