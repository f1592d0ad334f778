import { test } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { formatAppEnv, formatEnvFile } from '../../src/secrets/envFile.js';
import { parseEnvText } from '../../src/secrets/envText.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

// A line-for-line port of systemd's parse_env_file_internal() (src/basic/env-file.c,
// as used by EnvironmentFile=): the reader we cannot run here without a booted systemd.
function readSystemdEnvFile(text: string): Record<string, string> {
  const WS = ' \t\n\r';
  const out: Record<string, string> = {};
  type State = 'PRE_KEY' | 'KEY' | 'PRE_VALUE' | 'VALUE' | 'VALUE_ESCAPE' | 'SQ' | 'DQ' | 'DQ_ESCAPE' | 'COMMENT' | 'COMMENT_ESCAPE';
  let state: State = 'PRE_KEY';
  let key = '';
  let value = '';
  let lastValueWs = -1;
  let lastKeyWs = -1;
  const push = (chompValue: boolean) => {
    const k = lastKeyWs >= 0 ? key.slice(0, lastKeyWs) : key;
    out[k] = chompValue && lastValueWs >= 0 ? value.slice(0, lastValueWs) : value;
    key = '';
    value = '';
  };
  for (const c of text) {
    switch (state) {
      case 'PRE_KEY':
        if ('#;'.includes(c)) state = 'COMMENT';
        else if (!WS.includes(c)) {
          state = 'KEY';
          lastKeyWs = -1;
          key += c;
        }
        break;
      case 'KEY':
        if (c === '\n') {
          state = 'PRE_KEY';
          key = '';
        } else if (c === '=') {
          state = 'PRE_VALUE';
          lastValueWs = -1;
        } else {
          if (!WS.includes(c)) lastKeyWs = -1;
          else if (lastKeyWs < 0) lastKeyWs = key.length;
          key += c;
        }
        break;
      case 'PRE_VALUE':
        if (c === '\n') {
          state = 'PRE_KEY';
          push(false);
        } else if (c === "'") state = 'SQ';
        else if (c === '"') state = 'DQ';
        else if (c === '\\') state = 'VALUE_ESCAPE';
        else if (!WS.includes(c)) {
          state = 'VALUE';
          value += c;
        }
        break;
      case 'VALUE':
        if (c === '\n') {
          state = 'PRE_KEY';
          push(true);
        } else if (c === '\\') {
          state = 'VALUE_ESCAPE';
          lastValueWs = -1;
        } else {
          if (!WS.includes(c)) lastValueWs = -1;
          else if (lastValueWs < 0) lastValueWs = value.length;
          value += c;
        }
        break;
      case 'VALUE_ESCAPE':
        state = 'VALUE';
        if (c !== '\n') value += c;
        break;
      case 'SQ':
        if (c === "'") state = 'PRE_VALUE';
        else value += c;
        break;
      case 'DQ':
        if (c === '"') state = 'PRE_VALUE';
        else if (c === '\\') state = 'DQ_ESCAPE';
        else value += c;
        break;
      case 'DQ_ESCAPE':
        state = 'DQ';
        if ('"\\`$'.includes(c)) value += c;
        else if (c !== '\n') value += `\\${c}`;
        break;
      case 'COMMENT':
        if (c === '\\') state = 'COMMENT_ESCAPE';
        else if (c === '\n') state = 'PRE_KEY';
        break;
      case 'COMMENT_ESCAPE':
        state = c === '\n' ? 'PRE_KEY' : 'COMMENT';
        break;
    }
  }
  if (['PRE_VALUE', 'VALUE', 'VALUE_ESCAPE', 'SQ', 'DQ', 'DQ_ESCAPE'].includes(state)) push(state === 'VALUE');
  return out;
}

const NASTY: Array<[string, string]> = [
  ['PORT', '8000'],
  ['EMPTY', ''],
  ['SPACES', 'two words  and more'],
  ['EDGE_SPACES', '  padded  '],
  ['SINGLE', "it's"],
  ['DOUBLE', 'say "hi"'],
  ['BOTH', `it's "quoted"`],
  ['BOTH_EQ', `a='1' b="2"`],
  ['DOLLAR', '$HOME and ${PATH} and $$'],
  ['DOLLAR_QUOTE', "it's $5"],
  ['BACKSLASH', 'C:\\new\\table \\t \\\\ end'],
  ['BACKSLASH_QUOTE', "it's C:\\dir\\x"],
  ['TRAILING_BACKSLASH', 'ends with \\'],
  ['HASH', 'a # not a comment'],
  ['HASH_QUOTE', "#it's"],
  ['EQUALS', 'a=b=c'],
  ['NEWLINES', 'line one\nline two\n\nline four'],
  ['NEWLINE_QUOTE', "it's\nmultiline\n"],
  ['PEM', '-----BEGIN KEY-----\nMIIB+abc/def==\n-----END KEY-----\n'],
  ['JSON', '{"type": "sa", "key": "a\\nb"}'],
  ['BACKTICK', '`cmd` and `more`'],
  ['UNICODE', 'héllo wörld ✓'],
];

test('formatEnvFile: dotenv reads every value back unchanged', () => {
  const text = formatEnvFile(NASTY.map(([key, value]) => ({ key, value })));
  assert.deepEqual(parse(text), Object.fromEntries(NASTY));
});

test('formatEnvFile: systemd EnvironmentFile= reads every value back unchanged', () => {
  const text = formatEnvFile(NASTY.map(([key, value]) => ({ key, value })));
  assert.deepEqual(readSystemdEnvFile(text), Object.fromEntries(NASTY));
});

test('the systemd reader port reads escapes as env-file.c does', () => {
  // Sanity for the port itself, so the test above can fail for the right reason.
  const got = readSystemdEnvFile('A="x\\"y\\\\z\\n"\nB=\'lit\\n\'"j"\nC=  bare  value  \nD=\\#x\n# c\nE=a#b\n');
  assert.deepEqual(got, { A: 'x"y\\z\\n', B: 'lit\\nj', C: 'bare  value', D: '#x', E: 'a#b' });
});

// systemd's environment.d generator reads files with the same parser as
// EnvironmentFile=, then expands $VAR and drops empty values, so values with $
// and empty ones are left out here.
const ENVD_GENERATOR = '/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator';
test('formatEnvFile: the real systemd parser reads the values back unchanged', { skip: !existsSync(ENVD_GENERATOR) }, () => {
  const cases = NASTY.filter(([, v]) => v !== '' && !v.includes('$'));
  const dir = tempDir('deployer-envd-');
  try {
    mkdirSync(join(dir, 'environment.d'));
    writeFileSync(join(dir, 'environment.d', '50-app.conf'), formatEnvFile(cases.map(([key, value]) => ({ key, value }))));
    const out = execFileSync(ENVD_GENERATOR, { env: { XDG_CONFIG_HOME: dir, HOME: '/nonexistent' } }).toString();
    // The generator prints KEY=value, double-quoted with C-style escapes when needed.
    const got: Record<string, string> = {};
    for (const line of out.split('\n').filter(Boolean)) {
      const i = line.indexOf('=');
      let v = line.slice(i + 1);
      if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
      got[line.slice(0, i)] = v;
    }
    for (const [key, value] of cases) assert.equal(got[key], value, key);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('formatEnvFile picks a readable form', () => {
  const text = formatEnvFile([
    { key: 'PORT', value: '8000' },
    { key: 'URL', value: 'postgres://u@db:5432/app' },
    { key: 'SPACE', value: 'a b' },
    { key: 'APOS', value: "it's" },
  ]);
  assert.equal(text.split('\n').slice(1).join('\n'), `PORT=8000\nURL=postgres://u@db:5432/app\nSPACE='a b'\nAPOS="it's"\n`);
});

test('formatEnvFile refuses what no form carries, naming the key and not the value', () => {
  const value = `it's "zebra"\nxylophone`;
  assert.throws(
    () => formatEnvFile([{ key: 'MIXED', value }]),
    (err: unknown) => err instanceof ConfigError && /MIXED/.test(err.message) && !/zebra|xylophone/.test(err.message),
  );
  assert.throws(() => formatEnvFile([{ key: 'CR', value: 'a\rb' }]), /CR/);
  assert.throws(() => formatEnvFile([{ key: 'BAD-KEY', value: 'x' }]), ConfigError);
  assert.throws(
    () =>
      formatEnvFile([
        { key: 'A', value: '1' },
        { key: 'A', value: '2' },
      ]),
    /A is set twice/,
  );
});

test('formatEnvFile output parses back through parseEnvText', () => {
  const entries = NASTY.map(([key, value]) => ({ key, value }));
  assert.deepEqual(parseEnvText(formatEnvFile(entries), '.env'), entries);
});

test('formatAppEnv: bash sourcing it gets back every value and the PATH', () => {
  const entries = NASTY.map(([key, value]) => ({ key, value }));
  const dir = tempDir('deployer-appenv-');
  try {
    const file = join(dir, '.appenv');
    writeFileSync(file, formatAppEnv(entries, ['/srv/app/.venv/bin', '/srv/my app/bin']));
    const keys = entries.map((e) => e.key).join(' ');
    const script = `source "$1" && for k in ${keys} PATH; do printf '%s=%s\\0' "$k" "\${!k}"; done`;
    const out = execFileSync('bash', ['--noprofile', '--norc', '-c', script, 'bash', file], {
      env: { PATH: '/usr/bin:/bin' },
    }).toString();
    const got = Object.fromEntries(
      out
        .split('\0')
        .slice(0, -1)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    assert.deepEqual(got, { ...Object.fromEntries(NASTY), PATH: '/srv/app/.venv/bin:/srv/my app/bin:/usr/bin:/bin' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('formatAppEnv exports with shell quoting and refuses a PATH entry with ":"', () => {
  const text = formatAppEnv([{ key: 'A', value: "it's" }], ['/srv/a/bin']);
  assert.equal(text.split('\n').slice(1).join('\n'), `export A='it'\\''s'\nexport PATH=/srv/a/bin:$PATH\n`);
  assert.doesNotMatch(formatAppEnv([], []), /PATH/);
  assert.throws(() => formatAppEnv([], ['/a:b']), ConfigError);
});
