// The scheduled backup of [backups]: `<app>-backup.service`, a oneshot that
// runs the release's copy of remote/app-backup.sh (written by the deploy as
// `.deployer/backup.sh`), and `<app>-backup.timer` (the timer.hbs of the
// [processes] timers) with OnCalendar = schedule. They are ordinary units of
// the release: a deploy installs, enables and, when [backups] goes, removes
// them like the others, and `down` removes them with the app.
import type { Config, HostConfig } from '../config/types.js';
import { backupFileStem } from '../app/backupNames.js';
import { layoutFor } from '../plan/layout.js';
import { unitBaseName } from './names.js';
import { systemdQuote } from './templateQuote.js';
import type { UnitView } from './views.js';

/** Where the release keeps the script the backup unit runs. */
export const BACKUP_SCRIPT_PATH = '.deployer/backup.sh';

/** `<appsDir>/<app>/backups`: beside the releases and the data, not inside either. */
export function backupsDirFor(config: Pick<Config, 'appsDir' | 'appName'>): string {
  return `${layoutFor(config).appDir}/backups`;
}

export function backupUnitNames(config: Pick<Config, 'appName'>): { service: string; timer: string } {
  const base = unitBaseName(config, 'backup');
  return { service: `${base}.service`, timer: `${base}.timer` };
}

/**
 * The command that writes one archive of the data dir into the backups dir and
 * keeps the newest `[backups] keep`: the scheduled unit's ExecStart, and the
 * prepare step of backup_before_release (src/plan/releaseBackup.ts).
 */
export function backupToFileArgv(config: Config, hostName: string, script: string): string[] {
  const L = layoutFor(config);
  return [
    '/bin/bash',
    script,
    'file',
    L.appDir,
    L.dataDir,
    config.app,
    // systemd drops an empty word: "-" stands for "no stage".
    config.stage ?? '-',
    hostName,
    backupsDirFor(config),
    String(config.backups?.keep ?? 7),
    backupFileStem(config.app, config.stage, hostName),
  ];
}

export function buildBackupViews(config: Config, host: HostConfig): UnitView[] {
  const schedule = config.backups?.schedule;
  if (schedule === undefined) return [];
  const L = layoutFor(config);
  const { service, timer } = backupUnitNames(config);
  const argv = backupToFileArgv(config, host.name, `${L.current}/${BACKUP_SCRIPT_PATH}`);
  const description = `${config.app}${config.stage ? ` (${config.stage})` : ''} backup of the data dir`;
  const common = {
    app: config.app,
    appName: config.appName,
    stage: config.stage ?? null,
    description,
    syslogIdentifier: unitBaseName(config, 'backup'),
    timerUnit: timer,
    serviceUnit: service,
  };
  return [
    {
      name: service,
      template: 'backup.service.hbs',
      view: {
        ...common,
        backupsDir: backupsDirFor(config),
        keep: config.backups?.keep ?? 7,
        execStart: argv.map((a) => systemdQuote(a, 'exec')).join(' '),
      },
      // Started by the timer only.
      instances: [],
      action: 'restart',
    },
    { name: timer, template: 'timer.hbs', view: { ...common, onCalendar: schedule }, instances: [timer], action: 'restart' },
  ];
}
