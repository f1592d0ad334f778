// A throwaway copy of an example app, pointed at a test host, and a way to run
// the built CLI against it as a user would (a child process; output captured).
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestHost } from './testhost.js';
import { tempDir } from './tmp.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
// The bundled CLI (scripts/bundle.mjs), as the package's bin runs it.
export const cliPath = join(repoRoot, 'dist', 'cli', 'cli.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Parsed --json lines (when the run used --json). */
  events: Array<Record<string, unknown>>;
}

export interface Project {
  dir: string;
  /** Rewrites deployer.toml: the example's settings plus `extra` TOML, with the hosts replaced. */
  writeConfig(extra?: string, hosts?: TestHost[]): void;
  setVersion(version: string): void;
  run(args: string[], opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult>;
  /** Starts the CLI and returns the child (for kill tests), plus a promise of its result. */
  start(args: string[], opts?: { env?: NodeJS.ProcessEnv }): { child: ChildProcess; result: Promise<CliResult> };
  cleanup(): void;
}

/** What an example app's deployer.toml says, minus its hosts (see appToml). */
export interface AppToml {
  app: string;
  /** The example it builds: the binary (default) or the Python wheel. */
  example?: 'binary-app' | 'python-app';
  /** build_command, if not the example's own. */
  build?: string;
  /** Top-level keys after the build settings, in order (`strategy`, `envfile`, `apps_dir` …); strings are quoted. */
  settings?: Record<string, string | number | boolean>;
  /** Top-level TOML lines after the settings, as written (keys whose quoting a test spells out). */
  top?: string;
  /** Lines under [processes] after `web`. */
  processes?: string;
  /** The site's domain (default APP.localhost); null: no [webserver] (stages set their own). */
  site?: string | null;
  /** The site's upstream port (default 8000), and TOML after [webserver] ([webserver.statics] …). */
  port?: number;
  webserver?: string;
  /** [health_check] timeout in seconds, and lines after it. */
  timeout?: number;
  health?: string;
  /** TOML after everything else ([stages.*], [hooks] …). */
  extra?: string;
}

/** A TOML value: strings as basic strings (JSON's escapes are TOML's). */
const tomlValue = (v: string | number | boolean) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/**
 * The deployer.toml of the tests' example apps, one place for the lines they
 * share. Most pass `settings: { strategy: 'restart' }` for the unit names of
 * a restart deploy (<app>-web.service); zero-downtime.test.ts tests blue-green.
 */
export function appToml(o: AppToml): string {
  const python = o.example === 'python-app';
  const site = o.site === undefined ? `${o.app}.localhost` : o.site;
  const lines = [
    `app = "${o.app}"`,
    `build_command = ${tomlValue(o.build ?? (python ? 'python3 build_wheel.py' : './build.sh'))}`,
    python ? 'distfile = "dist/hello_app-{version}-py3-none-any.whl"' : 'distfile = "dist/hello-bin"',
    `installation_mode = "${python ? 'python-package' : 'binary'}"`,
    ...Object.entries(o.settings ?? {}).map(([k, v]) => `${k} = ${tomlValue(v)}`),
    ...(o.top ? [o.top] : []),
    '',
    '[processes]',
    python ? 'web = "hello-app"' : 'web = "app_binary"',
    ...(o.processes ? [o.processes] : []),
    '',
    ...(site === null ? [] : ['[webserver]', `domains = ["http://${site}"]`, `upstream = "127.0.0.1:${o.port ?? 8000}"`, '']),
    ...(o.webserver ? [o.webserver, ''] : []),
    '[health_check]',
    'path = "/healthz"',
    ...(o.timeout === undefined ? [] : [`timeout = ${o.timeout}`]),
    ...(o.health ? [o.health] : []),
    ...(o.extra ? ['', o.extra] : []),
  ];
  return lines.join('\n') + '\n';
}

/** [[hosts]] entries for test hosts; `extra` is TOML added to each (or per host, by index). */
export function hostToml(hosts: TestHost[], extra: string | ((index: number) => string) = ''): string {
  return hosts
    .map(
      (h, i) => `
[[hosts]]
name = "h${i + 1}"
address = "127.0.0.1"
port = ${h.sshPort}
user = "deploy"
key_file = "${h.keyPath}"
known_hosts = "${h.knownHostsPath}"
${typeof extra === 'function' ? extra(i) : extra}`,
    )
    .join('\n');
}

export function createProject(example: 'python-app' | 'binary-app', hosts: TestHost[], baseToml: string): Project {
  const dir = tempDir(`deployer-${example}-`);
  // The binary example keeps its version in deployer.toml (build.sh reads it there).
  let binaryVersion = '1.0.0';
  let lastExtra = '';
  let lastHosts = hosts;
  cpSync(join(repoRoot, 'examples', example), dir, {
    recursive: true,
    filter: (src) => !/\/dist(\/|$)/.test(src.slice(join(repoRoot, 'examples', example).length)),
  });
  const project: Project = {
    dir,
    writeConfig(extra = lastExtra, hs = lastHosts) {
      lastExtra = extra;
      lastHosts = hs;
      const version = example === 'binary-app' ? `version = "${binaryVersion}"\n` : '';
      writeFileSync(join(dir, 'deployer.toml'), `${version}${baseToml}\n${extra}\n${hostToml(hs)}\n`);
    },
    setVersion(version) {
      if (example === 'python-app') {
        const p = join(dir, 'pyproject.toml');
        writeFileSync(p, readFileSync(p, 'utf8').replace(/^version = ".*"$/m, `version = "${version}"`));
      } else {
        binaryVersion = version;
        project.writeConfig();
      }
    },
    start: (args, opts = {}) => startCli(args, { cwd: dir, env: opts.env }),
    run: (args, opts = {}) => runCli(args, { cwd: dir, ...opts }),
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  project.writeConfig();
  return project;
}

/** Starts the built CLI in `cwd` as a user's shell would (PATH, HOME, LANG, plus `env`). */
export function startCli(
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv },
): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const result = new Promise<CliResult>((res) => {
    child.on('close', (code, signal) => {
      const events = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            return {};
          }
        });
      res({ code, signal, stdout, stderr, events });
    });
  });
  return { child, result };
}

/** Runs the built CLI to its end (killed after `timeoutMs`, 3 minutes by default). */
export async function runCli(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult> {
  const { child, result } = startCli(args, opts);
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
  const r = await result;
  clearTimeout(timer);
  return r;
}

/** Waits until the child prints `@@paused <point>` (DEPLOYER_TEST_PAUSE_AT). */
export function waitForPause(child: ChildProcess, point: string, timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`the CLI did not reach pause point ${point} in ${timeoutMs} ms; output:\n${seen}`)),
      timeoutMs,
    );
    const onData = (d: Buffer | string) => {
      seen += d.toString();
      if (seen.includes(`@@paused ${point}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`the CLI exited before pause point ${point}; output:\n${seen}`));
    });
  });
}

export function resultEvent(r: CliResult): { ok: boolean; data: { hosts: Array<Record<string, unknown>> } } | undefined {
  return r.events.find((e) => e.type === 'result') as never;
}
