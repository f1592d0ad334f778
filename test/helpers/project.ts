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
    start(args, opts = {}) {
      const child = spawn(process.execPath, [cliPath, ...args], {
        cwd: dir,
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
    },
    async run(args, opts = {}) {
      const { child, result } = project.start(args, opts);
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
      const r = await result;
      clearTimeout(timer);
      return r;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  project.writeConfig();
  return project;
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
