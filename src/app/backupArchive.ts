// deployer's backup archive: tar + gzip made on the host by
// remote/app-backup.sh, whose first member is manifest.json and the rest the
// data dir under data/. Here: the manifest's shape, the default file name,
// and the check `restore` makes before it touches a host (and `backup` after
// a download): manifest first and of this format, the right app and stage,
// every file's size and sha256 as the manifest says, nothing outside data/.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { DeployerError, ExitCode } from '../errors.js';
import { TarFormatError, TarReader, type TarHeader } from './tarReader.js';

export { backupFileStem, defaultBackupName } from './backupNames.js';

export const BACKUP_FORMAT = 'deployer-backup';
/** Bumped when the archive's layout changes; restore refuses newer ones. */
export const BACKUP_FORMAT_VERSION = 1;
const MANIFEST = 'manifest.json';
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

export type ManifestEntry =
  | { path: string; type: 'file'; mode: number; size: number; sha256: string; sqlite: boolean }
  | { path: string; type: 'dir'; mode: number }
  | { path: string; type: 'symlink'; target: string };

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  formatVersion: number;
  app: string;
  /** null: the app has no stage. */
  stage: string | null;
  host: string;
  /** The live release's version when the snapshot was taken (null: none). */
  release: string | null;
  /** UTC, ISO 8601, to the second. */
  createdAt: string;
  /** Sum of the files' sizes (before gzip). */
  bytes: number;
  files: ManifestEntry[];
}

/** Bad input: the file is not a deployer backup, not this app's, or damaged. Exit 2, nothing on a host touched. */
export class BackupFileError extends DeployerError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.config, hint });
  }
}

/** The manifest's fields checked for shape; throws BackupFileError naming the first problem. */
export function parseManifest(text: string, file: string): BackupManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BackupFileError(
      `${file}: its manifest.json is not valid JSON (${(e as Error).message}), so it is not a backup deployer made`,
    );
  }
  const m = raw as Partial<BackupManifest>;
  if (typeof m !== 'object' || m === null || m.format !== BACKUP_FORMAT) {
    throw new BackupFileError(`${file}: its manifest.json does not say format "${BACKUP_FORMAT}", so it is not a backup deployer made`);
  }
  if (typeof m.formatVersion !== 'number' || m.formatVersion > BACKUP_FORMAT_VERSION) {
    throw new BackupFileError(
      `${file} is a backup of format version ${String(m.formatVersion)}, newer than this deployer reads (${BACKUP_FORMAT_VERSION})`,
      'upgrade deployer (npm i -g deployer-cli) and run the restore again',
    );
  }
  const bad = (what: string) => new BackupFileError(`${file}: its manifest.json ${what}, so the backup cannot be checked`);
  if (typeof m.app !== 'string' || m.app === '') throw bad('names no app');
  if (m.stage !== null && typeof m.stage !== 'string') throw bad('has a stage that is not a string');
  if (typeof m.host !== 'string') throw bad('names no host');
  if (typeof m.createdAt !== 'string') throw bad('has no time');
  if (!Array.isArray(m.files)) throw bad('lists no files');
  for (const e of m.files) {
    const ok =
      typeof e?.path === 'string' &&
      safeRelative(e.path) &&
      ((e.type === 'file' && typeof e.size === 'number' && /^[0-9a-f]{64}$/.test(String(e.sha256))) ||
        e.type === 'dir' ||
        (e.type === 'symlink' && typeof e.target === 'string'));
    if (!ok) throw bad(`has a file entry it cannot use (${JSON.stringify(e).slice(0, 200)})`);
  }
  return m as BackupManifest;
}

/** A relative path that stays where it is put: no "..", no leading "/", no empty parts. */
function safeRelative(path: string): boolean {
  return path !== '' && !path.startsWith('/') && path.split('/').every((p) => p !== '' && p !== '.' && p !== '..');
}

/** Refuses a backup of another app or stage: one paragraph, exit 2. */
export function checkBackupBelongs(manifest: BackupManifest, file: string, app: string, stage: string | undefined): void {
  const theirs = `${manifest.app}${manifest.stage ? ` (stage ${manifest.stage})` : ''}`;
  const ours = `${app}${stage ? ` (stage ${stage})` : ''}`;
  if (manifest.app === app && (manifest.stage ?? undefined) === stage) return;
  throw new BackupFileError(
    `${file} is a backup of ${theirs}, taken on host ${manifest.host} at ${manifest.createdAt}, not of ${ours}: restoring it would replace ${ours}'s data with another app's. Nothing was changed on any host.`,
    manifest.app === app
      ? `restore it into its own stage (--stage ${manifest.stage ?? '…, or without --stage'}), or pick a backup of ${ours}`
      : `pick a backup of ${ours} (deployer app backup names them <app>[-<stage>]-<host>-<time>.tar.gz), or run the restore from ${manifest.app}'s project`,
  );
}

export interface CheckedArchive {
  manifest: BackupManifest;
  /** The archive file's own size and sha256 (the host checks the upload against them). */
  size: number;
  sha256: string;
}

/**
 * Reads the whole archive: gzip intact, manifest first, every member under
 * data/ and listed in the manifest with the same size and sha256, every
 * listed file present. Throws BackupFileError for a file that fails.
 */
export async function checkArchive(file: string): Promise<CheckedArchive> {
  const whole = createHash('sha256');
  let size = 0;
  let manifest: BackupManifest | undefined;
  let manifestParts: Buffer[] | undefined;
  let current: { header: TarHeader; rel: string; hash?: ReturnType<typeof createHash>; bytes: number } | undefined;
  let first = true;
  const seen = new Set<string>();
  const links: string[] = [];
  const expected = () => new Map((manifest?.files ?? []).map((e) => [e.path, e]));
  let byPath: Map<string, ManifestEntry> | undefined;
  const fail = (what: string): never => {
    throw new BackupFileError(`${file} ${what}. Nothing was changed on any host.`);
  };

  const reader = new TarReader({
    entry(h) {
      if (first) {
        first = false;
        if (h.path !== MANIFEST || h.type !== 'file')
          fail(`does not start with a ${MANIFEST} (its first member is ${h.path}): it is not a backup deployer made`);
        if (h.size > MAX_MANIFEST_BYTES) fail(`has a ${MANIFEST} of ${h.size} bytes, too large to be deployer's`);
        manifestParts = [];
        current = { header: h, rel: MANIFEST, bytes: 0 };
        return;
      }
      if (!manifest) fail('has no manifest');
      byPath ??= expected();
      const path = h.path.replace(/\/+$/, '');
      if (path === 'data') {
        current = { header: h, rel: '', bytes: 0 };
        return;
      }
      if (!path.startsWith('data/') || !safeRelative(path.slice(5))) fail(`holds ${JSON.stringify(h.path)}, outside data/`);
      const rel = path.slice(5);
      // A member under a symlink the archive made would be written through it, anywhere on the host.
      if (links.some((l) => rel.startsWith(`${l}/`))) fail(`holds ${rel} under the symlink ${links.find((l) => rel.startsWith(`${l}/`))}`);
      const want = byPath.get(rel);
      if (!want) fail(`holds data/${rel}, which its manifest does not list: the archive was changed after it was made`);
      if (want!.type !== h.type) fail(`holds data/${rel} as a ${h.type}, but its manifest says ${want!.type}`);
      if (h.type === 'symlink') links.push(rel);
      seen.add(rel);
      current = { header: h, rel, hash: h.type === 'file' ? createHash('sha256') : undefined, bytes: 0 };
    },
    data(chunk) {
      if (!current) return;
      current.bytes += chunk.length;
      if (manifestParts) manifestParts.push(chunk);
      else current.hash?.update(chunk);
    },
    entryEnd() {
      const c = current;
      current = undefined;
      if (!c) return;
      if (manifestParts) {
        manifest = parseManifest(Buffer.concat(manifestParts).toString('utf8'), file);
        manifestParts = undefined;
        return;
      }
      const want = byPath?.get(c.rel);
      if (c.hash && want?.type === 'file') {
        const sum = c.hash.digest('hex');
        if (c.bytes !== want.size || sum !== want.sha256) {
          fail(
            `is damaged: data/${c.rel} has ${c.bytes} bytes with sha256 ${sum.slice(0, 12)}…, its manifest says ${want.size} bytes, ${want.sha256.slice(0, 12)}…`,
          );
        }
      }
    },
  });

  const gunzip = createGunzip();
  const input = createReadStream(file);
  try {
    await new Promise<void>((resolve, reject) => {
      input.on('error', reject);
      input.on('data', (chunk: Buffer | string) => {
        const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        size += b.length;
        whole.update(b);
      });
      gunzip.on('error', reject);
      gunzip.on('data', (chunk: Buffer) => {
        try {
          reader.feed(chunk);
        } catch (e) {
          input.destroy();
          gunzip.destroy();
          reject(e);
        }
      });
      gunzip.on('end', resolve);
      input.pipe(gunzip);
    });
    reader.end();
  } catch (e) {
    if (e instanceof BackupFileError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new BackupFileError(`${file} does not exist`);
    if (err.code === 'EISDIR') throw new BackupFileError(`${file} is a directory, not a backup archive`);
    if (err.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message))
      fail('is truncated: it ends before its end (an interrupted download or copy?)');
    if (typeof err.code === 'string' && err.code.startsWith('Z_')) fail(`is not a gzip archive, or it is damaged (${err.message})`);
    if (e instanceof TarFormatError) fail(`is damaged: ${e.message}`);
    throw e;
  }
  if (!manifest) fail('holds no manifest: it is not a backup deployer made');
  const missing = manifest!.files.filter((f) => !seen.has(f.path)).map((f) => f.path);
  if (missing.length)
    fail(
      `is incomplete: its manifest lists ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ' …' : ''}, which the archive does not hold`,
    );
  return { manifest: manifest!, size, sha256: whole.digest('hex') };
}
