// The build's last step (npm run build, after tsc and the template
// precompilation): the CLI as a few ES module files in dist/cli/, with
// esbuild. Node then resolves and loads a handful of files instead of about
// two hundred (tens of ms on every command, before it does anything). Code
// that loads lazily (a command's work, the SSH stack) stays in chunks of its
// own, so `deployer --help` still reads only what it needs. ssh2 stays a
// package: its optional native parts are found next to its own files.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';

const outdir = new URL('../dist/cli/', import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [new URL('../dist/src/cli.js', import.meta.url).pathname],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['ssh2', 'cpu-features'],
  // Bundled CommonJS packages call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __deployerRequire } from 'node:module'; const require = __deployerRequire(import.meta.url);" },
  logLevel: 'warning',
});
chmodSync(new URL('cli.js', `file://${outdir}`), 0o755);
