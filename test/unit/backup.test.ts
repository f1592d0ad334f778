// Backups without a host: names, the manifest, the archive check restore
// makes before it touches a host (archives made here with the system tar),
// [backups] validation, the one-host rule, the scheduled units, and
// remote/app-restore.sh run in a real bash with stub systemctl: the data is
// swapped when the units come up, and put back when they do not.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BackupFileError,
  backupFileStem,
  checkArchive,
  checkBackupBelongs,
  defaultBackupName,
  parseManifest,
  type BackupManifest,
} from '../../src/app/backupArchive.js';
import { backupTarget } from '../../src/app/backup.js';
import { pickOneHost } from '../../src/app/backupHost.js';
import { renderRestoreScript } from '../../src/app/backupScripts.js';
import { checkSchedule } from '../../src/config/backups.js';
import { completeWords } from '../../src/completion/complete.js';
import { buildProgram } from '../../src/program.js';
import { parseConfig } from '../../src/config/parse.js';
import { ConfigError } from '../../src/errors.js';
import { renderAll } from '../../src/render/index.js';
import { tempDir } from '../helpers/tmp.js';
import { makeConfig, makeHost, makeProcess, makeRenderer, matchSnapshot } from './render-helpers.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function tmp(prefix = 'deployer-backup-'): string {
  return tempDir(prefix);
}

/** A backup archive as app-backup.sh makes it: manifest.json first, then data/. */
function makeArchive(
  files: Record<string, string>,
  over: Partial<BackupManifest> = {},
  opts: { manifestLast?: boolean; tweak?: (dir: string) => void } = {},
): string {
  const dir = tmp();
  mkdirSync(join(dir, 'data'));
  const entries: BackupManifest['files'] = [];
  for (const [path, content] of Object.entries(files)) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!existsSync(join(dir, 'data', d))) {
        mkdirSync(join(dir, 'data', d));
        entries.push({ path: d, type: 'dir', mode: 0o755 });
      }
    }
    writeFileSync(join(dir, 'data', path), content);
    entries.push({ path, type: 'file', mode: 0o644, size: Buffer.byteLength(content), sha256: sha(content), sqlite: false });
  }
  const manifest: BackupManifest = {
    format: 'deployer-backup',
    formatVersion: 1,
    app: 'shop',
    stage: null,
    host: 'web1',
    release: '1.0.0',
    createdAt: '2026-01-05T03:15:00Z',
    bytes: 0,
    files: entries,
    ...over,
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  opts.tweak?.(dir);
  const out = join(dir, 'backup.tar.gz');
  const members = opts.manifestLast ? ['data', 'manifest.json'] : ['manifest.json', 'data'];
  const r = spawnSync('tar', ['-czf', out, '-C', dir, ...members]);
  assert.equal(r.status, 0, r.stderr?.toString());
  return out;
}

async function refused(file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(checkArchive(file), (e: unknown) => {
    assert.ok(e instanceof BackupFileError, String(e));
    assert.equal(e.exitCode, 2);
    assert.match(e.message, pattern);
    return true;
  });
}

test('default names: app, stage, host and UTC time, sortable; odd host characters made safe', () => {
  const at = new Date('2026-01-05T03:15:09.123Z');
  assert.equal(defaultBackupName('shop', undefined, 'web1', at), 'shop-web1-20260105T031509Z.tar.gz');
  assert.equal(defaultBackupName('shop', 'staging', 'web1', at), 'shop-staging-web1-20260105T031509Z.tar.gz');
  assert.equal(backupFileStem('shop', undefined, 'a/b c'), 'shop-a_b_c');
  assert.equal(backupFileStem('shop', undefined, '..'), 'shop-_');
});

test('-o: a file, a directory (the default name inside), or the default name in the working directory', () => {
  const dir = tmp();
  assert.equal(backupTarget('/p', undefined, 'x.tar.gz'), '/p/x.tar.gz');
  assert.equal(backupTarget('/p', 'out.tgz', 'x.tar.gz'), '/p/out.tgz');
  assert.equal(backupTarget('/p', 'later/', 'x.tar.gz'), '/p/later/x.tar.gz');
  assert.equal(backupTarget('/p', dir, 'x.tar.gz'), join(dir, 'x.tar.gz'));
});

test('the manifest: not JSON, another format, a newer version and unsafe paths are refused', () => {
  assert.throws(() => parseManifest('{', 'f.tgz'), /not valid JSON/);
  assert.throws(() => parseManifest('{"format":"other"}', 'f.tgz'), /not a backup deployer made/);
  const good = { format: 'deployer-backup', formatVersion: 1, app: 'shop', stage: null, host: 'h', createdAt: 't', bytes: 0, files: [] };
  assert.equal(parseManifest(JSON.stringify(good), 'f.tgz').app, 'shop');
  assert.throws(
    () => parseManifest(JSON.stringify({ ...good, formatVersion: 2 }), 'f.tgz'),
    (e: unknown) => e instanceof BackupFileError && /format version 2, newer/.test(e.message) && /upgrade deployer/.test(e.hint ?? ''),
  );
  for (const path of ['../etc/passwd', '/etc/passwd', 'a/../../b', '']) {
    const bad = { ...good, files: [{ path, type: 'dir', mode: 493 }] };
    assert.throws(() => parseManifest(JSON.stringify(bad), 'f.tgz'), /file entry it cannot use/, path);
  }
});

test("another app's or stage's backup is refused in one paragraph, exit 2, with a fix", () => {
  const m = parseManifest(
    JSON.stringify({
      format: 'deployer-backup',
      formatVersion: 1,
      app: 'blog',
      stage: null,
      host: 'web1',
      createdAt: '2026-01-05T03:15:00Z',
      bytes: 0,
      files: [],
    }),
    'b.tgz',
  );
  checkBackupBelongs(m, 'b.tgz', 'blog', undefined);
  assert.throws(
    () => checkBackupBelongs(m, 'b.tgz', 'shop', undefined),
    (e: unknown) =>
      e instanceof BackupFileError &&
      e.exitCode === 2 &&
      !e.message.includes('\n') &&
      /^b\.tgz is a backup of blog, taken on host web1 at 2026-01-05T03:15:00Z, not of shop: .*Nothing was changed on any host\.$/.test(
        e.message,
      ) &&
      /backup of shop/.test(e.hint ?? ''),
  );
  assert.throws(
    () => checkBackupBelongs(m, 'b.tgz', 'blog', 'staging'),
    (e: unknown) => e instanceof BackupFileError && /not of blog \(stage staging\)/.test(e.message) && /without --stage/.test(e.hint ?? ''),
  );
});

test('a good archive passes, long names included; its size and sha256 are those of the file', async () => {
  const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(70)}.txt`;
  const file = makeArchive({ 'a.txt': 'hello\n', 'uploads/b.bin': 'x'.repeat(100_000), [long]: 'deep' });
  const checked = await checkArchive(file);
  assert.equal(checked.manifest.app, 'shop');
  assert.equal(checked.size, readFileSync(file).length);
  assert.equal(checked.sha256, sha(readFileSync(file)));
});

test('truncated, not gzip, manifest not first, a changed file, an extra or a missing file: refused, exit 2', async () => {
  const good = makeArchive({ 'a.txt': 'hello\n', 'b.bin': 'y'.repeat(300_000) });
  const whole = readFileSync(good);
  const cut = join(tmp(), 'cut.tar.gz');
  writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
  await refused(cut, /is truncated/);
  const notGzip = join(tmp(), 'plain.tar.gz');
  writeFileSync(notGzip, 'just text, not an archive\n');
  await refused(notGzip, /is not a gzip archive/);
  await refused(join(tmp(), 'missing.tar.gz'), /does not exist/);
  await refused(makeArchive({ 'a.txt': 'hi' }, {}, { manifestLast: true }), /does not start with a manifest\.json/);
  await refused(
    makeArchive({ 'a.txt': 'hi' }, {}, { tweak: (d) => writeFileSync(join(d, 'data', 'a.txt'), 'ho') }),
    /is damaged: data\/a\.txt has 2 bytes with sha256/,
  );
  await refused(
    makeArchive({ 'a.txt': 'hi' }, {}, { tweak: (d) => writeFileSync(join(d, 'data', 'extra.txt'), 'x') }),
    /holds data\/extra\.txt, which its manifest does not list/,
  );
  await refused(
    makeArchive({ 'a.txt': 'hi' }, {}, { tweak: (d) => rmSync(join(d, 'data', 'a.txt')) }),
    /is incomplete: its manifest lists a\.txt/,
  );
});

test('a member under a symlink of the archive (written through it on the host) is refused', async () => {
  const d1 = tmp();
  const d2 = tmp();
  mkdirSync(join(d1, 'data'));
  symlinkSync('/tmp', join(d1, 'data', 'l'));
  mkdirSync(join(d2, 'data', 'l'), { recursive: true });
  writeFileSync(join(d2, 'data', 'l', 'x'), 'x');
  const manifest = {
    format: 'deployer-backup',
    formatVersion: 1,
    app: 'shop',
    stage: null,
    host: 'h',
    createdAt: 't',
    bytes: 1,
    files: [
      { path: 'l', type: 'symlink', target: '/tmp' },
      { path: 'l/x', type: 'file', mode: 420, size: 1, sha256: sha('x'), sqlite: false },
    ],
  };
  writeFileSync(join(d1, 'manifest.json'), JSON.stringify(manifest));
  const t = join(d1, 'a.tar');
  assert.equal(spawnSync('tar', ['-cf', t, '-C', d1, 'manifest.json', 'data/l']).status, 0);
  assert.equal(spawnSync('tar', ['-rf', t, '-C', d2, 'data/l/x']).status, 0);
  assert.equal(spawnSync('gzip', [t]).status, 0);
  await refused(`${t}.gz`, /holds l\/x under the symlink l/);
});

const base = `app = "shop"\ndistfile = "dist/shop.whl"\ninstallation_mode = "python-package"\n\n[[hosts]]\naddress = "10.0.0.1"\n\n[[hosts]]\naddress = "10.0.0.2"\n\n[processes]\nweb = "gunicorn shop.wsgi"\n`;
const parse = (text: string) => parseConfig(text, { file: '/p/deployer.toml', root: '/p', displayName: 'deployer.toml', home: '/home/t' });

test('[backups]: schedule shorthands and calendar expressions pass; keep defaults to 7; no table, no backups', () => {
  for (const ok of ['daily', 'hourly', 'weekly', 'Monthly', '*-*-* 03:00:00', 'Mon..Fri 04:30', '*:0/15', '2026-01-01 00:00:00 UTC']) {
    assert.equal(checkSchedule(ok), undefined, ok);
  }
  assert.equal(parse(base).backups, undefined);
  assert.deepEqual(parse(base + '\n[backups]\nschedule = "daily"\n').backups, { schedule: 'daily', keep: 7 });
});

test('[backups]: a bad schedule, a bad keep, an unknown key and a "backup" process are ConfigErrors with line, key and fix', () => {
  assert.throws(
    () => parse(base + '\n[backups]\nschedule = "every day"\n'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /^deployer\.toml:15:12: backups\.schedule .*is not a systemd calendar value.*Fix: .*schedule = "daily"/);
      return true;
    },
  );
  assert.throws(() => parse(base + '\n[backups]\nschedule = "daily"\nkeep = 0\n'), {
    message: /^deployer\.toml:16:8: backups\.keep .*Fix/,
  });
  assert.throws(() => parse(base + '\n[backups]\nschedul = "daily"\n'), {
    message: /^deployer\.toml:15:1: unknown key "schedul" in backups\. Did you mean "schedule"\?/,
  });
  assert.throws(() => parse(base + 'backup = "shop backup"\n\n[backups]\nschedule = "daily"\n'), {
    message: /backups\.schedule makes the units <app>-backup\.service .*the process "backup".*Fix: rename the process/,
  });
});

test('backup and restore take one host: with several and no --host, the error says so and names them', () => {
  const config = parse(base);
  assert.throws(
    () => pickOneHost(config, undefined, 'backup'),
    (e: unknown) =>
      e instanceof ConfigError &&
      /app backup takes the data of one host, and 2 hosts are selected \(10\.0\.0\.1, 10\.0\.0\.2\)/.test(e.message) &&
      e.hint === 'name the host: deployer app backup --host 10.0.0.1',
  );
  assert.equal(pickOneHost(config, ['10.0.0.2'], 'restore').address, '10.0.0.2');
});

test('[backups] schedule renders <app>-backup.service (oneshot, the release script, keep) and its timer; none without', () => {
  const config = makeConfig({ processes: [makeProcess('web', 'hello serve')], backups: { schedule: '*-*-* 03:00:00', keep: 3 } });
  const units = renderAll(config, makeHost({ name: 'web 1' }), makeRenderer()).units;
  const service = units.find((u) => u.name === 'hello-production-backup.service');
  const timer = units.find((u) => u.name === 'hello-production-backup.timer');
  assert.ok(service && timer, units.map((u) => u.name).join(', '));
  assert.deepEqual(service.instances, []);
  assert.deepEqual(timer.instances, ['hello-production-backup.timer']);
  assert.match(service.content, /^Type=oneshot$/m);
  assert.match(
    service.content,
    /^ExecStart=\/bin\/bash \/srv\/deployer\/hello-production\/current\/\.deployer\/backup\.sh file \/srv\/deployer\/hello-production \/srv\/deployer\/hello-production\/data hello production "web 1" \/srv\/deployer\/hello-production\/backups 3 hello-production-web_1$/m,
  );
  matchSnapshot('backup.service', service.content);
  assert.match(timer.content, /^OnCalendar=\*-\*-\* 03:00:00$/m);
  assert.match(timer.content, /^Unit=hello-production-backup\.service$/m);
  const none = renderAll(makeConfig({ processes: [makeProcess('web', 'x')] }), makeHost(), makeRenderer()).units;
  assert.ok(!none.some((u) => u.name.includes('backup')));
});

/** An app dir with a data dir and a release listing one unit; stub systemctl answers `state` for it. */
function restoreHost(state: string) {
  const d = tmp('deployer-restore-');
  const bin = join(d, 'bin');
  mkdirSync(bin);
  const log = join(d, 'calls.log');
  writeFileSync(
    join(bin, 'systemctl'),
    `#!/bin/bash\nif [ "$1" = show ]; then echo ${state}; exit 0; fi\necho "$*" >> ${JSON.stringify(log)}\n`,
  );
  writeFileSync(join(bin, 'journalctl'), '#!/bin/bash\necho "journal $*" >&2\n');
  for (const f of ['systemctl', 'journalctl']) chmodSync(join(bin, f), 0o755);
  const appDir = join(d, 'app');
  mkdirSync(join(appDir, 'v1', '.deployer'), { recursive: true });
  mkdirSync(join(appDir, 'data'));
  writeFileSync(join(appDir, 'data', 'old.txt'), 'old');
  symlinkSync('v1', join(appDir, 'current'));
  writeFileSync(join(appDir, 'v1', '.deployer', 'instances'), 'restart shop-worker.service\n');
  return { bin, log, appDir };
}

function runRestoreScript(appDir: string, bin: string, archive: string, tamper = false) {
  const bytes = readFileSync(archive);
  const config = makeConfig({ app: 'shop', stage: undefined, appName: 'shop', appsDir: join(appDir, '..') });
  const script = renderRestoreScript(
    { ...config, appsDir: join(appDir, '..'), appName: appDir.split('/').pop()! },
    { size: bytes.length, sha256: tamper ? sha('other') : sha(bytes), waitSec: 1, health: { path: '', status: 200, host: '' } },
  );
  const r = spawnSync('bash', ['-c', 'dp_script=$(head -c "$1"); eval "$dp_script"', 'bash', String(Buffer.byteLength(script))], {
    input: Buffer.concat([Buffer.from(script), bytes]),
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

test('app-restore.sh: a sha256 that differs changes nothing; units up: the data swapped; a unit down: the old data back', () => {
  const archive = makeArchive({ 'new.txt': 'new', 'sub/deep.txt': 'deep' });
  let h = restoreHost('active');
  let r = runRestoreScript(h.appDir, h.bin, archive, true);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /@@error the uploaded archive's sha256 is .*nothing on the host was changed/);
  assert.equal(readFileSync(join(h.appDir, 'data', 'old.txt'), 'utf8'), 'old');
  assert.equal(existsSync(h.log), false, 'no unit was touched');

  r = runRestoreScript(h.appDir, h.bin, archive);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(readFileSync(join(h.appDir, 'data', 'sub', 'deep.txt'), 'utf8'), 'deep');
  assert.equal(existsSync(join(h.appDir, 'data', 'old.txt')), false);
  assert.equal(readFileSync(h.log, 'utf8'), 'stop -- shop-worker.service\nstart -- shop-worker.service\n');
  assert.deepEqual(
    spawnSync('ls', ['-A', h.appDir], { encoding: 'utf8' }).stdout.trim().split('\n').sort(),
    ['current', 'data', 'v1'],
    'no staging dir left',
  );

  h = restoreHost('failed');
  r = runRestoreScript(h.appDir, h.bin, archive);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /@@error shop-worker\.service is failed on the restored data; the old data is back in /);
  assert.equal(readFileSync(join(h.appDir, 'data', 'old.txt'), 'utf8'), 'old');
  assert.equal(existsSync(join(h.appDir, 'data', 'new.txt')), false);
  assert.equal(
    readFileSync(h.log, 'utf8'),
    'stop -- shop-worker.service\nstart -- shop-worker.service\nstop -- shop-worker.service\nstart -- shop-worker.service\n',
  );
});

test('completion: app backup and app restore, -o and the archive complete as files', async () => {
  const program = buildProgram();
  const complete = (w: string[]) => completeWords(program, w, () => []);
  const values = async (w: string[]) => (await complete(w)).candidates.map((c) => c.value);
  assert.deepEqual(await values(['app', 're']), ['restart', 'restore']);
  assert.deepEqual(await values(['app', 'ba']), ['backup']);
  assert.deepEqual(await values(['app', 'backup', '--o']), ['--output']);
  assert.equal((await complete(['app', 'backup', '-o', ''])).files, true);
  assert.equal((await complete(['app', 'restore', ''])).files, true);
});
