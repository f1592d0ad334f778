// Turns one merged TOML document (base + the stage overlay, if any) into the
// resolved Config. Plain keys are read by their schema (TableReader.fields);
// this file adds what a schema cannot say: tables of tables, derived values
// and checks across keys. Problems are recorded in Issues, not thrown, so the
// caller reports them all.
import type { BackupsConfig, Config, HealthCheckConfig, HooksConfig, SecretsConfig, WebserverConfig } from './types.js';
import { checkNotTopLevelKey, type Issues } from './issues.js';
import type { PathContext } from './hosts.js';
import { readConfigHosts, type HostsCommandRunner } from './hostsCommand.js';
import { checkRoles } from './roles.js';
import { readProcesses } from './processes.js';
import { readRollout } from './rollout.js';
import { compact, isTable, TableReader, type RawTable } from './reader.js';
import { appDirReason, fixedPortIn } from './rules.js';
import { KEYS } from './schema.js';
import { suggest } from './suggest.js';
import type { TomlPath } from './path.js';
import { EnvTextError, parseEnvText } from '../secrets/envText.js';
import { usesBlueGreen, webSlots } from '../plan/slots.js';

export interface ValidateMeta extends PathContext {
  file: string;
  stage?: string;
  stages: string[];
  /** Runs hosts_command (only for the config that is used; see hostsCommand.ts). */
  runHostsCommand?: HostsCommandRunner;
}

export function validateConfig(raw: RawTable, issues: Issues, meta: ValidateMeta): Config {
  const top = new TableReader(issues, raw, [], 'top');
  const fields = top.fields();
  const stageHint =
    meta.stage === undefined && meta.stages.length ? `, or pick a stage that has hosts with --stage (${meta.stages.join(', ')})` : '';
  const read = issues.attempt(() => readConfigHosts(raw, fields.hostsCommand, issues, meta, stageHint, meta.runHostsCommand));
  const { hosts, issues: hostIssues } = read ?? { hosts: [], issues };
  const processes = issues.attempt(() => readProcesses(raw, issues)) ?? [];
  if (hosts.length) checkRoles(issues, hostIssues, hosts, processes);
  const webserver = readWebserver(top, issues);
  // A web process that is there but wrong is reported as such, not also as missing.
  const webWritten = isTable(raw.processes) && raw.processes.web !== undefined;
  if (webserver.enabled && raw.processes !== undefined && !webWritten && !processes.some((p) => p.name === 'web')) {
    const explicit = raw.webserver !== undefined && (raw.webserver as RawTable).enabled === true;
    const state =
      (explicit ? 'webserver.enabled is true' : 'the webserver is enabled (the default)') +
      (meta.stage ? ` with [stages.${meta.stage}] applied` : '');
    issues.attempt(() =>
      issues.fail(
        ['processes'],
        'key',
        `${issues.name(['processes'])} has no "web" process, but ${state}, so Caddy would have nothing to proxy to. Fix: add web = "gunicorn myapp.wsgi --bind 127.0.0.1:$PORT" under [processes] (deployer sets PORT for each web instance), or set enabled = false under [webserver].`,
      ),
    );
  }
  const appName = meta.stage === undefined ? fields.app : `${fields.app}-${meta.stage}`;
  checkAppDir(issues, fields.appsDir, appName, raw);
  checkEnvText(issues, ['env'], fields.env);
  hosts.forEach((h, n) => checkEnvText(hostIssues, ['hosts', n, 'env'], h.env));
  const config: Config = {
    file: meta.file,
    root: meta.root,
    stage: meta.stage,
    ...fields,
    appName,
    hosts,
    processes,
    webserver,
    healthCheck: readHealthCheck(top, issues, webserver),
    secrets: readSecrets(top, issues),
    hooks: readHooks(top, issues),
    backups: readBackups(top, issues, processes),
    rollout: readRollout(top, issues),
    stages: meta.stages,
  };
  checkWebPorts(issues, config);
  checkFixedPort(issues, raw, config);
  return compact(config);
}

/** <apps_dir>/<app> is what `down` deletes: it must not be a system or shared directory. */
function checkAppDir(issues: Issues, appsDir: string, appName: string, raw: RawTable): void {
  if (appName === undefined) return;
  const reason = appDirReason(appsDir, appName);
  if (reason === undefined) return;
  const path = raw.apps_dir !== undefined ? ['apps_dir'] : ['app'];
  issues.attempt(() =>
    issues.fail(
      path,
      'value',
      `the app directory ${appsDir.replace(/\/+$/, '')}/${appName} (apps_dir + app name) is not deployer's to create and delete: ${reason}. Fix: write apps_dir = "/srv/deployer" (the default), or rename the app.`,
    ),
  );
}

/** Inline env text is parsed now, so a bad line is reported at its place in deployer.toml. */
function checkEnvText(issues: Issues, path: TomlPath, text: string | undefined): void {
  if (text === undefined) return;
  issues.attempt(() => {
    try {
      parseEnvText(text, issues.name(path));
    } catch (err) {
      if (!(err instanceof EnvTextError)) throw err;
      issues.fail(path, 'value', `${issues.name(path)}, line ${err.line} of its text: ${err.detail}. Fix: ${err.fix}.`);
    }
  });
}

/**
 * The web instances take ports from webserver.upstream's port up: R replicas
 * take R ports by restart, 2R under blue-green (two slots, see
 * src/plan/slots.ts). The last one must exist.
 */
function checkWebPorts(issues: Issues, config: Pick<Config, 'strategy' | 'webserver' | 'processes' | 'appName'>): void {
  const web = config.processes.find((p) => p.name === 'web');
  const port = config.webserver.port;
  if (!web || port === undefined) return;
  const blueGreen = usesBlueGreen(config);
  const count = blueGreen ? 2 * web.replicas : web.replicas;
  const last = port + count - 1;
  if (last <= 65535) return;
  const most = blueGreen ? Math.floor((65535 - port + 1) / 2) : 65535 - port + 1;
  const why = blueGreen ? ' (blue-green: two slots of instances, each on its own port)' : '';
  // One replica: nothing to lower but the port, so point at the upstream.
  const path = web.replicas > 1 ? ['processes', 'web', 'replicas'] : ['webserver', 'upstream'];
  const what =
    web.replicas > 1
      ? `${issues.name(path)} = ${web.replicas} starting at port ${port} (webserver.upstream)`
      : `${issues.name(path)} = "${config.webserver.upstream}" with one web instance`;
  issues.attempt(() =>
    issues.fail(
      path,
      'value',
      `${what} needs ports up to ${last}${why}, above 65535. Fix: ${web.replicas > 1 && most >= 1 ? `write replicas = ${most} or less, or ` : ''}choose a lower port in upstream.`,
    ),
  );
}

/**
 * Blue-green runs two copies of the web process at once, each on its own port
 * (PORT): a command that binds a slot's port itself cannot, so it is refused
 * here rather than after the health timeout of every deploy.
 */
function checkFixedPort(issues: Issues, raw: RawTable, config: Parameters<typeof webSlots>[0]): void {
  const slots = issues.attempt(() => webSlots(config));
  const web = config.processes.find((p) => p.name === 'web');
  if (!slots || !web) return;
  const ports = [...slots.ports.a, ...slots.ports.b].sort((x, y) => x - y);
  const found = fixedPortIn(web.command, ports);
  if (!found) return;
  const table = isTable(raw.processes) && isTable(raw.processes.web);
  const path = table ? ['processes', 'web', 'command'] : ['processes', 'web'];
  const slotList = `${slots.ports.a.join(', ')} in slot a, ${slots.ports.b.join(', ')} in slot b`;
  issues.attempt(() =>
    issues.fail(
      path,
      'key',
      `${issues.name(path)} binds the fixed port ${found.port} (${JSON.stringify(found.word)}) and never mentions PORT, but with strategy = "blue-green"${raw.strategy === undefined ? ' (the default)' : ''} the new release starts beside the live one, each instance on its own port (${slotList}), given to it in PORT: every instance would try port ${found.port} and the deploy would fail its health check. Fix: use $PORT, e.g. ${table ? 'command' : 'web'} = ${JSON.stringify(found.fixed)}, or set strategy = "restart" at the top of the file (one copy at a time, restarted in place).`,
    ),
  );
}

function readWebserver(top: TableReader, issues: Issues): WebserverConfig {
  const r = new TableReader(issues, issues.attempt(() => top.subTable('webserver')) ?? {}, ['webserver'], 'webserver');
  const fields = r.fields();
  const portText = /:(\d+)$/.exec(fields.upstream)?.[1];
  const port = fields.upstream.startsWith('unix/') || portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (port < 1 || port > 65535)) {
    issues.attempt(() =>
      r.issues.wrongValue(r.at('upstream'), 'host:port with a port from 1 to 65535', fields.upstream, r.example('upstream')),
    );
  }
  return compact({ ...fields, port, statics: readStatics(r, issues) });
}

function readStatics(r: TableReader, issues: Issues): Record<string, string> {
  const table = issues.attempt(() => r.subTable('statics')) ?? {};
  const out: Record<string, string> = {};
  for (const [prefix, dir] of Object.entries(table)) {
    const path = ['webserver', 'statics', prefix];
    issues.attempt(() => {
      if (!prefix.startsWith('/')) {
        issues.fail(
          path,
          'key',
          `${issues.name(path)}: a statics key is a URL path prefix and must start with "/". Fix: write "/${prefix}" = ${JSON.stringify(typeof dir === 'string' ? dir : 'static')}.`,
        );
      }
      if (typeof dir !== 'string' || dir.trim() === '') issues.wrongValue(path, 'a directory (relative to the release)', dir, '"static"');
    });
    out[prefix] = dir as string;
  }
  return out;
}

function readHealthCheck(top: TableReader, issues: Issues, webserver: WebserverConfig): HealthCheckConfig {
  const r = new TableReader(issues, issues.attempt(() => top.subTable('health_check')) ?? {}, ['health_check'], 'health_check');
  const fields = r.fields();
  return compact({ ...fields, port: fields.port ?? webserver.port });
}

function readSecrets(top: TableReader, issues: Issues): SecretsConfig {
  const table = issues.attempt(() => top.subTable('secrets')) ?? {};
  // Other keys are adapter options, but a near miss of a known key is a typo, not an option.
  for (const key of Object.keys(table)) {
    issues.attempt(() => {
      const guess = suggest(key, KEYS.secrets);
      if (guess && guess !== key) issues.unknownKey(['secrets'], key, 'secrets', KEYS.secrets);
      checkNotTopLevelKey(issues, ['secrets'], key);
    });
  }
  const r = new TableReader(issues, table, ['secrets'], 'secrets', Object.keys(table));
  const options: Record<string, string> = {};
  for (const key of Object.keys(table)) {
    if (KEYS.secrets.includes(key)) continue;
    options[key] = issues.attempt(() =>
      r.read(key, { type: 'string', expected: 'a string (an adapter option)', maxLength: 4096, example: '"…"' }),
    ) as string;
  }
  return compact({ ...r.fields(), options });
}

function readHooks(top: TableReader, issues: Issues): HooksConfig {
  return new TableReader(issues, issues.attempt(() => top.subTable('hooks')) ?? {}, ['hooks'], 'hooks').fields();
}

function readBackups(top: TableReader, issues: Issues, processes: Config['processes']): BackupsConfig | undefined {
  const table = issues.attempt(() => top.subTable('backups'));
  if (table === undefined) return undefined;
  const fields = new TableReader(issues, table, ['backups'], 'backups').fields();
  // The backup units are <app>-backup.service/.timer: a process of that name would be overwritten.
  if (fields.schedule !== undefined && processes.some((p) => p.name === 'backup')) {
    issues.attempt(() =>
      issues.fail(
        ['backups', 'schedule'],
        'key',
        `${issues.name(['backups', 'schedule'])} makes the units <app>-backup.service and <app>-backup.timer, but the process "backup" under [processes] has the same unit name. Fix: rename the process (e.g. backup-job), or remove schedule.`,
      ),
    );
  }
  return fields;
}
