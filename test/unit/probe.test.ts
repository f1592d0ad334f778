// The probe's env hashes (for `plan`): the probe script runs in a real local
// bash against an .appenv written the way deploy writes it, and the hashes it
// reports must equal the ones plan computes locally from the .env text, with
// no value ever printed. parseProbeOutput still reads output without them.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashEnvValues } from '../../src/deploy/planFlow.js';
import { sha256 } from '../../src/plan/planDeploy.js';
import { layoutFor } from '../../src/plan/layout.js';
import { IDENTITY_FILE, identityText } from '../../src/plan/ownership.js';
import { findPortClash, otherClaims } from '../../src/plan/ports.js';
import { probeArgs, type ProbeRequest } from '../../src/plan/probeRequest.js';
import { parseProbeOutput, renderProbeScript as renderProbeArgs } from '../../src/remote/probe.js';
import type { Config } from '../../src/config/types.js';
import { makeConfig } from './render-helpers.js';
import { formatAppEnv, formatEnvFile } from '../../src/secrets/index.js';
import { tempDir } from '../helpers/tmp.js';
import { stubHost } from '../helpers/stubHost.js';

const renderProbeScript = (req: ProbeRequest, site?: string) => renderProbeArgs(probeArgs(req, site));

/** A read-only probe (no lock, nothing created) of the app `app` in appsDir. */
const readOnly = (appsDir: string): ProbeRequest => ({
  layout: layoutFor({ appsDir, appName: 'app' }),
  appName: 'app',
  identity: { app: 'app', appsDir },
  lockWait: 0,
  holder: 'test',
  lock: false,
  create: false,
});

function probe(appsDir: string, env?: NodeJS.ProcessEnv): { code: number | null; stdout: string; stderr: string } {
  const script = renderProbeScript(readOnly(appsDir), join(appsDir, 'site.caddy'));
  const r = spawnSync('bash', ['-s'], { input: script, encoding: 'utf8', cwd: appsDir, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('parseProbeOutput reads output without @@envhash lines as before (envHashes empty)', () => {
  const s = parseProbeOutput('@@user deploy\n@@current 1.0.0\n@@release 1.0.0\n@@caddy-imports yes\n@@end\n');
  assert.equal(s.user, 'deploy');
  assert.equal(s.current, '1.0.0');
  assert.deepEqual(s.releases, ['1.0.0']);
  assert.deepEqual(s.envHashes, {});
  assert.equal(s.ended, true);
});

test('parseProbeOutput: @@migrate-req off says a Caddy reload resets queued connections here; no line, nothing known', () => {
  assert.equal(parseProbeOutput('@@migrate-req off\n@@end\n').reloadResetsQueued, true);
  assert.equal(parseProbeOutput('@@end\n').reloadResetsQueued, undefined);
});

test('parseProbeOutput keeps well-formed @@envhash lines only', () => {
  const good = 'a'.repeat(64);
  const s = parseProbeOutput(`@@envhash API_TOKEN ${good}\n@@envhash bad-key ${good}\n@@envhash SHORT abc\n@@envhash NOSUM\n@@end\n`);
  assert.deepEqual(s.envHashes, { API_TOKEN: good });
});

test('the probe hashes the live .appenv values on the host exactly as plan hashes the .env, printing no value', () => {
  const appsDir = tempDir('deployer-probe-');
  const appDir = join(appsDir, 'app');
  mkdirSync(appDir);
  writeFileSync(join(appDir, IDENTITY_FILE), identityText({ app: 'app', appsDir }) + '\n');
  const entries = [
    { key: 'PLAIN', value: 'word' },
    { key: 'MULTI', value: 'first line\nexport EVIL=injected\nlast' },
    { key: 'QUOTES', value: `it's "quoted" $(touch pwned) *` },
    { key: 'SPACES', value: '  two  spaces  ' },
    { key: 'EMPTY', value: '' },
    { key: 'PATH', value: '/opt/bin:/usr/bin' },
  ];
  const envText = formatEnvFile(entries);
  writeFileSync(join(appDir, '.appenv'), formatAppEnv(entries, [join(appDir, 'current')]), { mode: 0o600 });
  const r = probe(appsDir);
  assert.equal(r.code, 0, r.stderr);
  const state = parseProbeOutput(r.stdout);
  assert.equal(state.ended, true);
  const expected = Object.fromEntries(entries.map((e) => [e.key, sha256(e.value)]));
  assert.deepEqual(state.envHashes, expected);
  assert.deepEqual(hashEnvValues(envText), expected);
  for (const e of entries.filter((x) => x.value.length >= 4)) assert.ok(!r.stdout.includes(e.value), `value of ${e.key} printed`);
  assert.ok(!r.stdout.includes('EVIL'), 'a line inside a value is not read as a key');
  assert.equal(existsSync(join(appsDir, 'pwned')) || existsSync(join(appDir, 'pwned')), false);
});

test('a read-only probe of an app that was never deployed creates nothing', () => {
  const root = tempDir('deployer-probe-');
  const appsDir = join(root, 'apps');
  writeFileSync(join(root, 'marker'), '');
  const r = spawnSync('bash', ['-s'], {
    input: renderProbeScript(readOnly(appsDir), join(root, 'site.caddy')),
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const state = parseProbeOutput(r.stdout);
  assert.equal(state.ended, true);
  assert.deepEqual(state.envHashes, {});
  assert.equal(existsSync(appsDir), false);
});

test("the probe reports the live slot's stopped web instances (web-instances) beside the release's other services", () => {
  // A stopped or failed blue-green web instance must make a redeploy of the
  // live version a real deploy, not "nothing to do": its units are listed in
  // .deployer/web-instances, not in .deployer/instances.
  const appsDir = tempDir('deployer-probe-');
  const appDir = join(appsDir, 'app');
  mkdirSync(join(appDir, 'v1.0.0', '.deployer'), { recursive: true });
  writeFileSync(join(appDir, IDENTITY_FILE), identityText({ app: 'app', appsDir }) + '\n');
  symlinkSync('v1.0.0', join(appDir, 'current'));
  const meta = join(appDir, 'v1.0.0', '.deployer');
  writeFileSync(join(meta, 'instances'), 'restart app-worker.service\nstart app-tick.timer\n');
  writeFileSync(join(meta, 'web-instances'), 'restart app-web@8002.service\nrestart app-web@8003.service\n');
  // systemctl as the host would answer (one line per unit, in order): only app-web@8003 and app-tick.timer are active.
  const host = stubHost({ defaultState: 'inactive' });
  for (const unit of ['app-web@8003.service', 'app-tick.timer']) host.setUnit(unit, { ActiveState: 'active' });
  host.setUnit('app-worker.service', { ActiveState: 'failed' });
  const r = probe(appsDir, host.env);
  assert.equal(r.code, 0, r.stderr);
  const state = parseProbeOutput(r.stdout);
  assert.equal(state.ended, true);
  assert.deepEqual(state.inactive, ['app-worker.service', 'app-web@8002.service']);
});

test("the probe sends each file's text exactly (backslashes, CRs, trailing newlines, spaces), with no process per file", () => {
  const appsDir = tempDir('deployer-probe-');
  const appDir = join(appsDir, 'app');
  const meta = join(appDir, 'v1.0.0', '.deployer');
  mkdirSync(join(meta, 'units'), { recursive: true });
  writeFileSync(join(appDir, IDENTITY_FILE), identityText({ app: 'app', appsDir }) + '\n');
  const tricky = 'ExecStart=/bin/sh -c "echo \\\\n \\\\\\\\ done"\r\nliteral \\n and \\r and \\\\\n  ünïcode ✓ \n\n\n';
  writeFileSync(join(meta, 'units', 'app-web.service'), tricky);
  writeFileSync(join(meta, 'caddy.site'), 'http://x {\n\treverse_proxy 127.0.0.1:8000\n}\r');
  writeFileSync(join(meta, 'instances'), '');
  writeFileSync(join(appDir, '.versions'), '# version\tstatus\n1.0.0\tgood\n');
  writeFileSync(join(appsDir, 'site.caddy'), 'x \\ y\n');
  const r = probe(appsDir);
  assert.equal(r.code, 0, r.stderr);
  const state = parseProbeOutput(r.stdout);
  const files = state.releaseSwitch?.['1.0.0'];
  assert.equal(files?.units['app-web.service'], tricky);
  assert.equal(files?.caddySite, 'http://x {\n\treverse_proxy 127.0.0.1:8000\n}\r');
  assert.equal(files?.instances, '');
  assert.equal(state.caddySite, 'x \\ y\n');
  assert.deepEqual(
    state.versions.map((v) => v.version),
    ['1.0.0'],
  );
});

test('the probe lists every deployer web unit on the host with its ports record, and for older ones what shows their ports (findPortClash reads it)', () => {
  const root = tempDir('deployer-ports-');
  const appsDir = join(root, 'apps');
  const units = join(root, 'units');
  const sites = join(root, 'sites');
  mkdirSync(join(units, 'multi-user.target.wants'), { recursive: true });
  mkdirSync(sites);
  const owner = (app: string, stage = '', dir = appsDir) => `# deployer-owner: app=${app} stage=${stage} apps_dir=${dir}`;
  // Recorded (this deployer): production of shop, on 8000-8001.
  writeFileSync(
    join(units, 'shop-web@.service'),
    `# deployer-app: shop\n${owner('shop')}\n# deployer-ports: 8000-8001\n[Service]\nWorkingDirectory=${appsDir}/shop/.web/%i\nEnvironment=PORT=%i\n`,
  );
  // An older deployer's blue-green app in another apps_dir, live in slot b on 9001.
  const old = join(root, 'opt', 'blog');
  mkdirSync(join(old, '.web'), { recursive: true });
  writeFileSync(join(old, '.web', 'live'), 'b\n');
  symlinkSync('../v1', join(old, '.web', '9001'));
  symlinkSync('../v1', join(old, '.web', '9001.next'));
  writeFileSync(
    join(units, 'blog-web@.service'),
    `# deployer-app: blog\n${owner('blog', '', join(root, 'opt'))}\n[Service]\nWorkingDirectory=${old}/.web/%i\nEnvironment=PORT=%i\n`,
  );
  symlinkSync(join(units, 'blog-web@.service'), join(units, 'multi-user.target.wants', 'blog-web@9001.service'));
  writeFileSync(join(sites, 'blog.caddy'), `${owner('blog')}\n:80 {\n\treverse_proxy "127.0.0.1:9001" {\n\t\tlb_try_duration 5s\n\t}\n}\n`);
  // An older restart app on one port; a hand-made unit (no marker); a worker (not a web unit).
  writeFileSync(join(units, 'wiki-web.service'), `# deployer-app: wiki\n[Service]\nEnvironment=PORT=7000\n`);
  writeFileSync(join(units, 'mine-web.service'), `[Service]\nEnvironment=PORT=8001\n`);
  writeFileSync(join(units, 'shop-worker.service'), `# deployer-app: shop\n${owner('shop')}\n[Service]\n`);

  const layout = { ...layoutFor({ appsDir, appName: 'shop-staging' }), unitDir: units, caddySitesDir: sites };
  const identity = { app: 'shop', stage: 'staging', appsDir };
  const run = (input: string) => spawnSync('bash', ['-s'], { input, encoding: 'utf8', cwd: root });
  const script = renderProbeScript(
    { layout, appName: 'shop-staging', identity, lockWait: 0, holder: 'test', lock: true, create: true, createLater: true, ports: true },
    join(sites, 'shop-staging.caddy'),
  );
  // Without `create` on the channel, the missing app dir is not made (a refused deploy leaves nothing).
  const r = run(script);
  assert.equal(r.status, 0, r.stderr);
  const state = parseProbeOutput(r.stdout);
  assert.equal(state.ended, true);
  assert.equal(state.owner, 'missing');
  assert.equal(existsSync(join(appsDir, 'shop-staging')), false);
  // The hand-made unit is listed too, but it has no marker: no app claims its port.
  assert.deepEqual(Object.keys(state.webUnits ?? {}).sort(), [
    'blog-web@.service',
    'mine-web.service',
    'shop-web@.service',
    'wiki-web.service',
  ]);
  assert.deepEqual(state.webUnits!['blog-web@.service'], {
    lines: ['# deployer-app: blog', owner('blog', '', join(root, 'opt')), `WorkingDirectory=${old}/.web/%i`, 'Environment=PORT=%i'],
    enabled: [9001],
    links: [9001],
    live: 'b',
    upstreams: [9001],
  });
  assert.deepEqual(state.webUnits!['shop-web@.service'].enabled, [], 'a recorded unit needs nothing else');
  assert.deepEqual(
    otherClaims('shop-staging', state.webUnits)
      .map((c) => [c.appName, c.first, c.last, c.recorded])
      .sort(),
    [
      ['blog', 9000, 9001, false],
      ['shop', 8000, 8001, true],
      ['wiki', 7000, 7000, false],
    ],
  );
  const config = makeConfig({ app: 'shop', stage: 'staging', appName: 'shop-staging', strategy: 'blue-green', appsDir } as Partial<Config>);
  const on = (port: number) => ({ ...config, webserver: { ...config.webserver, upstream: `127.0.0.1:${port}`, port } });
  assert.deepEqual(findPortClash(on(8001), state.webUnits)?.free, { first: 8002, last: 8003 });
  assert.deepEqual(
    findPortClash(on(9001), state.webUnits)?.others.map((c) => c.appName),
    ['blog'],
  );
  assert.equal(findPortClash(on(8002), state.webUnits), undefined);

  // This app's own web unit already records the range asked for: no scan (a redeploy pays nothing for it).
  writeFileSync(join(units, 'shop-staging-web@.service'), `# deployer-app: shop-staging\n# deployer-ports: 8002-8003\n[Service]\n`);
  const probeWith = (ownPortsLine: string) =>
    parseProbeOutput(
      run(
        renderProbeScript(
          { layout, appName: 'shop-staging', identity, lockWait: 0, holder: 'test', lock: false, create: false, ports: true, ownPortsLine },
          join(sites, 'shop-staging.caddy'),
        ),
      ).stdout,
    );
  assert.deepEqual(Object.keys(probeWith('# deployer-ports: 8002-8003').webUnits ?? {}), []);
  // Another range asked for (replicas or upstream changed): the scan runs.
  assert.ok(probeWith('# deployer-ports: 8002-8005').webUnits?.['shop-web@.service']);
  rmSync(join(units, 'shop-staging-web@.service'));

  // `create` on the channel makes it, and says so.
  const created = run(`${script}create\n`);
  assert.equal(created.status, 0, created.stderr);
  assert.match(created.stdout, /^@@end\n@@owner created$/m);
  assert.equal(readFileSync(join(appsDir, 'shop-staging', IDENTITY_FILE), 'utf8'), identityText(identity) + '\n');
  // Without PORTS the probe does not look.
  const quiet = run(
    renderProbeScript({ layout, appName: 'shop-staging', identity, lockWait: 0, holder: 'test', lock: false, create: false }, ''),
  );
  assert.equal(parseProbeOutput(quiet.stdout).webUnits, undefined);
});
