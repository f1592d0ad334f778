// Install by name, as a user does: `npm pack` the package, install the tarball
// into an empty prefix (its dependencies from the local npm cache, the
// registry only for what the cache lacks), and run that `deployer` from a
// project directory outside the repository against a real test host. The
// templates and everything else must come from the installed package, not
// from this checkout.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { appToml, createProject, repoRoot, type Project } from '../helpers/project.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
let host: TestHost;
let app: Project;
let work: string;
let prefix: string;
let bin: string;
let packed: string[] = [];
const SITE = 'hello-installed.localhost';

const base = appToml({ app: 'hello-installed', settings: { strategy: 'restart' }, site: SITE, timeout: 15 });

before(async () => {
  work = tempDir('deployer-install-');
  prefix = join(work, 'prefix');
  const bootHost = startHost();
  bootHost.catch(() => undefined);
  // dist/ is already built by the test command (`npm run build` first); skip the prepack build.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: repoRoot,
    maxBuffer: 64 << 20,
  });
  const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packed = info.files.map((f) => f.path);
  await run(
    'npm',
    ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--omit=dev', join(work, info.filename)],
    {
      cwd: work,
      maxBuffer: 64 << 20,
      timeout: 180_000,
    },
  );
  bin = join(prefix, 'bin', 'deployer');
  host = await bootHost;
  app = createProject('binary-app', [host], base);
});
after(async () => {
  app?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
  await host?.down();
});

test('the tarball is deployer-cli with what a user needs and nothing of the repository besides', () => {
  for (const f of [
    'package.json',
    'LICENSE',
    'README.md',
    'dist/cli/cli.js',
    'templates/web.service.hbs',
    'templates/caddy.site.hbs',
    'docs/deployer.example.toml',
  ]) {
    assert.ok(packed.includes(f), `${f} is in the tarball`);
  }
  assert.deepEqual(
    packed.filter((f) => /^(test|src|bench|examples|scripts|docker|node_modules)\//.test(f) || f.startsWith('dist/test/')),
    [],
  );
  const installed = join(prefix, 'lib', 'node_modules', 'deployer-cli');
  assert.equal(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).name, 'deployer-cli');
  assert.ok(existsSync(bin), 'the command is installed as deployer');
  assert.deepEqual(readdirSync(join(prefix, 'bin')), ['deployer']);
});

// Start-up time itself is a benchmark figure (npm run bench, docs/benchmarks.md),
// never a timed test: what is checked here is why it is fast, that --help
// opens none of the heavy modules a deploy needs (they are imported lazily).
const hasStrace = (() => {
  try {
    return execFileSync('strace', ['-V'], { stdio: 'ignore' }) !== undefined;
  } catch {
    return false;
  }
})();
test(
  'the installed deployer --help opens none of the modules only a command needs',
  { skip: hasStrace ? false : 'strace is not installed' },
  async () => {
    const { stdout, stderr } = await run('strace', ['-f', '-e', 'trace=openat,open', bin, '--help'], {
      cwd: work,
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.match(stdout, /deploy/);
    const opened = [...stderr.matchAll(/open(?:at)?\(.*?"([^"]+)"/g)].map((m) => m[1]).filter((f) => f.includes('/node_modules/'));
    // The CLI is bundled (scripts/bundle.mjs): a package is either a file of
    // its own in node_modules (ssh2, handlebars' runtime) or inside one of the
    // bundle's files in dist/cli/, which names each module it holds in a
    // `// node_modules/<package>/…` comment (or imports it, for ssh2).
    const bundleDir = join(prefix, 'lib', 'node_modules', 'deployer-cli', 'dist', 'cli');
    const holds = (file: string, pkg: string) => {
      const text = readFileSync(file, 'utf8');
      return text.includes(`// node_modules/${pkg}/`) || text.includes(`from "${pkg}"`) || text.includes(`import("${pkg}")`);
    };
    // (Node also looks for a package.json in each dir of the bundle: opened, not there.)
    const openedBundle = opened.filter((f) => f.startsWith(bundleDir + '/') && f.endsWith('.js'));
    // The detection works: commander, which --help needs, is seen.
    assert.ok(
      openedBundle.some((f) => holds(f, 'commander')),
      opened.join('\n'),
    );
    for (const heavy of ['ssh2', 'handlebars', 'execa', '@inquirer', 'log-update', 'smol-toml']) {
      assert.ok(
        readdirSync(bundleDir).some((f) => holds(join(bundleDir, f), heavy)) || heavy === 'handlebars',
        `the bundle holds or imports ${heavy}`,
      );
      assert.deepEqual(
        opened.filter((f) => f.includes(`/node_modules/${heavy}/`) && !f.startsWith(bundleDir + '/')),
        [],
        `--help opened ${heavy}`,
      );
      assert.deepEqual(
        openedBundle.filter((f) => holds(f, heavy)),
        [],
        `--help opened the bundle file with ${heavy}`,
      );
    }
  },
);

test('the installed deployer deploys from a directory outside the repository (templates from the package)', async () => {
  assert.ok(!app.dir.startsWith(repoRoot), app.dir);
  const env = { PATH: `${join(prefix, 'bin')}:${process.env.PATH}`, HOME: process.env.HOME, LANG: 'C.UTF-8' };
  const r = await run('deployer', ['deploy', '--yes'], { cwd: app.dir, env, timeout: 240_000 }).then(
    (x) => ({ code: 0, ...x }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const unit = await host.ssh('cat /etc/systemd/system/hello-installed-web.service', { user: 'root' });
  assert.match(unit.stdout, /ExecStart=/);
  const res = await httpGet(host.httpPort, '/', SITE);
  assert.equal(`${res.status} ${res.body.trim()}`, '200 hello-bin 1.0.0');
});
