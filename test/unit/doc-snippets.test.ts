// Every config a user can copy from us loads with the real loader: the fenced
// ```toml blocks and the inline `key = value` snippets of README.md and docs/,
// docs/deployer.example.toml, the examples, and what `deployer init` writes in
// its three modes (flags, prompts, every default taken). Our docs once taught a
// fixed `--bind 127.0.0.1:8000` long after blue-green made it wrong; the
// loader refuses that now, so a stale snippet fails here.
import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { KEYS } from '../../src/config/schema.js';
import { renderInitConfig } from '../../src/init/render.js';
import { runInit, takeAnswers } from '../../src/init/initFlow.js';
import { Reporter } from '../../src/output/reporter.js';
import { makeTestContext } from '../helpers/context.js';
import { ScriptedPrompter } from '../helpers/scriptedPrompter.js';
import { repoRoot } from './config-helpers.js';
import { tempDir } from '../helpers/tmp.js';

/** The markdown files users read: README.md and docs/*.md. */
function docFiles(): string[] {
  const docs = readdirSync(join(repoRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f));
  return ['README.md', ...docs];
}

interface Snippet {
  where: string;
  text: string;
}

function fencedToml(file: string): Snippet[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  const out: Snippet[] = [];
  for (const m of text.matchAll(/^```toml\n([\s\S]*?)^```$/gm)) {
    const line = text.slice(0, m.index).split('\n').length;
    out.push({ where: `${file}:${line}`, text: m[1] });
  }
  return out;
}

function inlineSnippets(file: string): Snippet[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  const out: Snippet[] = [];
  for (const m of text.matchAll(/`([a-z_]+ = [^`\n]+)`/g)) {
    const line = text.slice(0, m.index).split('\n').length;
    out.push({ where: `${file}:${line}`, text: m[1] });
  }
  return out;
}

/** Loads `text` as deployer.toml in a fresh directory; the directory is removed after. */
function load(text: string, stage?: string): Config {
  const dir = tempDir('deployer-snippet-');
  try {
    writeFileSync(join(dir, 'deployer.toml'), text);
    // A documented hosts_command (terraform …) is checked, not run.
    return loadConfig({ cwd: dir, stage, home: dir, runHostsCommand: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The smallest complete config; a fragment is added to it in the table it belongs to. */
const BASE = {
  top: 'app = "snippet"\ninstallation_mode = "binary"\ndistfile = "dist/snippet"\n',
  hosts: '[[hosts]]\naddress = "203.0.113.10"\n',
  processes: '[processes]\nweb = "snippet --listen 127.0.0.1:$PORT"\n',
};

function withFragment(fragment: string): string {
  if (/^\s*app\s*=/m.test(fragment)) return fragment;
  // hosts_command replaces [[hosts]] (exclusive).
  const needsHosts = !/^\[\[hosts\]\]|^hosts_command\s*=/m.test(fragment);
  const needsProcesses = !/^\[processes\]/m.test(fragment);
  return [BASE.top, fragment, needsHosts ? BASE.hosts : '', needsProcesses ? BASE.processes : ''].join('\n');
}

/** `key = value` placed where the schema says the key lives. */
function inlineInContext(snippet: string): string[] {
  const key = snippet.slice(0, snippet.indexOf(' ='));
  const value = snippet.slice(snippet.indexOf('=') + 1).trim();
  const texts: string[] = [];
  if (KEYS.top.includes(key)) texts.push(withFragment(snippet));
  if (KEYS.host.includes(key)) texts.push(`${BASE.top}${BASE.processes}\n[[hosts]]\naddress = "203.0.113.10"\n${snippet}\n`);
  if (KEYS.process.includes(key))
    texts.push(`${BASE.top}${BASE.hosts}\n[processes]\nweb = { command = "snippet --listen 127.0.0.1:$PORT", ${key} = ${value} }\n`);
  for (const table of ['webserver', 'health_check', 'secrets', 'hooks', 'rollout'] as const) {
    if (KEYS[table].includes(key)) texts.push(`${BASE.top}${BASE.hosts}${BASE.processes}\n[${table}]\n${snippet}\n`);
  }
  return texts;
}

// A snippet that names what to write instead of a value ("NAME", `replicas = R`, a list ending in …).
const PLACEHOLDER = /…|= R$|"NAME"/;

test('every ```toml block in README.md and docs/ loads (a fragment, in a minimal config)', () => {
  const snippets = docFiles().flatMap(fencedToml);
  assert.ok(snippets.length >= 2, `only ${snippets.length} toml blocks found`);
  for (const s of snippets) {
    assert.doesNotThrow(() => load(withFragment(s.text)), `${s.where} does not load`);
  }
});

test('every inline `key = value` snippet in README.md and docs/ is TOML, names a known key and loads where it belongs', () => {
  const snippets = docFiles().flatMap(inlineSnippets);
  assert.ok(snippets.length >= 10, `only ${snippets.length} inline snippets found`);
  const known = new Set(Object.values(KEYS).flat());
  for (const s of snippets) {
    const key = s.text.slice(0, s.text.indexOf(' ='));
    assert.ok(known.has(key), `${s.where}: \`${s.text}\` names no key deployer knows`);
    if (PLACEHOLDER.test(s.text)) continue;
    assert.doesNotThrow(() => parse(s.text), `${s.where}: \`${s.text}\` is not TOML`);
    const texts = inlineInContext(s.text);
    assert.ok(texts.length > 0, `${s.where}: no table for ${key}`);
    for (const t of texts) assert.doesNotThrow(() => load(t), `${s.where}: \`${s.text}\` does not load`);
  }
});

test('the README quick start is a complete config: a Django app on gunicorn with $PORT, statics and a release command', () => {
  const block = fencedToml('README.md').find((s) => /^app = /m.test(s.text));
  assert.ok(block, 'README.md has no complete deployer.toml');
  const config = load(block.text);
  const web = config.processes.find((p) => p.name === 'web');
  assert.match(web?.command ?? '', /--bind 127\.0\.0\.1:\$PORT\b/);
  assert.match(config.releaseCommand ?? '', /migrate.*collectstatic/);
  assert.deepEqual(Object.keys(config.webserver.statics), ['/static']);
  assert.equal(config.strategy, 'blue-green');
});

test('the example configs load: docs/deployer.example.toml (and its stage) and examples/*/deployer.toml', () => {
  const docs = join(repoRoot, 'docs');
  loadConfig({ file: 'deployer.example.toml', cwd: docs, home: docs });
  loadConfig({ file: 'deployer.example.toml', cwd: docs, home: docs, stage: 'staging' });
  const text = readFileSync(join(docs, 'deployer.example.toml'), 'utf8');
  assert.doesNotMatch(text, /consecutive ports/, 'blue-green web instances are not on consecutive ports');
  assert.doesNotMatch(text, /^"\/media" = "media"$/m, 'uploads do not belong inside a release');
  for (const example of readdirSync(join(repoRoot, 'examples'))) {
    const dir = join(repoRoot, 'examples', example);
    const config = loadConfig({ cwd: dir, home: dir });
    assert.equal(config.processes.find((p) => p.name === 'web')?.name, 'web', `${example} has a web process`);
  }
});

function initContext(dir: string) {
  const sink = { write: () => {} };
  return makeTestContext({
    cwd: dir,
    env: {},
    reporter: new Reporter({ stdout: sink, stderr: sink }),
    interactive: true,
    global: { config: 'deployer.toml', host: [] },
  }).ctx;
}

async function initByPrompts(answers: string[], pyproject?: string): Promise<string> {
  const dir = tempDir('deployer-init-');
  try {
    if (pyproject) writeFileSync(join(dir, 'pyproject.toml'), pyproject);
    await runInit(initContext(dir), {}, { prompter: new ScriptedPrompter(answers) });
    return readFileSync(join(dir, 'deployer.toml'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("init's output loads in all three modes (flags, prompts, every default) and teaches $PORT, never a fixed port", async () => {
  const byFlags = renderInitConfig(
    takeAnswers({ mode: 'python-package', hosts: ['203.0.113.10'], web: 'gunicorn shop.wsgi --bind 127.0.0.1:$PORT' }, 'shop'),
  );
  // app, mode, host, user, port, key file, domain, web, no more processes, distfile, build command
  const byPrompts = await initByPrompts([
    'shop',
    'python-package',
    '203.0.113.10',
    'web',
    '2222',
    '~/.ssh/id_shop',
    'shop.example.com',
    'gunicorn shop.wsgi --bind 127.0.0.1:$PORT --workers 3',
    'worker=celery -A shop worker',
    '',
    'dist/shop-{version}-py3-none-any.whl',
    'python3 -m build --wheel',
  ]);
  // Only the host has no default; the web command is init's own suggestion.
  const byDefaults = await initByPrompts(['', '', '203.0.113.10', '', '', '', '', '', '', '', ''], '[project]\nname = "shop"\n');
  for (const [mode, text] of Object.entries({ byFlags, byPrompts, byDefaults })) {
    assert.doesNotMatch(text, /127\.0\.0\.1:8000\b(?!")/, `${mode}: init teaches a fixed port`);
    const config = load(text);
    assert.equal(config.app, 'shop', mode);
    assert.equal(config.strategy, 'blue-green', mode);
    assert.match(config.processes.find((p) => p.name === 'web')?.command ?? '', /127\.0\.0\.1:\$PORT/, mode);
  }
  assert.match(byDefaults, /^web = "gunicorn shop\.wsgi --bind 127\.0\.0\.1:\$PORT"$/m);
});
