// The local phase: run build_command (streamed, with a timeout), then find
// the artifact and hash it.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Config } from '../config/types.js';
import { LocalCommandError } from '../errors.js';
import type { Reporter } from '../output/reporter.js';

export interface Artifact {
  path: string;
  name: string;
  sha256: string;
  size: number;
}

/** Runs a user command line from the config (it is shell text by design) in the project root. */
export async function runLocalCommand(opts: {
  command: string;
  what: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutSec: number;
  reporter: Reporter;
  /** Stops the command (a host turned out unreachable while it ran). */
  signal?: AbortSignal;
}): Promise<void> {
  const { execa } = await import('execa');
  const { reporter } = opts;
  const child = execa(opts.command, {
    shell: '/bin/bash',
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: false,
    timeout: opts.timeoutSec * 1000,
    cancelSignal: opts.signal,
    reject: false,
    stdin: 'ignore',
    all: true,
    buffer: { all: true, stdout: false, stderr: false },
  });
  child.all?.setEncoding('utf8');
  // Whole lines, so a secret cut in two by a pipe read is still redacted.
  const lines = reporter.redactor.lines((text) => reporter.emit({ type: 'output', stream: 'stdout', text }));
  child.all?.on('data', (chunk: string) => lines.push(chunk));
  const result = await child;
  lines.flush();
  if (result.isCanceled) throw new LocalCommandError(`${opts.what} was stopped: ${opts.command}`);
  if (result.timedOut) {
    throw new LocalCommandError(`${opts.what} did not finish within ${opts.timeoutSec} s: ${opts.command}`, {
      hint: 'raise build_timeout in deployer.toml, or make the build faster',
    });
  }
  if (result.exitCode !== 0) {
    const tail = String(result.all ?? '')
      .trim()
      .split('\n')
      .slice(-20)
      .join('\n');
    throw new LocalCommandError(`${opts.what} failed with exit code ${result.exitCode ?? result.signal}: ${opts.command}`, {
      details: tail || undefined,
      hint: 'run the command by hand in the project directory to see the whole output',
    });
  }
}

export function artifactPath(config: Config, version: string): string {
  const rel = config.distfile.replaceAll('{version}', version);
  return isAbsolute(rel) ? rel : resolve(config.root, rel);
}

const SMALL_FILE = 8 << 20;

/** sha256 of a file, or of its first `bytes` bytes. */
export async function hashFile(path: string, bytes?: number): Promise<string> {
  const hash = createHash('sha256');
  if (bytes === 0) return hash.digest('hex');
  // A small file in one read: a stream's setup costs more than the hashing (a deploy hashes before its first packet).
  if (bytes === undefined && statSync(path).size <= SMALL_FILE) return hash.update(readFileSync(path)).digest('hex');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, end: bytes === undefined ? undefined : bytes - 1 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function findArtifact(config: Config, version: string): Promise<Artifact> {
  const path = artifactPath(config, version);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new LocalCommandError(
      `${config.file}: distfile ${config.distfile} resolves to ${path}, which does not exist${config.buildCommand ? ' after build_command ran' : ''}`,
      {
        hint: `check that build_command writes the artifact there and that distfile (with {version} = ${version}) names it`,
      },
    );
  }
  const size = statSync(path).size;
  return { path, name: path.slice(path.lastIndexOf('/') + 1), sha256: await hashFile(path), size };
}
