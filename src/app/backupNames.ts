// The names of backup archives, pure (the scheduled backup's unit is
// rendered with them, and src/render/ reads no files): app, stage, host and
// the UTC time, so they sort by time and say whose data they hold.

/** `<app>[-<stage>]-<host>`: what the archives of one host start with (any character a file name would trip on made "_"). */
export function backupFileStem(app: string, stage: string | undefined, host: string): string {
  const safeHost = host.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return `${app}${stage ? `-${stage}` : ''}-${safeHost}`;
}

/** `shop-staging-web1-20260105T031500Z.tar.gz`: app, stage, host and UTC time; sorts by time. */
export function defaultBackupName(app: string, stage: string | undefined, host: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `${backupFileStem(app, stage, host)}-${stamp}.tar.gz`;
}
