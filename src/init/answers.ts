// What `deployer init` needs to know, the defaults it can guess, and the
// checks on each answer (shared by the flags and the prompts). Pure: the
// pyproject.toml text is passed in.
import { parse } from 'smol-toml';
import { ConfigError } from '../errors.js';
import type { InstallationMode } from '../config/types.js';
import { APP_NAME, DEFAULTS, PROCESS_NAME, USER_NAME } from '../config/schema.js';

export const MODES: readonly InstallationMode[] = ['python-package', 'binary'];

export interface ProcessAnswer {
  name: string;
  command: string;
}

export interface InitAnswers {
  app: string;
  mode: InstallationMode;
  /** Host addresses (from the repeatable global -H/--host). */
  hosts: string[];
  user: string;
  /** SSH port, when not 22. */
  port?: number;
  /** Private key file, when not the SSH agent or the default keys. */
  keyFile?: string;
  domains: string[];
  /** The web process's command; undefined for worker-only apps (no Caddy site). */
  web?: string;
  workers: ProcessAnswer[];
  distfile: string;
  buildCommand?: string;
}

/** The flags as commander hands them over (every one optional). */
export interface InitFlags {
  app?: string;
  mode?: string;
  hosts?: string[];
  user?: string;
  port?: string;
  keyFile?: string;
  domain?: string[];
  web?: string;
  worker?: string[];
  distfile?: string;
  buildCommand?: string;
  force?: boolean;
}

/** `[project].name` of a pyproject.toml, or undefined when absent or unreadable. */
export function readProjectName(pyprojectText: string | undefined): string | undefined {
  if (pyprojectText === undefined) return undefined;
  try {
    const project = (parse(pyprojectText) as { project?: { name?: unknown } }).project;
    return typeof project?.name === 'string' && project.name.trim() !== '' ? project.name : undefined;
  } catch {
    return undefined;
  }
}

/** "My_Shop.API" -> "my-shop-api": app names become unit names and directories. */
export function normaliseAppName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The distribution name as it appears in a wheel's file name (PEP 427/503). */
export function wheelName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '_');
}

export function defaultDistfile(mode: InstallationMode, app: string, projectName?: string): string {
  return mode === 'binary' ? `dist/${app}` : `dist/${wheelName(projectName ?? app)}-{version}-py3-none-any.whl`;
}

export function defaultBuildCommand(mode: InstallationMode): string | undefined {
  return mode === 'python-package' ? 'uv build' : undefined;
}

/** A suggestion for the prompt only; without a TTY --web must be given. */
export function suggestWebCommand(mode: InstallationMode, app: string, projectName?: string): string | undefined {
  return mode === 'python-package' ? `gunicorn ${wheelName(projectName ?? app)}.wsgi --bind 127.0.0.1:$PORT` : undefined;
}

// Each check returns an error message, or undefined when the value is fine;
// the prompts show the message, the flags throw it.
export function checkAppName(v: string): string | undefined {
  return APP_NAME.test(v)
    ? undefined
    : `app name ${JSON.stringify(v)} must be lowercase letters, digits and "-", starting with a letter or digit`;
}

export function checkMode(v: string): string | undefined {
  return (MODES as readonly string[]).includes(v) ? undefined : `mode ${JSON.stringify(v)} must be one of ${MODES.join(', ')}`;
}

export function checkAddress(v: string): string | undefined {
  // host:port (or [v6]:port) is not an address: the port has its own key.
  const withPort = /^\[([^\]]+)\]:(\d+)$/.exec(v) ?? /^([^:]+):(\d+)$/.exec(v);
  if (withPort)
    return `host address ${JSON.stringify(v)} includes a port: give the address ${JSON.stringify(withPort[1])} and the port separately (--port ${withPort[2]})`;
  return /^[^\s@/]+$/.test(v) ? undefined : `host address ${JSON.stringify(v)} must be a host name or IP address (no user@, no spaces)`;
}

export function checkPort(v: string): string | undefined {
  return /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 65535 ? undefined : `port ${JSON.stringify(v)} must be a number from 1 to 65535`;
}

export function checkKeyFile(v: string): string | undefined {
  return v.trim() !== '' && !/[\n\r]/.test(v) ? undefined : 'the key file must be a path, e.g. ~/.ssh/id_ed25519';
}

export function checkUser(v: string): string | undefined {
  return USER_NAME.test(v) ? undefined : `user ${JSON.stringify(v)} must be a user name like "deploy"`;
}

/** As the config takes them: `example.com`, `example.com:8443`, `http://hello.localhost` (plain HTTP), `https://…`. */
export function checkDomain(v: string): string | undefined {
  return /^(https?:\/\/)?[^\s/:]+(:\d+)?$/.test(v)
    ? undefined
    : `domain ${JSON.stringify(v)} must be a domain like example.com, or http://name for plain HTTP (no path)`;
}

/**
 * The site address when no domain is given: a name only this app answers to.
 * A catch-all `:80` site would take every request on the host, and a second
 * app's site on the same host would then fail `caddy validate`.
 */
export function defaultDomain(app: string): string {
  return `http://${app}.localhost`;
}

export function checkCommand(v: string): string | undefined {
  return v.trim() !== '' ? undefined : 'the command must not be empty';
}

/** "worker=celery -A shop worker" -> { name, command }. */
export function parseWorker(spec: string): ProcessAnswer {
  const eq = spec.indexOf('=');
  const name = eq === -1 ? '' : spec.slice(0, eq).trim();
  const command = eq === -1 ? '' : spec.slice(eq + 1).trim();
  if (!name || !command) {
    throw new ConfigError(`--worker ${JSON.stringify(spec)} is not name=command`, {
      hint: 'write it as --worker "worker=celery -A myapp worker"',
    });
  }
  if (!PROCESS_NAME.test(name) || name === 'web') {
    throw new ConfigError(
      `--worker name ${JSON.stringify(name)} must be lowercase letters, digits, "-" and "_" (and not "web", which is --web)`,
      {
        hint: 'for example --worker "worker=celery -A myapp worker"',
      },
    );
  }
  return { name, command };
}

/** Throws the flag's check as a ConfigError naming the flag. */
export function checkFlag(flag: string, value: string, check: (v: string) => string | undefined): string {
  const problem = check(value);
  if (problem) throw new ConfigError(`${flag}: ${problem}`);
  return value;
}
