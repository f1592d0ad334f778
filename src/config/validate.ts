// Turns one merged TOML document (base + the stage overlay, if any) into the
// resolved Config: checks every key, fills defaults, converts snake_case.
// The first problem throws (one ConfigError, one paragraph).
import type { Config, DeployStrategy, HealthCheckConfig, HooksConfig, InstallationMode, RollbackPolicy, SecretAdapterName, SecretsConfig, WebserverConfig } from './types.js';
import { checkNotTopLevelKey, type Issues } from './issues.js';
import { ENV_NAME, readHosts, type PathContext } from './hosts.js';
import { readProcesses } from './processes.js';
import { compact, TableReader, type RawTable } from './reader.js';
import { APP_NAME, DEFAULTS, KEYS, USER_NAME, VERSION } from './schema.js';
import { suggest } from './suggest.js';

const MODES: readonly InstallationMode[] = ['python-package', 'binary'];
const ROLLBACKS: readonly RollbackPolicy[] = ['all', 'host'];
const STRATEGIES: readonly DeployStrategy[] = ['blue-green', 'restart'];
const ADAPTERS: readonly SecretAdapterName[] = ['system', 'bitwarden', '1password', 'doppler', 'json-env'];

export interface ValidateMeta extends PathContext {
  file: string;
  stage?: string;
  stages: string[];
}

export function validateConfig(raw: RawTable, issues: Issues, meta: ValidateMeta): Config {
  const top = new TableReader(issues, raw, [], 'top');
  const app = top.string('app', {
    required: true,
    pattern: APP_NAME,
    expected: 'lowercase letters, digits and "-", starting with a letter or digit (it names units and directories)',
  });
  const version = top.string('version', { pattern: VERSION, expected: 'letters, digits, ".", "_", "+" and "-" only (it names the release directory)' });
  const buildCommand = top.string('build_command', { pattern: /\S/, expected: 'a non-empty command' });
  const buildTimeout = top.integer('build_timeout', 1) ?? DEFAULTS.buildTimeout;
  const distfile = top.string('distfile', { required: true, pattern: /\S/, expected: 'the path of the built artifact' });
  const installationMode = top.choice('installation_mode', MODES, true) as InstallationMode;
  const stageHint = meta.stage === undefined && meta.stages.length ? `, or pick a stage that has hosts with --stage (${meta.stages.join(', ')})` : '';
  const hosts = readHosts(raw, issues, meta, stageHint);
  const processes = readProcesses(raw, issues);
  const webserver = readWebserver(top, issues);
  if (webserver.enabled && !processes.some((p) => p.name === 'web')) {
    const explicit = raw.webserver !== undefined && (raw.webserver as RawTable).enabled === true;
    const state = (explicit ? 'webserver.enabled is true' : 'the webserver is enabled (the default)') + (meta.stage ? ` with [stages.${meta.stage}] applied` : '');
    issues.fail(['processes'], 'key', `${issues.name(['processes'])} has no "web" process, but ${state}, so Caddy would have nothing to proxy to. Fix: add web = "gunicorn myapp.wsgi --bind 127.0.0.1:8000" under [processes], or set enabled = false under [webserver].`);
  }
  const config: Config = {
    file: meta.file,
    root: meta.root,
    stage: meta.stage,
    app,
    appName: meta.stage === undefined ? app : `${app}-${meta.stage}`,
    version,
    buildCommand,
    buildTimeout,
    distfile,
    installationMode,
    requirements: top.string('requirements', { pattern: /\S/, expected: 'a path to a requirements file' }),
    wheelhouse: top.string('wheelhouse', { pattern: /\S/, expected: 'a path to a directory of wheels' }),
    releaseCommand: top.string('release_command', { pattern: /\S/, expected: 'a non-empty command' }),
    versionsToKeep: top.integer('versions_to_keep', 1) ?? DEFAULTS.versionsToKeep,
    // systemd refuses an ExecStart program path with shell-special characters,
    // and apps_dir is part of every one, so only plain path characters pass.
    appsDir: top.string('apps_dir', { pattern: /^\/[A-Za-z0-9._/+@:,=-]*$/, expected: 'an absolute path of letters, digits and . _ / + @ : , = - (systemd refuses other characters in program paths)' }) ?? DEFAULTS.appsDir,
    appUser: top.string('app_user', { pattern: USER_NAME, expected: 'a user name like "myapp"' }),
    rollback: top.choice('rollback', ROLLBACKS) ?? DEFAULTS.rollback,
    parallel: top.integer('parallel', 1) ?? DEFAULTS.parallel,
    strategy: top.choice('strategy', STRATEGIES) ?? DEFAULTS.strategy,
    drainSeconds: top.integer('drain_seconds', 0, 3600) ?? DEFAULTS.drainSeconds,
    hosts,
    processes,
    webserver,
    healthCheck: readHealthCheck(top, issues, webserver),
    secrets: readSecrets(top, issues),
    hooks: readHooks(top, issues),
    env: top.string('env'),
    envfile: top.string('envfile', { pattern: /\S/, expected: 'a path to a dotenv file' }),
    stages: meta.stages,
  };
  return compact(config);
}

function readWebserver(top: TableReader, issues: Issues): WebserverConfig {
  const r = new TableReader(issues, top.subTable('webserver') ?? {}, ['webserver'], 'webserver');
  const upstream = r.string('upstream', { pattern: /^(unix\/\S+|\S+:\d+)$/, expected: 'host:port (like "127.0.0.1:8000") or unix/<socket path>' }) ?? DEFAULTS.upstream;
  const portText = /:(\d+)$/.exec(upstream)?.[1];
  const port = upstream.startsWith('unix/') || portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (port < 1 || port > 65535)) r.issues.wrongValue(r.at('upstream'), 'host:port with a port from 1 to 65535', upstream, r.example('upstream'));
  return compact({
    enabled: r.boolean('enabled') ?? true,
    domains: r.strings('domains') ?? [],
    upstream,
    port,
    statics: readStatics(r, issues),
  });
}

function readStatics(r: TableReader, issues: Issues): Record<string, string> {
  const table = r.subTable('statics') ?? {};
  const out: Record<string, string> = {};
  for (const [prefix, dir] of Object.entries(table)) {
    const path = ['webserver', 'statics', prefix];
    if (!prefix.startsWith('/')) {
      issues.fail(path, 'key', `${issues.name(path)}: a statics key is a URL path prefix and must start with "/". Fix: write "/${prefix}" = ${JSON.stringify(typeof dir === 'string' ? dir : 'static')}.`);
    }
    if (typeof dir !== 'string' || dir.trim() === '') issues.wrongValue(path, 'a directory (relative to the release)', dir, '"static"');
    out[prefix] = dir;
  }
  return out;
}

function readHealthCheck(top: TableReader, issues: Issues, webserver: WebserverConfig): HealthCheckConfig {
  const r = new TableReader(issues, top.subTable('health_check') ?? {}, ['health_check'], 'health_check');
  return compact({
    path: r.string('path', { pattern: /^\/\S*$/, expected: 'a URL path starting with "/"' }),
    status: r.integer('status', 100, 599) ?? DEFAULTS.healthStatus,
    timeout: r.integer('timeout', 1) ?? DEFAULTS.healthTimeout,
    port: r.integer('port', 1, 65535) ?? webserver.port,
    host: r.string('host', { pattern: /^[^\s/@]+$/, expected: 'a host name as the Host header carries it, like "example.com" (no scheme, path or spaces)' }),
  });
}

function readSecrets(top: TableReader, issues: Issues): SecretsConfig {
  const table = top.subTable('secrets') ?? {};
  // Other keys are adapter options, but a near miss of a known key is a typo, not an option.
  for (const key of Object.keys(table)) {
    const guess = suggest(key, KEYS.secrets);
    if (guess && guess !== key) issues.unknownKey(['secrets'], key, 'secrets', KEYS.secrets);
    checkNotTopLevelKey(issues, ['secrets'], key);
  }
  const r = new TableReader(issues, table, ['secrets'], 'secrets', Object.keys(table));
  const options: Record<string, string> = {};
  for (const key of Object.keys(table)) {
    if (KEYS.secrets.includes(key)) continue;
    options[key] = r.string(key, { expected: 'a string (an adapter option)' }) as string;
  }
  return compact({
    adapter: r.choice('adapter', ADAPTERS) ?? DEFAULTS.secretsAdapter,
    jsonEnv: r.string('json_env', { pattern: ENV_NAME, expected: 'the name of an environment variable' }),
    options,
  });
}

function readHooks(top: TableReader, issues: Issues): HooksConfig {
  const r = new TableReader(issues, top.subTable('hooks') ?? {}, ['hooks'], 'hooks');
  const command = { pattern: /\S/, expected: 'a non-empty command' };
  return compact({
    preBuild: r.string('pre_build', command),
    postDeployLocal: r.string('post_deploy_local', command),
    preSwitch: r.string('pre_switch', command),
    postDeploy: r.string('post_deploy', command),
    onFailureLocal: r.string('on_failure_local', command),
    alwaysLocal: r.string('always_local', command),
    onFailure: r.string('on_failure', command),
    always: r.string('always', command),
  });
}
