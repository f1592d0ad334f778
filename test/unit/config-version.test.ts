import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { GIT_DESCRIBE, resolveVersion, type VersionDeps } from '../../src/config/version.js';
import { tempDir } from '../helpers/tmp.js';

const root = '/proj';
const base = { root, file: '/proj/deployer.toml' };

function fakeDeps(files: Record<string, string>, git?: string): VersionDeps & { gitCalls: string[][] } {
  const gitCalls: string[][] = [];
  return {
    gitCalls,
    readFile: (path) => files[path],
    git: (args, cwd) => {
      assert.equal(cwd, root);
      gitCalls.push(args);
      return git;
    },
  };
}

test('an explicit version wins and nothing else is read', () => {
  const deps = fakeDeps({ '/proj/pyproject.toml': '[project]\nversion = "9.9.9"\n' }, 'v8.8.8');
  assert.equal(resolveVersion({ ...base, version: '1.2.3' }, deps), '1.2.3');
  assert.equal(deps.gitCalls.length, 0);
});

test('pyproject.toml [project].version next to the config', () => {
  const deps = fakeDeps({ '/proj/pyproject.toml': '[project]\nname = "shop"\nversion = "0.4.1"\n' }, 'v8.8.8');
  assert.equal(resolveVersion(base, deps), '0.4.1');
  assert.equal(deps.gitCalls.length, 0);
});

test('a dynamic pyproject version falls through to git describe, v stripped', () => {
  const deps = fakeDeps({ '/proj/pyproject.toml': '[project]\nname = "shop"\ndynamic = ["version"]\n' }, 'v1.2.3-4-gabc1234+dirty\n');
  assert.equal(resolveVersion(base, deps), '1.2.3-4-gabc1234+dirty');
  assert.deepEqual(deps.gitCalls, [GIT_DESCRIBE]);
  assert.deepEqual(GIT_DESCRIBE, ['describe', '--tags', '--always', '--dirty=+dirty']);
});

test('a bare commit hash (no tags) is a version too', () => {
  assert.equal(resolveVersion(base, fakeDeps({}, 'abc1234\n')), 'abc1234');
});

test('no version anywhere is a ConfigError that says to set version', () => {
  assert.throws(
    () => resolveVersion(base, fakeDeps({})),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /set version = "1\.0\.0"/);
      assert.ok(err.message.includes('/proj/pyproject.toml'), err.message);
      return true;
    },
  );
});

test('a version that cannot name a directory is refused, from any source', () => {
  assert.throws(() => resolveVersion({ ...base, version: '1.0/evil' }, fakeDeps({})), {
    name: 'ConfigError',
    message: /version "1\.0\/evil" from version in the config/,
  });
  assert.throws(() => resolveVersion(base, fakeDeps({ '/proj/pyproject.toml': '[project]\nversion = "1 0"\n' })), {
    message: /from \[project\]\.version in pyproject\.toml.*Fix: set version = "1-0"/,
  });
  assert.throws(() => resolveVersion(base, fakeDeps({}, 'v1.0 beta')), { message: /from `git describe`/ });
});

test('a broken pyproject.toml is reported with its position', () => {
  assert.throws(() => resolveVersion(base, fakeDeps({ '/proj/pyproject.toml': '[project]\nversion = 1.2.3\n' })), {
    name: 'ConfigError',
    message: /^\/proj\/pyproject\.toml:2:\d+: invalid TOML/,
  });
});

test('real git: tag, then a dirty tree gets +dirty', () => {
  const dir = tempDir('deployer-version-');
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], {
      cwd: dir,
      stdio: 'pipe',
    });
  const cfg = { root: dir, file: join(dir, 'deployer.toml') };
  assert.throws(() => resolveVersion(cfg), ConfigError, 'not a repository yet');
  git('init', '-q');
  writeFileSync(join(dir, 'deployer.toml'), 'app = "x"\n');
  git('add', '.');
  git('commit', '-q', '-m', 'first');
  git('tag', 'v0.3.0');
  assert.equal(resolveVersion(cfg), '0.3.0');
  writeFileSync(join(dir, 'deployer.toml'), 'app = "y"\n');
  assert.equal(resolveVersion(cfg), '0.3.0+dirty');
});
