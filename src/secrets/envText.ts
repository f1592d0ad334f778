// Reads env text (inline `env = """…"""` or an envfile) with dotenv's own
// parser, but refuses what dotenv would silently accept or skip: names that
// are not valid environment variables, the same name twice, lines that are
// not assignments and quotes left open. Errors name the source and the line,
// never a value (a malformed line may well be a secret).
import { parse } from 'dotenv';
import { ConfigError } from '../errors.js';

export interface EnvEntry {
  key: string;
  value: string;
}

/** Portable environment variable names (systemd refuses others). */
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

// dotenv's line pattern (lib/main.js, v17), used only to find where each
// assignment sits, so we can give line numbers and see what parse() skipped.
const DOTENV_LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;

export function parseEnvText(text: string, source: string): EnvEntry[] {
  // dotenv does the same normalisation before matching.
  const src = text.replace(/\r\n?/g, '\n');
  const values = parse(src);
  const firstLine = new Map<string, number>();
  const entries: EnvEntry[] = [];
  let end = 0;
  for (const m of src.matchAll(DOTENV_LINE)) {
    const start = m.index ?? 0;
    checkSkipped(src, end, start, source);
    end = start + m[0].length;
    const key = m[1];
    const line = lineAt(src, start + m[0].search(/\S/));
    if (!ENV_KEY.test(key)) {
      throw new ConfigError(`${source}, line ${line}: "${key}" is not a valid environment variable name`, {
        hint: 'use letters, digits and _ only, not starting with a digit',
      });
    }
    const seen = firstLine.get(key);
    if (seen !== undefined) {
      throw new ConfigError(`${source}, line ${line}: ${key} is already set on line ${seen}`, {
        hint: 'keep one assignment per name',
      });
    }
    checkQuotesClosed(m[2], key, line, source);
    firstLine.set(key, line);
    entries.push({ key, value: values[key] ?? '' });
  }
  checkSkipped(src, end, src.length, source);
  return entries;
}

/** Text between assignments may only hold blank lines and comments. */
function checkSkipped(src: string, from: number, to: number, source: string): void {
  const gap = src.slice(from, to);
  const lines = gap.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t === '' || t.startsWith('#')) continue;
    const line = lineAt(src, from) + i;
    throw new ConfigError(`${source}, line ${line}: expected KEY=value`, {
      hint: 'quote values that contain # or span several lines, e.g. KEY="a # b"',
    });
  }
}

// dotenv falls back to reading `"abc` as the literal text `"abc` (quote
// included); that is almost always a typo, not a value.
function checkQuotesClosed(raw: string | undefined, key: string, line: number, source: string): void {
  const v = (raw ?? '').trim();
  const q = v[0];
  if ((q === '"' || q === "'" || q === '`') && (v.length < 2 || v[v.length - 1] !== q)) {
    throw new ConfigError(`${source}, line ${line}: the value of ${key} starts with ${q} but does not end with it`, {
      hint: 'close the quote; inside double quotes write a newline as \\n',
    });
  }
}

function lineAt(src: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (src.charCodeAt(i) === 10) n++;
  return n;
}
