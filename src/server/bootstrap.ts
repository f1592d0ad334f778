// `deployer server bootstrap`, planned: one script that makes a Debian/Ubuntu
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
import { shellQuote } from '../shell/quote.js';
import { escapeEre, SERVER_PRELUDE } from './prelude.js';

export const BOOTSTRAP_PACKAGES = ['python3-venv', 'caddy', 'sudo'] as const;
export const CADDYFILE = '/etc/caddy/Caddyfile';

export interface BootstrapRequest {
  appsDir: string;
  /** Folder of per-app sites (Layout.caddySitesDir). */
  sitesDir: string;
  packages?: readonly string[];
  /** Caddy's main file (tests point it elsewhere). */
  caddyfile?: string;
}

export function caddyImportLine(sitesDir: string): string {
  return `import ${sitesDir}/*.caddy`;
}

/** grep -E pattern for that line, as the deploy's probe tests it: anchored, any spacing. */
export function caddyImportPattern(sitesDir: string): string {
  return `^[[:space:]]*${escapeEre(caddyImportLine(sitesDir)).replace(/ /g, '[[:space:]]+')}([[:space:]]|$)`;
}

const v = (name: string, value: string) => `${name}=${shellQuote(value)}`;

export function renderBootstrapScript(req: BootstrapRequest): string {
  const packages = req.packages ?? BOOTSTRAP_PACKAGES;
  const importLine = caddyImportLine(req.sitesDir);
  return [
    SERVER_PRELUDE,
    v('appsdir', req.appsDir),
    v('sites', req.sitesDir),
    v('caddyfile', req.caddyfile ?? CADDYFILE),
    v('importline', importLine),
    v('importre', caddyImportPattern(req.sitesDir)),
    `pkgs=(${packages.map(shellQuote).join(' ')})`,
    'user=$(id -un) group=$(id -gn) caddy_changed=0',
    'command -v dpkg-query >/dev/null && command -v apt-get >/dev/null || fail "not a Debian or Ubuntu host (no dpkg-query or apt-get)"',
    '',
    '# --- packages',
    'missing=()',
    'for p in "${pkgs[@]}"; do',
    '  [ "$(dpkg-query -W -f=\'${Status}\' -- "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")',
    'done',
    'if [ ${#missing[@]} -eq 0 ]; then',
    '  ok "packages installed: ${pkgs[*]}"',
    'else',
    '  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || fail "apt-get update failed (see above)"',
    '  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 || fail "apt-get install ${missing[*]} failed (see above)"',
    '  changed "installed ${missing[*]}"',
    'fi',
    '',
    '# --- Caddy: the sites folder, the import line, the service',
    'if [ -d "$sites" ]; then ok "$sites exists"; else',
    '  as_root install -d -m 755 -- "$sites" || fail "cannot create $sites"',
    '  changed "created $sites"',
    'fi',
    'if as_root grep -qE -- "$importre" "$caddyfile" 2>/dev/null; then ok "$caddyfile imports $sites"; else',
    '  tmp=$(mktemp) || fail "mktemp failed"',
    '  if as_root test -f "$caddyfile"; then as_root cat -- "$caddyfile" > "$tmp" || fail "cannot read $caddyfile"; fi',
    '  if [ -s "$tmp" ] && [ -n "$(tail -c1 -- "$tmp")" ]; then echo >> "$tmp"; fi',
    '  printf \'%s\\n%s\\n\' "# Added by deployer server bootstrap: one site file per app and stage." "$importline" >> "$tmp"',
    // Beside the real file, so the Caddyfile's own relative imports resolve the same.
    '  as_root install -m 644 -- "$tmp" "$caddyfile.deployer-tmp" || fail "cannot write $caddyfile.deployer-tmp"',
    '  rm -f -- "$tmp"',
    '  if ! out=$(as_root caddy validate --adapter caddyfile --config "$caddyfile.deployer-tmp" 2>&1); then',
    '    printf \'%s\\n\' "$out" | grep -v \'^{\' | tail -n 15 >&2',
    '    as_root rm -f -- "$caddyfile.deployer-tmp"',
    '    fail "Caddy rejects $caddyfile with the import line added (see above); nothing was changed"',
    '  fi',
    '  as_root mv -fT -- "$caddyfile.deployer-tmp" "$caddyfile" || fail "cannot replace $caddyfile"',
    '  changed "added \'$importline\' to $caddyfile"',
    '  caddy_changed=1',
    'fi',
    'if systemctl is-enabled --quiet caddy 2>/dev/null; then ok "caddy enabled"; else',
    '  as_root systemctl enable --quiet caddy || fail "systemctl enable caddy failed"',
    '  changed "enabled caddy"',
    'fi',
    'if ! systemctl is-active --quiet caddy; then',
    '  as_root systemctl start caddy || fail "caddy does not start: journalctl -u caddy says why"',
    '  changed "started caddy"',
    'elif [ $caddy_changed = 1 ]; then',
    '  as_root systemctl reload caddy || fail "caddy reload failed: journalctl -u caddy says why"',
    '  changed "reloaded caddy"',
    'else ok "caddy running"; fi',
    '',
    // An existing apps_dir is never re-owned or re-moded: it may be /opt or
    // /usr/local/share. Deploys create their app dirs in it (with sudo when
    // the SSH user cannot write it), each carrying its identity record.
    '# --- the apps directory: created (owned by the SSH user) only when missing',
    'if [ ! -d "$appsdir" ]; then',
    '  as_root install -d -m 755 -o "$user" -g "$group" -- "$appsdir" || fail "cannot create $appsdir"',
    '  changed "created $appsdir (owned by $user)"',
    'elif [ -w "$appsdir" ]; then ok "$appsdir exists and $user can write it"',
    'else ok "$appsdir exists, owned by $(stat -c %U -- "$appsdir"), left as it is (deploys create their app dirs there with sudo)"; fi',
    'echo "@@end"',
    '',
  ].join('\n');
}
