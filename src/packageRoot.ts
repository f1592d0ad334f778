// The package root: package.json, templates/ and remote/ sit there. Found from
// this module's own file, which is dist/src/packageRoot.js when compiled and a
// chunk in dist/cli/ when bundled (scripts/bundle.mjs), at whatever depth.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'remote'))) return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`deployer: no package root (package.json beside remote/) above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}
