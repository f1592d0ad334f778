// `deployer app restore FILE`: puts a backup made by `app backup` (or the
// scheduled backup) back as one host's DEPLOYER_DATA_DIR.
//
// The archive is checked whole on the laptop before anything else (a
// deployer backup, of this app and stage, every file's sha256 as its
// manifest says): bad input is refused with exit 2 and the host is never
// contacted. Then a confirmation (--yes without a terminal), the app's lock,
// and one channel: remote/app-restore.sh followed by the archive on its
// stdin. The host checks the upload's size and sha256, unpacks it beside the
// data dir, and only then stops the units, swaps the directories, starts the
// units and waits for their health check; any failure from the stop on puts
// the old data back (src/app/backupScripts.ts, remote/app-restore.sh).
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Context } from '../context.js';
import { healthCheckHost } from '../config/healthHost.js';
import { confirmOrAbort } from '../deploy/confirm.js';
import { connectHost } from '../deploy/connect.js';
import { loadCommandConfig } from '../deploy/commandConfig.js';
import { progressThrottle } from '../exec/upload-command.js';
import { RemoteCommandError } from '../errors.js';
import { formatBytes } from '../output/reporter.js';
import { layoutFor } from '../plan/layout.js';
import { findMarker, Marker, parseMarkers } from '../remote/protocol.js';
import { checkArchive, checkBackupBelongs } from './backupArchive.js';
import { pickOneHost } from './backupHost.js';
import { renderRestoreScript } from './backupScripts.js';
import { streamScript } from '../ssh/sendScript.js';

export async function runRestore(ctx: Context, fileArg: string): Promise<void> {
  const config = loadCommandConfig(ctx);
  const host = pickOneHost(config, ctx.global.host, 'restore');
  const file = resolve(ctx.cwd, fileArg);
  const checked = await checkArchive(file);
  const m = checked.manifest;
  checkBackupBelongs(m, file, config.app, config.stage);
  const files = m.files.filter((f) => f.type === 'file').length;
  const { dataDir } = layoutFor(config);
  const from = m.host === host.name ? '' : ` (it was taken on ${m.host})`;
  await confirmOrAbort(
    ctx,
    `Replace ${dataDir} on ${host.name} with the backup of ${m.createdAt}${m.release ? `, release ${m.release}` : ''} (${files} files, ${formatBytes(m.bytes)})${from}? The app's units stop while the data is swapped`,
  );

  const started = ctx.clock.now();
  const { handle, lock } = await connectHost(ctx, config, host, { lock: true, command: 'app restore' });
  try {
    const script = renderRestoreScript(config, {
      size: checked.size,
      sha256: checked.sha256,
      waitSec: config.healthCheck.timeout,
      health: {
        path: config.healthCheck.path ?? '',
        status: config.healthCheck.status,
        host: healthCheckHost(config, host) ?? '',
        port: config.healthCheck.port,
      },
    });
    const label = fileArg.split('/').pop() ?? fileArg;
    const progress = progressThrottle(checked.size, (bytes, total) =>
      ctx.reporter.emit({ type: 'upload', host: host.name, file: label, bytes, total }),
    );
    let sent = 0;
    async function* archive(): AsyncGenerator<Buffer> {
      for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
        sent += (chunk as Buffer).length;
        progress.sent(sent);
        yield chunk as Buffer;
      }
      progress.done();
    }
    let stdout = '';
    let stderr = '';
    const r = await streamScript(handle.session, script, {
      asRoot: true,
      payload: archive(),
      onStdout: (c) => (stdout += c.toString('utf8')),
      onStderr: (c) => {
        if (stderr.length < 65536) stderr += c.toString('utf8');
      },
    });
    const markers = parseMarkers(stdout);
    if (r.code !== 0) {
      const error = findMarker(markers, Marker.error) ?? `the restore script exited with ${r.code ?? r.signal}`;
      throw new RemoteCommandError(`${host.name}: the restore failed: ${error}`, r.code, stderr, {
        details: stderr.trim().split('\n').slice(-15).join('\n') || undefined,
        hint: "deployer app logs shows more of the units' logs; deployer app status shows what runs",
      });
    }
    ctx.reporter.emit({
      type: 'phase',
      host: host.name,
      phase: 'restore',
      status: 'done',
      ms: ctx.clock.now() - started,
      label: `restored ${dataDir} from the backup of ${m.createdAt} (${files} files, ${formatBytes(m.bytes)}); the app's units are active again`,
    });
    ctx.reporter.emit({
      type: 'result',
      command: 'app restore',
      ok: true,
      data: { app: config.appName, host: host.name, file, createdAt: m.createdAt, release: m.release, files, bytes: m.bytes },
    });
  } finally {
    lock.release();
    handle.remote.close();
  }
}
