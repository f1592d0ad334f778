// Real third-party software deployed as a user would (issue 18): a Django 4.2
// project under gunicorn from a wheelhouse, with `migrate && collectstatic` as
// its release_command, statics served by Caddy and SQLite in
// DEPLOYER_DATA_DIR; a plain ASGI app under uvicorn; and busybox httpd as the
// binary. The software comes offline from Debian's packages
// (test/fixtures/real-apps/fetch.sh). Each config is what `deployer init`
// writes, edited only where the README or docs/deployer.example.toml tells a
// user to (each edit names its sentence). For each app: deploy, deploy a code
// change, redeploy with an env change, roll back, each checked through Caddy
// by the app's domain.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpGet, startHost, type TestHost } from '../helpers/testhost.js';
import { repoRoot, runCli } from '../helpers/project.js';
import { tempDir } from '../helpers/tmp.js';

const fixtures = join(repoRoot, 'test', 'fixtures', 'real-apps');
const SECRET = 'django-insecure-R3AL-apps-secret-9c1e';
let host: TestHost;
let home = '';
let software = '';
const outputs: string[] = [];

interface App {
  dir: string;
  cli(args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }>;
  config(): string;
  edit(from: string | RegExp, to: string): void;
}

function makeApp(name: string, files?: string): App {
  const dir = join(home, name);
  if (files) cpSync(join(fixtures, files), dir, { recursive: true });
  else mkdirSync(dir, { recursive: true });
  const file = join(dir, 'deployer.toml');
  return {
    dir,
    async cli(args, env = {}) {
      // The user's machine: their home holds ~/.ssh/known_hosts with the host's key.
      const r = await runCli(args, { cwd: dir, env: { HOME: home, MYSITE_SECRET_KEY: SECRET, ...env }, timeoutMs: 240_000 });
      outputs.push(r.stdout, r.stderr);
      // Progress and the URL are on stderr; stdout is shown after it in failures.
      return { code: r.code, stdout: r.stdout, stderr: `${r.stderr}\n(stdout:)\n${r.stdout}` };
    },
    config: () => readFileSync(file, 'utf8'),
    edit(from, to) {
      const text = readFileSync(file, 'utf8');
      assert.match(text, typeof from === 'string' ? new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : from);
      writeFileSync(file, text.replace(from, to));
    },
  };
}

/** `deployer init` with the flags `deployer init --help` lists, against the test host. */
async function init(app: App, flags: string[]): Promise<void> {
  const r = await app.cli(['init', ...flags, '--host', '127.0.0.1', '--port', String(host.sshPort), '--key-file', host.keyPath]);
  assert.equal(r.code, 0, r.stderr);
}

function editFile(path: string, from: string, to: string): void {
  const text = readFileSync(path, 'utf8');
  assert.ok(text.includes(from), `${path} has ${from}`);
  writeFileSync(path, text.replace(from, to));
}

async function page(domain: string, path = '/'): Promise<string> {
  const r = await httpGet(host.httpPort, path, domain);
  return `${r.status} ${r.body.trim()}`;
}

/** A deploy that worked and printed its site's URL (plain http:// sites, reached here by Host header). */
function deployedOk(r: { code: number | null; stdout: string; stderr: string }, url: string): void {
  assert.equal(r.code, 0, r.stderr);
  // The success line names the site (issue 18 finding 7: a domain is not a secret).
  assert.ok(r.stderr.includes(url), `the output names ${url}:\n${r.stderr}`);
}

before(async () => {
  // Quick when cached (scripts/setup.sh builds it); prints the directory.
  software = execFileSync('bash', [join(fixtures, 'fetch.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  host = await startHost();
  home = tempDir('deployer-real-apps-');
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  writeFileSync(join(home, '.ssh', 'known_hosts'), host.hostKeyLine + '\n');
});

after(async () => {
  if (home) rmSync(home, { recursive: true, force: true });
  await host?.down();
});

/** Copies the wheels a project needs from the Debian-built set into its wheelhouse. */
function wheelhouse(app: App, names: string[]): void {
  const dir = join(app.dir, 'wheels');
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(join(software, 'wheels')))
    if (names.some((n) => f.startsWith(`${n}-`))) copyFileSync(join(software, 'wheels', f), join(dir, f));
}

// ---------------------------------------------------------------- Django

let mysite: App;
/** Python on the host (it has no curl): the status of GET / on port argv[1] with another Host header. */
const STATUS_OF = [
  'import sys, urllib.request as u, urllib.error as e',
  'try: print(u.urlopen(u.Request(f"http://127.0.0.1:{sys.argv[1]}/", headers={"Host": "other.test"})).status)',
  'except e.HTTPError as x: print(x.code)',
  'except OSError: print(0)',
].join('\n');
let visits = 0;

/** The visit counter lives in SQLite in DEPLOYER_DATA_DIR: it only ever grows, whatever release serves. */
async function djangoPage(): Promise<string> {
  const body = await page('mysite.test');
  const m = /visits=(\d+)$/.exec(body);
  assert.ok(m, body);
  assert.ok(Number(m[1]) > visits, `visits went from ${visits} to ${m[1]}: the database did not survive`);
  visits = Number(m[1]);
  return body.replace(/, visits=\d+$/, '');
}

test('Django: init, the README edits, deploy: gunicorn on $PORT, migrate, collectstatic, statics by Caddy', async () => {
  mysite = makeApp('mysite', 'mysite');
  copyFileSync(join(repoRoot, 'examples', 'python-app', 'build_wheel.py'), join(mysite.dir, 'build_wheel.py'));
  wheelhouse(mysite, ['django', 'asgiref', 'sqlparse', 'gunicorn', 'packaging']);
  await init(mysite, [
    '--app',
    'mysite',
    '--mode',
    'python-package',
    '--domain',
    'http://mysite.test',
    // README, "The contract with your app": gunicorn `--bind 127.0.0.1:$PORT`.
    '--web',
    'gunicorn mysite.wsgi --bind 127.0.0.1:$PORT',
    '--build-command',
    'python3 build_wheel.py',
    '--distfile',
    'dist/mysite-{version}-py3-none-any.whl',
  ]);
  // docs/deployer.example.toml: release_command "Runs in the new release on every host before the switch
  // (migrations) … with the app's environment exported and PATH starting with the release's .venv/bin".
  // README, "Security model": release_command runs as the app user, with DEPLOYER_DATA_DIR.
  // docs/deployer.example.toml: "Python mode only: a requirements file to install with the wheel, and a
  // directory of wheels to install from without reaching PyPI (--no-index)."
  // docs/deployer.example.toml: env "in dotenv syntax. $NAME references are resolved by the [secrets]
  // adapter at deploy time" (the system adapter by default: this machine's environment).
  mysite.edit(
    '# release_command = "mysite migrate"',
    [
      'release_command = "python -m django migrate --noinput && python -m django collectstatic --noinput"',
      'requirements = "requirements.txt"',
      'wheelhouse = "wheels"',
      'env = """',
      'DJANGO_SETTINGS_MODULE=mysite.settings',
      'SECRET_KEY=$MYSITE_SECRET_KEY',
      'ALLOWED_HOSTS=mysite.test',
      'SITE_MOTTO=first motto',
      '"""',
    ].join('\n'),
  );
  // README, "Zero downtime", step 2: the gate answers `health_check.path` on the instance's own port.
  mysite.edit('# path = "/healthz"', 'path = "/healthz"');
  // docs/deployer.example.toml: [webserver.statics] "URL path prefix = directory relative to the release,
  // served by Caddy directly" (collectstatic writes STATIC_ROOT = <release>/static).
  writeFileSync(join(mysite.dir, 'deployer.toml'), mysite.config() + '\n[webserver.statics]\n"/static" = "static"\n');

  const r = await mysite.cli(['deploy']);
  deployedOk(r, 'http://mysite.test');
  assert.equal(await djangoPage(), '200 Hello from mysite 1.0.0, first motto');
  assert.equal(await page('mysite.test', '/static/notes/site.css'), '200 body { color: teal; }');
  // ALLOWED_HOSTS names only the site's domain: Django itself refuses another Host.
  const other = await host.ssh(`for p in 8000 8001; do python3 -c '${STATUS_OF}' "$p"; done`, { user: 'root' });
  assert.match(other.stdout, /^400$/m);
  // The database is in the data dir, not in the release.
  const db = await host.ssh('ls /srv/deployer/mysite/data/', { user: 'root' });
  assert.match(db.stdout, /^db\.sqlite3$/m);
});

test('Django: a code change (a view, a static file, a new migration) deploys, data kept', async () => {
  editFile(join(mysite.dir, 'pyproject.toml'), 'version = "1.0.0"', 'version = "2.0.0"');
  editFile(join(mysite.dir, 'src', 'notes', 'views.py'), 'GREETING = "Hello"', 'GREETING = "Hi"');
  writeFileSync(join(mysite.dir, 'src', 'notes', 'static', 'notes', 'site.css'), 'body { color: navy; }\n');
  editFile(
    join(mysite.dir, 'src', 'notes', 'models.py'),
    'auto_now_add=True)',
    'auto_now_add=True)\n    path = models.CharField(max_length=200, null=True)',
  );
  writeFileSync(
    join(mysite.dir, 'src', 'notes', 'migrations', '0002_visit_path.py'),
    [
      'from django.db import migrations, models',
      '',
      '',
      'class Migration(migrations.Migration):',
      '    dependencies = [("notes", "0001_initial")]',
      '    operations = [',
      '        migrations.AddField(model_name="visit", name="path", field=models.CharField(max_length=200, null=True)),',
      '    ]',
      '',
    ].join('\n'),
  );
  const r = await mysite.cli(['deploy']);
  deployedOk(r, 'http://mysite.test');
  assert.equal(await djangoPage(), '200 Hi from mysite 2.0.0, first motto');
  assert.equal(await page('mysite.test', '/static/notes/site.css'), '200 body { color: navy; }');
});

test('Django: redeploy with an env change serves the new env, data kept', async () => {
  mysite.edit('SITE_MOTTO=first motto', 'SITE_MOTTO=second motto');
  const r = await mysite.cli(['redeploy']);
  deployedOk(r, 'http://mysite.test');
  assert.equal(await djangoPage(), '200 Hi from mysite 2.0.0, second motto');
});

test('Django: rollback brings back the previous env, then --to 1.0.0 its code and statics, data kept', async () => {
  let r = await mysite.cli(['rollback']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await djangoPage(), '200 Hi from mysite 2.0.0, first motto');
  r = await mysite.cli(['rollback', '--to', '1.0.0']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await djangoPage(), '200 Hello from mysite 1.0.0, first motto');
  assert.equal(await page('mysite.test', '/static/notes/site.css'), '200 body { color: teal; }');
});

// ---------------------------------------------------------------- uvicorn

let asgi: App;

test('uvicorn: init, the README edits, deploy: --port $PORT as a word of its own, deps from the wheelhouse', async () => {
  asgi = makeApp('hello-asgi', 'hello-asgi');
  copyFileSync(join(repoRoot, 'examples', 'python-app', 'build_wheel.py'), join(asgi.dir, 'build_wheel.py'));
  wheelhouse(asgi, ['uvicorn', 'h11', 'click']);
  await init(asgi, [
    '--app',
    'hello-asgi',
    '--mode',
    'python-package',
    '--domain',
    'http://asgi.test',
    // README, "The contract with your app": uvicorn `--host 127.0.0.1 --port $PORT`.
    '--web',
    'uvicorn hello_asgi:app --host 127.0.0.1 --port $PORT',
    '--build-command',
    'python3 build_wheel.py',
    '--distfile',
    'dist/hello_asgi-{version}-py3-none-any.whl',
  ]);
  // docs/deployer.example.toml: "a directory of wheels to install from without reaching PyPI (--no-index)"
  // (no requirements file: the app's wheel names uvicorn). And its env, as above.
  asgi.edit('# release_command = "hello-asgi migrate"', 'wheelhouse = "wheels"\nenv = "SITE_MOTTO=first motto"');
  // README, "Zero downtime": upstream 127.0.0.1:8000 takes 8000 … 8000+2R-1, "keep those 2R ports free":
  // Django has 8000 and 8001 on this host.
  asgi.edit('upstream = "127.0.0.1:8000"', 'upstream = "127.0.0.1:8100"');
  const r = await asgi.cli(['deploy']);
  deployedOk(r, 'http://asgi.test');
  assert.equal(await page('asgi.test'), '200 Hello from hello-asgi 1.0.0, first motto');
});

test('uvicorn: a code change, an env change, a rollback', async () => {
  editFile(join(asgi.dir, 'pyproject.toml'), 'version = "1.0.0"', 'version = "2.0.0"');
  editFile(join(asgi.dir, 'src', 'hello_asgi', '__init__.py'), 'GREETING = "Hello"', 'GREETING = "Hi"');
  let r = await asgi.cli(['deploy']);
  deployedOk(r, 'http://asgi.test');
  assert.equal(await page('asgi.test'), '200 Hi from hello-asgi 2.0.0, first motto');
  asgi.edit('SITE_MOTTO=first motto', 'SITE_MOTTO=second motto');
  r = await asgi.cli(['redeploy']);
  deployedOk(r, 'http://asgi.test');
  assert.equal(await page('asgi.test'), '200 Hi from hello-asgi 2.0.0, second motto');
  r = await asgi.cli(['rollback']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await page('asgi.test'), '200 Hi from hello-asgi 2.0.0, first motto');
  r = await asgi.cli(['rollback', '--to', '1.0.0']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await page('asgi.test'), '200 Hello from hello-asgi 1.0.0, first motto');
});

// ---------------------------------------------------------------- busybox httpd

let bb: App;

/** The page is a CGI script busybox runs; it prints the env and the version of the busybox that serves it. */
const CGI = [
  '#!/bin/sh',
  "printf 'Content-Type: text/plain\\r\\n\\r\\n'",
  'echo "motto=$SITE_MOTTO"',
  '"$(readlink "/proc/$PPID/exe")" 2>&1 | head -n 1 | cut -d " " -f 1,2',
].join('\n');

function vendor(version: string): void {
  mkdirSync(join(bb.dir, 'vendor'), { recursive: true });
  copyFileSync(join(software, 'bin', `busybox-${version}`), join(bb.dir, 'vendor', 'busybox'));
  chmodSync(join(bb.dir, 'vendor', 'busybox'), 0o755);
}

test('busybox httpd: init --mode binary, deploy: -p 127.0.0.1:$PORT inside a word, docroot in the data dir', async () => {
  bb = makeApp('bb');
  vendor('1.35.0');
  writeFileSync(join(bb.dir, 'index.cgi'), CGI + '\n');
  await init(bb, [
    '--app',
    'bb',
    '--mode',
    'binary',
    '--domain',
    'http://bb.test',
    // README, "The contract with your app": listen on 127.0.0.1:$PORT. docs/deployer.example.toml:
    // web = "busybox httpd -f -p 127.0.0.1:8000" with distfile = "dist/busybox" runs the multi-call binary.
    // README, "Security model": the one writable place is DEPLOYER_DATA_DIR.
    '--web',
    'busybox httpd -f -p 127.0.0.1:$PORT -h $DEPLOYER_DATA_DIR/www',
    '--build-command',
    'mkdir -p dist && cp vendor/busybox dist/busybox',
    '--distfile',
    'dist/busybox',
  ]);
  // init: "# The version: taken from pyproject.toml [project].version, else `git describe`. # version = …".
  bb.edit('# version = "1.0.0"', 'version = "1.0.0"');
  // docs/deployer.example.toml: release_command runs in the new release before the switch, with the app's
  // environment; "Several lines are run as one bash script". It installs the site into the data dir.
  bb.edit(
    /# release_command = .*/,
    [
      "release_command = '''",
      'mkdir -p "$DEPLOYER_DATA_DIR/www/cgi-bin"',
      'cat > "$DEPLOYER_DATA_DIR/www/cgi-bin/index.cgi" <<\'CGI\'',
      CGI,
      'CGI',
      'chmod 755 "$DEPLOYER_DATA_DIR/www/cgi-bin/index.cgi"',
      'echo "a static file" > "$DEPLOYER_DATA_DIR/www/hello.txt"',
      "'''",
      'env = "SITE_MOTTO=first motto"',
    ].join('\n'),
  );
  // README, "Zero downtime": "keep those 2R ports free" (8000-8001 Django, 8100-8101 uvicorn).
  bb.edit('upstream = "127.0.0.1:8000"', 'upstream = "127.0.0.1:8200"');
  const r = await bb.cli(['deploy']);
  deployedOk(r, 'http://bb.test');
  assert.equal(await page('bb.test'), '200 motto=first motto\nBusyBox v1.35.0');
  assert.equal(await page('bb.test', '/hello.txt'), '200 a static file');
});

test('busybox httpd: a code change (Debian 13 busybox), an env change, a rollback', async () => {
  vendor('1.37.0');
  bb.edit('version = "1.0.0"', 'version = "2.0.0"');
  let r = await bb.cli(['deploy']);
  deployedOk(r, 'http://bb.test');
  assert.equal(await page('bb.test'), '200 motto=first motto\nBusyBox v1.37.0');
  bb.edit('SITE_MOTTO=first motto', 'SITE_MOTTO=second motto');
  r = await bb.cli(['redeploy']);
  deployedOk(r, 'http://bb.test');
  assert.equal(await page('bb.test'), '200 motto=second motto\nBusyBox v1.37.0');
  r = await bb.cli(['rollback']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await page('bb.test'), '200 motto=first motto\nBusyBox v1.37.0');
  r = await bb.cli(['rollback', '--to', '1.0.0']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await page('bb.test'), '200 motto=first motto\nBusyBox v1.35.0');
});

test('the secret never appears in any output', () => {
  assert.ok(outputs.length > 10);
  for (const o of outputs) assert.ok(!o.includes(SECRET), 'an output leaks SECRET_KEY');
});
