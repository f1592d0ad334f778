// The two env files written on the host.
//
// `.env` is read by systemd (EnvironmentFile=) and by dotenv, whose quoting
// rules differ: systemd unescapes \" \\ \` \$ inside double quotes and joins
// adjacent quoted parts; dotenv unescapes only \n and \r, and only inside
// double quotes. Each value gets the first form both read back unchanged:
//   bare      KEY=plain-word
//   '…'       anything without ' (both read single quotes literally)
//   "…"       has ' but no ", and no backslash either reader would eat
//   unquoted  has both quotes, on one line, without #, \ or edge spaces
// What fits none (e.g. both quotes and a newline) is refused, naming the key.
//
// `.appenv` is sourced by bash for `app exec` / `app shell`.
import { ConfigError } from '../errors.js';
import { shellQuote } from '../shell/quote.js';
import { dotenvParse, ENV_KEY, type EnvEntry } from './envText.js';

const HEADER = '# Written by deployer; edits here are replaced on the next deploy.';
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;
// After a backslash inside "…", these mean something to systemd (" \ ` $ newline) or dotenv (n r).
const DOUBLE_QUOTE_ESCAPES = new Set(['"', '\\', '`', '$', '\n', 'n', 'r']);

export function formatEnvFile(entries: readonly EnvEntry[]): string {
  const lines = [HEADER];
  const seen = new Set<string>();
  for (const { key, value } of entries) {
    if (seen.has(checkKey(key))) throw new ConfigError(`${key} is set twice in the environment`);
    seen.add(key);
    lines.push(`${key}=${encodeValue(key, value)}`);
  }
  const text = `${lines.join('\n')}\n`;
  checkDotenvReadsBack(text, entries);
  return text;
}

export function formatAppEnv(entries: readonly EnvEntry[], pathDirs: readonly string[]): string {
  const lines = [HEADER];
  for (const { key, value } of entries) lines.push(`export ${checkKey(key)}=${shellQuote(value)}`);
  if (pathDirs.length > 0) {
    for (const dir of pathDirs) {
      if (dir === '' || dir.includes(':')) throw new ConfigError(`cannot put "${dir}" on PATH: empty or contains ":"`);
    }
    lines.push(`export PATH=${shellQuote(pathDirs.join(':'))}:$PATH`);
  }
  return `${lines.join('\n')}\n`;
}

function checkKey(key: string): string {
  if (!ENV_KEY.test(key)) throw new ConfigError(`"${key}" is not a valid environment variable name`);
  return key;
}

function encodeValue(key: string, value: string): string {
  if (/[\r\0]/.test(value)) {
    throw new ConfigError(`the value of ${key} contains a carriage return or NUL byte, which a .env file cannot hold`);
  }
  if (PLAIN.test(value)) return value;
  if (!value.includes("'")) return `'${value}'`;
  if (fitsDoubleQuotes(value)) return `"${value}"`;
  if (fitsUnquoted(value)) return value;
  throw unwritable(key);
}

function fitsDoubleQuotes(value: string): boolean {
  if (value.includes('"')) return false;
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '\\') continue;
    const next = value[i + 1];
    // A trailing backslash would escape the closing quote for systemd.
    if (next === undefined || DOUBLE_QUOTE_ESCAPES.has(next)) return false;
  }
  return true;
}

// Unquoted, systemd unescapes every backslash and dotenv stops at #; both
// trim the ends; a leading quote would start a quoted value.
function fitsUnquoted(value: string): boolean {
  return !/[\n#\\]/.test(value) && !/^[\s'"`]/.test(value) && !/\s$/.test(value);
}

// dotenv matches lines with a backtracking regex, so a single-quoted value
// ending in a backslash can run on into a later line. Rather than reason
// about neighbours, read the file back and refuse it if anything moved.
function checkDotenvReadsBack(text: string, entries: readonly EnvEntry[]): void {
  const back = dotenvParse(text);
  for (const { key, value } of entries) if (back[key] !== value) throw unwritable(key);
}

function unwritable(key: string): ConfigError {
  return new ConfigError(`the value of ${key} cannot be written to .env so that systemd and dotenv both read it back unchanged`, {
    hint: 'it mixes \' and " with a newline, #, a backslash or leading/trailing spaces: store it base64-encoded, or drop one kind of quote',
  });
}
