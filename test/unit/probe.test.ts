// The probe's env hashes (for `plan`): the probe script runs in a real local
// bash against an .appenv written the way deploy writes it, and the hashes it
// reports must equal the ones plan computes locally from the .env text, with
// no value ever printed. parseProbeOutput still reads output without them.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashEnvValues } from '../../src/deploy/plan.js';
import { sha256 } from '../../src/plan/deploy.js';
import { layoutFor } from '../../src/plan/layout.js';
import { IDENTITY_FILE, identityText } from '../../src/plan/ownership.js';
import { parseProbeOutput, renderProbeScript } from '../../src/plan/probe.js';
import { formatAppEnv, formatEnvFile } from '../../src/secrets/index.js';

function probe(appsDir: string, env?: NodeJS.ProcessEnv): { code: number | null; stdout: string; stderr: string } {
  const script = renderProbeScript(
    {
      layout: layoutFor({ appsDir, appName: 'app' }),
      appName: 'app',
      identity: { app: 'app', appsDir },
      lockWait: 0,
      holder: 'test',
      lock: false,
      create: false,
    },
    join(appsDir, 'site.caddy'),
  );
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

test('parseProbeOutput keeps well-formed @@envhash lines only', () => {
  const good = 'a'.repeat(64);
  const s = parseProbeOutput(`@@envhash API_TOKEN ${good}\n@@envhash bad-key ${good}\n@@envhash SHORT abc\n@@envhash NOSUM\n@@end\n`);
  assert.deepEqual(s.envHashes, { API_TOKEN: good });
});

test('the probe hashes the live .appenv values on the host exactly as plan hashes the .env, printing no value', () => {
  const appsDir = mkdtempSync(join(tmpdir(), 'deployer-probe-'));
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
  const root = mkdtempSync(join(tmpdir(), 'deployer-probe-'));
  const appsDir = join(root, 'apps');
  writeFileSync(join(root, 'marker'), '');
  const r = spawnSync('bash', ['-s'], {
    input: renderProbeScript(
      {
        layout: layoutFor({ appsDir, appName: 'app' }),
        appName: 'app',
        identity: { app: 'app', appsDir },
        lockWait: 0,
        holder: 'test',
        lock: false,
        create: false,
      },
      join(root, 'site.caddy'),
    ),
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
  const appsDir = mkdtempSync(join(tmpdir(), 'deployer-probe-'));
  const appDir = join(appsDir, 'app');
  mkdirSync(join(appDir, 'v1.0.0', '.deployer'), { recursive: true });
  writeFileSync(join(appDir, IDENTITY_FILE), identityText({ app: 'app', appsDir }) + '\n');
  symlinkSync('v1.0.0', join(appDir, 'current'));
  const meta = join(appDir, 'v1.0.0', '.deployer');
  writeFileSync(join(meta, 'instances'), 'restart app-worker.service\nstart app-tick.timer\n');
  writeFileSync(join(meta, 'web-instances'), 'restart app-web@8002.service\nrestart app-web@8003.service\n');
  // systemctl as the host would answer (one line per unit, in order): only app-web@8003 and app-tick.timer are active.
  const bin = join(appsDir, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'systemctl'),
    '#!/bin/bash\n[ "$1" = is-active ] || exit 0\nshift; [ "$1" = -- ] && shift\nfor u; do case $u in app-web@8003.service|app-tick.timer) echo active ;; app-worker.service) echo failed ;; *) echo inactive ;; esac; done\nexit 3\n',
  );
  chmodSync(join(bin, 'systemctl'), 0o755);
  const r = probe(appsDir, { ...process.env, PATH: `${bin}:${process.env.PATH}` });
  assert.equal(r.code, 0, r.stderr);
  const state = parseProbeOutput(r.stdout);
  assert.equal(state.ended, true);
  assert.deepEqual(state.inactive, ['app-worker.service', 'app-web@8002.service']);
});

test("the probe sends each file's text exactly (backslashes, CRs, trailing newlines, spaces), with no process per file", () => {
  const appsDir = mkdtempSync(join(tmpdir(), 'deployer-probe-'));
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
