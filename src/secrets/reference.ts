// A value that is exactly `$NAME` or `${NAME}` refers to a secret; anything
// else is literal text, in which `$$` stands for one `$` (so `$$NAME` is the
// literal `$NAME`). NAME is whatever the adapter understands (an environment
// variable, a Bitwarden item, op://vault/item/field), so the bare form only
// excludes whitespace, `$` and braces, and the braced form allows spaces.

export type EnvValue = { kind: 'literal'; value: string } | { kind: 'reference'; name: string; raw: string };

const BARE = /^\$([^\s${}]+)$/;
const BRACED = /^\$\{([^{}]*\S[^{}]*)\}$/;

export function readEnvValue(value: string): EnvValue {
  const m = BARE.exec(value) ?? BRACED.exec(value);
  if (m) return { kind: 'reference', name: m[1].trim(), raw: value };
  return { kind: 'literal', value: value.replace(/\$\$/g, '$') };
}
