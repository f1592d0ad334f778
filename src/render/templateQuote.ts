// Quoting for the two formats the templates produce. Each target has its own
// rules, so each gets its own function (registered as Handlebars helpers):
//   systemd: systemd.syntax(7) words + specifiers (%) + ExecStart's $VAR expansion
//   Caddyfile: whitespace-separated tokens, "…" or `…` quoting.
import { ConfigError } from '../errors.js';

export type SystemdQuoteContext = 'env' | 'exec';

// Characters that never need quotes in a systemd word (after % and $ are doubled).
const SYSTEMD_BARE = /^[A-Za-z0-9_@%+=:,./$-]+$/;

/**
 * One systemd word. `%` becomes `%%` (specifiers are expanded in Environment=
 * and ExecStart=). In `exec` context `$` becomes `$$`, since ExecStart expands
 * $VAR at run time; Environment= does not, so there `$` stays as written.
 * Anything beyond plain characters is double-quoted with C escapes, which
 * systemd unquotes in both settings.
 */
export function systemdQuote(value: string, context: SystemdQuoteContext = 'env'): string {
  let escaped = value.replace(/%/g, '%%');
  if (context === 'exec') escaped = escaped.replace(/\$/g, '$$$$');
  if (escaped !== '' && SYSTEMD_BARE.test(escaped)) return escaped;
  return `"${escaped.replace(/[\\"\x00-\x1f\x7f]/g, escapeSystemdChar)}"`;
}

function escapeSystemdChar(ch: string): string {
  switch (ch) {
    case '\\':
      return '\\\\';
    case '"':
      return '\\"';
    case '\n':
      return '\\n';
    case '\t':
      return '\\t';
    case '\r':
      return '\\r';
    default:
      return `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
  }
}

/**
 * A value systemd takes verbatim to the end of the line (Description=,
 * WorkingDirectory=, EnvironmentFile=, SyslogIdentifier=): no unquoting
 * happens there, so only specifiers are escaped. A newline cannot be written.
 */
export function systemdEscape(value: string): string {
  if (/[\n\r]/.test(value)) {
    throw new ConfigError(`a value in a systemd unit contains a line break: ${JSON.stringify(value)}`, {
      hint: 'remove the line break from the app name, stage, path or description',
    });
  }
  return value.replace(/%/g, '%%');
}

// Caddyfile tokens end at whitespace; quotes, braces and # change the parse.
const CADDY_NEEDS_QUOTES = /[\s"'`{}#\\]/;

/**
 * One Caddyfile token. Plain tokens stay bare; others are double-quoted with
 * `\"` for quotes. Caddy's lexer keeps any other backslash as written, so a
 * backslash right before a quote cannot be expressed in "…": those values use
 * a backtick token (no escapes at all) instead.
 */
export function caddyQuote(value: string): string {
  if (value === '') return '""';
  if (!CADDY_NEEDS_QUOTES.test(value)) return value;
  if (!/\\("|$)/.test(value)) return `"${value.replace(/"/g, '\\"')}"`;
  if (!value.includes('`')) return `\`${value}\``;
  throw new ConfigError(`cannot write ${JSON.stringify(value)} as one Caddyfile token`, {
    hint: 'a value may not contain a backslash before a quote and a backtick at once',
  });
}
