// deployer as a CI job runs it (issue 5): no TTY, stdin closed, CI=true,
// GITHUB_ACTIONS=true, the SSH key and known_hosts only in environment
// variables (no key_file, no known_hosts, an empty HOME), a step-summary
// file. A deploy succeeds without prompting and writes the summary; a
// failing one exits 7 with an ::error annotation; `down` without --yes
// refuses; --json prints one JSON object per line.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FOREIGN_HOST_KEY, startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { appToml, createProject, type CliResult, type Project } from '../helpers/project.js';
import { tempDir } from '../helpers/tmp.js';

let host: TestHost;
let app: Project;
let home: string;
let summaryFile: string;
let outputFile: string;
const DIR = '/srv/deployer/hello-ci';
const SITE = 'hello-ci.localhost';

const base = appToml({ app: 'hello-ci', settings: { strategy: 'restart', envfile: 'app.env' }, site: SITE, timeout: 8 });

/** The config as a CI job would hold it: no key_file, no known_hosts (they come from the environment). */
function writeConfig(version: string, appEnv = ''): void {
  const hostsToml = `
[[hosts]]
name = "h1"
address = "127.0.0.1"
port = ${host.sshPort}
user = "deploy"
`;
  // build.sh reads the version from the first `version = "…"` line.
  writeFileSync(join(app.dir, 'deployer.toml'), `version = "${version}"\n${base}\n${hostsToml}`);
  writeFileSync(join(app.dir, 'app.env'), `HELLO_DEBUG_ENV=1\n${appEnv}`);
}

function ciEnv(over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    HOME: home,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTOR: 'ci-bot',
    GITHUB_RUN_ID: '4242',
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_OUTPUT: outputFile,
    DEPLOYER_SSH_KEY: readFileSync(host.keyPath, 'utf8'),
    DEPLOYER_KNOWN_HOSTS: host.hostKeyLine,
    SSH_AUTH_SOCK: '',
    ...over,
  };
}

const ciRun = (args: string[], over: NodeJS.ProcessEnv = {}) => app.run(args, { env: ciEnv(over) });

const get = async (path = '/') => {
  const r = await httpGet(host.httpPort, path, SITE);
  return `${r.status} ${r.body.trim()}`;
};
const sh = async (cmd: string) => (await host.ssh(cmd, { user: 'root' })).stdout.trim();

function assertPlainOutput(r: CliResult): void {
  const all = r.stdout + r.stderr;
  assert.doesNotMatch(all, /\x1b\[/, `ANSI escape codes in CI output:\n${all}`);
  assert.doesNotMatch(all, /\(y\/N\)|^\? /im, `prompt text in CI output:\n${all}`);
  assert.doesNotMatch(all, /PRIVATE KEY/, 'the SSH key leaked into the output');
}

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  const lines = stdout.split('\n').filter((l) => l !== '');
  assert.ok(lines.length > 0, 'no output at all');
  return lines.map((l, i) => {
    let parsed: unknown;
    assert.doesNotThrow(() => (parsed = JSON.parse(l)), `line ${i + 1} is not JSON: ${l}`);
    assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), `line ${i + 1} is not an object: ${l}`);
    assert.equal(typeof (parsed as { type?: unknown }).type, 'string', `line ${i + 1} has no type: ${l}`);
    return parsed as Record<string, unknown>;
  });
}

before(async () => {
  host = await startHost();
  home = tempDir('deployer-ci-home-');
  summaryFile = join(tempDir('deployer-ci-summary-'), 'step-summary.md');
  writeFileSync(summaryFile, '');
  outputFile = join(summaryFile, '..', 'output.txt');
  writeFileSync(outputFile, '');
  app = createProject('binary-app', [host], base);
});
after(async () => {
  app?.cleanup();
  if (home) rmSync(home, { recursive: true, force: true });
  if (summaryFile) rmSync(join(summaryFile, '..'), { recursive: true, force: true });
  await host?.down();
});

test('a CI deploy with the key and known_hosts in env vars succeeds, prompts for nothing and writes the step summary', async () => {
  writeConfig('1.0.0');
  const r = await ciRun(['deploy']);
  assert.equal(r.code, 0, r.stderr);
  assertPlainOutput(r);
  assert.equal(await get(), '200 hello-bin 1.0.0');
  const summary = readFileSync(summaryFile, 'utf8');
  assert.match(summary, /^### deployer: hello-ci 1\.0\.0 deployed$/m);
  assert.match(summary, /^\| host \| result \|/m);
  assert.match(summary, /^\| h1 \| ✅ live \| \d+ \| installed \| yes \| – \|$/m);
  // The site's URL and the total time: in the output, the step summary, and the step's outputs (for `environment: url`).
  assert.match(r.stderr, new RegExp(`^hello-ci 1\\.0\\.0: http://${SITE}/$`, 'm'));
  assert.match(r.stderr, /^done in \d+(\.\d)? m?s$/m);
  // Quiet by default: the uploads in one line, the host in the final table.
  assert.doesNotMatch(r.stderr, /uploaded /);
  assert.match(r.stderr, /^✓ upload — \d+ files?, .* to 1 host /m);
  assert.match(r.stderr, /^host +version +result +time\nh1 +1\.0\.0 +live +\d+(\.\d)? m?s$/m);
  assert.match(summary, new RegExp(`^<http://${SITE}/>$`, 'm'));
  assert.match(summary, /^Total time: \d+(\.\d)? m?s$/m);
  assert.equal(readFileSync(outputFile, 'utf8'), `url=http://${SITE}/\nversion=1.0.0\n`);
  // The build's output is folded into a group.
  assert.match(r.stderr, /^::group::build output\n[\s\S]*?^::endgroup::$/m);
});

test('FORCE_COLOR colours the CI output, --no-color still wins', async () => {
  const r = await ciRun(['deploy'], { FORCE_COLOR: '1' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\x1b\[32m✓\x1b\[39m/);
  const plain = await ciRun(['deploy', '--no-color'], { FORCE_COLOR: '1' });
  assert.equal(plain.code, 0, plain.stderr);
  assert.doesNotMatch(plain.stderr, /\x1b\[/);
});

test('a known_hosts variable with another key refuses the host: exit 3 and an annotation', async () => {
  const r = await ciRun(['deploy'], { DEPLOYER_KNOWN_HOSTS: `[127.0.0.1]:${host.sshPort} ${FOREIGN_HOST_KEY}` });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /^::error title=deployer::REMOTE HOST KEY CHANGED/m);
  assertPlainOutput(r);
  assert.equal(await get(), '200 hello-bin 1.0.0');
});

test('a failing CI deploy exits 7 with an ::error annotation and a FAILED summary, the old release keeps serving', async () => {
  writeConfig('2.0.0', 'HELLO_HEALTH_STATUS=500\n');
  const before = readFileSync(summaryFile, 'utf8');
  const r = await ciRun(['deploy']);
  assert.equal(r.code, 7, r.stderr);
  assertPlainOutput(r);
  const annotations = r.stderr.split('\n').filter((l) => l.startsWith('::error'));
  assert.ok(
    annotations.some((l) => /hello-ci 2\.0\.0 failed its checks/.test(l)),
    r.stderr,
  );
  // The failed host, once, in the annotation's title.
  assert.deepEqual(
    annotations.filter((l) => l.startsWith('::error title=deployer: ')).map((l) => l.slice(0, l.indexOf('::', 2))),
    ['::error title=deployer: h1'],
    r.stderr,
  );
  assert.ok(
    annotations.every((l) => !l.slice(2).includes('\n')),
    'annotations are single lines',
  );
  const added = readFileSync(summaryFile, 'utf8').slice(before.length);
  assert.match(added, /^### deployer: hello-ci 2\.0\.0 FAILED$/m);
  assert.match(added, /^\| h1 \| ❌ failed, rolled back \|/m);
  // The host's own log (the unit's lines since this switch) is folded into its group, before the failure.
  assert.match(r.stderr, /^::group::h1\n[\s\S]*?^::endgroup::$/m);
  assert.equal(await get(), '200 hello-bin 1.0.0');
  assert.match(await sh(`cat ${DIR}/.versions`), /^2\.0\.0\tfailed\t/m);
});

test('a deploy that fails before any host is switched still writes a FAILED summary', async () => {
  writeConfig('2.1.0');
  const before = readFileSync(summaryFile, 'utf8');
  // A build that fails: build.sh cannot find the compiler.
  const r = await ciRun(['deploy'], { CC: '/nonexistent/cc' });
  assert.equal(r.code, 5, r.stderr);
  assert.match(r.stderr, /^::error title=deployer::build_command failed/m);
  const added = readFileSync(summaryFile, 'utf8').slice(before.length);
  assert.match(added, /^### deployer: hello-ci 2\.1\.0 FAILED$/m);
  assert.match(added, /build_command failed/);
  assert.equal(await get(), '200 hello-bin 1.0.0');
});

test('down without --yes exits 2 naming --yes and changes nothing', async () => {
  const r = await ciRun(['down']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--yes/);
  assert.match(r.stderr, /^::error title=deployer::.*--yes/m);
  assertPlainOutput(r);
  assert.equal(await sh(`readlink ${DIR}/current`), 'v1.0.0');
  assert.equal(await sh('systemctl is-active hello-ci-web.service'), 'active');
  assert.equal(await get(), '200 hello-bin 1.0.0');
  // --json: stdout stays JSON (the error is an event), the annotation still goes to stderr.
  const j = await ciRun(['down', '--json']);
  assert.equal(j.code, 2, j.stderr);
  const events = jsonLines(j.stdout);
  const err = events.find((e) => e.type === 'error');
  assert.ok(err, j.stdout);
  assert.match(String(err.hint), /--yes/);
  assert.match(j.stderr, /^::error title=deployer::/m);
  assert.equal(await sh(`readlink ${DIR}/current`), 'v1.0.0');
});

test('--json prints one JSON object per line for deploy and history', async () => {
  writeConfig('3.0.0');
  const r = await ciRun(['deploy', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assertPlainOutput(r);
  const events = jsonLines(r.stdout);
  const types = new Set(events.map((e) => e.type));
  for (const t of ['log', 'phase', 'output', 'result']) assert.ok(types.has(t), `no ${t} event in:\n${r.stdout}`);
  const result = events.find((e) => e.type === 'result') as {
    command: string;
    ok: boolean;
    data: { version: string; hosts: Array<{ host: string; healthy: boolean }> };
  };
  assert.equal(result.command, 'deploy');
  assert.equal(result.ok, true);
  assert.equal(result.data.version, '3.0.0');
  assert.deepEqual(
    result.data.hosts.map((h) => [h.host, h.healthy]),
    [['h1', true]],
  );
  assert.equal(await get(), '200 hello-bin 3.0.0');

  const h = await ciRun(['history', '--json']);
  assert.equal(h.code, 0, h.stderr);
  const hist = jsonLines(h.stdout);
  const res = hist.find((e) => e.type === 'result') as {
    data: { entries: Array<{ action: string; to?: string; result: string; by: string }> };
  };
  const actions = res.data.entries.map((e) => `${e.action}:${e.to ?? ''}:${e.result}`);
  assert.ok(actions.includes('deploy:3.0.0:ok'), actions.join('\n'));
  assert.ok(
    actions.some((a) => a.startsWith('deploy:2.0.0:failed')),
    actions.join('\n'),
  );
  // In GitHub Actions the history names the actor and the run, not the runner's user.
  assert.ok(
    res.data.entries.every((e) => e.by === 'ci-bot@github-actions run 4242'),
    JSON.stringify(res.data.entries),
  );

  // Commands that print raw text on a terminal print output events instead.
  for (const args of [
    ['app', 'exec', '--json', '--', 'echo', 'from-exec'],
    ['app', 'cat', 'units', '--json'],
    ['app', 'status', '--json'],
  ]) {
    const o = await ciRun(args);
    assert.equal(o.code, 0, `${args.join(' ')}: ${o.stderr}`);
    const lines = jsonLines(o.stdout); // throws on a line that is not JSON
    assert.ok(lines.length > 0, args.join(' '));
  }
  const ex = jsonLines((await ciRun(['app', 'exec', '--json', '--', 'echo', 'from-exec'])).stdout);
  assert.ok(ex.some((e) => e.type === 'output' && String(e.text).includes('from-exec')));
});
