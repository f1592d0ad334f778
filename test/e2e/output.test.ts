// What a deploy prints against a real host: no secret in any output, even
// when the build prints it or a remote command prints it across SSH packet
// boundaries; what the config shows in clear (the domain, the app) stays in
// clear even when an env value equals it; and Ctrl-C mid-upload says what
// happened and leaves nothing that the next deploy has to send again.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { startHost, type TestHost } from '../helpers/testhost.js';
import { createProject, waitForPause, type Project } from '../helpers/project.js';
import { httpGet } from '../helpers/testhost.js';

let host: TestHost;
let app: Project;

const TOKEN = 'tok-e2e-9f8e7d6c5b4a3f2e1d0c';
const LITERAL = 'literal-secret-4242-abcd';

const LEAKY_RELEASE = `release_command = '''sh -c 'i=0; while [ $i -lt 4000 ]; do printf "p%s-%s" "$i" "$API_TOKEN"; i=$((i+1)); done; echo; i=0; while [ $i -lt 2000 ]; do printf "line %s %s %s\\n" "$i" "$API_TOKEN" "$GREETING"; i=$((i+1)); done; exit 3' >&2'''`;

const base = (top = '') => `
app = "quiet"
${top}
build_command = "./build.sh && echo \\"build sees $E2E_TOKEN and ${LITERAL}\\" && head -c \${PAD_BYTES:-0} /dev/zero >> dist/hello-bin"
distfile = "dist/hello-bin"
installation_mode = "binary"
public_env = ["GREETING"]
env = """
API_TOKEN=$E2E_TOKEN
LITERAL_KEY=${LITERAL}
GREETING=hello-public-value
DEBUG=true
"""

[processes]
web = "app_binary"

[webserver]
domains = ["http://quiet.localhost"]
upstream = "127.0.0.1:8000"

[health_check]
path = "/healthz"
timeout = 8
`;

before(async () => {
  host = await startHost();
  app = createProject('binary-app', [host], base());
});
after(async () => {
  app?.cleanup();
  await host?.down();
});

test('no secret in any output: printed by the build, and by a failing remote command across SSH packets', async () => {
  // ~200 KB of stderr on one line and then in short lines, the token at every
  // offset: many occurrences straddle the channel's packet boundaries.
  const leaky = createProject('binary-app', [host], base(LEAKY_RELEASE));
  try {
    leaky.setVersion('1.0.0');
    for (const args of [
      ['deploy', '--json'],
      ['deploy', '-v'],
    ]) {
      const r = await leaky.run(args, { env: { E2E_TOKEN: TOKEN } });
      assert.equal(r.code, 4, `the release command fails the deploy:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
      const all = r.stdout + r.stderr;
      for (const piece of [TOKEN, TOKEN.slice(0, 12), TOKEN.slice(-12), LITERAL, LITERAL.slice(0, 12), LITERAL.slice(-12)]) {
        assert.ok(!all.includes(piece), `${args.join(' ')}: "${piece}" must not be printed`);
      }
      assert.match(all, /build sees \[REDACTED\] and \[REDACTED\]/, `${args.join(' ')}: the build line is printed, redacted`);
      const redactedRemote = all.match(/line \d+ \[REDACTED\] hello-public-value/g) ?? [];
      assert.ok(
        redactedRemote.length > 100,
        `${args.join(' ')}: the remote lines are printed, redacted, with the public value in clear (${redactedRemote.length})`,
      );
      assert.match(all, /p\d+-\[REDACTED\]p\d+-\[REDACTED\]/, 'the long line too');
    }
  } finally {
    leaky.cleanup();
  }
});

test('values the config shows in clear stay in clear: the URL, plan and history show the domain and app that env values equal; a real secret is still redacted', async () => {
  const domain = 'clearsite.localhost';
  // A Django-style SECRET_KEY that contains the domain: a secret all the same.
  const secretKey = `django-insecure-${domain}-0a1b2c3d4e5f`;
  const p = createProject(
    'binary-app',
    [host],
    `
app = "clearsite"
build_command = "./build.sh && echo \\"build for $SITE_DOMAIN with key $SITE_KEY\\""
distfile = "dist/hello-bin"
installation_mode = "binary"
env = """
ALLOWED_HOSTS=${domain}
CSRF_TRUSTED_ORIGINS=http://${domain}
SITE_NAME=clearsite
SECRET_KEY=${secretKey}
"""

[processes]
web = "app_binary"

[webserver]
domains = ["http://${domain}"]
upstream = "127.0.0.1:8400"

[health_check]
path = "/healthz"
timeout = 8
`,
  );
  const env = { SITE_DOMAIN: domain, SITE_KEY: secretKey };
  try {
    const plan = await p.run(['plan'], { env });
    assert.equal(plan.code, 0, plan.stderr);
    const deploy = await p.run(['deploy'], { env });
    assert.equal(deploy.code, 0, deploy.stderr);
    const history = await p.run(['history'], { env });
    assert.equal(history.code, 0, history.stderr);
    const all = [plan, deploy, history].map((r) => r.stdout + r.stderr).join('\n');
    assert.ok(!all.includes(secretKey) && !all.includes(secretKey.slice(-14)), 'the SECRET_KEY is never printed');
    assert.match(
      deploy.stdout + deploy.stderr,
      /build for clearsite\.localhost with key \[REDACTED\]/,
      'the build line: domain in clear, key redacted',
    );
    assert.match(deploy.stdout + deploy.stderr, /clearsite 1\.0\.0: http:\/\/clearsite\.localhost\//, 'the success line shows the URL');
    assert.match(plan.stdout, /clearsite\.localhost/, `plan shows the domain:\n${plan.stdout}`);
    assert.match(plan.stdout, /clearsite-web@\.service/, 'plan shows the app in unit names');
    assert.doesNotMatch(plan.stdout, /REDACTED/, `plan shows no env value here:\n${plan.stdout}`);
    assert.doesNotMatch(plan.stdout + deploy.stdout + deploy.stderr, /http:\/\/\[REDACTED\]/);
    assert.match(history.stdout, /h1 +deploy +-> 1\.0\.0|h1 +deploy/, `history shows the host and action:\n${history.stdout}`);
    assert.doesNotMatch(history.stdout, /REDACTED/);
    const site = await httpGet(host.httpPort, '/', domain);
    assert.equal(site.status, 200);
  } finally {
    await p.run(['down', '--yes'], { env });
    p.cleanup();
  }
});

const served = async () => {
  try {
    const r = await httpGet(host.httpPort, '/', 'quiet.localhost');
    return `${r.status} ${r.body.trim()}`;
  } catch (e) {
    return `error ${(e as Error).message}`;
  }
};

test('Ctrl-C mid-upload: says what was interrupted and where each host is, exits 130; the next deploy sends only the rest', async () => {
  app.setVersion('1.0.0');
  const first = await app.run(['deploy'], { env: { E2E_TOKEN: TOKEN } });
  assert.equal(first.code, 0, first.stderr);
  assert.equal(await served(), '200 hello-bin 1.0.0');

  // 250 MB of zeros after the binary: the same bytes on every build, seconds of upload.
  app.setVersion('1.1.0');
  const env = { E2E_TOKEN: TOKEN, PAD_BYTES: '250000000' };
  const { child, result } = app.start(['deploy'], { env: { ...env, DEPLOYER_TEST_PAUSE_AT: 'uploading' } });
  await waitForPause(child, 'uploading');
  const partialSize = async () =>
    Number((await host.ssh("find /srv -path '*/v1.1.0/.incoming/*' -type f -printf '%s\\n' 2>/dev/null | head -1")).stdout.trim() || 0);
  for (let i = 0; i < 300 && (await partialSize()) < 40_000_000; i++) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGINT');
  const r = await result;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /✗ interrupted \(Ctrl-C\) during the upload; nothing was switched: every host keeps serving its live release/);
  assert.match(
    r.stderr,
    /h1: nothing switched; artifact was \d+% sent, kept on the host so the next deploy of 1\.1\.0 sends only the rest/,
  );
  assert.equal(await served(), '200 hello-bin 1.0.0');
  const left = await partialSize();
  assert.ok(left > 20_000_000 && left < 250_000_000, `a partial upload stays on the host (${left} bytes)`);

  const next = await app.run(['deploy', '--json'], { env });
  assert.equal(next.code, 0, next.stdout.slice(-3000));
  const resumed = next.events.find((e) => e.type === 'log' && /^resuming the upload of artifact: /.test(String(e.message)));
  assert.ok(resumed, 'the next deploy resumes the upload');
  const kept = /: ([\d.]+) MiB of/.exec(String(resumed.message));
  assert.ok(
    kept && Number(kept[1]) * 1048576 >= left - 5 * 1048576,
    `it keeps what was there (${resumed.message}; ${left} bytes were left)`,
  );
  assert.equal(await served(), '200 hello-bin 1.1.0');
  assert.equal(await partialSize(), 0, 'nothing left in .incoming');
});
