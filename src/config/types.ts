// The resolved configuration: what `loadConfig()` returns after parsing
// deployer.toml, applying the stage overlay, filling defaults and validating.
// Everything downstream (planner, templates, commands) reads only this shape.

export type InstallationMode = 'python-package' | 'binary';
export type HostKeyPolicy = 'strict' | 'accept-new';
export type RollbackPolicy = 'all' | 'host';
/** "blue-green": start the new release next to the old one, then switch; "restart": stop, then start. */
export type DeployStrategy = 'blue-green' | 'restart';
export type SecretAdapterName = 'system' | 'bitwarden' | '1password' | 'doppler' | 'json-env';

export interface HostConfig {
  /** Unique name used in output and --host (defaults to the address). */
  name: string;
  address: string;
  /** SSH user; also the user the app runs as unless `app_user` is set. */
  user: string;
  port: number;
  /** Path to a private key file (~ expanded), or undefined. */
  keyFile?: string;
  /** Name of an environment variable that holds a private key (for CI). */
  keyEnv?: string;
  /** Name of an environment variable holding the private key's passphrase (for CI). */
  keyPassphraseEnv?: string;
  /** known_hosts file to verify the host key against (default ~/.ssh/known_hosts). */
  knownHosts?: string;
  /** Name of an environment variable holding known_hosts lines (for CI). */
  knownHostsEnv?: string;
  hostKeyPolicy: HostKeyPolicy;
  /** Inline env text (dotenv syntax, may contain $NAME references). */
  env?: string;
  /** Path of an env file (dotenv syntax), relative to the config file. */
  envfile?: string;
  /** Extra domains for this host's Caddy site (added to webserver.domains). */
  domains: string[];
  /** Keys not written in the config (filled with defaults): ~/.ssh/config may set them. */
  defaulted?: ReadonlyArray<'user' | 'port'>;
}

export interface ProcessConfig {
  name: string;
  command: string;
  /** >1 renders a template unit `<unit>@.service` and starts N instances. */
  replicas: number;
  /** Optional systemd socket activation / timer. */
  socket: boolean;
  /** systemd OnCalendar= expression: the process runs as a timer, not a service. */
  timer?: string;
}

export interface WebserverConfig {
  enabled: boolean;
  domains: string[];
  /** Where Caddy proxies to (host:port or unix/...); the web process listens there. */
  upstream: string;
  /** Port the web process listens on (parsed from upstream when it is host:port). */
  port?: number;
  /** URL path prefix -> directory relative to the release (served by Caddy). */
  statics: Record<string, string>;
}

export interface HealthCheckConfig {
  /** HTTP path, e.g. /healthz. When unset only unit activity is checked. */
  path?: string;
  status: number;
  /** Seconds to wait for the check to pass after a restart. */
  timeout: number;
  /** Port to check (defaults to webserver.port). */
  port?: number;
  /** Host header the check sends; unset: the host's first domain (see healthCheckHost). */
  host?: string;
}

export interface SecretsConfig {
  adapter: SecretAdapterName;
  /** For json-env: name of the environment variable holding a JSON object. */
  jsonEnv?: string;
  /** For doppler: project/config; for bitwarden: session env var name, etc. */
  options: Record<string, string>;
}

export interface HooksConfig {
  /** Local, before build_command. */
  preBuild?: string;
  /** Local, after a successful deploy to every host. */
  postDeployLocal?: string;
  /** Remote (in the new release, before the switch, after release_command). */
  preSwitch?: string;
  /** Remote (after the switch and the health check). */
  postDeploy?: string;
  /** Local, after a deploy failed (on any host). */
  onFailureLocal?: string;
  /** Local, at the end of every deploy, successful or not. */
  alwaysLocal?: string;
  /** Remote, on each host whose deploy failed. */
  onFailure?: string;
  /** Remote, on each host at the end of its deploy, successful or not. */
  always?: string;
}

export interface Config {
  /** Absolute path of the config file (for error messages). */
  file: string;
  /** Directory of the config file; relative paths resolve against it. */
  root: string;
  stage?: string;
  app: string;
  /** `app` or `app-<stage>`: names the app dir, units, Caddy site, lock. */
  appName: string;
  /** Explicit version, or undefined to read pyproject.toml / git. */
  version?: string;
  buildCommand?: string;
  /** Seconds. */
  buildTimeout: number;
  /** Path of the artifact, relative to root; `{version}` is substituted. */
  distfile: string;
  installationMode: InstallationMode;
  /** requirements.txt to install into the venv (python mode). */
  requirements?: string;
  /** Directory of wheels to upload and install from with --no-index. */
  wheelhouse?: string;
  releaseCommand?: string;
  versionsToKeep: number;
  /** Absolute directory on the host holding all apps (default /srv/deployer). */
  appsDir: string;
  /** User the app runs as (default: each host's SSH user). */
  appUser?: string;
  rollback: RollbackPolicy;
  /** Max hosts worked on at once. */
  parallel: number;
  strategy: DeployStrategy;
  /** Seconds the old release keeps serving after the switch before it is stopped (0..3600). */
  drainSeconds: number;
  hosts: HostConfig[];
  processes: ProcessConfig[];
  webserver: WebserverConfig;
  healthCheck: HealthCheckConfig;
  secrets: SecretsConfig;
  hooks: HooksConfig;
  /** Top-level env text / envfile, used for hosts that set none. */
  env?: string;
  envfile?: string;
  /** Names of the stages declared in the file (for completion and errors). */
  stages: string[];
}
