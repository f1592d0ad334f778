// The keys deployer.toml accepts, table by table, with the example each
// error's "Fix:" suggests. Validation (validate.ts), the unknown-key check
// and the test that keeps docs/deployer.example.toml complete all read these
// lists, so a new key is added here first.

export type TableKind = 'top' | 'host' | 'process' | 'webserver' | 'health_check' | 'secrets' | 'hooks';

export const KEYS: Record<TableKind, readonly string[]> = {
  top: [
    'app', 'version', 'build_command', 'build_timeout', 'distfile', 'installation_mode', 'requirements',
    'wheelhouse', 'release_command', 'versions_to_keep', 'apps_dir', 'app_user', 'rollback', 'parallel',
    'env', 'envfile', 'strategy', 'drain_seconds', 'hosts', 'processes', 'webserver', 'health_check', 'secrets', 'hooks',
    'stages',
  ],
  host: [
    'name', 'address', 'user', 'port', 'key_file', 'key_env', 'key_passphrase_env', 'known_hosts', 'known_hosts_env',
    'host_key_policy', 'env', 'envfile', 'domains',
  ],
  process: ['command', 'replicas', 'socket', 'timer'],
  webserver: ['enabled', 'domains', 'upstream', 'statics'],
  health_check: ['path', 'status', 'timeout', 'port', 'host'],
  secrets: ['adapter', 'json_env'],
  hooks: ['pre_build', 'post_deploy_local', 'on_failure_local', 'always_local', 'pre_switch', 'post_deploy', 'on_failure', 'always'],
};

/** Keys a [stages.<name>] overlay may not set. */
export const NOT_IN_STAGE = ['app', 'stages'] as const;

/** Right-hand sides shown in "Fix: write key = …" hints. */
const EXAMPLES: Record<TableKind, Record<string, string>> = {
  top: {
    app: '"myapp"',
    version: '"1.2.3"',
    build_command: '"uv build"',
    build_timeout: '600',
    distfile: '"dist/myapp-{version}-py3-none-any.whl"',
    installation_mode: '"python-package"',
    requirements: '"requirements.txt"',
    wheelhouse: '"dist/wheels"',
    release_command: '"myapp migrate"',
    versions_to_keep: '5',
    apps_dir: '"/srv/deployer"',
    app_user: '"myapp"',
    rollback: '"all"',
    parallel: '8',
    env: '"DEBUG=false\\nWORKERS=4"',
    envfile: '".env.prod"',
    strategy: '"blue-green"',
    drain_seconds: '10',
    hosts: '[{ address = "203.0.113.10" }]',
    processes: '{ web = "gunicorn myapp.wsgi --bind 127.0.0.1:8000" }',
  },
  host: {
    name: '"web1"',
    address: '"203.0.113.10"',
    user: '"deploy"',
    port: '22',
    key_file: '"~/.ssh/id_ed25519"',
    key_env: '"SSH_PRIVATE_KEY"',
    key_passphrase_env: '"SSH_KEY_PASSPHRASE"',
    known_hosts: '"~/.ssh/known_hosts"',
    known_hosts_env: '"SSH_KNOWN_HOSTS"',
    host_key_policy: '"strict"',
    env: '"WORKERS=4"',
    envfile: '".env.web1"',
    domains: '["example.com"]',
  },
  process: {
    command: '"gunicorn myapp.wsgi --bind 127.0.0.1:8000"',
    replicas: '1',
    socket: 'false',
    timer: '"*-*-* 03:00:00"',
  },
  webserver: {
    enabled: 'true',
    domains: '["example.com"]',
    upstream: '"127.0.0.1:8000"',
    statics: '{ "/static" = "static" }',
  },
  health_check: { path: '"/healthz"', status: '200', timeout: '30', port: '8000', host: '"example.com"' },
  secrets: { adapter: '"system"', json_env: '"DEPLOYER_SECRETS"' },
  hooks: {
    pre_build: '"npm run build:css"',
    post_deploy_local: '"./notify.sh"',
    pre_switch: '"myapp check --deploy"',
    post_deploy: '"myapp warm-cache"',
    on_failure_local: '"./notify.sh failed"',
    always_local: '"./notify.sh done"',
    on_failure: '"myapp report-failure"',
    always: '"myapp cleanup-tmp"',
  },
};

export function exampleFor(kind: TableKind, key: string): string {
  return EXAMPLES[kind][key] ?? '"…"';
}

/** App, stage and process names end up in unit names and paths. */
export const APP_NAME = /^[a-z0-9][a-z0-9-]*$/;
export const PROCESS_NAME = /^[a-z0-9][a-z0-9_-]*$/;
/** Versions become release directory names (v<version>/). */
export const VERSION = /^[A-Za-z0-9._+-]+$/;
/** A POSIX user name, as useradd accepts it. */
export const USER_NAME = /^[a-z_][a-z0-9_.-]*\$?$/;

export const DEFAULTS = {
  buildTimeout: 600,
  versionsToKeep: 5,
  appsDir: '/srv/deployer',
  rollback: 'all',
  parallel: 8,
  user: 'deploy',
  port: 22,
  hostKeyPolicy: 'strict',
  replicas: 1,
  upstream: '127.0.0.1:8000',
  healthStatus: 200,
  healthTimeout: 30,
  secretsAdapter: 'system',
  strategy: 'blue-green',
  drainSeconds: 10,
} as const;
