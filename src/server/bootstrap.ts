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
//   kernel     net.ipv4.tcp_migrate_req = 1, in a sysctl.d file of deployer's
//              and applied now (see RELOAD_SYSCTL below for why)
import { scriptWithArgs } from '../remote/scriptFiles.js';
import { escapeEre } from './prelude.js';

export const BOOTSTRAP_PACKAGES = ['python3-venv', 'caddy', 'sudo'] as const;

/**
 * Every Caddy reload (each blue-green switch and rollback) opens a new
 * SO_REUSEPORT listener on :80/:443 and closes the old one. A connection the
 * kernel had just queued on the old one, not yet accepted, is reset when it
 * closes: a visitor's request fails (about one reload in thirty at 200
 * requests/s on Caddy 2.6.2). With this setting (Linux 5.14+) the kernel moves
 * those connections to the new listener instead.
 */
export const RELOAD_SYSCTL = { key: 'net.ipv4.tcp_migrate_req', value: '1' } as const;
export const SYSCTL_FILE = '/etc/sysctl.d/60-deployer.conf';
export const MIGRATE_REQ_PROC = '/proc/sys/net/ipv4/tcp_migrate_req';

export interface BootstrapRequest {
  appsDir: string;
  /** Folder of per-app sites (Layout.caddySitesDir). */
  sitesDir: string;
  packages?: readonly string[];
  /** Caddy's main file (Layout.caddyfile; tests point it elsewhere). */
  caddyfile: string;
  /** Where the kernel setting is kept (SYSCTL_FILE; tests point it elsewhere). */
  sysctlFile?: string;
  /** Where it is applied now (MIGRATE_REQ_PROC; tests point it elsewhere). */
  migrateReqProc?: string;
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
    [
      req.appsDir,
      req.sitesDir,
      req.caddyfile,
      caddyImportLine(req.sitesDir),
      caddyImportPattern(req.sitesDir),
      req.sysctlFile ?? SYSCTL_FILE,
      RELOAD_SYSCTL.key,
      RELOAD_SYSCTL.value,
      req.migrateReqProc ?? MIGRATE_REQ_PROC,
      ...packages,
    ],
    'server-prelude.sh',
    'server-bootstrap.sh',
  );
}
