// The resolved configuration: what `loadConfig()` returns after parsing
// deployer.toml, applying the stage overlay, filling defaults and validating.
// Everything downstream (planner, templates, commands) reads only this shape.
// The plain keys of each table are derived from schema.ts (Fields<>): a key
// added there appears here, typed, under its camelCase name. Only what the
// schema cannot say (derived values, tables of tables) is written out below.
import type { Fields, SCHEMA } from './schema.js';
import type { RolloutConfig } from './rollout.js';

type Schema = typeof SCHEMA;

export type InstallationMode = Schema['top']['installation_mode']['values'][number];
export type HostKeyPolicy = Schema['host']['host_key_policy']['values'][number];
export type RollbackPolicy = Schema['top']['rollback']['values'][number];
/** "blue-green": start the new release next to the old one, then switch; "restart": stop, then start. */
export type DeployStrategy = Schema['top']['strategy']['values'][number];
export type SecretAdapterName = Schema['secrets']['adapter']['values'][number];

/**
 * One [[hosts]] entry. `name` defaults to the address; `keyFile` and
 * `knownHosts` are expanded (~ and relative to the config file).
 */
export type HostConfig = Omit<Fields<Schema['host']>, 'name'> & {
  /** Unique name used in output and --host (defaults to the address). */
  name: string;
  /** Keys not written in the config (filled with defaults): ~/.ssh/config may set them. */
  defaulted?: ReadonlyArray<'user' | 'port'>;
};

/** One [processes] entry; `name` is its key. replicas > 1 renders a template unit `<unit>@.service`. */
export type ProcessConfig = Fields<Schema['process']> & {
  name: string;
};

export type WebserverConfig = Fields<Schema['webserver']> & {
  /** Port the web process listens on (parsed from upstream when it is host:port). */
  port?: number;
  /** URL path prefix -> directory relative to the release (served by Caddy). */
  statics: Record<string, string>;
};

/** `port` defaults to webserver.port; `host` (the Host header) to the first domain, see healthCheckHost. */
export type HealthCheckConfig = Fields<Schema['health_check']>;

export type SecretsConfig = Fields<Schema['secrets']> & {
  /** For doppler: project/config; for bitwarden: session env var name, etc. */
  options: Record<string, string>;
};

/**
 * preBuild, postDeployLocal, onFailureLocal, alwaysLocal run locally;
 * preSwitch, postDeploy, onFailure, always on each host.
 */
export type HooksConfig = Fields<Schema['hooks']>;

/** [backups]: present only when the table is written; `schedule` unset: no timer. */
export type BackupsConfig = Fields<Schema['backups']>;

export type Config = Fields<Schema['top']> & {
  /** Absolute path of the config file (for error messages). */
  file: string;
  /** Directory of the config file; relative paths resolve against it. */
  root: string;
  stage?: string;
  /** `app` or `app-<stage>`: names the app dir, units, Caddy site, lock. */
  appName: string;
  hosts: HostConfig[];
  processes: ProcessConfig[];
  webserver: WebserverConfig;
  healthCheck: HealthCheckConfig;
  secrets: SecretsConfig;
  hooks: HooksConfig;
  backups?: BackupsConfig;
  /** [rollout]: present only when the table is written; without it every host switches in one wave. */
  rollout?: RolloutConfig;
  /** Names of the stages declared in the file (for completion and errors). */
  stages: string[];
};
