// Which version is being deployed: `version` in the config, else
// pyproject.toml's [project].version next to it, else `git describe`. The
// result names the release directory (v<version>/), so it is checked here.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import type { Config } from './types.js';
import { parseToml } from './parse.js';
import { isTable } from './reader.js';
import { VERSION } from './schema.js';

export interface VersionDeps {
  /** File contents, or undefined when the file does not exist. */
  readFile(path: string): string | undefined;
  /** stdout of `git <args>` run in `cwd`, or undefined when git fails (no repo, no commits, no git). */
  git(args: string[], cwd: string): string | undefined;
}

export const systemVersionDeps: VersionDeps = {
  readFile(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  },
  git(args, cwd) {
    try {
      return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    } catch {
      return undefined;
    }
  },
};

export const GIT_DESCRIBE = ['describe', '--tags', '--always', '--dirty=+dirty'];

export function resolveVersion(config: Pick<Config, 'version' | 'root' | 'file'>, deps: VersionDeps = systemVersionDeps): string {
  if (config.version !== undefined) return checkVersion(config.version, 'version in the config');
  const pyproject = join(config.root, 'pyproject.toml');
  const text = deps.readFile(pyproject);
  if (text !== undefined) {
    const project = parseToml(text, pyproject).project;
    const version = isTable(project) ? project.version : undefined;
    if (typeof version === 'string') return checkVersion(version, '[project].version in pyproject.toml');
  }
  const described = deps.git(GIT_DESCRIBE, config.root)?.trim();
  if (described) return checkVersion(described.replace(/^v(?=\d)/, ''), '`git describe`');
  throw new ConfigError(
    `cannot tell which version to deploy: ${config.file} sets no version, there is no [project].version in ${pyproject}, and \`git describe\` gave nothing in ${config.root} (not a git repository, or no commit yet). Fix: set version = "1.0.0" in the config.`,
  );
}

function checkVersion(version: string, source: string): string {
  if (VERSION.test(version)) return version;
  throw new ConfigError(
    `version ${JSON.stringify(version)} from ${source} cannot name a release directory: use only letters, digits, ".", "_", "+" and "-". Fix: set version = "${version.replace(/[^A-Za-z0-9._+-]+/g, '-').replace(/^-+|-+$/g, '') || '1.0.0'}" in the config.`,
  );
}
