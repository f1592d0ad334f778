// previewDeploy on hand-made remote states: what `deployer plan` reports.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import pc from 'picocolors';
import { installStamp, sha256, type ReleaseFile } from '../../src/plan/planDeploy.js';
import { previewDeploy, type PreviewInput } from '../../src/plan/preview.js';
import { formatPreview } from '../../src/plan/previewText.js';
import type { RemoteState } from '../../src/remote/state.js';
import type { ReleaseRecord } from '../../src/plan/versions.js';
import { freshState, makeConfig, makeHost } from './render-helpers.js';
import { releaseRecord } from '../helpers/remoteState.js';

const config = makeConfig({ installationMode: 'binary', distfile: 'dist/hello', versionsToKeep: 3 });
const host = makeHost();
const marker = '# deployer-app: hello-production\n';
const unit = (cmd: string) => `${marker}[Service]\nType=simple\nUser=deploy\nExecStart=${cmd}\nRestart=always\n`;
const site = 'http://hello.localhost {\n\treverse_proxy 127.0.0.1:8000\n}\n';

function text(path: string, content: string, label: string): ReleaseFile {
  return { path, content, sha256: sha256(content), size: Buffer.byteLength(content), mode: 0o644, label };
}

function releaseFiles(opts: { worker?: string; caddy?: string; withArtifact?: boolean } = {}): ReleaseFile[] {
  const files: ReleaseFile[] = [];
  if (opts.withArtifact !== false)
    files.push({ path: 'hello', local: '/tmp/hello', sha256: 'a'.repeat(64), size: 123_456, mode: 0o644, label: 'artifact' });
  files.push(
    { ...text('.env', 'A=1\n', '.env'), secret: true, mode: 0o600 },
    text(
      '.deployer/units/hello-production-web.service',
      unit('/srv/deployer/hello-production/app_binary'),
      'unit hello-production-web.service',
    ),
    text(
      '.deployer/units/hello-production-worker.service',
      unit(opts.worker ?? '/usr/bin/sleep 200'),
      'unit hello-production-worker.service',
    ),
    text('.deployer/units/hello-production-beat.service', unit('/usr/bin/true'), 'unit hello-production-beat.service'),
    text('.deployer/caddy.site', opts.caddy ?? site.replace('8000', '8001'), 'Caddy site'),
  );
  return files;
}

const rec = releaseRecord;

function deployedState(extra: Partial<RemoteState> = {}): RemoteState {
  return {
    user: 'deploy',
    current: '1.0.0',
    releases: ['0.8.0', '0.9.0', '1.0.0'],
    versions: [rec('1.0.0'), rec('0.9.0'), rec('0.8.0')],
    releaseFiles: {},
    units: {
      'hello-production-web.service': unit('/srv/deployer/hello-production/app_binary'),
      'hello-production-worker.service': unit('/usr/bin/sleep 100'),
      'hello-production-cron.timer': `${marker}[Timer]\nOnCalendar=daily\n`,
    },
    caddySite: site,
    caddyImportsSites: true,
    hasUv: false,
    envHashes: { A: sha256('1'), B: sha256('old'), C: sha256('gone') },
    lockHeld: false,
    ...extra,
  };
}

const input = (files: ReleaseFile[], state: RemoteState, extra: Partial<PreviewInput> = {}): PreviewInput => ({
  config,
  host,
  version: '1.1.0',
  files,
  artifactName: 'hello',
  envHashes: { A: sha256('1'), B: sha256('new'), D: sha256('added') },
  state,
  ...extra,
});

test('a new version: per-unit status and diffs, Caddy diff, env names, prune, lock', () => {
  const files = releaseFiles();
  const p = previewDeploy(input(files, deployedState({ lockHeld: true, lockedBy: 'alice@laptop pid 7: deployer deploy 1.0.1' })));
  assert.equal(p.release, '1.1.0');
  assert.equal(p.releaseDir, '/srv/deployer/hello-production/v1.1.0');
  assert.equal(p.releaseExists, false);
  assert.equal(p.current, '1.0.0');
  assert.deepEqual(
    p.unitDiffs.map((d) => [d.name, d.status]),
    [
      ['hello-production-beat.service', 'added'],
      ['hello-production-cron.timer', 'removed'],
      ['hello-production-web.service', 'same'],
      ['hello-production-worker.service', 'changed'],
    ],
  );
  const worker = p.unitDiffs.find((d) => d.name === 'hello-production-worker.service')!;
  assert.equal(
    worker.diff,
    [
      '--- /etc/systemd/system/hello-production-worker.service',
      '+++ v1.1.0/.deployer/units/hello-production-worker.service',
      '@@ -2,5 +2,5 @@',
      ' [Service]',
      ' Type=simple',
      ' User=deploy',
      '-ExecStart=/usr/bin/sleep 100',
      '+ExecStart=/usr/bin/sleep 200',
      ' Restart=always',
      '',
    ].join('\n'),
  );
  assert.equal(p.unitDiffs.find((d) => d.status === 'same')!.diff, '');
  assert.match(p.unitDiffs.find((d) => d.status === 'removed')!.diff, /^\+\+\+ \/dev\/null$/m);
  assert.match(p.unitDiffs.find((d) => d.status === 'added')!.diff, /^--- \/dev\/null$/m);
  assert.equal(p.caddyDiff?.status, 'changed');
  assert.equal(p.caddyDiff?.name, '/etc/caddy/sites/hello-production.caddy');
  assert.match(p.caddyDiff!.diff, /^-\treverse_proxy 127\.0\.0\.1:8000\n\+\treverse_proxy 127\.0\.0\.1:8001$/m);
  assert.deepEqual(p.env, { added: ['D'], removed: ['C'], changed: ['B'] });
  // Four releases, keep 3: the oldest goes.
  assert.deepEqual(p.prune, ['0.8.0']);
  assert.deepEqual(p.lock, { status: 'held', by: 'alice@laptop pid 7: deployer deploy 1.0.1' });
  // Nothing of v1.1.0 is on the host: everything is uploaded and installed.
  assert.deepEqual(
    p.uploads.map((u) => u.label),
    files.map((f) => f.label),
  );
  assert.equal(
    p.uploadBytes,
    files.reduce((s, f) => s + f.size, 0),
  );
  assert.deepEqual(p.artifact, { name: 'hello', size: 123_456 });
  assert.equal(p.installSkipped, false);
});

test('a changed redeploy of the live release gets a release dir of its own: uploads what differs, copies the rest', () => {
  const files = releaseFiles({ worker: '/usr/bin/sleep 100', caddy: site });
  const onHost = Object.fromEntries(files.map((f) => [f.path, f.sha256]));
  onHost['.deployer/units/hello-production-beat.service'] = 'b'.repeat(64);
  onHost['.deployer/installed'] = sha256(installStamp(files, config));
  const state = deployedState({
    current: '1.1.0',
    releases: ['1.0.0', '1.1.0'],
    versions: [rec('1.1.0'), rec('1.0.0')],
    releaseFiles: onHost,
    envHashes: { A: sha256('1') },
  });
  const p = previewDeploy(input(files, state, { envHashes: { A: sha256('1') } }));
  // Changing the live release in place would leave nothing to revert to.
  assert.equal(p.release, '1.1.0_2');
  assert.equal(p.releaseExists, false);
  assert.deepEqual(p.uploads, [
    { label: 'unit hello-production-beat.service', size: files.find((f) => f.label === 'unit hello-production-beat.service')!.size },
  ]);
  assert.deepEqual(p.unchanged, []);
  assert.equal(p.installSkipped, false);
  assert.equal(p.caddyDiff?.status, 'same');
  assert.deepEqual(p.env, { added: [], removed: [], changed: [] });
  assert.deepEqual(p.prune, []);
  assert.deepEqual(p.lock, { status: 'free' });
});

test('nothing deployed and no artifact built: units, Caddy and env are still shown', () => {
  const files = releaseFiles({ withArtifact: false });
  const empty = freshState();
  const p = previewDeploy(input(files, empty, { artifactMissing: '/home/me/hello/dist/hello' }));
  assert.deepEqual(p.artifact, { name: 'hello', missing: '/home/me/hello/dist/hello' });
  assert.equal(p.installSkipped, null);
  assert.ok(!p.uploads.some((u) => u.label === 'artifact'));
  assert.ok(p.unitDiffs.length === 3 && p.unitDiffs.every((d) => d.status === 'added'));
  assert.equal(p.caddyDiff?.status, 'added');
  assert.deepEqual(p.env, { added: ['A', 'B', 'D'], removed: [], changed: [] });
  assert.equal(p.current, undefined);
});

test('no Caddy site on either side gives caddyDiff null; a site no longer wanted is removed', () => {
  const files = releaseFiles().filter((f) => f.path !== '.deployer/caddy.site');
  assert.equal(previewDeploy(input(files, deployedState({ caddySite: undefined }))).caddyDiff, null);
  assert.equal(previewDeploy(input(files, deployedState())).caddyDiff?.status, 'removed');
});

test('the text form names each unit, shows only changed diffs, colours only when asked', () => {
  const p = previewDeploy(input(releaseFiles(), deployedState({ lockHeld: true, lockedBy: 'bob@ci' })));
  const plain = formatPreview(p);
  assert.match(plain, /^vps1 hello-production 1\.1\.0 \(1\.0\.0 -> 1\.1\.0\)$/m);
  assert.match(plain, /^ {2}lock {6}held by bob@ci/m);
  assert.match(plain, /hello-production-web\.service unchanged, hello-production-worker\.service changed/);
  assert.match(plain, /^ {4}-ExecStart=\/usr\/bin\/sleep 100$/m);
  assert.match(plain, /^ {4}\+ExecStart=\/usr\/bin\/sleep 200$/m);
  assert.ok(!plain.includes('ExecStart=/srv/deployer/hello-production/app_binary'), 'the unchanged web unit is not diffed');
  assert.match(plain, /^ {2}env {7}added D; removed C; changed B$/m);
  assert.match(plain, /^ {2}prune {5}would delete v0\.8\.0$/m);
  // The switch as the deploy runs it: only what differs is installed, the unchanged web unit is not.
  assert.match(
    plain,
    /^ {2}switch {4}stop and remove unit hello-production-cron\.timer; install unit hello-production-beat\.service; install unit hello-production-worker\.service; systemctl daemon-reload; switch \S+\/current to v1\.1\.0; install Caddy site \S+; reload Caddy with systemctl reload caddy$/m,
  );
  assert.ok(!plain.includes('\x1b['), 'no escape codes without colour');
  const coloured = formatPreview(p, pc.createColors(true));
  assert.ok(coloured.includes('\x1b[31m-ExecStart=/usr/bin/sleep 100'), 'removed lines are red');
});

test('plan shows the release a deploy would make when its version has been live: a new v<version>_<n>, not the old dir rewritten', () => {
  const files = releaseFiles({ worker: '/usr/bin/sleep 100', caddy: site });
  const old = Object.fromEntries(files.map((f) => [f.path, f.path === '.env' ? sha256('A=0\n') : f.sha256]));
  old['.deployer/installed'] = sha256(installStamp(files, config));
  // Live as 1.1.0_2; v1.1.0 (its record says it was live) holds another .env.
  const state = deployedState({
    current: '1.1.0_2',
    releases: ['1.0.0', '1.1.0', '1.1.0_2'],
    versions: [rec('1.1.0_2'), rec('1.1.0'), rec('1.0.0')],
    releaseFiles: old,
  });
  const p = previewDeploy(input(files, state));
  assert.equal(p.release, '1.1.0_3');
  assert.equal(p.releaseDir, '/srv/deployer/hello-production/v1.1.0_3');
  assert.equal(p.releaseExists, false);
});
