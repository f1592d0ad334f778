// Hostile values in env values and paths: quotes, $(), backticks, ;, newlines.
// None may run as a command anywhere (local, remote shell, systemd, Caddy):
// marker files must never appear, and the app must see the values unchanged.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { appToml, createProject, type Project } from '../helpers/project.js';

let host: TestHost;
let app: Project;

// A hostile apps_dir (${IFS} stands in for spaces) is refused by the loader:
// systemd cannot take such a path in ExecStart, so it must never reach a host.
const HOSTILE_APPS_DIR = `/srv/x;touch\${IFS}/tmp/pwned-path1;'q"$(touch\${IFS}/tmp/pwned-path2)\`touch\${IFS}/tmp/pwned-path3\``;
const VALUES: Record<string, string> = {
  SPACES: 'a value with  spaces',
  // (A value with both kinds of quote has no .env form that systemd and
  // dotenv both read back; deployer refuses it by name: see secrets tests.)
  SINGLE: "it's a 'single' quote",
  DOUBLE: 'say "double" quotes',
  SUBST: '$(touch /tmp/pwned-env1)',
  BACKTICK: '`touch /tmp/pwned-env2`',
  SEMI: 'x; touch /tmp/pwned-env3; echo',
  DOLLAR: '${HOME} $PATH %h %n',
};
const MULTILINE = 'line one\nline two; $(touch /tmp/pwned-env4)';

/** dotenv's quoting: single quotes are literal, backticks too, double quotes expand only \\n. */
function dotenvQuote(v: string): string {
  if (v.includes('\n')) return `"${v.replace(/\n/g, '\\n')}"`;
  if (!v.includes("'")) return `'${v}'`;
  if (!v.includes('`')) return `\`${v}\``;
  return `"${v}"`;
}

function tomlString(s: string): string {
  return JSON.stringify(s); // a JSON string is a valid TOML basic string
}

before(async () => {
  host = await startHost();
  app = createProject(
    'binary-app',
    [host],
    appToml({ app: 'inject', settings: { apps_dir: '/srv/odd.dir/with+@sign', envfile: 'app.env' }, timeout: 8 }),
  );
  const lines = [
    'HELLO_DEBUG_ENV=1',
    ...Object.entries(VALUES).map(([k, v]) => `${k}=${dotenvQuote(v)}`),
    `MULTI=${dotenvQuote(MULTILINE)}`,
  ];
  writeFileSync(join(app.dir, 'app.env'), lines.join('\n') + '\n');
});
after(async () => {
  app?.cleanup();
  await host?.down();
});

test('a hostile apps_dir is refused before anything reaches the host', async () => {
  const toml = readFileSync(join(app.dir, 'deployer.toml'), 'utf8');
  writeFileSync(
    join(app.dir, 'deployer.toml'),
    toml.replace('apps_dir = "/srv/odd.dir/with+@sign"', `apps_dir = ${tomlString(HOSTILE_APPS_DIR)}`),
  );
  try {
    const r = await app.run(['deploy']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /deployer\.toml:\d+:\d+: apps_dir must be/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/); // no stack trace
  } finally {
    writeFileSync(join(app.dir, 'deployer.toml'), toml);
  }
  const srv = await host.ssh('ls /srv; ls /tmp/pwned-* 2>/dev/null | wc -l', { user: 'root' });
  assert.equal(srv.stdout.trim(), '0');
});

test('a deploy with hostile env values runs nothing it should not', async () => {
  const r = await app.run(['deploy']);
  assert.equal(r.code, 0, r.stderr);
  const markers = await host.ssh('ls /tmp/pwned-* 2>/dev/null | wc -l', { user: 'root' });
  assert.equal(markers.stdout.trim(), '0', `marker files on the host: ${markers.stdout}`);
  for (const f of ['path1', 'path2', 'path3', 'env1', 'env2', 'env3', 'env4']) assert.equal(existsSync(`/tmp/pwned-${f}`), false);
  const ls = await host.ssh('readlink /srv/odd.dir/with+@sign/inject/current', { user: 'root' });
  assert.equal(ls.stdout.trim(), 'v1.0.0');
});

test('the app sees every value exactly as written', async () => {
  for (const [k, v] of Object.entries(VALUES)) {
    const res = await httpGet(host.httpPort, `/env/${k}`, 'inject.localhost');
    assert.equal(res.body, `${v}\n`, k);
  }
  const multi = await httpGet(host.httpPort, '/env/MULTI', 'inject.localhost');
  assert.equal(multi.body, `${MULTILINE}\n`);
});

test('rollback and down with the same hostile paths run nothing either', async () => {
  app.setVersion('1.1.0');
  assert.equal((await app.run(['deploy'])).code, 0);
  assert.equal((await app.run(['rollback'])).code, 0);
  const down = await app.run(['down', '--yes']);
  assert.equal(down.code, 0, down.stderr);
  const markers = await host.ssh('ls /tmp/pwned-* 2>/dev/null | wc -l', { user: 'root' });
  assert.equal(markers.stdout.trim(), '0');
});
