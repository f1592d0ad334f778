// The web process's PORT contract (issue 18, findings 1–3), on a real host
// (systemd, Caddy, nothing mocked):
// - `$PORT` inside a word (`--bind 127.0.0.1:$PORT`, as gunicorn takes it)
//   reaches the program expanded, in both slots of a blue-green deploy;
// - PORT=8000 in env (the contract before blue-green) never overrides the
//   instance's own PORT: two blue-green deploys, both slots answer, and the
//   deploy warns once with the fix;
// - an app that listens on another port than its own fails the gate with a
//   message that says what it listens on, and why.
import { test, before, after, describe } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { createProject, type CliResult, type Project } from '../helpers/project.js';

let host: TestHost;
const projects: Project[] = [];
before(async () => {
  host = await startHost();
});
after(async () => {
  for (const p of projects) p.cleanup();
  await host?.down();
});

function pythonApp(app: string, port: number, web: string, extra = '', processes = ''): Project {
  const project = createProject(
    'python-app',
    [host],
    `
app = "${app}"
build_command = "python3 build_wheel.py"
distfile = "dist/hello_app-{version}-py3-none-any.whl"
installation_mode = "python-package"
drain_seconds = 1
${extra}

[processes]
web = ${JSON.stringify(web)}
${processes}

[webserver]
domains = ["http://${app}.localhost"]
upstream = "127.0.0.1:${port}"

[health_check]
path = "/healthz"
timeout = 8
`,
  );
  projects.push(project);
  project.writeConfig();
  return project;
}

const bound = async (app: string) => {
  const r = await httpGet(host.httpPort, '/bound', `${app}.localhost`);
  return `${r.status} ${r.body.trim()}`;
};
const served = async (app: string) => {
  const r = await httpGet(host.httpPort, '/', `${app}.localhost`);
  return `${r.status} ${r.body.trim()}`;
};
const deploy = (p: Project): Promise<CliResult> => p.run(['deploy'], { timeoutMs: 180_000 });

describe('$PORT inside a word of the web command', () => {
  test('--bind 127.0.0.1:$PORT: both slots start on their own port and answer through Caddy', async () => {
    // A worker prints the words systemd gave it: each rule of the README, as systemd applies it.
    const worker =
      "worker = '''/bin/sh -c 'printf \"%s|\" \"$@\"; echo; exec sleep 600' sh a$HELLO_Y \"$HELLO_Y\" $HELLO_Y ${HELLO_Y} '$HELLO_Y' $$HELLO_Y \\$HELLO_Y'''";
    const p = pythonApp('pc-word', 8200, 'hello-app --bind 127.0.0.1:$PORT', 'env = "HELLO_Y=x y"', worker);
    const first = await deploy(p);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    // The first deploy starts in slot b (the odd port).
    assert.equal(await bound('pc-word'), '200 127.0.0.1:8201');
    // Inside a word or "…": one piece; a word of its own: split at whitespace; '…', $$ and \$: a literal $.
    let words = '';
    for (let i = 0; i < 50 && words === ''; i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      const r = await host.ssh("journalctl -u pc-word-worker.service -o cat --no-pager | grep '|$' | tail -n 1", { user: 'root' });
      words = r.stdout.trim();
    }
    assert.equal(words, 'ax y|x y|x|y|x y|$HELLO_Y|$HELLO_Y|$HELLO_Y|');
    const unit = await host.ssh('systemctl cat pc-word-web@.service', { user: 'root' });
    assert.match(unit.stdout, /^ExecStart=.*hello-app --bind 127\.0\.0\.1:\$\{PORT\}$/m);
    p.setVersion('1.0.1');
    const second = await deploy(p);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.equal(await served('pc-word'), '200 hello-app 1.0.1');
    assert.equal(await bound('pc-word'), '200 127.0.0.1:8200');
  });
});

describe('PORT in env', () => {
  test('PORT=8000 in env: two blue-green deploys, both slots answer on their own port; one warning with the fix', async () => {
    const p = pythonApp('pc-env', 8300, 'hello-app', 'env = """\nPORT=8300\nHELLO_X=1\n"""');
    const first = await deploy(p);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.equal(await bound('pc-env'), '200 127.0.0.1:8301');
    const warnings = (first.stdout + first.stderr).split('\n').filter((l) => /remove PORT from env/.test(l));
    assert.equal(warnings.length, 1, `one warning per deploy:\n${first.stdout}${first.stderr}`);
    // The release's .env has no PORT; the rest of the env is there.
    const env = await host.ssh('cat /srv/deployer/pc-env/current/.env', { user: 'root' });
    assert.doesNotMatch(env.stdout, /^PORT=/m);
    assert.match(env.stdout, /^HELLO_X=/m);
    p.setVersion('1.0.1');
    const second = await deploy(p);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.equal(await served('pc-env'), '200 hello-app 1.0.1');
    assert.equal(await bound('pc-env'), '200 127.0.0.1:8300');
  });
});

describe('a failed gate says why', () => {
  test('an app that binds another fixed port: the deploy names what it listens on, and the fix', async () => {
    const p = pythonApp('pc-wrong', 8400, 'hello-app --bind 127.0.0.1:8490');
    const r = await deploy(p);
    assert.notEqual(r.code, 0);
    const out = r.stdout + r.stderr;
    assert.match(out, /pc-wrong-web@8401\.service listens on 127\.0\.0\.1:8490, not 8401/);
    assert.match(out, /the web command binds port 8490 itself \("127\.0\.0\.1:8490"\); use \$PORT: "hello-app --bind 127\.0\.0\.1:\$PORT"/);
  });
});
