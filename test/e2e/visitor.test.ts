// What a visitor and an operator see, on a real host: a domain that resolves
// nowhere is a warning after a successful deploy (not a failure); an app that
// answers 503 for ~4 s while it warms up deploys fine with timeout = 30; the
// prunes a deploy makes show in `deployer history`; a second app with the
// default `domains = []` on the same host is refused with a message that names
// the app holding `:80` and `domains` as the fix.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { createProject, type Project } from '../helpers/project.js';

let host: TestHost;
const projects: Project[] = [];

const toml = (app: string, port: number, domains: string, extra = '') => `
app = "${app}"
build_command = "python3 build_wheel.py"
distfile = "dist/hello_app-{version}-py3-none-any.whl"
installation_mode = "python-package"
versions_to_keep = 2
envfile = "app.env"
${extra}

[processes]
web = "hello-app"

[webserver]
domains = ${domains}
upstream = "127.0.0.1:${port}"

[health_check]
path = "/healthz"
timeout = 30
`;

function project(app: string, port: number, domains: string, env = ''): Project {
  const p = createProject('python-app', [host], toml(app, port, domains));
  writeFileSync(join(p.dir, 'app.env'), env);
  projects.push(p);
  return p;
}

before(async () => {
  host = await startHost();
});
after(async () => {
  for (const p of projects) p.cleanup();
  await host?.down();
});

test('a warming-up app (503 for 4 s) deploys; an unresolvable domain warns with the fix; the prunes show in history', async () => {
  const p = project('visitor-warm', 8100, '["http://visitor-warm.test"]', 'HELLO_WARMUP_SECONDS=4\n');
  for (const [i, v] of ['1.0.0', '1.0.1', '1.0.2'].entries()) {
    p.setVersion(v);
    const r = await p.run(['deploy', '--json']);
    assert.equal(r.code, 0, `deploy ${v}:\n${r.stdout}\n${r.stderr}`);
    // The app answered 503 while warming up and the health check waited it out (the old check gave up after
    // ~1.5 s). With blue-green the gate runs on the host in the switch phase; with restart, in verify.
    const phaseMs = (id: string) =>
      Number(r.events.find((e) => e.type === 'phase' && e.phase === id && e.status !== 'start' && !e.host)?.ms ?? 0);
    const waited = phaseMs('switch') + phaseMs('verify');
    assert.ok(waited >= 3000, `switch + verify waited for the warm-up: ${waited} ms`);
    // The domain resolves nowhere (.test): a warning naming the fix, and the deploy still succeeds.
    const warning = r.events.find((e) => e.type === 'log' && e.level === 'warn' && /visitor-warm\.test/.test(String(e.message)));
    assert.match(
      String(warning?.message),
      /^visitor-warm\.test does not resolve as seen from this machine: visitors may not reach the site\. Fix: add a DNS A\/AAAA record for visitor-warm\.test pointing to 127\.0\.0\.1/,
    );
    assert.equal(r.events.at(-1)?.type, 'result');
    assert.equal(r.events.at(-1)?.ok, true);
    if (i === 0) {
      const page = await httpGet(host.httpPort, '/', 'visitor-warm.test');
      assert.equal(page.status, 200);
      assert.match(page.body, /hello-app 1\.0\.0/);
    }
  }
  const h = await p.run(['history']);
  assert.equal(h.code, 0, h.stderr);
  assert.match(h.stdout, /^\S+ \S+\s+h1\s+prune\s+1\.0\.0\s+removed 1 \(versions_to_keep = 2, after deploy 1\.0\.2\)/m, h.stdout);
});

test('two apps with the default domains = []: the second is refused, naming the first and domains as the fix', async () => {
  const first = project('visitor-one', 8110, '[]');
  const r1 = await first.run(['deploy']);
  assert.equal(r1.code, 0, `${r1.stdout}\n${r1.stderr}`);
  const second = project('visitor-two', 8120, '[]');
  const r2 = await second.run(['deploy']);
  assert.notEqual(r2.code, 0, `${r2.stdout}\n${r2.stderr}`);
  assert.match(r2.stderr, /the site address :80 is already served on this host by app "visitor-one[^"]*"/, r2.stderr);
  assert.match(r2.stderr, /Fix: set webserver\.domains \(or the host's domains\) for visitor-two/, r2.stderr);
  // The first app still serves.
  const page = await httpGet(host.httpPort, '/', 'anything.example');
  assert.equal(page.status, 200);
  assert.match(page.body, /hello-app/);
});
