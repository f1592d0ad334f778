// Turns the command line a user wrote for a process ("hello-app --workers 2")
// into an ExecStart= value. Only the first word is resolved, because systemd
// needs a path there and the user names a program inside the release; the
// rest keeps systemd's quoting, with `%` doubled so it is not read as a
// specifier and `$` written so that it expands as a user expects from a
// shell (see shellLikeVariables), not only where systemd expands it.
//
// Binary mode: the first word app_binary, the artifact's file name or the
// app's name all mean the uploaded binary (<app dir>/app_binary). The program
// still sees the word the user wrote as argv[0] (systemd's "@" prefix:
// `ExecStart=@/…/app_binary busybox httpd …`), so a multi-call binary such as
// busybox, which chooses what to do by its own name, works.
import type { Config } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { layoutFor } from '../plan/layout.js';
import { systemdQuote } from './templateQuote.js';

export interface SplitCommand {
  /** The first word, unquoted. */
  program: string;
  /** Everything after the first word, as written (leading whitespace dropped). */
  rest: string;
}

/** Splits off the first word; it may be quoted with '…' or "…" (systemd.syntax(7)). */
export function splitCommand(command: string): SplitCommand {
  const text = command.trim();
  if (text === '') throw new ConfigError('a process has an empty command', { hint: 'write the program to run, e.g. web = "hello-app"' });
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    const end = text.indexOf(quote, 1);
    if (end < 0) throw new ConfigError(`unterminated quote in command: ${command}`, { hint: `close the ${quote} quote` });
    return { program: text.slice(1, end), rest: text.slice(end + 1).trimStart() };
  }
  const match = /^(\S+)\s*([\s\S]*)$/.exec(text)!;
  return { program: match[1], rest: match[2] };
}

/** The artifact's file name with `{version}` (and a separator next to it) removed. */
function binaryNames(distfile: string): string[] {
  const base = distfile.split('/').pop() ?? distfile;
  const names = new Set([base.replace(/\{version\}/g, ''), base.replace(/[-_.]?\{version\}/g, '')]);
  return [...names].filter((n) => n !== '');
}

type ExecConfig = Pick<Config, 'appsDir' | 'appName' | 'installationMode' | 'distfile'> & Partial<Pick<Config, 'app'>>;

/** Binary mode: does this first word name the uploaded binary? */
export function namesAppBinary(config: ExecConfig, program: string): boolean {
  if (config.installationMode !== 'binary') return false;
  return program === 'app_binary' || program === config.app || program === config.appName || binaryNames(config.distfile).includes(program);
}

/**
 * The absolute path (or PATH name) systemd should run for `program`. Paths go
 * through the app dir's stable links (`current`, `.venv`, `app_binary`), or,
 * given `release`, through that directory (a blue-green web instance's own
 * release link, see src/plan/slots.ts).
 */
export function resolveProgram(config: ExecConfig, program: string, release?: string): string {
  if (program.startsWith('/')) return program;
  const { appDir } = layoutFor(config);
  // A relative path with a slash means a file inside the release.
  if (program.includes('/')) return `${release ?? `${appDir}/current`}/${program.replace(/^\.\//, '')}`;
  if (config.installationMode === 'python-package') return `${release ?? appDir}/.venv/bin/${program}`;
  if (namesAppBinary(config, program)) return `${release ?? appDir}/app_binary`;
  // Anything else (sh, env, …) is found by systemd on its own search path.
  return program;
}

// Stands for systemd's %i in a path until the path is quoted (which doubles a real %).
const INSTANCE = 'DEPLOYERINSTANCEPLACEHOLDER';

/**
 * The whole ExecStart= value for a process command. With `instanceDir`, the
 * program is found under `<instanceDir>/%i` (each instance's own release).
 */
export function renderExecStart(config: ExecConfig, command: string, instanceDir?: string): string {
  if (/[\n\r]/.test(command.trim())) {
    throw new ConfigError(`a process command contains a line break: ${JSON.stringify(command)}`, {
      hint: 'write the command on one line',
    });
  }
  const { program, rest } = splitCommand(command);
  // systemd does not expand $VAR in the program path, so only quoting and % apply.
  const release = instanceDir === undefined ? undefined : `${instanceDir}/${INSTANCE}`;
  const path = systemdQuote(resolveProgram(config, program, release))
    .split(INSTANCE)
    .join('%i');
  // "@path argv0": the binary runs under the name the user wrote.
  const head = namesAppBinary(config, program) ? `@${path} ${systemdQuote(program)}` : path;
  return rest === '' ? head : `${head} ${shellLikeVariables(rest).replace(/%/g, '%%')}`;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * The arguments of a command, rewritten so that systemd expands variables as
 * a shell would. systemd (systemd.service(5), "Command lines") expands
 * `${NAME}` anywhere, but `$NAME` only as a word of its own (split at
 * whitespace), so `--bind 127.0.0.1:$PORT` would reach the program as written.
 * The rules, in systemd's own words (quotes and backslash escapes as in
 * systemd.syntax(7)):
 *   `$NAME` as a whole unquoted word   stays: its value split at whitespace
 *                                      (an unquoted shell variable)
 *   `$NAME` inside a word or "…"       `${NAME}`: the value as one piece
 *   `${NAME}`                          stays: the value as one piece (systemd's form)
 *   `$$` and `\$`                      a literal `$` (`$$`)
 *   any `$` inside '…'                 a literal `$`, as in a shell
 *   any other `$` (`$1`, `${` unclosed, a lone `$`): a literal `$`
 */
export function shellLikeVariables(rest: string): string {
  let out = '';
  let quote = '';
  // Whether the word being scanned has begun (a `$NAME` is a whole word only at its start).
  let inWord = false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === '\\' && i + 1 < rest.length) {
      // An escaped character is never a quote, a separator or a variable.
      out += rest[i + 1] === '$' ? '$$' : c + rest[i + 1];
      i++;
      inWord = true;
      continue;
    }
    if (quote === '' && /\s/.test(c)) {
      out += c;
      inWord = false;
      continue;
    }
    if (c === quote) quote = '';
    else if (quote === '' && (c === '"' || c === "'")) quote = c;
    if (c !== '$') {
      out += c;
      inWord = true;
      continue;
    }
    const after = rest.slice(i + 1);
    const name = NAME.exec(after)?.[0];
    // `${…}` is systemd's own form (with whatever it supports inside the braces).
    const braced = /^\{[^}]*\}/.exec(after)?.[0];
    if (quote === "'" || after.startsWith('$')) {
      // Literal in single quotes as in a shell; `$$` is systemd's own literal `$`.
      out += '$$';
      if (after.startsWith('$') && quote !== "'") i++;
    } else if (braced !== undefined) {
      out += '$' + braced;
      i += braced.length;
    } else if (name !== undefined) {
      const end = i + 1 + name.length;
      const whole = quote === '' && !inWord && (end === rest.length || /\s/.test(rest[end]));
      out += whole ? `$${name}` : `\${${name}}`;
      i = end - 1;
    } else {
      out += '$$';
    }
    inWord = true;
  }
  return out;
}
