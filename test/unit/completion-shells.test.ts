// The generated scripts in real bash, zsh and fish (Debian packages zsh, fish,
// tmux): a `deployer` wrapper on PATH runs the built CLI, the shell sources the
// script, and we look at the candidates it offers for a partial command line.
// zsh is driven interactively in tmux with compinit, so `_describe`/`compadd`
// are the real ones.
import { test, before, after } from '../helpers/timed.js';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCompletionScript, type CompletionShell } from '../../src/completion/shellScripts.js';
import { tempDir } from '../helpers/tmp.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

const FIXTURE = `
app = "shop"
[[hosts]]
name = "alpha-web"
address = "10.0.0.1"
[[hosts]]
name = "alpha-db"
address = "10.0.0.2"
[processes]
web = "gunicorn shop.wsgi"
[stages.staging]
[stages.prodx]
`;

let dir = '';
let env: NodeJS.ProcessEnv = {};

before(() => {
  dir = tempDir('completion-shells-');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'deployer'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`);
  chmodSync(join(bin, 'deployer'), 0o755);
  for (const shell of ['bash', 'zsh', 'fish'] as CompletionShell[])
    writeFileSync(join(dir, `deployer.${shell}`), renderCompletionScript(shell));
  writeFileSync(join(dir, 'deployer.toml'), FIXTURE);
  env = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: dir,
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    XDG_CONFIG_HOME: join(dir, '.config'),
    XDG_DATA_HOME: join(dir, '.local'),
  };
});

function haveShell(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

// ---- bash: call the function `complete -p deployer` registered, as readline would.
function completeInBash(words: string[]): string[] {
  const script = `
source ./deployer.bash
fn=$(complete -p deployer | sed -n 's/.*-F \\([^ ]*\\).*/\\1/p')
COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}
"$fn" deployer "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = execFileSync('bash', ['--norc', '--noprofile', '-c', script, 'bash', 'deployer', ...words], {
    cwd: dir,
    env,
    encoding: 'utf8',
  });
  return out.split('\n').filter((l) => l !== '');
}

test('bash: subcommand, host and stage names, and --host=', { skip: !haveShell('bash') }, () => {
  assert.deepEqual(completeInBash(['compl']), ['completion']);
  assert.deepEqual(completeInBash(['completion', '']), ['bash', 'zsh', 'fish']);
  assert.deepEqual(completeInBash(['--host', '']), ['alpha-web', 'alpha-db']);
  assert.deepEqual(completeInBash(['-s', 'pr']), ['prodx']);
  assert.deepEqual(completeInBash(['--host', '=', 'alpha-d']), ['alpha-db']);
  assert.ok(completeInBash(['--st']).includes('--stage'));
  // -c wants a file: bash completes paths itself.
  assert.deepEqual(completeInBash(['-c', 'deployer.t']), ['deployer.toml']);
});

// ---- fish: `complete -C` asks fish for the candidates of a command line.
function completeInFish(line: string): string[] {
  const out = execFileSync('fish', ['--no-config', '-c', `source ./deployer.fish; complete -C ${fishQuote(line)}`], {
    cwd: dir,
    env,
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t')[0]);
}

function fishQuote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

test('fish: subcommand, host and stage names', { skip: !haveShell('fish') }, () => {
  assert.deepEqual(completeInFish('deployer compl'), ['completion']);
  assert.deepEqual(completeInFish('deployer deploy --host ').sort(), ['alpha-db', 'alpha-web']);
  assert.deepEqual(completeInFish('deployer --stage ').sort(), ['prodx', 'staging']);
  assert.deepEqual(completeInFish('deployer -s st'), ['staging']);
  assert.deepEqual(completeInFish('deployer completion f'), ['fish']);
  assert.deepEqual(completeInFish('deployer -c deployer.t'), ['deployer.toml']);
});

// ---- zsh: a real interactive zsh in tmux, TAB pressed, screen read back.
const tmuxSocket = () => join(dir, 'tmux.sock');

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-S', tmuxSocket(), ...args], { cwd: dir, env, encoding: 'utf8' });
}

async function waitForScreen(window: string, want: (screen: string) => boolean, ms = 15000): Promise<string> {
  const end = Date.now() + ms;
  let screen = '';
  while (Date.now() < end) {
    screen = tmux('capture-pane', '-p', '-t', window);
    if (want(screen)) return screen;
    await new Promise((r) => setTimeout(r, 100));
  }
  return screen;
}

let zshWindows = 0;
/**
 * Type `line` into a fresh zsh, then press TAB once per predicate, waiting
 * after each press until the screen satisfies it. Returns the last screen.
 */
async function tabInZsh(line: string, ...afterEachTab: Array<(screen: string) => boolean>): Promise<string> {
  const window = `z${zshWindows++}`;
  tmux('new-window', '-d', '-n', window, '-c', dir, 'zsh -i');
  await waitForScreen(window, (s) => s.includes('READY>'));
  tmux('send-keys', '-t', window, '-l', line);
  let screen = '';
  for (const want of afterEachTab) {
    tmux('send-keys', '-t', window, 'Tab');
    screen = await waitForScreen(window, want);
  }
  tmux('kill-window', '-t', window);
  return screen;
}

test('zsh: subcommand, host and stage names in a real interactive zsh', { skip: !haveShell('zsh') || !haveShell('tmux') }, async (t) => {
  const zdot = join(dir, 'zdot');
  mkdirSync(zdot, { recursive: true });
  writeFileSync(
    join(zdot, '.zshrc'),
    `autoload -Uz compinit && compinit -u -d ${JSON.stringify(join(zdot, '.zcompdump'))}\nsource ${JSON.stringify(join(dir, 'deployer.zsh'))}\nPS1='READY> '\n`,
  );
  env = { ...env, ZDOTDIR: zdot, SHELL: 'zsh' };
  tmux('new-session', '-d', '-s', 'completion', '-x', '200', '-y', '50', '-c', dir, 'sleep 600');
  t.after(() => {
    spawnSync('tmux', ['-S', tmuxSocket(), 'kill-server']);
  });

  // One candidate: zsh puts it on the line.
  const sub = await tabInZsh('deployer compl', (s) => /^READY> deployer completion$/m.test(s));
  assert.match(sub, /^READY> deployer completion$/m);

  // Several with a common prefix: the first TAB inserts it, the second lists them.
  const hosts = await tabInZsh(
    'deployer deploy --host ',
    (s) => s.includes('--host alpha-'),
    (s) => s.includes('alpha-web') && s.includes('alpha-db'),
  );
  assert.match(hosts, /READY> deployer deploy --host alpha-/);
  assert.match(hosts, /alpha-web/);
  assert.match(hosts, /alpha-db/);

  // No common prefix: listed under the line at once.
  const stages = await tabInZsh('deployer --stage ', (s) => s.includes('prodx') && s.includes('staging'));
  assert.match(stages, /prodx/);
  assert.match(stages, /staging/);

  const stage = await tabInZsh('deployer -s pro', (s) => /^READY> deployer -s prodx$/m.test(s));
  assert.match(stage, /^READY> deployer -s prodx$/m);
});

test(
  'zsh: the install steps that `deployer completion --help` prints work as a user, in a user directory',
  { skip: !haveShell('zsh') || !haveShell('tmux') },
  async (t) => {
    const help = execFileSync('deployer', ['completion', '--help'], { cwd: dir, env, encoding: 'utf8' });
    const zshLines = help.slice(help.indexOf('  zsh ')).split('\n').slice(0, 2);
    const install = /\$ (.+)$/.exec(zshLines[0])?.[1];
    const rcLine = /before compinit: (\S.*?)\s{2,}/.exec(zshLines[1])?.[1];
    assert.ok(install && rcLine, help);
    // Never into a directory of the system's $fpath (root-owned /usr/share/zsh/...).
    assert.doesNotMatch(help + renderCompletionScript('zsh'), /fpath\[1\]|\/usr\/share/);
    const home = join(dir, 'zhome');
    mkdirSync(home);
    const userEnv = { ...env, HOME: home, ZDOTDIR: home, SHELL: 'zsh' };
    execFileSync('zsh', ['-f', '-c', install], { cwd: home, env: userEnv });
    writeFileSync(join(home, '.zshrc'), `${rcLine}\nautoload -Uz compinit && compinit -u -d ~/.zcompdump\nPS1='READY> '\n`);
    env = userEnv;
    tmux('new-session', '-d', '-s', 'install', '-x', '200', '-y', '50', '-c', dir, 'sleep 600');
    t.after(() => spawnSync('tmux', ['-S', tmuxSocket(), 'kill-server']));
    const screen = await tabInZsh('deployer compl', (s) => /^READY> deployer completion$/m.test(s));
    assert.match(screen, /^READY> deployer completion$/m);
  },
);

after(() => {
  if (dir) spawnSync('tmux', ['-S', join(dir, 'tmux.sock'), 'kill-server']);
});
