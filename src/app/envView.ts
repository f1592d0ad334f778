// `app cat env` without --show-secrets: the keys of the host's .env, every
// value replaced. Rebuilt from the parsed keys rather than edited line by
// line, because a quoted value may span lines and a continuation line must
// not slip through as "not a KEY=value line".
import { parse } from 'dotenv';

export const REDACTED = '[REDACTED]';

export function redactEnvText(text: string): string {
  const keys = Object.keys(parse(text));
  return keys.map((k) => `${k}=${REDACTED}`).join('\n') + (keys.length ? '\n' : '');
}
