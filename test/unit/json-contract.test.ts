// The --json contract of docs/json.md, checked against real output: the
// built CLI for config and usage errors, and a deploy through fake hosts
// printed by the real Reporter the way src/program.ts ends a command.
import { test, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeployerError } from '../../src/errors.js';
import { deploy } from '../../src/deploy/deployFlow.js';
import { rollbackTarget } from '../../src/plan/maintenance.js';
import type { RemoteState } from '../../src/remote/state.js';
import { annotations } from '../../src/output/reporter.js';
import { makeTestContext } from '../helpers/context.js';
import { FakeRemote, type FakeHostSettings } from '../helpers/fakeRemote.js';
import { schemasIn, validate } from '../helpers/jsonSchema.js';
import { configFixtures } from './config-helpers.js';
import { freshState, makeConfig, makeHost, repoRoot } from './render-helpers.js';
import { tempDir } from '../helpers/tmp.js';

const schemas = schemasIn(readFileSync(join(repoRoot, 'docs', 'json.md'), 'utf8'));
const cli = join(repoRoot, 'dist', 'cli', 'cli.js');
const root = tempDir('deployer-json-');
mkdirSync(join(root, 'dist'));
writeFileSync(join(root, 'dist', 'hello_app-1.0.0-py3-none-any.whl'), 'wheel');
after(() => rmSync(root, { recursive: true, force: true }));

function parseLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Every line valid, the result exactly once and last, its exitCode the process's. */
function assertContract(events: Array<Record<string, unknown>>, exitCode: number): Record<string, unknown> {
  for (const e of events) assert.deepEqual(validate(e, schemas.event), [], JSON.stringify(e));
  const results = events.filter((e) => e.type === 'result');
  assert.equal(results.length, 1, 'one result event');
  const result = events.at(-1)!;
  assert.equal(result.type, 'result', 'the result comes last');
  assert.equal(result.exitCode, exitCode);
  assert.equal(result.ok, exitCode === 0);
  return result;
}

function runCli(args: string[], cwd = configFixtures) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.GITHUB_ACTIONS;
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, env, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('the documented schemas are in docs/json.md', () => {
  assert.ok(schemas.event?.oneOf?.length, 'docs/json.md has the #event schema');
  assert.ok(schemas['deploy-result']?.properties, 'docs/json.md has the #deploy-result schema');
});

test('a successful command: every line valid, result last with exitCode 0', () => {
  const r = runCli(['--json', 'config', '-c', 'good.toml']);
  assert.equal(r.code, 0, r.stderr);
  assertContract(parseLines(r.stdout), 0);
});

test('a config error is JSON too: an error event of kind config with file:line:col, then the result', () => {
  const r = runCli(['--json', 'config', '-c', join('bad', 'bad-upstream.toml')]);
  assert.equal(r.code, 2);
  const events = parseLines(r.stdout);
  assertContract(events, 2);
  const error = events.find((e) => e.type === 'error')!;
  assert.equal(error.kind, 'config');
  assert.equal(error.exitCode, 2);
  assert.match(String(error.message), /bad-upstream\.toml:\d+:\d+: /);
});

test('a usage error is JSON under --json, and only JSON is on stdout', () => {
  const r = runCli(['--json', 'deploy', '--no-such-flag']);
  assert.equal(r.code, 2);
  const events = parseLines(r.stdout);
  assertContract(events, 2);
  assert.equal(events[0].kind, 'usage');
  assert.match(String(events[0].message), /no-such-flag/);
});

async function deployJson(settings: Record<string, FakeHostSettings>) {
  const { ctx, out } = makeTestContext({
    cwd: root,
    reporterOptions: { json: true },
    connect: async (h) => new FakeRemote(h.name, settings[h.name]),
  });
  const config = makeConfig({
    root,
    file: join(root, 'deployer.toml'),
    hosts: [makeHost({ name: 'h1' }), makeHost({ name: 'h2', domains: ['http://h2.example'] })],
  });
  let code = 0;
  try {
    await deploy(ctx, { action: 'deploy', lockWait: 0, timings: true }, { config, version: '1.0.0' });
  } catch (e) {
    if (!(e instanceof DeployerError)) throw e;
    ctx.reporter.fail(e.message, e.hint, e.details, { exitCode: e.exitCode });
    code = e.exitCode;
  }
  ctx.reporter.finish(code, 'deploy');
  return { code, events: parseLines(out.join('')) };
}

test('a deploy: stable phase names, integer ms, the result with URLs last', async () => {
  const { code, events } = await deployJson({});
  const result = assertContract(events, code);
  assert.equal(code, 0);
  assert.deepEqual(validate(result.data, schemas['deploy-result']), []);
  assert.deepEqual((result.data as { urls: string[] }).urls, ['http://203.0.113.10/', 'http://h2.example/']);
  const live = events.filter((e) => e.type === 'phase' && e.phase === 'live');
  assert.deepEqual(
    live.map((e) => [e.host, e.label]),
    [
      ['h1', '1.0.0 is live'],
      ['h2', '1.0.0 is live'],
    ],
  ); // One `host` event per host, after its live line and before the result.
  assert.deepEqual(
    events.filter((e) => e.type === 'host').map((e) => [e.host, e.result, e.version]),
    [
      ['h1', 'live', '1.0.0'],
      ['h2', 'live', '1.0.0'],
    ],
  );
});

test('a failed deploy: the error (kind unhealthy, exit 7) then the result, still last', async () => {
  const { code, events } = await deployJson({ h2: { health: [500] } });
  assert.equal(code, 7);
  const result = assertContract(events, 7);
  assert.deepEqual(validate(result.data, schemas['deploy-result']), []);
  const error = events.at(-2)!;
  assert.equal(error.type, 'error');
  assert.equal(error.kind, 'unhealthy');
  const hosts = events.filter((e) => e.type === 'host');
  assert.deepEqual(
    hosts.map((e) => [e.host, e.result]),
    [
      ['h1', 'rolled-back'],
      ['h2', 'failed'],
    ],
  );
  assert.match(String(hosts[1].message), /health check failed/);
});

test('the validator catches what the contract forbids', () => {
  const bad = { schema: 1, time: '2026-01-01T00:00:00.000Z', type: 'phase', phase: '1.0.3 is live', status: 'done', ms: 12.5 };
  const problems = validate(bad, schemas.event);
  assert.equal(problems.length, 2, problems.join('\n'));
});

test('in GitHub Actions a config error is annotated on the file, line and column', () => {
  const text = annotations('deployer.toml:12:8: hosts[0].port must be an integer. Fix: write port = 22.', 'see docs', 'config');
  assert.equal(
    text,
    '::error file=deployer.toml,line=12,col=8,title=deployer::hosts[0].port must be an integer. Fix: write port = 22.%0Ahint: see docs\n',
  );
  assert.equal(annotations('web1: boom', undefined, 'ssh'), '::error title=deployer::web1: boom\n');
});

const state = (over: Partial<RemoteState>): RemoteState => freshState({ lockHeld: true, ...over });

test('nothing to roll back to exits 8 (state), with a hint that names only releases that exist', () => {
  const host = makeHost({ name: 'h1' });
  const none = () => rollbackTarget(state({}), undefined, host);
  assert.throws(
    none,
    (e: DeployerError) => e.exitCode === 8 && /nothing is deployed/.test(e.message) && /deployer deploy/.test(e.hint ?? ''),
  );
  const only = () =>
    rollbackTarget(
      state({ current: '1.0.0', releases: ['1.0.0'], versions: [{ version: '1.0.0', status: 'good', time: 't', sha: 's', by: 'me' }] }),
      undefined,
      host,
    );
  assert.throws(
    only,
    (e: DeployerError) => e.exitCode === 8 && /the only release on the host/.test(e.hint ?? '') && !/--to/.test(e.hint ?? ''),
  );
  const failedOlder = () =>
    rollbackTarget(
      state({
        current: '2.0.0',
        releases: ['1.0.0', '2.0.0'],
        versions: [
          { version: '2.0.0', status: 'good', time: 't', sha: 's', by: 'me' },
          { version: '1.0.0', status: 'failed', time: 't', sha: 's', by: 'me' },
        ],
      }),
      undefined,
      host,
    );
  assert.throws(failedOlder, (e: DeployerError) => e.exitCode === 8 && /other releases on the host: 1\.0\.0; pass --to/.test(e.hint ?? ''));
});
