// `deployer app backup [-o FILE]`: a consistent snapshot of one host's
// DEPLOYER_DATA_DIR, made on the host (remote/app-backup.sh: SQLite through
// its online backup API, then tar + gzip) and streamed over the one SSH
// connection into FILE. The download goes to FILE.partial and becomes FILE
// only once the whole archive was read back and every checksum in its
// manifest matched: a FILE that exists is a good backup.
//
// No lock: a backup changes nothing on the host, and SQLite's backup API
// copies a database consistently while the app (or a deploy's migration)
// writes to it.
import { createWriteStream, existsSync, renameSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Context } from '../context.js';
import { connectHost } from '../deploy/connect.js';
import { loadCommandConfig } from '../deploy/commandConfig.js';
import { ConfigError, RemoteCommandError } from '../errors.js';
import { formatBytes } from '../output/reporter.js';
import { layoutFor } from '../plan/layout.js';
import { Marker, parseMarker, parseMarkers, findMarker } from '../remote/protocol.js';
import { checkArchive, defaultBackupName } from './backupArchive.js';
import { pickOneHost } from './backupHost.js';
import { renderBackupScript } from './backupScripts.js';
import { streamScript } from '../ssh/sendScript.js';

export interface BackupOptions {
  output?: string;
}

/** Where the archive goes: -o FILE, -o DIR/ (the default name inside), or the default name here. */
export function backupTarget(cwd: string, output: string | undefined, defaultName: string): string {
  if (output === undefined) return resolve(cwd, defaultName);
  const path = resolve(cwd, output);
  if (output.endsWith('/') || (existsSync(path) && statSync(path).isDirectory())) return join(path, defaultName);
  return path;
}

export async function runBackup(ctx: Context, opts: BackupOptions): Promise<void> {
  const config = loadCommandConfig(ctx);
  const host = pickOneHost(config, ctx.global.host, 'backup');
  const started = new Date(ctx.clock.now());
  const target = backupTarget(ctx.cwd, opts.output, defaultBackupName(config.app, config.stage, host.name, started));
  if (existsSync(target)) {
    throw new ConfigError(`${target} already exists; deployer does not overwrite a backup`, {
      hint: 'pass another file name with -o, or move the old one away',
    });
  }
  const partial = `${target}.partial`;
  const { handle, lock } = await connectHost(ctx, config, host, { lock: false, command: 'app backup' });
  let received = 0;
  let file: WriteStream | undefined;
  try {
    file = createWriteStream(partial, { flags: 'wx' });
    const out = file;
    const fileDone = new Promise<void>((res, rej) => {
      out.on('error', rej);
      out.on('finish', res);
    });
    let stderr = '';
    let snapshotBytes: number | undefined;
    let lastShown = ctx.clock.now();
    ctx.reporter.emit({
      type: 'phase',
      host: host.name,
      phase: 'backup',
      status: 'start',
      label: `snapshot of ${layoutFor(config).dataDir}`,
    });
    let channel: { pause(): void; resume(): void } | undefined;
    const script = renderBackupScript(config, host.name);
    const r = await streamScript(handle.session, script, {
      asRoot: true,
      onStdout(chunk) {
        received += chunk.length;
        // The disk slower than the network: hold the channel (SSH flow control) until the file catches up.
        if (!out.write(chunk) && channel) {
          channel.pause();
          out.once('drain', () => channel?.resume());
        }
        const now = ctx.clock.now();
        if (now - lastShown >= 2000) {
          lastShown = now;
          ctx.reporter.info(
            `received ${formatBytes(received)}${snapshotBytes !== undefined ? ` (the snapshot is ${formatBytes(snapshotBytes)} before gzip)` : ''}`,
            host.name,
          );
        }
      },
      onStderr(chunk) {
        const text = chunk.toString('utf8');
        stderr += text;
        if (snapshotBytes === undefined) {
          const m = text.split('\n').map((l) => parseMarker(l));
          const size = m.find((x) => x?.marker === Marker.backupSize);
          if (size) snapshotBytes = Number(size.arg);
        }
      },
      started(ch) {
        channel = ch;
      },
    });
    out.end();
    await fileDone;
    if (r.code !== 0) {
      const error = findMarker(parseMarkers(stderr), Marker.error);
      const details = stderr
        .split('\n')
        .filter((l) => !l.startsWith('@@'))
        .join('\n')
        .trim();
      throw new RemoteCommandError(
        `${host.name}: the backup failed: ${error ?? `the backup script exited with ${r.code ?? r.signal}`}`,
        r.code,
        stderr,
        {
          details: details.split('\n').slice(-15).join('\n') || undefined,
          hint: error ? undefined : 'run with --verbose, or look at the data dir with deployer app exec -- ls -la "$DEPLOYER_DATA_DIR"',
        },
      );
    }
    // Read it back: the file on the laptop is what a restore will check.
    const checked = await checkArchive(partial);
    renameSync(partial, target);
    const m = checked.manifest;
    const files = m.files.filter((f) => f.type === 'file');
    const dbs = files.filter((f) => f.type === 'file' && f.sqlite).length;
    ctx.reporter.emit({
      type: 'phase',
      host: host.name,
      phase: 'backup',
      status: 'done',
      ms: ctx.clock.now() - started.getTime(),
      label: `backed up ${files.length} file${files.length === 1 ? '' : 's'} (${dbs} SQLite database${dbs === 1 ? '' : 's'}, ${formatBytes(m.bytes)}) to ${target} (${formatBytes(checked.size)})`,
    });
    ctx.reporter.emit({
      type: 'result',
      command: 'app backup',
      ok: true,
      data: {
        app: config.appName,
        host: host.name,
        file: target,
        bytes: checked.size,
        sha256: checked.sha256,
        manifest: { release: m.release, createdAt: m.createdAt, files: files.length, sqlite: dbs, bytes: m.bytes },
      },
    });
  } catch (e) {
    file?.destroy();
    rmSync(partial, { force: true });
    throw e;
  } finally {
    lock.release();
    handle.remote.close();
  }
}
