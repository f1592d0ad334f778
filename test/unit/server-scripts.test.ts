// `deployer server …` planned. The bootstrap script runs in a real local
// bash against temp paths with stub dpkg-query/apt-get/systemctl/caddy/sudo:
// the first run changes what is missing, the second changes nothing and never
// calls apt-get. create-user's script needs a real host (see the e2e test);
// here its inputs are checked.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { caddyImportPattern, renderBootstrapScript } from '../../src/server/bootstrap.js';
import { checkUserName, renderCreateUserScript, sudoersContent, sudoersPath } from '../../src/server/createUser.js';
import { parseServerOutput } from '../../src/server/prelude.js';
import { stubHost, type StubHost } from '../helpers/stubHost.js';

interface Fake {
  dir: string;
  host: StubHost;
  log: string;
  caddyfile: string;
  sites: string;
  apps: string;
}

function fakeHost(installed: string[], caddyfile: string): Fake {
  const host = stubHost();
  const { dir, logFile: log } = host;
  const stub = host.stub;
  writeFileSync(join(dir, 'installed'), installed.map((p) => p + '\n').join(''));
  writeFileSync(log, '');
  stub('dpkg-query', `p=\${@: -1}\ngrep -qxF -- "$p" ${dir}/installed && printf 'install ok installed' || exit 1`);
  stub(
    'apt-get',
    `echo "apt-get $*" >> ${log}\nif [ "$1" = install ] || [ "$4" = install ]; then for a in "$@"; do case $a in -*|install) ;; *) echo "$a" >> ${dir}/installed ;; esac; done; fi`,
  );
  stub(
    'systemctl',
    `echo "systemctl $*" >> ${log}\ncase "$1 $2" in "is-enabled --quiet") [ -e ${dir}/enabled ] ;; "is-active --quiet") [ -e ${dir}/active ] ;; "enable --quiet") touch ${dir}/enabled ;; "start caddy") touch ${dir}/active ;; esac`,
  );
  stub(
    'caddy',
    `echo "caddy $*" >> ${log}\n! grep -q BROKEN "\${@: -1}" || { echo 'Error: adapting config: BROKEN directive' >&2; exit 1; }`,
  );
  const file = join(dir, 'Caddyfile');
  writeFileSync(file, caddyfile);
  // The kernel's tcp_migrate_req as a fresh host has it.
  writeFileSync(join(dir, 'migrate_req'), '0\n');
  return { dir, host, log, caddyfile: file, sites: join(dir, 'sites'), apps: join(dir, 'srv', 'apps') };
}

function bootstrap(f: Fake, proc = join(f.dir, 'migrate_req')) {
  const script = renderBootstrapScript({
    appsDir: f.apps,
    sitesDir: f.sites,
    caddyfile: f.caddyfile,
    sysctlFile: join(f.dir, 'sysctl.conf'),
    migrateReqProc: proc,
  });
  const r = f.host.run(script);
  return { code: r.code, stderr: r.stderr, report: parseServerOutput(r.stdout) };
}

test('bootstrap changes only what is missing, and a second run changes nothing (no apt-get)', () => {
  const f = fakeHost(['python3-venv', 'sudo'], ':80 {\n\trespond "hi"\n}');
  const first = bootstrap(f);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.report.error, undefined);
  assert.deepEqual(first.report.changed, [
    'installed caddy',
    `created ${f.sites}`,
    `added 'import ${f.sites}/*.caddy' to ${f.caddyfile}`,
    'enabled caddy',
    'started caddy',
    `wrote net.ipv4.tcp_migrate_req = 1 to ${join(f.dir, 'sysctl.conf')}`,
    'set net.ipv4.tcp_migrate_req = 1',
    `created ${f.apps} (owned by ${spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim()})`,
  ]);
  // The user's site is kept, the import appended on its own line.
  assert.equal(
    readFileSync(f.caddyfile, 'utf8'),
    `:80 {\n\trespond "hi"\n}\n# Added by deployer server bootstrap: one site file per app and stage.\nimport ${f.sites}/*.caddy\n`,
  );
  assert.equal(existsSync(`${f.caddyfile}.deployer-tmp`), false);
  // Caddy's reloads hand queued connections to the new listener: kept for the next boot, applied now.
  assert.match(readFileSync(join(f.dir, 'sysctl.conf'), 'utf8'), /^net\.ipv4\.tcp_migrate_req = 1$/m);
  assert.equal(readFileSync(join(f.dir, 'migrate_req'), 'utf8'), '1\n');
  const calls = readFileSync(f.log, 'utf8');
  assert.match(calls, /^apt-get update -q$/m);
  assert.match(calls, /^apt-get install -y -q --no-install-recommends caddy$/m);
  assert.match(calls, new RegExp(`^caddy validate --adapter caddyfile --config ${f.caddyfile}\\.deployer-tmp$`, 'm'));

  writeFileSync(f.log, '');
  const second = bootstrap(f);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(second.report.changed, []);
  assert.equal(second.report.unchanged.length, 8);
  assert.doesNotMatch(readFileSync(f.log, 'utf8'), /apt-get|caddy validate|reload/);
});

test('bootstrap reloads a running caddy after adding the import line', () => {
  const f = fakeHost(['python3-venv', 'sudo', 'caddy'], '');
  writeFileSync(join(f.dir, 'enabled'), '');
  writeFileSync(join(f.dir, 'active'), '');
  const r = bootstrap(f);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.report.changed.includes('reloaded caddy'), r.report.changed.join('; '));
  assert.match(readFileSync(f.log, 'utf8'), /^systemctl reload caddy$/m);
  assert.equal(
    readFileSync(f.caddyfile, 'utf8'),
    `# Added by deployer server bootstrap: one site file per app and stage.\nimport ${f.sites}/*.caddy\n`,
  );
});

test('bootstrap goes on, saying what it means, where tcp_migrate_req is missing (old kernel) or read-only (a container)', () => {
  const f = fakeHost(['python3-venv', 'sudo', 'caddy'], '');
  const old = bootstrap(f, join(f.dir, 'no-such-proc-file'));
  assert.equal(old.code, 0, old.stderr);
  assert.ok(
    old.report.unchanged.some((l) => /has no net\.ipv4\.tcp_migrate_req \(Linux 5\.14\+\)/.test(l)),
    old.report.unchanged.join('\n'),
  );
  assert.equal(existsSync(join(f.dir, 'sysctl.conf')), false);
  // A path nothing can be written to, as /proc/sys is in a container.
  mkdirSync(join(f.dir, 'readonly'));
  const ro = bootstrap(f, join(f.dir, 'readonly'));
  assert.equal(ro.code, 0, ro.stderr);
  assert.ok(
    ro.report.unchanged.some((l) => /cannot be set from inside this host .*docker run --sysctl net\.ipv4\.tcp_migrate_req=1/.test(l)),
    ro.report.unchanged.join('\n'),
  );
});

test('a Caddyfile Caddy rejects is left exactly as it was', () => {
  const before = 'BROKEN {\n}\n';
  const f = fakeHost(['python3-venv', 'sudo', 'caddy'], before);
  const r = bootstrap(f);
  assert.equal(r.code, 1);
  assert.match(r.report.error ?? '', /Caddy rejects .*Caddyfile with the import line added/);
  assert.match(r.stderr, /BROKEN directive/);
  assert.equal(readFileSync(f.caddyfile, 'utf8'), before);
  assert.equal(existsSync(`${f.caddyfile}.deployer-tmp`), false);
});

test('the import line is recognised like the deploy probe does, not in a comment or another glob', () => {
  const re = caddyImportPattern('/etc/caddy/sites');
  const grep = (text: string) => spawnSync('grep', ['-qE', '--', re], { input: text }).status === 0;
  assert.equal(grep('import /etc/caddy/sites/*.caddy\n'), true);
  assert.equal(grep('  import\t/etc/caddy/sites/*.caddy  \n'), true);
  assert.equal(grep('# import /etc/caddy/sites/*.caddy\n'), false);
  assert.equal(grep('import /etc/caddy/sites/*.caddyfile\n'), false);
  assert.equal(grep('import /etc/caddy/sitesX*.caddy\n'), false);
});

test('create-user: names checked before anything runs; sudoers file has no dot in its name', () => {
  for (const bad of ['Deploy', '1abc', 'a.b', 'a b', '', 'x'.repeat(33), "a'b", 'root']) {
    assert.throws(() => checkUserName(bad), ConfigError, bad);
    assert.throws(() => renderCreateUserScript(bad), ConfigError, bad);
  }
  assert.equal(checkUserName('ci-bot_2'), 'ci-bot_2');
  assert.equal(sudoersPath('ci-bot'), '/etc/sudoers.d/90-deployer-ci-bot');
  assert.equal(
    sudoersContent('ci-bot'),
    '# Written by deployer server create-user: passwordless sudo for ci-bot.\nci-bot ALL=(ALL) NOPASSWD:ALL\n',
  );
  const script = renderCreateUserScript('ci-bot');
  assert.match(script, /visudo -cqf "\$sudoers\.deployer-tmp"/);
  const syntax = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  assert.equal(syntax.status, 0, syntax.stderr);
});

test('server markers: changes, unchanged, failure, end', () => {
  assert.deepEqual(parseServerOutput('noise\n@@ok a\n@@changed b c\n@@fail d\n'), {
    changed: ['b c'],
    unchanged: ['a'],
    error: 'd',
    ended: false,
  });
  assert.equal(parseServerOutput('@@end\n').ended, true);
});
