// Reads env text (inline `env = """…"""` or an envfile) with dotenv's own
// parser, but refuses what dotenv would silently accept or skip: names that
// are not valid environment variables, the same name twice, lines that are
// not assignments and quotes left open. Errors name the source and the line,
// never a value (a malformed line may well be a secret). Linear in the size
// of the text: line numbers come from one running count, not a rescan.
import { ConfigError } from '../errors.js';
import { LIMITS } from '../config/schema.js';

/** A problem on one line of env text; the config loader re-homes it to deployer.toml's position. */
export class EnvTextError extends ConfigError {
  constructor(
    source: string,
    readonly line: number,
    readonly detail: string,
    readonly fix: string,
  ) {
    super(`${source}, line ${line}: ${detail}`, { hint: fix });
  }
}

export interface EnvEntry {
  key: string;
  value: string;
}

/** Portable environment variable names (systemd refuses others). */
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

// dotenv's line pattern (lib/main.js, v17). Its parse() runs the same pattern
// over the same text; running it once here gives the values (dotenvValue),
// where each assignment sits and what parse() would have skipped.
const DOTENV_LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;

export function parseEnvText(text: string, source: string): EnvEntry[] {
  if (text.length > LIMITS.envBytes) {
    throw new EnvTextError(
      source,
      1,
      `the environment is ${text.length} characters long; at most ${LIMITS.envBytes} are accepted`,
      'keep large data in files in the release, not in the environment',
    );
  }
  // dotenv does the same normalisation before matching.
  const src = text.replace(/\r\n?/g, '\n');
  const lineAt = lineCounter(src);
  const firstLine = new Map<string, number>();
  const entries: EnvEntry[] = [];
  let end = 0;
  for (const m of src.matchAll(DOTENV_LINE)) {
    const start = m.index ?? 0;
    checkSkipped(src, end, start, source, lineAt);
    end = start + m[0].length;
    const key = m[1];
    const line = lineAt(start + m[0].search(/\S/));
    if (!ENV_KEY.test(key)) {
      throw new EnvTextError(
        source,
        line,
        `${JSON.stringify(key)} is not a valid environment variable name`,
        'use letters, digits and _ only, not starting with a digit',
      );
    }
    const seen = firstLine.get(key);
    if (seen !== undefined) throw new EnvTextError(source, line, `${key} is already set on line ${seen}`, 'keep one assignment per name');
    checkQuotesClosed(m[2], key, line, source);
    firstLine.set(key, line);
    if (firstLine.size > LIMITS.envKeys) {
      throw new EnvTextError(
        source,
        line,
        `more than ${LIMITS.envKeys} variables`,
        'keep large data in files in the release, not in the environment',
      );
    }
    entries.push({ key, value: dotenvValue(m[2]) });
  }
  checkSkipped(src, end, src.length, source, lineAt);
  return entries;
}

/** dotenv's parse(), in one linear pass (the same pattern and value steps; a later key wins). */
export function dotenvParse(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.replace(/\r\n?/g, '\n').matchAll(DOTENV_LINE)) out[m[1]] = dotenvValue(m[2]);
  return out;
}

/** The value dotenv's parse() makes of a match's raw value (lib/main.js, v17, step for step). */
export function dotenvValue(raw: string | undefined): string {
  let value = (raw ?? '').trim();
  const maybeQuote = value[0];
  value = value.replace(/^(['"`])([\s\S]*)\1$/gm, '$2');
  if (maybeQuote === '"') value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
  return value;
}

/** Text between assignments may only hold blank lines and comments. */
function checkSkipped(src: string, from: number, to: number, source: string, lineAt: (index: number) => number): void {
  if (from >= to) return;
  const lines = src.slice(from, to).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t === '' || t.startsWith('#')) continue;
    throw new EnvTextError(
      source,
      lineAt(from) + i,
      'expected KEY=value',
      'quote values that contain # or span several lines, e.g. KEY="a # b"',
    );
  }
}

// dotenv falls back to reading `"abc` as the literal text `"abc` (quote
// included); that is almost always a typo, not a value.
function checkQuotesClosed(raw: string | undefined, key: string, line: number, source: string): void {
  const v = (raw ?? '').trim();
  const q = v[0];
  if ((q === '"' || q === "'" || q === '`') && (v.length < 2 || v[v.length - 1] !== q)) {
    throw new EnvTextError(
      source,
      line,
      `the value of ${key} starts with ${q} but does not end with it`,
      'close the quote; inside double quotes write a newline as \\n',
    );
  }
}

/**
 * Line number (1-based) of an index. Indexes are asked for in increasing
 * order, so the count resumes where the last call stopped: linear overall.
 */
function lineCounter(src: string): (index: number) => number {
  let at = 0;
  let line = 1;
  return (index) => {
    if (index < at) {
      at = 0;
      line = 1;
    }
    for (; at < index; at++) if (src.charCodeAt(at) === 10) line++;
    return line;
  };
}
