// Which env values the Redactor is told about. Values resolved from a
// `$NAME` reference always are (they come from a secret store). Literal
// values are secrets too, since people paste tokens straight into `env`,
// unless redacting them would wreck all output: a value like "1", "true" or
// "info" would be replaced in every line that happens to contain it. So a
// literal is public when its key is in `public_env`, when it is shorter than
// MIN_SECRET_LENGTH characters, or when it is a number or a boolean word.
// A registered value is still printed where it lies wholly inside something
// the config shows in clear (a domain, the app, a command): the Redactor keeps
// those whole (src/deploy/clearValues.ts, Redactor.keep).
import type { EnvEntry } from './envText.js';
import { readEnvValue } from './reference.js';

export const MIN_SECRET_LENGTH = 6;
const PLAIN_WORD = /^(?:[+-]?\d+(?:\.\d+)?|true|false|yes|no|on|off|none|null)$/i;

/** The literal values (not `$NAME` references) to redact from output. */
export function literalSecrets(entries: readonly EnvEntry[], publicKeys: readonly string[] = []): string[] {
  const open = new Set(publicKeys);
  const out: string[] = [];
  for (const e of entries) {
    if (open.has(e.key)) continue;
    const v = readEnvValue(e.value);
    if (v.kind !== 'literal') continue;
    if (isSecretLiteral(v.value)) out.push(v.value);
  }
  return out;
}

export function isSecretLiteral(value: string): boolean {
  const t = value.trim();
  return t.length >= MIN_SECRET_LENGTH && !PLAIN_WORD.test(t);
}
