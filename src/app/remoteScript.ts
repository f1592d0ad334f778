// Shell scripts that run on the host, kept as real .sh files in the package's
// top-level `remote/` folder (shellcheck-clean, values as arguments), read
// here once each.
import { readFileSync } from 'node:fs';

const cache = new Map<string, string>();

/** The text of `remote/<name>` (dist/src/app/ -> ../../../remote/). */
export function remoteScript(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`../../../remote/${name}`, import.meta.url), 'utf8');
    cache.set(name, text);
  }
  return text;
}
