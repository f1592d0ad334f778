// The one description of deployer.toml: every key of every table, with its
// type, bounds, default and the example each error's "Fix:" suggests. The
// resolved types (types.ts derives them with Fields<>), the validation
// (fields.ts reads a table by walking its schema), the unknown-key check and
// the tests that keep docs/deployer.example.toml complete and its examples
// valid all come from here. Adding a key: one entry below, plus its line in
// docs/deployer.example.toml (a test fails until it is there).
import { checkSchedule } from './backups.js';
import { checkAppsDir, checkDistfile, checkHostAddress, checkRoleName, checkSiteAddress } from './rules.js';

// ---- Field kinds -------------------------------------------------------------

/** A value problem found by a rule: "<key> <problem>. Fix: <fix>." */
export interface RuleFailure {
  problem: string;
  fix: string;
}

interface Common {
  /** The right-hand side shown in "Fix: write key = …". */
  example: string;
}
export interface StringField extends Common {
  type: 'string';
  required?: boolean;
  default?: string;
  pattern?: RegExp;
  /** What a matching value looks like, for the message. */
  expected?: string;
  /** Longest accepted value, in characters. */
  maxLength: number;
  /** Refuse line breaks (commands and expressions that must stay on one line). */
  oneLine?: boolean;
  /** A check beyond the pattern (system directories, reserved names …). */
  rule?: (value: string) => RuleFailure | undefined;
}
export interface IntegerField extends Common {
  type: 'integer';
  required?: boolean;
  default?: number;
  min: number;
  max: number;
}
export interface BooleanField extends Common {
  type: 'boolean';
  default?: boolean;
}
export interface ChoiceField<V extends string = string> extends Common {
  type: 'choice';
  values: readonly V[];
  required?: boolean;
  default?: V;
}
export interface StringsField extends Common {
  type: 'strings';
  default?: readonly string[];
  maxItems: number;
  maxLength: number;
  /** A check of each item (site addresses …). */
  rule?: (value: string) => RuleFailure | undefined;
}
/** A key read by its own code (tables such as [[hosts]] and [processes]). */
export interface CustomField extends Common {
  type: 'custom';
}
export type Field = StringField | IntegerField | BooleanField | ChoiceField | StringsField | CustomField;
export type TableSchema = Record<string, Field>;

const string = <const F extends Omit<StringField, 'type' | 'maxLength'> & { maxLength?: number }>(f: F) => ({
  maxLength: 4096,
  ...f,
  type: 'string' as const,
});
const integer = <const F extends Omit<IntegerField, 'type'>>(f: F) => ({ ...f, type: 'integer' as const });
const boolean = <const F extends Omit<BooleanField, 'type'>>(f: F) => ({ ...f, type: 'boolean' as const });
const choice = <const V extends string, const F extends Omit<ChoiceField<V>, 'type'>>(f: F & { values: readonly V[] }) => ({
  ...f,
  type: 'choice' as const,
});
const strings = <const F extends Omit<StringsField, 'type' | 'maxItems' | 'maxLength'> & { maxItems?: number; maxLength?: number }>(
  f: F,
) => ({ maxItems: 100, maxLength: 253, ...f, type: 'strings' as const });
const custom = (example: string): CustomField => ({ type: 'custom', example });

// ---- Shared patterns and bounds ---------------------------------------------

/** App, stage and process names end up in unit names and paths. */
export const APP_NAME = /^[a-z0-9][a-z0-9-]*$/;
export const PROCESS_NAME = /^[a-z0-9][a-z0-9_-]*$/;
/** Versions become release directory names (v<version>/). */
export const VERSION = /^[A-Za-z0-9._+-]+$/;
/** A POSIX user name, as useradd accepts it. */
export const USER_NAME = /^[a-z_][a-z0-9_.-]*\$?$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Unit names are `<app>[-<stage>]-<process>[@<port>].<suffix>` and systemd
 * refuses names over 255 characters: 64 + 1 + 32 + 1 + 64 + 1 + 5 + 8 fits.
 */
export const LIMITS = {
  appName: 64,
  stageName: 32,
  processName: 64,
  processes: 100,
  /** Replicas of one process: each is a unit with its own port. */
  replicas: 100,
  hosts: 1000,
  /** Inline env text and env files, in bytes / keys. */
  envBytes: 8 * 1024 * 1024,
  envKeys: 50_000,
} as const;

/** Run by a shell (bash -c), so several lines are a script. */
const command = { pattern: /\S/, expected: 'a non-empty command' } as const;
const envName = { pattern: ENV_NAME, expected: 'the name of an environment variable', maxLength: 255 } as const;
/** webserver.domains and hosts[].domains: one rule for both, since both become the Caddy site's addresses. */
const siteAddresses = { default: [], rule: checkSiteAddress, example: '["example.com"]' } as const;
/** hosts[].roles and processes.<name>.roles: which hosts run which processes (src/config/roles.ts). */
const roles = (example: string) => strings({ maxItems: 50, maxLength: 64, rule: checkRoleName, example });
const path = (what: string) => ({ pattern: /\S/, expected: `a path to ${what}`, maxLength: 1024 }) as const;

// ---- The tables --------------------------------------------------------------

export const SCHEMA = {
  top: {
    app: string({
      required: true,
      pattern: APP_NAME,
      maxLength: LIMITS.appName,
      expected: `lowercase letters, digits and "-", starting with a letter or digit, at most ${LIMITS.appName} characters (it names units and directories)`,
      example: '"myapp"',
    }),
    version: string({
      pattern: VERSION,
      maxLength: 128,
      expected: 'letters, digits, ".", "_", "+" and "-" only (it names the release directory)',
      example: '"1.2.3"',
    }),
    build_command: string({ ...command, example: '"uv build"' }),
    build_timeout: integer({ min: 1, max: 86_400, default: 600, example: '600' }),
    distfile: string({
      required: true,
      ...path('the built artifact'),
      rule: checkDistfile,
      example: '"dist/myapp-{version}-py3-none-any.whl"',
    }),
    installation_mode: choice({ values: ['python-package', 'binary'], required: true, example: '"python-package"' }),
    requirements: string({ ...path('a requirements file'), example: '"requirements.txt"' }),
    wheelhouse: string({ ...path('a directory of wheels'), example: '"dist/wheels"' }),
    release_command: string({ ...command, example: '"myapp migrate"' }),
    // A snapshot of the data dir into the backups dir before release_command (src/plan/releaseBackup.ts).
    backup_before_release: boolean({ default: false, example: 'true' }),
    versions_to_keep: integer({ min: 1, max: 1000, default: 5, example: '5' }),
    // systemd refuses an ExecStart program path with shell-special characters,
    // and apps_dir is part of every one, so only plain path characters pass.
    apps_dir: string({
      default: '/srv/deployer',
      pattern: /^\/[A-Za-z0-9._/+@:,=-]*$/,
      maxLength: 512,
      expected: 'an absolute path of letters, digits and . _ / + @ : , = - (systemd refuses other characters in program paths)',
      rule: checkAppsDir,
      example: '"/srv/deployer"',
    }),
    app_user: string({ pattern: USER_NAME, maxLength: 32, expected: 'a user name like "myapp"', example: '"myapp"' }),
    rollback: choice({ values: ['all', 'host'], default: 'all', example: '"all"' }),
    parallel: integer({ min: 1, max: 1000, default: 8, example: '8' }),
    env: string({ maxLength: LIMITS.envBytes, example: '"DEBUG=false\\nWORKERS=4"' }),
    envfile: string({ ...path('a dotenv file'), example: '".env.prod"' }),
    /** Env keys whose literal values may appear in output (every other env value is redacted). */
    public_env: strings({ maxItems: LIMITS.envKeys, maxLength: 255, example: '["DEBUG", "DJANGO_SETTINGS_MODULE"]' }),
    strategy: choice({ values: ['blue-green', 'restart'], default: 'blue-green', example: '"blue-green"' }),
    drain_seconds: integer({ min: 0, max: 3600, default: 10, example: '10' }),
    hosts: custom('[{ address = "203.0.113.10" }]'),
    // Prints the hosts as a JSON array of host tables, instead of [[hosts]] (src/config/hostsCommand.ts).
    hosts_command: string({ ...command, oneLine: true, example: '"terraform output -json web_hosts"' }),
    processes: custom('{ web = "gunicorn myapp.wsgi --bind 127.0.0.1:$PORT" }'),
    webserver: custom('{ enabled = true }'),
    health_check: custom('{ path = "/healthz" }'),
    secrets: custom('{ adapter = "system" }'),
    hooks: custom('{ post_deploy = "myapp warm-cache" }'),
    stages: custom('{ staging = { versions_to_keep = 2 } }'),
    backups: custom('{ schedule = "daily", keep = 7 }'),
    rollout: custom('{ canary = 1, batch = "25%" }'),
  },
  host: {
    name: string({ pattern: /^\S+$/, maxLength: 253, expected: 'a non-empty name without spaces', example: '"web1"' }),
    address: string({
      required: true,
      pattern: /^[^\s@/]+$/,
      maxLength: 253,
      expected: 'a host name or IP address (no user@, no spaces)',
      rule: checkHostAddress,
      example: '"203.0.113.10"',
    }),
    user: string({ default: 'deploy', pattern: USER_NAME, maxLength: 32, expected: 'a user name like "deploy"', example: '"deploy"' }),
    port: integer({ min: 1, max: 65535, default: 22, example: '22' }),
    key_file: string({ ...path('a private key file'), example: '"~/.ssh/id_ed25519"' }),
    key_env: string({ ...envName, example: '"SSH_PRIVATE_KEY"' }),
    key_passphrase_env: string({ ...envName, example: '"SSH_KEY_PASSPHRASE"' }),
    known_hosts: string({ ...path('a known_hosts file'), example: '"~/.ssh/known_hosts"' }),
    known_hosts_env: string({ ...envName, example: '"SSH_KNOWN_HOSTS"' }),
    host_key_policy: choice({ values: ['strict', 'accept-new'], default: 'strict', example: '"strict"' }),
    env: string({ maxLength: LIMITS.envBytes, example: '"WORKERS=4"' }),
    envfile: string({ ...path('a dotenv file'), example: '".env.web1"' }),
    domains: strings(siteAddresses),
    roles: roles('["web", "worker"]'),
  },
  process: {
    // Becomes a systemd ExecStart= line, so it must stay on one line.
    command: string({
      required: true,
      pattern: /\S/,
      expected: 'a non-empty command on one line',
      oneLine: true,
      example: '"gunicorn myapp.wsgi --bind 127.0.0.1:$PORT"',
    }),
    replicas: integer({ min: 1, max: LIMITS.replicas, default: 1, example: '1' }),
    socket: boolean({ default: false, example: 'false' }),
    timer: string({
      pattern: /\S/,
      oneLine: true,
      maxLength: 256,
      expected: 'a systemd OnCalendar= expression on one line, like "daily"',
      example: '"*-*-* 03:00:00"',
    }),
    roles: roles('["worker"]'),
  },
  webserver: {
    enabled: boolean({ default: true, example: 'true' }),
    domains: strings(siteAddresses),
    upstream: string({
      default: '127.0.0.1:8000',
      pattern: /^(unix\/\S+|\S+:\d+)$/,
      maxLength: 512,
      expected: 'host:port (like "127.0.0.1:8000") or unix/<socket path>',
      example: '"127.0.0.1:8000"',
    }),
    statics: custom('{ "/static" = "static" }'),
  },
  health_check: {
    path: string({ pattern: /^\/\S*$/, maxLength: 2048, expected: 'a URL path starting with "/"', example: '"/healthz"' }),
    status: integer({ min: 100, max: 599, default: 200, example: '200' }),
    timeout: integer({ min: 1, max: 3600, default: 30, example: '30' }),
    port: integer({ min: 1, max: 65535, example: '8000' }),
    host: string({
      pattern: /^[^\s/@]+$/,
      maxLength: 253,
      expected: 'a host name as the Host header carries it, like "example.com" (no scheme, path or spaces)',
      example: '"example.com"',
    }),
  },
  secrets: {
    adapter: choice({ values: ['system', 'bitwarden', '1password', 'doppler', 'json-env'], default: 'system', example: '"system"' }),
    json_env: string({ ...envName, example: '"DEPLOYER_SECRETS"' }),
  },
  hooks: {
    pre_build: string({ ...command, example: '"npm run build:css"' }),
    post_deploy_local: string({ ...command, example: '"./notify.sh"' }),
    on_failure_local: string({ ...command, example: '"./notify.sh failed"' }),
    always_local: string({ ...command, example: '"./notify.sh done"' }),
    pre_switch: string({ ...command, example: '"myapp check --deploy"' }),
    post_deploy: string({ ...command, example: '"myapp warm-cache"' }),
    on_failure: string({ ...command, example: '"myapp report-failure"' }),
    always: string({ ...command, example: '"myapp cleanup-tmp"' }),
  },
  backups: {
    // OnCalendar= of the backup timer (src/render/backupViews.ts); without it, no timer.
    schedule: string({
      pattern: /\S/,
      oneLine: true,
      maxLength: 256,
      expected: 'a systemd OnCalendar= value on one line, like "daily" or "*-*-* 03:00:00"',
      rule: checkSchedule,
      example: '"daily"',
    }),
    keep: integer({ min: 1, max: 1000, default: 7, example: '7' }),
  },
  // [rollout] (src/config/rollout.ts): batch and max_failed take a count or "P%", so they are read there.
  rollout: {
    canary: integer({ min: 0, max: LIMITS.hosts, default: 0, example: '1' }),
    canary_wait: integer({ min: 0, max: 86_400, default: 30, example: '30' }),
    batch: custom('"25%"'),
    max_failed: custom('0'),
  },
} satisfies Record<string, TableSchema>;

export type TableKind = keyof typeof SCHEMA;

// ---- Derived views -----------------------------------------------------------

/** The keys each table accepts. */
export const KEYS = Object.fromEntries(Object.entries(SCHEMA).map(([kind, table]) => [kind, Object.keys(table)])) as unknown as Record<
  TableKind,
  readonly string[]
>;

/** Keys a [stages.<name>] overlay may not set. */
export const NOT_IN_STAGE = ['app', 'stages'] as const;

export function exampleFor(kind: TableKind, key: string): string {
  return (SCHEMA[kind] as TableSchema)[key]?.example ?? '"…"';
}

/** Defaults under the resolved (camelCase) names, for init and messages. */
export const DEFAULTS = {
  buildTimeout: SCHEMA.top.build_timeout.default,
  versionsToKeep: SCHEMA.top.versions_to_keep.default,
  appsDir: SCHEMA.top.apps_dir.default,
  rollback: SCHEMA.top.rollback.default,
  parallel: SCHEMA.top.parallel.default,
  strategy: SCHEMA.top.strategy.default,
  drainSeconds: SCHEMA.top.drain_seconds.default,
  user: SCHEMA.host.user.default,
  port: SCHEMA.host.port.default,
  hostKeyPolicy: SCHEMA.host.host_key_policy.default,
  replicas: SCHEMA.process.replicas.default,
  upstream: SCHEMA.webserver.upstream.default,
  healthStatus: SCHEMA.health_check.status.default,
  healthTimeout: SCHEMA.health_check.timeout.default,
  secretsAdapter: SCHEMA.secrets.adapter.default,
};

// ---- Types derived from a table's schema --------------------------------------

/** snake_case -> camelCase, as types (key_passphrase_env -> keyPassphraseEnv). */
export type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

export function camel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

type ValueOf<F> = F extends { type: 'string' }
  ? string
  : F extends { type: 'integer' }
    ? number
    : F extends { type: 'boolean' }
      ? boolean
      : F extends { type: 'choice'; values: readonly (infer V)[] }
        ? V
        : F extends { type: 'strings' }
          ? string[]
          : never;
/** A value is always present when the key is required or has a default. */
type Always<F> = F extends { required: true } ? true : F extends { default: unknown } ? true : false;
type Plain<S> = { [K in keyof S as S[K] extends { type: 'custom' } ? never : K]: S[K] };
type Flatten<T> = { [K in keyof T]: T[K] };

/** The resolved object for a table: camelCase keys; optional unless required or defaulted. */
export type Fields<S> = Flatten<
  { -readonly [K in keyof Plain<S> as Always<Plain<S>[K]> extends true ? Camel<K & string> : never]: ValueOf<Plain<S>[K]> } & {
    -readonly [K in keyof Plain<S> as Always<Plain<S>[K]> extends true ? never : Camel<K & string>]?: ValueOf<Plain<S>[K]>;
  }
>;
