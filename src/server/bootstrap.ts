// `deployer server bootstrap`, planned: one script (remote/server-bootstrap.sh) that makes a Debian/Ubuntu
// host ready for deploys, changing only what is missing:
//   packages   python3-venv, caddy, sudo, from the distribution; dpkg-query
//              first, apt-get only when one is missing (hosts without
//              network then still bootstrap when everything is there)
//   Caddy      /etc/caddy/sites/ exists; the Caddyfile imports sites/*.caddy
//              (added through a temp file beside it, validated by `caddy
//              validate`, renamed into place; then caddy reloaded); caddy
//              enabled and running
//   apps_dir   exists (created for the SSH user when missing; an existing one
//              is left as it is: never re-owned or re-moded)
import { scriptWithArgs } from '../remote/scriptFiles.js';
import { escapeEre } from './prelude.js';

export const BOOTSTRAP_PACKAGES = ['python3-venv', 'caddy', 'sudo'] as const;

export interface BootstrapRequest {
  appsDir: string;
  /** Folder of per-app sites (Layout.caddySitesDir). */
  sitesDir: string;
  packages?: readonly string[];
  /** Caddy's main file (Layout.caddyfile; tests point it elsewhere). */
  caddyfile: string;
}

export function caddyImportLine(sitesDir: string): string {
  return `import ${sitesDir}/*.caddy`;
}

/** grep -E pattern for that line, as the deploy's probe tests it: anchored, any spacing. */
export function caddyImportPattern(sitesDir: string): string {
  return `^[[:space:]]*${escapeEre(caddyImportLine(sitesDir)).replace(/ /g, '[[:space:]]+')}([[:space:]]|$)`;
}

/** The script sendScript sends (src/ssh/sendScript.ts): remote/server-prelude.sh and remote/server-bootstrap.sh with their arguments. */
export function renderBootstrapScript(req: BootstrapRequest): string {
  const packages = req.packages ?? BOOTSTRAP_PACKAGES;
  return scriptWithArgs(
    [req.appsDir, req.sitesDir, req.caddyfile, caddyImportLine(req.sitesDir), caddyImportPattern(req.sitesDir), ...packages],
    'server-prelude.sh',
    'server-bootstrap.sh',
  );
}
