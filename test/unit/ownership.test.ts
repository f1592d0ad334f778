// The ownership model run in a real local bash: the probe creates an app dir
// with its identity record, refuses a dir without one or with another's
// (creating nothing, not even the state dir), adopts a dir an earlier
// deployer made; down's removal step checks the record again. No sudo: the
// apps dirs here are writable temp dirs.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { layoutFor } from '../../src/plan/layout.js';
import { IDENTITY_FILE, identityText, legacyDescription, ownerLine, refusedAppDir, type Identity } from '../../src/plan/ownership.js';
import { probeArgs, unitMarker, type ProbeRequest } from '../../src/plan/probeRequest.js';
import { parseProbeOutput, renderProbeScript as renderProbeArgs } from '../../src/remote/probe.js';
import { renderScript } from '../../src/remote/phaseScript.js';
import { framedScript, SCRIPT_READER } from '../../src/remote/scriptFiles.js';
import { tempDir } from '../helpers/tmp.js';

const renderProbeScript = (req: ProbeRequest, site?: string) => renderProbeArgs(probeArgs(req, site));

function probe(id: Identity & { appName: string }, opts: { create: boolean; lock: boolean }) {
  const layout = layoutFor(id);
  const r = spawnSync('bash', ['-s'], {
    input: renderProbeScript(
      { layout, appName: id.appName, identity: id, lockWait: 0, holder: 'test', ...opts },
      join(id.appsDir, 'site.caddy'),
    ),
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return parseProbeOutput(r.stdout);
}
const apps = () => join(tempDir('deployer-own-'), 'apps');

test('identity record and owner line name app, stage and apps_dir', () => {
  assert.equal(identityText({ app: 'shop', stage: 'admin', appsDir: '/srv/deployer/' }), 'app=shop\nstage=admin\napps_dir=/srv/deployer');
  assert.equal(
    ownerLine({ app: 'shop-admin', appsDir: '/srv/deployer' }),
    '# deployer-owner: app=shop-admin stage= apps_dir=/srv/deployer',
  );
  assert.notEqual(
    legacyDescription({ app: 'shop', stage: 'admin', appsDir: '/x' }).slice(0, 20),
    legacyDescription({ app: 'shop-admin', appsDir: '/x' }).slice(0, 20),
  );
  const e = refusedAppDir(
    'h1',
    { app: 'shop', stage: 'admin', appName: 'shop-admin', appsDir: '/srv/deployer' },
    'app=shop-admin\nstage=\napps_dir=/srv/deployer\n',
  );
  assert.equal(e.exitCode, 4);
  assert.match(
    e.message,
    /^h1: \/srv\/deployer\/shop-admin exists and was not created by deployer for shop \(stage admin\) \(its identity record .* says app=shop-admin stage= apps_dir=\/srv\/deployer\); nothing was changed$/,
  );
});

test('deploy creates a missing app dir with its identity record; the next command finds it its own', () => {
  const appsDir = apps();
  const id = { app: 'hello', appName: 'hello', appsDir };
  const s = probe(id, { create: true, lock: true });
  assert.equal(s.owner, 'created');
  assert.equal(readFileSync(join(appsDir, 'hello', IDENTITY_FILE), 'utf8'), identityText(id) + '\n');
  assert.equal(probe(id, { create: true, lock: true }).owner, 'own');
});

test('an existing dir without a record is refused, and nothing is created beside it', () => {
  const appsDir = apps();
  mkdirSync(join(appsDir, 'someexisting'), { recursive: true });
  writeFileSync(join(appsDir, 'someexisting', 'data.db'), 'mine');
  const s = probe({ app: 'someexisting', appName: 'someexisting', appsDir }, { create: true, lock: true });
  assert.equal(s.refused, '');
  assert.equal(s.ended, false);
  assert.deepEqual(readdirSync(appsDir), ['someexisting']);
  assert.deepEqual(readdirSync(join(appsDir, 'someexisting')), ['data.db']);
});

test('a dir with another app\'s record (stage "admin" of "shop" vs the app "shop-admin") is refused', () => {
  const appsDir = apps();
  const other = { app: 'shop-admin', appName: 'shop-admin', appsDir };
  assert.equal(probe(other, { create: true, lock: true }).owner, 'created');
  for (const lock of [true, false]) {
    const s = probe({ app: 'shop', stage: 'admin', appName: 'shop-admin', appsDir }, { create: lock, lock });
    assert.equal(s.refused, identityText(other) + '\n');
  }
  assert.equal(readFileSync(join(appsDir, 'shop-admin', IDENTITY_FILE), 'utf8'), identityText(other) + '\n');
});

function legacyDir(appsDir: string, desc: string): string {
  const dir = join(appsDir, 'hello');
  mkdirSync(join(dir, 'v1.0.0', '.deployer', 'units'), { recursive: true });
  writeFileSync(join(dir, '.versions'), '1.0.0\tgood\n');
  writeFileSync(join(dir, 'v1.0.0', '.deployer', 'instances'), 'restart hello-web.service\n');
  writeFileSync(join(dir, 'v1.0.0', '.deployer', 'units', 'hello-web.service'), `${unitMarker('hello')}\n[Unit]\n${desc}web\n`);
  symlinkSync('v1.0.0', join(dir, 'current'));
  return dir;
}

test('a dir made by an earlier deployer is adopted by a command that takes the lock, not by a read-only one', () => {
  const appsDir = apps();
  const id = { app: 'hello', appName: 'hello', appsDir };
  const dir = legacyDir(appsDir, legacyDescription(id));
  assert.equal(probe(id, { create: false, lock: false }).owner, 'legacy');
  assert.equal(existsSync(join(dir, IDENTITY_FILE)), false);
  assert.equal(probe(id, { create: true, lock: true }).owner, 'adopted');
  assert.equal(readFileSync(join(dir, IDENTITY_FILE), 'utf8'), identityText(id) + '\n');
  assert.equal(probe(id, { create: true, lock: true }).owner, 'own');
});

test('an earlier deployer\'s dir of another app with the same name (units describe "hello (admin)") is not adopted', () => {
  const appsDir = apps();
  const dir = legacyDir(appsDir, legacyDescription({ app: 'hello', stage: 'admin', appsDir }));
  const s = probe({ app: 'hello', appName: 'hello', appsDir }, { create: true, lock: true });
  assert.equal(s.refused, '');
  assert.equal(existsSync(join(dir, IDENTITY_FILE)), false);
});

test("down removes the app dir only when its identity record is this app's", () => {
  const appsDir = apps();
  const dir = join(appsDir, 'hello');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'data.db'), 'mine');
  const id = identityText({ app: 'hello', appsDir });
  const r = spawnSync('bash', ['-s'], {
    input: renderScript({
      phaseLock: join(appsDir, 'phase.lock'),
      steps: [{ kind: 'remove-app-dir', appDir: dir, identityFile: IDENTITY_FILE, identity: id }],
    }),
    encoding: 'utf8',
  });
  assert.equal(r.status, 10, r.stdout);
  assert.match(r.stderr, /does not carry this app's identity record: not removing it/);
  assert.equal(readFileSync(join(dir, 'data.db'), 'utf8'), 'mine');
});

test("check-owned refuses to replace a hand-made unit or another app's, and accepts its own or an earlier deployer's", () => {
  const d = apps();
  mkdirSync(d, { recursive: true });
  const marker = unitMarker('shop-admin');
  const mine = ownerLine({ app: 'shop', stage: 'admin', appsDir: '/srv/elsewhere' });
  const theirs = ownerLine({ app: 'shop-admin', appsDir: '/srv/deployer' });
  const check = (files: Record<string, string>, site?: string) => {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(d, name), content);
    const r = spawnSync('bash', ['-s'], {
      input: renderScript({
        phaseLock: join(d, 'phase.lock'),
        steps: [
          { kind: 'check-owned', marker, owner: mine, unitDir: d, units: Object.keys(files), ...(site ? { site: join(d, site) } : {}) },
        ],
      }),
      encoding: 'utf8',
    });
    return { code: r.status, stderr: r.stderr };
  };
  assert.equal(check({ 'a.service': `${marker}\n${mine}\n[Unit]\n`, 'b.service': `${marker}\n[Unit]\n` }).code, 0);
  const handMade = check({ 'c.service': "[Unit]\nDescription=mine, not deployer's\n" });
  assert.equal(handMade.code, 10);
  assert.match(handMade.stderr, /c\.service was not created by deployer for this app: refusing to replace it/);
  const other = check({ 'shop-admin-web.service': `${marker}\n${theirs}\n[Unit]\n` });
  assert.equal(other.code, 10);
  assert.match(other.stderr, /shop-admin-web\.service belongs to app=shop-admin stage= apps_dir=\/srv\/deployer/);
  writeFileSync(join(d, 'site.caddy'), `${theirs}\n:80 {}\n`);
  assert.equal(check({}, 'site.caddy').code, 10);
});

test('the lock holder appends a `history` line sent on its stdin, literally, and answers for it', () => {
  const appsDir = apps();
  const id = { app: 'hello', appName: 'hello', appsDir };
  const layout = layoutFor(id);
  const script = renderProbeScript(
    { layout, appName: id.appName, identity: id, lockWait: 0, holder: 'test', create: true, lock: true },
    join(appsDir, 'site.caddy'),
  );
  const line = '{"to":"1.0.0","by":"$(touch pwned) `id`"}';
  const r = spawnSync('sh', ['-c', SCRIPT_READER], {
    input: `${framedScript(script)}history ${line}\nnot a command\n`,
    encoding: 'utf8',
    cwd: join(appsDir, '..'),
  });
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout.trimEnd().split('\n');
  assert.equal(out.at(-2), '@@end');
  assert.equal(out.at(-1), '@@history-appended');
  assert.equal(readFileSync(layout.historyFile, 'utf8'), `${line}\n`);
  assert.equal(existsSync(join(appsDir, '..', 'pwned')), false);
});
