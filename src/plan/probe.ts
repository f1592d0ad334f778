// The first channel of every command that changes a host: take the app's
// lock, then print the remote state, then hold the lock for as long as the
// channel lives. The lock is an flock held by this shell; when the client
// exits, is killed, or the network drops, sshd closes the channel, `cat` sees
// EOF, the shell exits and the kernel releases the lock. It cannot go stale.
import { shellQuote } from '../shell/quote.js';
import type { Layout } from './layout.js';
import { IDENTITY_FILE, identityText, legacyDescription, ownerLine, type Identity, type OwnerStatus } from './ownership.js';
import { parseVersions, type ReleaseRecord } from './versions.js';

export interface ProbeRequest {
  layout: Layout;
  appName: string;
  /** Whose app dir this is (the identity record deployer writes into it). */
  identity: Identity;
  /** Release whose files are listed with hashes (the one being deployed). */
  version?: string;
  /** Seconds to wait for the lock; 0 fails at once. */
  lockWait: number;
  /** Who is asking, shown to anyone refused: "alice@laptop pid 123: deployer deploy". */
  holder: string;
  /** Take the lock (false: read-only probe for `plan`/`status`). */
  lock: boolean;
  /** Create apps_dir and the app dir (with sudo when needed). */
  create: boolean;
}

export interface RemoteState {
  user: string;
  current?: string;
  releases: string[];
  versions: ReleaseRecord[];
  /** Files of the target release (relative path -> sha256), without .venv. */
  releaseFiles: Record<string, string>;
  /** Files of the live release (when it is another one), for copying on the host instead of uploading. */
  currentFiles?: Record<string, string>;
  /** The live release has a virtual environment (python mode). */
  currentVenv?: boolean;
  /** Units of the live release that are not active. */
  inactive?: string[];
  /** Unit files that carry this app's marker: name -> content. */
  units: Record<string, string>;
  caddySite?: string;
  caddyImportsSites: boolean;
  hasUv: boolean;
  python?: string;
  /** Live env of the app (its .appenv): key -> sha256 of the value. Values never leave the host. */
  envHashes?: Record<string, string>;
  /** The app dir's ownership (see src/plan/ownership.ts). */
  owner?: OwnerStatus;
  /** Set when the app dir exists but is not this app's: its identity record ('' when it has none). */
  refused?: string;
  /** Unit files with this app's marker but another app's owner line: name -> that line. */
  otherUnits?: Record<string, string>;
  /** The Caddy site's owner line when it is another app's. */
  otherSite?: string;
  /** Lock holder text when the lock was refused. */
  lockedBy?: string;
  lockHeld: boolean;
}

const v = (name: string, value: string) => `${name}=${shellQuote(value)}`;

// Shell functions of the probe that decide whose the app dir is. Prints one
// of: own, legacy (made by an earlier deployer: .versions, a current release
// with units carrying this app's marker and Description), missing, or
// refuses with `@@refused <base64 of the record>` and stops.
const OWNERSHIP_FUNCTIONS = String.raw`
owner_status() {
  if [ ! -e "$appdir" ] && [ ! -L "$appdir" ]; then echo missing; return; fi
  if [ -L "$appdir" ] || [ ! -d "$appdir" ]; then echo foreign; return; fi
  if [ -f "$appdir/$identfile" ] && [ ! -L "$appdir/$identfile" ]; then
    if [ "$(cat -- "$appdir/$identfile")" = "$ident" ]; then echo own; else echo other; fi
    return
  fi
  local cur f d n=0
  if [ -f "$appdir/.versions" ] && cur=$(readlink -- "$appdir/current") && [[ $cur == v* ]] && [ -f "$appdir/$cur/.deployer/instances" ]; then
    for f in "$appdir/$cur"/.deployer/units/*; do
      [ -f "$f" ] || continue
      d=$(grep -m1 '^Description=' -- "$f")
      # "shop (admin) web" is stage admin of shop, not the app shop: what follows the prefix is a process name.
      grep -qxF -- "$marker" "$f" && [[ $d == "$legacydesc"* && $d != "$legacydesc("* ]] || { echo foreign; return; }
      n=$((n+1))
    done
    [ $n -gt 0 ] && { echo legacy; return; }
  fi
  echo foreign
}
refuse_unless_ours() {
  case $own in
    other) echo "@@refused $(b64 "$appdir/$identfile")"; exit 0 ;;
    foreign) echo "@@refused "; exit 0 ;;
  esac
}
write_identity() {
  printf '%s\n' "$ident" > "$appdir/$identfile.tmp" && mv -f -- "$appdir/$identfile.tmp" "$appdir/$identfile"
}
owned_by_us() { # FILE: carries no owner line (written by an earlier deployer) or ours
  local o
  o=$(grep -m1 '^# deployer-owner: ' -- "$1")
  [ -z "$o" ] || [ "$o" = "$owner" ]
}`;

export function unitMarker(appName: string): string {
  return `# deployer-app: ${appName}`;
}

// Prints `@@envhash KEY sha256` for each variable the live .appenv exports,
// never a value. .appenv is shell syntax (written with shellQuote), so bash
// itself decodes the values exactly, multi-line ones included, where parsing
// .env on the host would need a dotenv parser. `export` is replaced by a
// function that only records, in a clean `env -i` shell. The last export is
// the PATH line deployer appends (formatAppEnv), not an app setting.
const ENV_HASH_SCRIPT = [
  'set -f; keys=(); sums=()',
  'export() { local a; for a in "$@"; do keys+=("${a%%=*}"); sums+=("$(printf %s "${a#*=}" | sha256sum)"); done; }',
  '. "$1" >/dev/null 2>&1',
  'n=${#keys[@]}',
  '[ "$n" -gt 0 ] && [ "${keys[n-1]}" = PATH ] && n=$((n-1))',
  'for ((i=0; i<n; i++)); do [[ ${keys[i]} =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] && echo "@@envhash ${keys[i]} ${sums[i]%% *}"; done',
  'exit 0',
].join('\n');

export function renderProbeScript(req: ProbeRequest, sitePath: string): string {
  const L = req.layout;
  const release = req.version ? L.releaseDir(req.version) : '';
  return [
    'set -u',
    v('appsdir', L.appsDir),
    v('statedir', L.lockFile.replace(/\/[^/]*$/, '')),
    v('appdir', L.appDir),
    v('lock', L.lockFile),
    v('info', L.lockInfoFile),
    v('phaselock', L.phaseLockFile),
    v('release', release),
    v('site', sitePath),
    v('marker', unitMarker(req.appName)),
    v('owner', ownerLine(req.identity)),
    v('ident', identityText(req.identity)),
    v('identfile', IDENTITY_FILE),
    v('legacydesc', legacyDescription(req.identity)),
    v('holder', req.holder),
    v('envhash', ENV_HASH_SCRIPT),
    `lockwait=${Math.max(0, Math.floor(req.lockWait))}`,
    `want_lock=${req.lock ? 1 : 0}`,
    `create=${req.create ? 1 : 0}`,
    'b64() { base64 -w0 -- "$1" 2>/dev/null; echo; }',
    'echo "@@user $(id -un)"',
    OWNERSHIP_FUNCTIONS,
    // Refuse before creating anything (and again under the lock, below).
    'own=$(owner_status); refuse_unless_ours',
    // Create only what is missing; never chown or chmod what exists.
    'if [ $create = 1 ]; then',
    '  if [ ! -d "$appsdir" ]; then',
    '    mkdir -p -- "$appsdir" 2>/dev/null || sudo -n install -d -m 755 -o "$(id -un)" -g "$(id -gn)" -- "$appsdir" ||',
    '      { echo "@@error cannot create $appsdir: the user $(id -un) cannot write there and has no passwordless sudo"; exit 1; }',
    '  fi',
    '  if [ ! -d "$statedir" ]; then',
    '    mkdir -- "$statedir" 2>/dev/null || sudo -n install -d -m 755 -o "$(id -un)" -g "$(id -gn)" -- "$statedir" ||',
    '      { echo "@@error cannot create $statedir: the user $(id -un) cannot write $appsdir and has no passwordless sudo"; exit 1; }',
    '  fi',
    'fi',
    'if [ $want_lock = 1 ] && [ $create = 0 ] && [ ! -d "$appdir" ]; then',
    '  echo "@@error the app is not deployed on this host ($appdir does not exist): run deployer deploy first"; exit 0',
    'fi',
    'if [ $want_lock = 1 ]; then',
    '  exec 9>>"$lock" || { echo "@@error cannot open $lock"; exit 1; }',
    // Half a second of grace even without --lock-wait: a read-only probe
    // (plan, status) may hold the lock for an instant to see if it is free.
    '  if ! flock -w 0.5 9; then',
    '    if [ "$lockwait" -gt 0 ]; then echo "@@waiting $(b64 "$info")"; fi',
    '    if [ "$lockwait" = 0 ] || ! flock -w "$lockwait" 9; then echo "@@locked $(b64 "$info")"; exit 0; fi',
    '  fi',
    '  printf \'%s\\n\' "$holder" > "$info.tmp" && mv -f -- "$info.tmp" "$info"',
    // A phase script of a client that just died may still be finishing (it
    // ignores SIGHUP on purpose): wait for it before looking at the state.
    '  exec 8>>"$phaselock" && flock -w 600 8; exec 8>&-',
    '  echo "@@acquired"',
    '  own=$(owner_status); refuse_unless_ours',
    // Made by an earlier deployer: adopted once, by the first command that changes the host.
    '  if [ "$own" = legacy ]; then write_identity && own=adopted || { echo "@@error cannot write $appdir/$identfile"; exit 1; }; fi',
    'else',
    '  if [ -e "$lock" ] && ! flock -n "$lock" true 2>/dev/null; then echo "@@held $(b64 "$info")"; fi',
    'fi',
    'if [ $create = 1 ] && [ "$own" = missing ]; then',
    '  { mkdir -- "$appdir" 2>/dev/null || sudo -n install -d -m 755 -o "$(id -un)" -g "$(id -gn)" -- "$appdir"; } && write_identity ||',
    '    { echo "@@error cannot create $appdir"; exit 1; }',
    '  own=created',
    'fi',
    'echo "@@owner $own"',
    'if [ -d "$appdir" ]; then',
    '  cur=$(readlink -- "$appdir/current" 2>/dev/null) && echo "@@current ${cur#v}"',
    '  for d in "$appdir"/v*/; do [ -d "$d" ] && d=${d%/} && echo "@@release ${d##*/v}"; done',
    '  [ -f "$appdir/.versions" ] && echo "@@versions $(b64 "$appdir/.versions")"',
    // stdin is this script: the child shell must not read it.
  '  [ -f "$appdir/.appenv" ] && env -i bash --norc --noprofile -c "$envhash" envhash "$appdir/.appenv" </dev/null',
    'fi',
    'if [ -n "$release" ] && [ -d "$release" ]; then',
    '  (cd -- "$release" && find . -path ./.venv -prune -o -path ./.incoming -prune -o -type f -print0 | xargs -0 -r sha256sum) |',
    '    while read -r sum path; do echo "@@file ${path#./} $sum"; done',
    'fi',
    // The live release's files too: what is unchanged is copied on the host
    // instead of uploaded, and its venv can be reused when the deps match.
    'if [ -n "${cur:-}" ] && [ -d "$appdir/$cur" ] && [ "$appdir/$cur" != "$release" ]; then',
    '  (cd -- "$appdir/$cur" && find . -path ./.venv -prune -o -path ./.incoming -prune -o -type f -print0 | xargs -0 -r sha256sum) |',
    '    while read -r sum path; do echo "@@curfile ${path#./} $sum"; done',
    'fi',
    'if [ -n "${cur:-}" ] && [ -x "$appdir/$cur/.venv/bin/python" ]; then echo "@@curvenv yes"; fi',
    // Services of the live release that are not running (a no-op deploy must still start them).
    'if [ -n "${cur:-}" ] && [ -f "$appdir/$cur/.deployer/instances" ]; then',
    '  while read -r _ unit; do [ -n "$unit" ] && ! systemctl is-active --quiet -- "$unit" && echo "@@inactive $unit"; done < "$appdir/$cur/.deployer/instances"',
    'fi',
    'for f in /etc/systemd/system/*.service /etc/systemd/system/*.socket /etc/systemd/system/*.timer; do',
    '  [ -f "$f" ] && grep -qxF -- "$marker" "$f" || continue',
    '  if owned_by_us "$f"; then echo "@@unit ${f##*/} $(b64 "$f")"; else echo "@@unit-other ${f##*/} $(grep -m1 \'^# deployer-owner: \' -- "$f" | base64 -w0)"; fi',
    'done',
    'if [ -f "$site" ]; then',
    '  if owned_by_us "$site"; then echo "@@caddy $(b64 "$site")"; else echo "@@caddy-other $(grep -m1 \'^# deployer-owner: \' -- "$site" | base64 -w0)"; fi',
    'fi',
    'grep -qE \'^[[:space:]]*import[[:space:]]+/etc/caddy/sites/\\*\\.caddy\' /etc/caddy/Caddyfile 2>/dev/null && echo "@@caddy-imports yes"',
    'command -v uv >/dev/null 2>&1 && echo "@@uv yes"',
    'echo "@@python $(python3 -c \'import sys; print("%d.%d" % sys.version_info[:2])\' 2>/dev/null)"',
    'echo "@@end"',
    // Hold the lock until the client closes stdin (or the connection dies).
    'if [ $want_lock = 1 ]; then cat >/dev/null; fi',
    '',
  ].join('\n');
}

const unb64 = (s: string) => Buffer.from(s ?? '', 'base64').toString('utf8');

export function parseProbeOutput(text: string): RemoteState & { error?: string; ended: boolean } {
  const state: RemoteState & { error?: string; ended: boolean } = {
    user: '',
    releases: [],
    versions: [],
    releaseFiles: {},
    currentFiles: {},
    currentVenv: false,
    units: {},
    caddyImportsSites: false,
    hasUv: false,
    envHashes: {},
    lockHeld: false,
    ended: false,
  };
  for (const line of text.split('\n')) {
    if (!line.startsWith('@@')) continue;
    const sp = line.indexOf(' ');
    const tag = sp < 0 ? line.slice(2) : line.slice(2, sp);
    const rest = sp < 0 ? '' : line.slice(sp + 1);
    switch (tag) {
      case 'user':
        state.user = rest;
        break;
      case 'current':
        state.current = rest;
        break;
      case 'release':
        state.releases.push(rest);
        break;
      case 'versions':
        state.versions = parseVersions(unb64(rest));
        break;
      case 'file': {
        const i = rest.lastIndexOf(' ');
        state.releaseFiles[rest.slice(0, i)] = rest.slice(i + 1);
        break;
      }
      case 'curfile': {
        const i = rest.lastIndexOf(' ');
        state.currentFiles![rest.slice(0, i)] = rest.slice(i + 1);
        break;
      }
      case 'curvenv':
        state.currentVenv = true;
        break;
      case 'inactive':
        (state.inactive ??= []).push(rest);
        break;
      case 'unit': {
        const [name, data] = rest.split(' ');
        state.units[name] = unb64(data);
        break;
      }
      case 'envhash': {
        const [key, sum] = rest.split(' ');
        if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) && /^[0-9a-f]{64}$/.test(sum ?? '')) state.envHashes![key] = sum;
        break;
      }
      case 'owner':
        state.owner = rest as OwnerStatus;
        break;
      case 'refused':
        state.refused = unb64(rest);
        break;
      case 'unit-other': {
        const [name, data] = rest.split(' ');
        (state.otherUnits ??= {})[name] = unb64(data);
        break;
      }
      case 'caddy-other':
        state.otherSite = unb64(rest);
        break;
      case 'caddy':
        state.caddySite = unb64(rest);
        break;
      case 'caddy-imports':
        state.caddyImportsSites = true;
        break;
      case 'uv':
        state.hasUv = true;
        break;
      case 'python':
        state.python = rest || undefined;
        break;
      case 'locked':
        state.lockedBy = unb64(rest).trim() || 'another deployer process (no holder recorded)';
        break;
      case 'held':
        state.lockHeld = true;
        state.lockedBy = unb64(rest).trim();
        break;
      case 'error':
        state.error = rest;
        break;
      case 'end':
        state.ended = true;
        break;
    }
  }
  return state;
}
