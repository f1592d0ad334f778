// The deploy orchestration without a host: every phase's failure path, with
// fake hosts implementing the same Remote interface as the SSH one. What the
// hosts were asked to do (and not to do) is the assertion.
import { test, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../src/config/types.js';
import type { PausePoint } from '../../src/context.js';
import { DeployerError, ExitCode } from '../../src/errors.js';
import { deploy } from '../../src/deploy/deployFlow.js';
import { makeTestContext } from '../helpers/context.js';
import { FakeRemote, type FakeHostSettings } from '../helpers/fakeRemote.js';
import { makeConfig, makeHost } from './render-helpers.js';
import { tempDir } from '../helpers/tmp.js';

const root = tempDir('deployer-flow-');
mkdirSync(join(root, 'dist'));
writeFileSync(join(root, 'dist', 'hello_app-1.0.0-py3-none-any.whl'), 'wheel bytes');
after(() => rmSync(root, { recursive: true, force: true }));

function config(extra: Partial<Config> = {}): Config {
  return makeConfig({
    root,
    file: join(root, 'deployer.toml'),
    hosts: [makeHost({ name: 'h1' }), makeHost({ name: 'h2', address: '203.0.113.11' })],
    ...extra,
  });
}

interface Run {
  error?: DeployerError;
  hosts: Record<string, FakeRemote>;
  events: Array<Record<string, unknown>>;
  err: string;
  paused: PausePoint[];
  ms: number;
}

async function run(
  cfg: Config,
  settings: Record<string, FakeHostSettings & { connectError?: string }> = {},
  opts: { action?: 'deploy' | 'redeploy'; timings?: boolean } = {},
): Promise<Run> {
  const hosts: Record<string, FakeRemote> = {};
  const paused: PausePoint[] = [];
  const { ctx, out, err, clock } = makeTestContext({
    cwd: root,
    reporterOptions: { json: true },
    connect: async (host) => {
      const s = settings[host.name] ?? {};
      if (s.connectError) throw new DeployerError(`${host.name}: ${s.connectError}`, { exitCode: ExitCode.ssh });
      return (hosts[host.name] = new FakeRemote(host.name, s));
    },
    pause: async (point) => void paused.push(point),
  });
  for (const s of Object.values(settings)) if (s.healthUntil) s.healthUntil.now = () => clock.now();
  const started = Date.now();
  let error: DeployerError | undefined;
  try {
    await deploy(ctx, { action: opts.action ?? 'deploy', lockWait: 0, timings: opts.timings ?? false }, { config: cfg, version: '1.0.0' });
  } catch (e) {
    if (!(e instanceof DeployerError)) throw e;
    error = e;
  }
  ctx.reporter.finish(error?.exitCode ?? 0, 'deploy'); // as src/program.ts ends every command
  const events = out
    .join('')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { error, hosts, events, err: err.join(''), paused, ms: Date.now() - started };
}

const phases = (r: Run) => r.events.filter((e) => e.type === 'phase' && e.status !== 'start' && !e.host).map((e) => e.phase);
const everyClosed = (r: Run) => Object.values(r.hosts).every((h) => h.closed);

test('a deploy to two hosts runs every phase in order, commits both and ends with the site URL and the total time', async () => {
  const r = await run(config({ webserver: { ...makeConfig().webserver, domains: ['shop.example'] } }));
  assert.equal(r.error, undefined);
  assert.deepEqual(phases(r), ['connect', 'build', 'lock', 'upload', 'prepare', 'switch', 'verify', 'commit']);
  for (const h of Object.values(r.hosts)) {
    assert.deepEqual(h.calls.slice(1), ['upload 6', 'prepare', 'switch', 'decide commit']);
    assert.ok(h.lockReleased && h.closed);
    // makeConfig deploys by restart: the app on its own port, then the site through Caddy as a visitor.
    assert.deepEqual(h.hostHeaders, ['shop.example', 'shop.example']);
  }
  assert.deepEqual(r.paused, ['locked', 'uploaded', 'prepared', 'switched', 'verified']);
  const result = r.events.at(-1)!;
  assert.equal(result.type, 'result');
  assert.deepEqual((result.data as { urls: string[] }).urls, ['https://shop.example/']);
  assert.equal(typeof (result.data as { ms: number }).ms, 'number');
  assert.ok(r.events.some((e) => e.type === 'log' && e.message === 'hello-production 1.0.0: https://shop.example/'));
  assert.ok(r.events.some((e) => e.type === 'log' && /^done in /.test(String(e.message))));
  assert.ok(
    r.events.some(
      (e) => e.type === 'log' && e.level === 'warn' && /^shop\.example does not resolve .*Fix: add a DNS/.test(String(e.message)),
    ),
    'unresolved domain: a warning, not a failure',
  );
  for (const e of r.events) if (e.ms !== undefined) assert.ok(Number.isInteger(e.ms), `ms is an integer: ${JSON.stringify(e)}`);
});

test('a failing build stops before any lock is taken, and the connections are closed', async () => {
  const r = await run(config({ buildCommand: 'echo compiling; exit 3' }));
  assert.equal(r.error?.exitCode, ExitCode.local);
  assert.match(r.error!.message, /build_command failed with exit code 3/);
  assert.deepEqual(
    Object.values(r.hosts).map((h) => h.calls),
    [[], []],
  );
  assert.ok(everyClosed(r));
});

test('an unreachable host stops a long build within seconds', async () => {
  const r = await run(config({ buildCommand: 'sleep 20' }), { h2: { connectError: 'connect ECONNREFUSED 203.0.113.11:22' } });
  assert.equal(r.error?.exitCode, ExitCode.ssh);
  assert.match(r.error!.message, /h2: connect ECONNREFUSED/);
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
  assert.deepEqual(r.hosts.h1.calls, []);
  assert.ok(r.hosts.h1.closed, 'the reachable host is disconnected');
});

test('a busy lock on one host: exit 6, the other host is unlocked and nothing is uploaded', async () => {
  const r = await run(config(), { h2: { lockedBy: 'alice@laptop pid 7: deployer deploy 0.9.0' } });
  assert.equal(r.error?.exitCode, ExitCode.locked);
  assert.match(r.error!.message, /locked by alice@laptop/);
  assert.ok(r.hosts.h1.lockReleased && everyClosed(r));
  for (const h of Object.values(r.hosts)) assert.ok(!h.calls.some((c) => c.startsWith('upload')));
  assert.match(r.hosts.h1.calls[0], /^lock .* pid 4242: deployer deploy 1\.0\.0 \(since 2026-01-01T00:00:00\.000Z\)$/);
});

test('a failed upload switches no host', async () => {
  const r = await run(config(), { h1: { uploadError: 'SFTP write failed: No space left on device' } });
  assert.equal(r.error?.exitCode, ExitCode.ssh);
  assert.match(r.error!.message, /No space left on device\. No host was switched/);
  for (const h of Object.values(r.hosts)) assert.ok(!h.calls.includes('prepare') && !h.calls.includes('switch'));
  assert.ok(everyClosed(r));
});

test('prepare failing on one of two hosts switches neither', async () => {
  const r = await run(config(), { h2: { prepareFailsAt: 'release_command' } });
  assert.equal(r.error?.exitCode, ExitCode.remote);
  assert.match(r.error!.message, /^h2: release_command failed; nothing was switched.*No host was switched/);
  for (const h of Object.values(r.hosts)) assert.ok(!h.calls.includes('switch'), h.name);
  assert.ok(r.hosts.h1.lockReleased && r.hosts.h2.lockReleased);
});

test('a switch that is not ready on one host rolls back both with rollback = "all"', async () => {
  const r = await run(config(), { h2: { switchFailsAt: 'wait for units' }, h1: { state: { current: '0.9.0', releases: ['0.9.0'] } } });
  assert.equal(r.error?.exitCode, ExitCode.unhealthy);
  assert.equal(r.hosts.h1.verdict, 'rollback');
  assert.deepEqual(r.hosts.h2.hostHeaders, [], 'no health check on a host whose units did not come up');
  assert.match(
    r.error!.message,
    /failed its checks on h2; h1 rolled back, 0\.9\.0 serves again; h2 rolled back; no release was live before/,
  );
  assert.match(r.error!.details!, /h2: the switch failed at: wait for units\n[\s\S]*unit said: boom/);
  assert.match(r.error!.hint!, /log lines are shown above/);
  assert.equal(phases(r).at(-1), 'rollback');
});

test('a failed health check with rollback = "all" rolls back every host', async () => {
  const r = await run(config({ healthCheck: { path: '/healthz', status: 200, timeout: 10 } }), { h1: { health: [500] } });
  assert.equal(r.error?.exitCode, ExitCode.unhealthy);
  assert.equal(r.hosts.h1.verdict, 'rollback');
  assert.equal(r.hosts.h2.verdict, 'rollback');
  assert.match(r.error!.details!, /h1: health check failed: GET \/healthz on port 8000 answered 500, expected 200/);
  const result = r.events.filter((e) => e.type === 'result');
  assert.equal(result.length, 1);
  assert.equal(result[0].ok, false);
});

test('a failed health check with rollback = "host" rolls back only that host, and says what each one serves', async () => {
  const r = await run(config({ rollback: 'host', healthCheck: { path: '/healthz', status: 200, timeout: 10 } }), {
    h1: { health: ['connection refused'] },
  });
  assert.equal(r.error?.exitCode, ExitCode.unhealthy);
  assert.equal(r.hosts.h1.verdict, 'rollback');
  assert.equal(r.hosts.h2.verdict, 'commit');
  assert.match(r.error!.message, /h1 rolled back; no release was live before, so hello-production is stopped there; h2 kept 1\.0\.0/);
  assert.doesNotMatch(r.error!.message, /previous release serves again/);
});

test('the health check shows the journal since the switch, and only then says the lines are shown', async () => {
  const withLog = await run(config({ healthCheck: { path: '/healthz', status: 200, timeout: 1 } }), {
    h1: { health: [500], journal: 'Traceback: KeyError DATABASE_URL' },
  });
  assert.match(withLog.hosts.h1.execs[0], /journalctl .*--since -\d+s -u hello-production-web\.service$/);
  assert.ok(withLog.events.some((e) => e.type === 'output' && e.host === 'h1' && e.text === 'Traceback: KeyError DATABASE_URL'));
  assert.match(withLog.error!.hint!, /log lines are shown above/);
  const without = await run(config({ healthCheck: { path: '/healthz', status: 200, timeout: 1 } }), { h1: { health: [500] } });
  assert.doesNotMatch(without.error!.hint!, /shown above/);
});

test('an app answering 503 for 4 s while it warms up passes a 30 s health check', async () => {
  const warming = { ms: 4000, status: 503, then: 200, now: () => 0 };
  const r = await run(config({ hosts: [makeHost({ name: 'h1' })], healthCheck: { path: '/healthz', status: 200, timeout: 30 } }), {
    h1: { healthUntil: warming },
  });
  assert.equal(r.error, undefined, r.error?.message);
  assert.equal(r.hosts.h1.verdict, 'commit');
  assert.ok(r.hosts.h1.hostHeaders.length > 3);
});

test('a switch whose connection drops is reported, not crashed on', async () => {
  const r = await run(config(), { h1: { switchThrows: 'connection lost' } });
  assert.equal(r.error?.exitCode, ExitCode.unhealthy);
  assert.match(r.error!.details!, /h1: h1: connection lost/);
  assert.equal(r.hosts.h2.verdict, 'rollback');
});

test('--timings prints the phases that ran when a deploy fails', async () => {
  const r = await run(config(), { h2: { prepareFailsAt: 'caddy validate' } }, { timings: true });
  assert.ok(r.error);
  const line = r.events.find((e) => e.type === 'log' && String(e.message).startsWith('timings: '));
  assert.match(String(line?.message), /^timings: build \d+ ms, lock \d+ ms, upload \d+ ms; total \d+ ms$/);
});

test('two apps claiming :80 on one host: the refusal names the app holding the site and domains as the fix', async () => {
  const sites = [
    '/etc/caddy/sites/blog-production.caddy:# Managed by deployer for blog-production: rewritten on every deploy. To change it,',
    '/etc/caddy/sites/blog-production.caddy::80 {',
    '/etc/caddy/sites/hello-production.caddy:# Managed by deployer for hello-production: rewritten on every deploy. To change it,',
    '/etc/caddy/sites/hello-production.caddy::80 {',
  ].join('\n');
  const r = await run(config({ hosts: [makeHost({ name: 'h1' })] }), {
    h1: {
      prepareFailsAt: 'caddy validate',
      prepareStderr: 'Caddy rejected the new site:\nError: adapting config using caddyfile: ambiguous site definition: :80\n',
      execAnswers: [[/^grep -rHE /, sites]],
    },
  });
  assert.equal(r.error?.exitCode, ExitCode.remote);
  assert.match(
    r.error!.message,
    /the site address :80 is already served on this host by app "blog-production" \(\/etc\/caddy\/sites\/blog-production\.caddy\)/,
  );
  assert.match(r.error!.message, /Fix: set webserver\.domains .* for hello-production/);
  assert.doesNotMatch(r.error!.message, /hello-production\.caddy/, 'its own site is not the one in the way');
  assert.match(r.hosts.h1.execs[0], /^grep -rHE -- .* \/etc\/caddy\/sites$/);
});

test('health_check.host chooses the Host header the check sends', async () => {
  const r = await run(
    config({
      hosts: [makeHost({ name: 'h1', domains: ['shop.example'] })],
      healthCheck: { path: '/healthz', status: 200, timeout: 5, host: 'internal.example' },
    }),
  );
  assert.equal(r.error, undefined);
  assert.deepEqual(r.hosts.h1.hostHeaders, ['internal.example', 'internal.example']);
});

test('on_failure and always hooks: remote on the failed host (and always on every host), then local, with the version and outcome', async () => {
  const marker = join(root, 'hooks.log');
  rmSync(marker, { force: true });
  const hooks = {
    onFailure: 'notify-failed',
    always: 'cleanup-tmp',
    onFailureLocal: `echo "on_failure_local $DEPLOYER_VERSION $DEPLOYER_OUTCOME" >> ${marker}`,
    alwaysLocal: `echo "always_local $DEPLOYER_VERSION $DEPLOYER_OUTCOME" >> ${marker}`,
  };
  const live = { state: { current: '0.9.0', releases: ['0.9.0'] } };
  const r = await run(config({ rollback: 'host', hooks, healthCheck: { path: '/healthz', status: 200, timeout: 1 } }), {
    h1: { ...live, health: [500] },
    h2: live,
  });
  assert.equal(r.error?.exitCode, ExitCode.unhealthy, 'the hooks do not change the outcome');
  assert.deepEqual(
    r.hosts.h1.calls.filter((c) => c.includes('hook')),
    ['on_failure hook in /srv/deployer/hello-production/current', 'always hook in /srv/deployer/hello-production/current'],
  );
  assert.deepEqual(
    r.hosts.h2.calls.filter((c) => c.includes('hook')),
    ['always hook in /srv/deployer/hello-production/current'],
  );
  assert.deepEqual(r.hosts.h1.hookCommands[0], {
    command: 'notify-failed',
    env: { DEPLOYER_VERSION: '1.0.0', DEPLOYER_OUTCOME: 'failure' },
  });
  assert.ok(
    r.hosts.h1.calls.indexOf('decide rollback') < r.hosts.h1.calls.indexOf('on_failure hook in /srv/deployer/hello-production/current'),
  );
  assert.equal(readFileSync(marker, 'utf8'), 'on_failure_local 1.0.0 failure\nalways_local 1.0.0 failure\n');

  rmSync(marker, { force: true });
  const ok = await run(config({ hooks, hosts: [makeHost({ name: 'h1' })] }));
  assert.equal(ok.error, undefined);
  assert.deepEqual(
    ok.hosts.h1.calls.filter((c) => c.includes('hook')),
    ['always hook in /srv/deployer/hello-production/current'],
  );
  assert.deepEqual(ok.hosts.h1.hookCommands[0], {
    command: 'cleanup-tmp',
    env: { DEPLOYER_VERSION: '1.0.0', DEPLOYER_OUTCOME: 'success' },
  });
  assert.equal(readFileSync(marker, 'utf8'), 'always_local 1.0.0 success\n');
});

test('a failed build runs the local failure hooks, and no remote ones', async () => {
  const marker = join(root, 'hooks-build.log');
  const r = await run(
    config({ buildCommand: 'exit 1', hooks: { onFailure: 'x', onFailureLocal: `echo "$DEPLOYER_OUTCOME" > ${marker}` } }),
  );
  assert.equal(r.error?.exitCode, ExitCode.local);
  assert.equal(readFileSync(marker, 'utf8'), 'failure\n');
  for (const h of Object.values(r.hosts)) assert.deepEqual(h.hookCommands, []);
});

test('the summary reads the switch markers: units changed shows as daemonReload', async () => {
  const r = await run(config({ hosts: [makeHost({ name: 'h1' })] }));
  const result = r.events.at(-1) as { data: { hosts: Array<{ daemonReload: boolean; caddyReload: boolean }> } };
  assert.deepEqual(
    result.data.hosts.map((h) => [h.daemonReload, h.caddyReload]),
    [[true, false]],
  );
});

test('ports another app holds on a host: refused after the probe, before the app dir is made or anything uploaded (exit 2, both apps named)', async () => {
  const webUnits = {
    'hello-staging-web@.service': {
      lines: [
        '# deployer-app: hello-staging',
        '# deployer-owner: app=hello stage=staging apps_dir=/srv/deployer',
        '# deployer-ports: 7999-8000',
      ],
      enabled: [],
      links: [],
      upstreams: [],
    },
  };
  const r = await run(config(), { h1: { state: { owner: 'missing', webUnits } }, h2: { state: { owner: 'missing' } } });
  assert.equal(r.error?.exitCode, ExitCode.config);
  assert.match(
    r.error!.message,
    /^deployer\.toml: h1: hello \(stage production\) would take port 8000 .*which overlaps hello \(stage staging\) in \/srv\/deployer\/hello-staging, which has ports 7999-8000 .*Nothing was changed on h1\. Fix: set upstream = "127\.0\.0\.1:8001" under \[stages\.production\.webserver\]/,
  );
  assert.ok(!r.hosts.h1.calls.includes('create app dir'), r.hosts.h1.calls.join(', '));
  for (const h of Object.values(r.hosts)) assert.ok(!h.calls.some((c) => c.startsWith('upload')), `${h.name}: ${h.calls.join(', ')}`);
  // Without a clash the first deploy makes the app dir once the checks passed.
  const fine = await run(config(), { h1: { state: { owner: 'missing' } }, h2: { state: { owner: 'missing' } } });
  assert.equal(fine.error, undefined);
  assert.ok(fine.hosts.h1.calls.includes('create app dir'));
});

test('a switch that failed starting the slot (a port taken) shows its reason, and the hint promises no log lines', async () => {
  const r = await run(config(), { h1: { switchFailsAt: 'start hello-production-web@8001.service from v1.0.0' } });
  assert.equal(r.error?.exitCode, ExitCode.unhealthy);
  assert.doesNotMatch(r.error!.hint!, /log lines/);
  assert.match(r.error!.hint!, /^the host's reason is shown above; `deployer app logs` shows the app's log$/);
});

test('a host whose kernel resets the connections queued at a Caddy reload (tcp_migrate_req 0) is named in a warning; the deploy goes on', async () => {
  const r = await run(config(), { h1: { state: { reloadResetsQueued: true } } });
  assert.equal(r.error, undefined);
  const warned = r.events.filter((e) => e.type === 'log' && e.level === 'warn' && /tcp_migrate_req is 0/.test(String(e.message)));
  assert.deepEqual(
    warned.map((e) => e.host),
    ['h1'],
  );
  assert.match(String(warned[0].message), /deployer server bootstrap/);
});
