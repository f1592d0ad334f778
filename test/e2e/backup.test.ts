// Backups on a real host (issue 21): an app that keeps an SQLite database
// (WAL) and plain files in DEPLOYER_DATA_DIR. `app backup` while requests
// keep writing gives a consistent database (rows 1..n, nothing torn); the
// data is destroyed and `app restore` brings back the same bytes for the
// plain files and the same rows for the database. A backup of another app
// and a truncated archive are refused before the host is touched. The
// scheduled backup ([backups]) is a timer whose service keeps `keep`
// archives, in the same format; removing [backups] removes its units.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { tempDir } from '../helpers/tmp.js';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost, httpGet, type TestHost } from '../helpers/testhost.js';
import { createProject, repoRoot, resultEvent, type Project } from '../helpers/project.js';

const DATA = '/srv/deployer/bk/data';
const BACKUPS = '/srv/deployer/bk/backups';
let host: TestHost;
let project: Project;
let work: string;

const base = `
app = "bk"
build_command = "./build.sh"
distfile = "dist/hello-bin"
installation_mode = "binary"

[processes]
web = "app_binary"

[webserver]
domains = ["http://bk.localhost"]
upstream = "127.0.0.1:8000"

[health_check]
path = "/healthz"
timeout = 20
`;
const BACKUPS_TOML = `
[backups]
schedule = "daily"
keep = 2
`;

const root = async (cmd: string) => {
  const r = await host.ssh(cmd, { user: 'root' });
  assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
  return r.stdout.trim();
};
const get = async (path: string) => {
  const r = await httpGet(host.httpPort, path, 'bk.localhost');
  assert.equal(r.status, 200, `${path}: ${r.status} ${r.body}`);
  return r.body.trim();
};
/** Every file under the data dir with its sha256 (and symlinks with their targets): what "nothing changed" compares. */
const dataState = () =>
  root(
    `cd ${DATA} && find . -mindepth 1 \\( -type f -exec sha256sum {} + \\) -o \\( -type l -printf '%p -> %l\\n' \\) | LC_ALL=C sort; stat -c '%i' ${DATA}`,
  );
/** The web instances' main PIDs (blue-green: bk-web@<port>.service, the live slot's). */
const mainPid = () =>
  root(
    "systemctl list-units --plain --no-legend --state=active 'bk-web@*.service' | awk '{print $1}' | xargs -r systemctl show -p MainPID --value",
  );

/**
 * Keeps `workers` requests writing rows until stop() is called; returns how
 * many succeeded and failed. `restoring`: the units stop for the swap, so
 * refused connections and Caddy's 502 are expected then (and paced).
 */
function writeLoad(workers: number, restoring = false) {
  let running = true;
  let ok = 0;
  let failed = 0;
  const loops = Array.from({ length: workers }, async (_, w) => {
    let i = 0;
    while (running) {
      const r = await httpGet(host.httpPort, `/write?n=w${w}-${i++}`, 'bk.localhost').catch(() => ({ status: 0, body: '' }));
      if (r.status === 200) ok++;
      else {
        failed++;
        if (restoring) await new Promise((res) => setTimeout(res, 50));
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { ok, failed };
    },
  };
}

/** Rows and a sha256 of them, read from an archive's database with the local python3 (the same dump as the app's /dump). */
function archiveDump(dir: string): string {
  return execFileSync(
    'python3',
    [
      '-c',
      `import hashlib,sqlite3,sys
c=sqlite3.connect('file:'+sys.argv[1]+'?mode=ro',uri=True)
h=hashlib.sha256();n=0
for i,t in c.execute('SELECT id, text FROM rows ORDER BY id'):
  h.update(('%d:%s\\n'%(i,t)).encode());n+=1
ids=c.execute('SELECT COUNT(*), COALESCE(MAX(id),0) FROM rows').fetchone()
assert c.execute('PRAGMA integrity_check').fetchone()[0]=='ok'
print('%d %s %d'%(n,h.hexdigest(),ids[1]))`,
      join(dir, 'data', 'app.db'),
    ],
    { encoding: 'utf8' },
  ).trim();
}

function unpack(archive: string): string {
  const dir = mkdtempSync(join(work, 'x-'));
  execFileSync('tar', ['-xzf', archive, '-C', dir]);
  return dir;
}

before(async () => {
  host = await startHost();
  project = createProject('binary-app', [host], base);
  work = tempDir('deployer-backup-e2e-');
  // The "binary" is a python3 script (the hosts have python3): build.sh copies it.
  copyFileSync(join(repoRoot, 'test', 'fixtures', 'backup-app', 'app.py'), join(project.dir, 'app.py'));
  writeFileSync(
    join(project.dir, 'build.sh'),
    '#!/bin/sh\nset -eu\ncd "$(dirname "$0")"\nmkdir -p dist\ncp app.py dist/hello-bin\nchmod 755 dist/hello-bin\n',
  );
  chmodSync(join(project.dir, 'build.sh'), 0o755);
  project.writeConfig(BACKUPS_TOML);
  const r = await project.run(['deploy']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await get('/seed'), 'seeded');
  for (let i = 0; i < 50; i++) await get(`/write?n=seed${i}`);
});
after(async () => {
  project?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
  await host?.down();
});

let archive: string;
let atBackup: { files: string; dump: string };

test('backup under load: a consistent database (rows 1..n, integrity ok), the files as they are, a manifest first', async () => {
  const filesBefore = await root(`cd ${DATA} && sha256sum uploads/blob.bin notes/a.txt`);
  const load = writeLoad(4);
  await new Promise((r) => setTimeout(r, 500));
  const r = await project.run(['app', 'backup', '-o', `${work}/`, '--json']);
  const { ok, failed } = await load.stop();
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(failed, 0);
  assert.ok(ok > 20, `only ${ok} writes during the backup`);
  const data = resultEvent(r)?.data as unknown as { file: string; host: string; manifest: { sqlite: number; files: number } };
  archive = data.file;
  assert.match(archive.split('/').pop()!, /^bk-h1-\d{8}T\d{6}Z\.tar\.gz$/);
  assert.equal(data.manifest.sqlite, 1);
  // tar lists the manifest first.
  const list = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).trim().split('\n');
  assert.equal(list[0], 'manifest.json');
  assert.ok(!list.some((l) => /app\.db-(wal|shm)$/.test(l)), list.join('\n'));
  const dir = unpack(archive);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.app, 'bk');
  assert.equal(manifest.stage, null);
  assert.equal(manifest.host, 'h1');
  assert.equal(manifest.release, '1.0.0');
  assert.equal(manifest.formatVersion, 1);
  const [rows, , maxId] = archiveDump(dir).split(' ');
  // A consistent snapshot: every row up to the last one, none torn or missing.
  assert.equal(rows, maxId);
  assert.ok(Number(rows) >= 50);
  const live = (await get('/dump')).split(' ');
  assert.ok(Number(live[0]) > Number(rows), `the app kept writing after the snapshot (${live[0]} > ${rows})`);
  const local = execFileSync('sha256sum', ['uploads/blob.bin', 'notes/a.txt'], { cwd: join(dir, 'data'), encoding: 'utf8' }).trim();
  assert.equal(local, filesBefore);
  atBackup = { files: filesBefore, dump: archiveDump(dir).split(' ').slice(0, 2).join(' ') };
});

test("restore refuses without a terminal and without --yes; another app's backup and a truncated one change nothing", async () => {
  const before = await dataState();
  const pid = await mainPid();
  const noYes = await project.run(['app', 'restore', archive]);
  assert.equal(noYes.code, 2, noYes.stderr);
  assert.match(noYes.stderr, /needs confirmation[\s\S]*--yes/);

  // Another app's backup: the same archive with app = "shop" in its manifest.
  const dir = unpack(archive);
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...m, app: 'shop' }));
  const other = join(work, 'shop-h1.tar.gz');
  execFileSync('tar', ['-czf', other, '-C', dir, 'manifest.json', 'data']);
  const refused = await project.run(['app', 'restore', other, '--yes']);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /is a backup of shop, taken on host h1 at .*, not of bk/);
  assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');

  const cut = join(work, 'cut.tar.gz');
  writeFileSync(cut, readFileSync(archive).subarray(0, Math.floor(readFileSync(archive).length / 2)));
  const truncated = await project.run(['app', 'restore', cut, '--yes']);
  assert.equal(truncated.code, 2, truncated.stderr);
  assert.match(truncated.stderr, /is truncated/);

  // A file changed after the backup was made: its checksum no longer matches.
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
  writeFileSync(join(dir, 'data', 'notes', 'a.txt'), 'edited\n');
  const edited = join(work, 'edited.tar.gz');
  execFileSync('tar', ['-czf', edited, '-C', dir, 'manifest.json', 'data']);
  const damaged = await project.run(['app', 'restore', edited, '--yes']);
  assert.equal(damaged.code, 2, damaged.stderr);
  assert.match(damaged.stderr, /is damaged: data\/notes\/a\.txt/);

  assert.equal(await dataState(), before);
  assert.equal(await mainPid(), pid, 'the app was never stopped');
  assert.equal(await root(`ls -A /srv/deployer/bk | grep -c '^\\.restore' || true`), '0');
});

test('destroy the data, restore: the same bytes for the files, the same rows for the database, the app healthy', async () => {
  // Blue-green: the live slot's instances come back with `app restart` (rolling), on the emptied dir.
  await root(`find ${DATA} -mindepth 1 -delete && echo junk > ${DATA}/junk && chown -R --reference=${DATA} ${DATA}`);
  const restart = await project.run(['app', 'restart']);
  assert.equal(restart.code, 0, restart.stderr);
  assert.equal(await get('/dump'), `0 ${'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'}`);
  // Requests keep writing through the restore: the rows up to the backup's last are the backup's, byte for byte.
  const load = writeLoad(3, true);
  await new Promise((res) => setTimeout(res, 300));
  const r = await project.run(['app', 'restore', archive, '--yes']);
  const during = await load.stop();
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.ok(during.ok > 0, 'the app answered writes around the restore');
  assert.match(r.stdout + r.stderr, /restored \/srv\/deployer\/bk\/data from the backup of/);
  assert.equal(await root(`cd ${DATA} && sha256sum uploads/blob.bin notes/a.txt`), atBackup.files);
  assert.equal(await root(`readlink ${DATA}/latest`), 'uploads/blob.bin');
  assert.equal(await root(`test -e ${DATA}/junk && echo yes || echo no`), 'no');
  const rows = Number(atBackup.dump.split(' ')[0]);
  assert.equal(await get(`/dump?upto=${rows}`), atBackup.dump);
  // Owned by the app user again, and writable by the app.
  assert.equal(await root(`find ${DATA} ! -user "$(stat -c %U ${DATA})" | wc -l`), '0');
  assert.ok(Number(await get('/write?n=after')) > rows);
  assert.equal(await root(`ls -A /srv/deployer/bk | grep -c '^\\.restore' || true`), '0');
});

test('the scheduled backup: a timer, its service keeps `keep` archives of the same format; gone with [backups]', async () => {
  assert.equal(await root('systemctl is-enabled bk-backup.timer'), 'enabled');
  assert.equal(await root('systemctl is-active bk-backup.timer'), 'active');
  for (let i = 0; i < 3; i++) {
    await root('systemctl start bk-backup.service');
    await new Promise((r) => setTimeout(r, 1100));
  }
  const names = (await root(`ls ${BACKUPS}`)).split('\n');
  assert.equal(names.length, 2, names.join('\n'));
  for (const n of names) assert.match(n, /^bk-h1-\d{8}T\d{6}Z\.tar\.gz$/);
  assert.equal(await root(`stat -c %a ${BACKUPS}`), '700');
  // Same format: restore one of them.
  const b64 = await root(`base64 -w0 ${BACKUPS}/${names[1]}`);
  const local = join(work, names[1]);
  writeFileSync(local, Buffer.from(b64, 'base64'));
  const r = await project.run(['app', 'restore', local, '--yes']);
  assert.equal(r.code, 0, r.stderr + r.stdout);

  // Without [backups], the next deploy removes its units (the archives stay).
  project.setVersion('1.0.1');
  project.writeConfig('');
  const d = await project.run(['deploy']);
  assert.equal(d.code, 0, d.stderr);
  assert.equal(await root('ls /etc/systemd/system | grep -c "^bk-backup" || true'), '0');
  assert.equal((await root(`ls ${BACKUPS}`)).split('\n').length, 2);
  assert.ok(readdirSync(work).length > 0);
  mkdirSync(join(work, 'done'), { recursive: true });
});

test('down removes the backup units with the app', async () => {
  project.setVersion('1.0.2');
  project.writeConfig(BACKUPS_TOML);
  const d = await project.run(['deploy']);
  assert.equal(d.code, 0, d.stderr);
  assert.equal(await root('systemctl is-active bk-backup.timer'), 'active');
  const down = await project.run(['down', '--yes']);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(await root('ls /etc/systemd/system | grep -c "^bk-" || true'), '0');
  assert.equal(await root('systemctl is-active bk-backup.timer || true'), 'inactive');
});
