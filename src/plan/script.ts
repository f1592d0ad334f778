// Renders a phase (a list of steps) into one bash script, sent on stdin to
// `bash -s` over one exec channel. Every value is quoted by shellQuote; the
// only shell text not built from argv is the fixed library below and the
// user's own release_command/hook lines, which run through `bash -c` as one
// quoted argument.
//
// The script ignores SIGHUP/SIGPIPE: if the client dies mid-phase the host
// finishes the phase (or, for the switch, reverts) instead of stopping half
// way. Each phase holds the phase lock so the next deploy waits for it.
import { shellJoin, shellQuote } from '../shell/quote.js';
import type { Step } from './steps.js';
import { describeStep } from './steps.js';

export interface ScriptSpec {
  phaseLock: string;
  steps: Step[];
  /** Run (best effort) when a step fails; then the script exits 10. */
  onFail?: Step[];
  /** After the steps: print @@READY, wait for a verdict line on stdin. */
  verdict?: { timeoutSec: number; commit: Step[]; rollback: Step[] };
}

/** Exit codes of rendered scripts, read by the executor. */
export const ScriptExit = { stepFailed: 10, rolledBack: 11, lockBusy: 12 } as const;

// Bash library shared by every script. Written as a raw template, so bash's
// own "${" is spelt "$%{" here and restored below.
const LIBRARY = String.raw`
dp_sudo() { if [ "$1" = sudo ]; then shift; sudo -n "$@"; else shift; "$@"; fi; }
dp_install() { # sudo|- FROM TO MODE
  local s=$1 tmp="$3.deployer-tmp"
  dp_sudo "$s" cp -- "$2" "$tmp" && dp_sudo "$s" chmod "$4" "$tmp" && dp_sudo "$s" mv -fT -- "$tmp" "$3"
}
dp_symlink() { # sudo|- TARGET PATH
  dp_sudo "$1" ln -sfn -- "$2" "$3.deployer-tmp" && dp_sudo "$1" mv -fT -- "$3.deployer-tmp" "$3"
}
dp_relocate_venv() { # OLD NEW: a copied venv's scripts still name the old path
  python3 -c '
import pathlib, sys
old, new = (a.encode() for a in sys.argv[1:3])
for p in pathlib.Path(sys.argv[2], "bin").iterdir():
    if p.is_file() and not p.is_symlink():
        data = p.read_bytes()
        if old in data:
            p.write_bytes(data.replace(old, new))
' "$1" "$2"
}
dp_verify() { # PATH SHA256
  local got
  got=$(sha256sum -- "$1" | cut -d' ' -f1) || return 1
  [ "$got" = "$2" ] || { echo "checksum mismatch for $1: expected $2, got $got" >&2; return 1; }
}
dp_app() { # RUNAS RELEASE_DIR COMMAND
  local run=(bash -c 'set -a; . "$1/.appenv" || exit 1; set +a; export DEPLOYER_DATA_DIR="$%{1%/*}/data"; PATH="$1/.venv/bin:$1:$PATH"; cd "$1" && exec bash -c "$2"' deployer-app "$2" "$3")
  if [ -n "$1" ] && [ "$1" != "$(id -un)" ]; then sudo -n -u "$1" -- "$%{run[@]}"; else "$%{run[@]}"; fi
}
dp_caddy_validate() { # SITE CANDIDATE
  local t rc=0
  t=$(mktemp -d) || return 1
  mkdir "$t/sites"
  for f in /etc/caddy/sites/*.caddy; do
    [ -e "$f" ] && [ "$f" != "$1" ] && cp -- "$f" "$t/sites/"
  done
  cp -- "$2" "$t/sites/$(basename -- "$1")"
  sed "s#/etc/caddy/sites/#$t/sites/#g" /etc/caddy/Caddyfile > "$t/Caddyfile"
  sudo -n caddy validate --adapter caddyfile --config "$t/Caddyfile" > "$t/out" 2>&1 || rc=$?
  if [ $rc != 0 ]; then echo "Caddy rejected the new site:" >&2; grep -v '^{' "$t/out" | tail -n 15 >&2; fi
  rm -rf -- "$t"
  return $rc
}
dp_write() { # PATH MODE CONTENT
  printf '%s' "$3" > "$1.deployer-tmp" && chmod "$2" "$1.deployer-tmp" && mv -fT -- "$1.deployer-tmp" "$1"
}
dp_owned_by() { # FILE OWNER_LINE: the file carries that owner line, or none (an earlier deployer wrote it)
  local o
  o=$(grep -m1 '^# deployer-owner: ' -- "$1")
  [ -z "$o" ] || [ "$o" = "$2" ]
}
dp_app_units() { # MARKER OWNER: unit files of this app (they carry the marker line, and no other app's owner line)
  local f
  for f in /etc/systemd/system/*.service /etc/systemd/system/*.socket /etc/systemd/system/*.timer; do
    [ -f "$f" ] && grep -qxF -- "$1" "$f" && dp_owned_by "$f" "$2" && echo "$%{f##*/}"
  done
  return 0
}
dp_check_owned() { # MARKER OWNER SITE UNIT_NAME...: refuse to overwrite a unit or site deployer did not write for this app
  local marker=$1 owner=$2 site=$3 name f
  shift 3
  for name in "$@"; do
    f=/etc/systemd/system/$name
    [ -e "$f" ] || [ -L "$f" ] || continue
    if ! { [ -f "$f" ] && [ ! -L "$f" ] && grep -qxF -- "$marker" "$f"; }; then
      echo "$f was not created by deployer: refusing to replace it" >&2; return 1
    fi
    dp_owned_by "$f" "$owner" || { echo "$f belongs to $(grep -m1 '^# deployer-owner: ' -- "$f" | cut -c19-)" >&2; return 1; }
  done
  if [ -n "$site" ] && { [ -e "$site" ] || [ -L "$site" ]; }; then
    [ -f "$site" ] && [ ! -L "$site" ] && dp_owned_by "$site" "$owner" || { echo "$site is not this app's: refusing to replace it" >&2; return 1; }
  fi
  return 0
}
dp_remove_app_dir() { # APPDIR IDENTITY_FILE IDENTITY: rm -rf only a dir whose identity record is this app's
  [ -d "$1" ] && [ ! -L "$1" ] || return 0
  [ -f "$1/$2" ] && [ "$(cat -- "$1/$2")" = "$3" ] || { echo "$1 does not carry this app's identity record: not removing it" >&2; return 1; }
  sudo -n rm -rf -- "$1"
}
dp_stop_unit() { # NAME: stop and disable a unit file's units (all instances of a template)
  if [[ $1 == *@.service ]]; then sudo -n systemctl stop -- "$%{1%.service}*.service" 2>/dev/null; fi
  sudo -n systemctl disable --now --quiet -- "$1" 2>/dev/null
  return 0
}
dp_ensure_user() { # NAME COMMENT: a system user with no login shell, no home, no sudo
  local entry
  if entry=$(getent passwd -- "$1"); then
    [ "$(printf '%s' "$entry" | cut -d: -f5)" = "$2" ] && return 0
    echo "the user $1 exists and deployer did not create it for this app: set app_user = \"$1\" to run the app as it on purpose" >&2
    return 1
  fi
  sudo -n useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --comment "$2" -- "$1" || return 1
  echo "@@USER-CREATED $1"
}
dp_data_dir() { # DIR USER: created for the app user when missing; never re-owned
  [ -d "$1" ] && return 0
  sudo -n install -d -m 0750 -o "$2" -g "$(id -gn -- "$2")" -- "$1"
}
dp_remove_user() { # NAME COMMENT: only a user deployer created for this app
  local entry
  entry=$(getent passwd -- "$1") || return 0
  [ "$(printf '%s' "$entry" | cut -d: -f5)" = "$2" ] || { echo "@@WARN the user $1 was not created by deployer for this app: left in place"; return 0; }
  sudo -n userdel -- "$1" && echo "@@USER-REMOVED $1"
}
dp_activate() { # MARKER OWNER APPDIR RELEASE SITE
  local marker=$1 owner=$2 appdir=$3 rel=$4 site=$5 meta="$3/$4/.deployer" changed=0 f name u names=()
  local inst=() restart=() start=() action unit
  [ -d "$appdir/$rel" ] && [ -f "$meta/instances" ] || { echo "release $rel is incomplete: $meta/instances is missing" >&2; return 1; }
  while read -r action unit; do
    [ -n "$unit" ] || continue
    inst+=("$unit")
    if [ "$action" = start ]; then start+=("$unit"); else restart+=("$unit"); fi
  done < "$meta/instances"
  for f in "$meta"/units/*; do [ -f "$f" ] && names+=("$%{f##*/}"); done
  dp_check_owned "$marker" "$owner" "$( [ -f "$meta/caddy.site" ] && echo "$site")" "$%{names[@]}" || return 1
  for name in $(dp_app_units "$marker" "$owner"); do
    if [ ! -f "$meta/units/$name" ]; then
      dp_stop_unit "$name"; sudo -n rm -f -- "/etc/systemd/system/$name" || return 1
      changed=1; echo "@@UNIT-REMOVED $name"
    fi
  done
  for f in "$meta"/units/*; do
    [ -f "$f" ] || continue
    name=$%{f##*/}
    if ! cmp -s -- "$f" "/etc/systemd/system/$name"; then
      dp_install sudo "$f" "/etc/systemd/system/$name" 0644 || return 1
      changed=1; echo "@@UNIT-CHANGED $name"
    fi
  done
  if [ $changed = 1 ]; then sudo -n systemctl daemon-reload || return 1; echo "@@DAEMON-RELOAD"; fi
  dp_symlink - "$rel" "$appdir/current" || return 1
  for name in .env .appenv .venv app_binary; do
    if [ -e "$appdir/current/$name" ] || [ -L "$appdir/current/$name" ]; then
      [ "$(readlink -- "$appdir/$name")" = "current/$name" ] || dp_symlink - "current/$name" "$appdir/$name" || return 1
    fi
  done
  # Replicas scaled down: stop instances of our template units that the release does not list.
  for f in "$meta"/units/*@.service; do
    [ -f "$f" ] || continue
    name=$%{f##*/}
    for u in $(systemctl list-units --all --plain --no-legend -- "$%{name%.service}*.service" | awk '{print $1}'); do
      printf '%s\n' "$%{inst[@]}" | grep -qxF -- "$u" || { sudo -n systemctl disable --now --quiet -- "$u"; echo "@@UNIT-STOPPED $u"; }
    done
  done
  if [ $%{#inst[@]} -gt 0 ]; then
    sudo -n systemctl enable --quiet -- "$%{inst[@]}" || return 1
    if [ $%{#restart[@]} -gt 0 ]; then sudo -n systemctl restart -- "$%{restart[@]}" || return 1; fi
    if [ $%{#start[@]} -gt 0 ]; then sudo -n systemctl start -- "$%{start[@]}" || return 1; fi
    echo "@@RESTARTED $%{inst[*]}"
  fi
  if [ -f "$meta/caddy.site" ]; then
    if ! cmp -s -- "$meta/caddy.site" "$site"; then
      sudo -n mkdir -p -- "$%{site%/*}" && dp_install sudo "$meta/caddy.site" "$site" 0644 || return 1
      sudo -n systemctl reload caddy || return 1
      echo "@@CADDY-RELOAD"
    fi
  elif [ -f "$site" ] && dp_owned_by "$site" "$owner"; then
    sudo -n rm -f -- "$site" && sudo -n systemctl reload caddy || return 1
    echo "@@CADDY-RELOAD"
  fi
}
dp_deactivate() { # MARKER OWNER APPDIR SITE
  local name changed=0 owner=$2
  set -- "$1" "$3" "$4"
  for name in $(dp_app_units "$1" "$owner"); do
    dp_stop_unit "$name"; sudo -n rm -f -- "/etc/systemd/system/$name"; changed=1; echo "@@UNIT-REMOVED $name"
  done
  [ $changed = 1 ] && sudo -n systemctl daemon-reload
  if [ -f "$3" ] && dp_owned_by "$3" "$owner"; then sudo -n rm -f -- "$3" && sudo -n systemctl reload caddy; echo "@@CADDY-RELOAD"; fi
  rm -f -- "$2/current"
  return 0
}
dp_wait_release() { # APPDIR RELEASE TIMEOUT_MS STABLE_MS
  local inst=() action unit
  [ -f "$1/$2/.deployer/instances" ] || return 1
  while read -r action unit; do [ -n "$unit" ] && inst+=("$unit"); done < "$1/$2/.deployer/instances"
  [ $%{#inst[@]} -gt 0 ] || return 0
  dp_wait_units "$3" "$4" "$%{inst[@]}"
}
dp_wait_units() { # TIMEOUT_MS STABLE_MS UNIT...
  local timeout=$1 stable=$2 start now since="" u st n all
  shift 2
  declare -A base
  for u in "$@"; do base[$u]=$(systemctl show -p NRestarts --value -- "$u"); done
  start=$(date +%s%3N)
  while :; do
    all=1
    for u in "$@"; do
      st=$(systemctl show -p ActiveState --value -- "$u")
      n=$(systemctl show -p NRestarts --value -- "$u")
      if [ "$st" = failed ] || [ "$n" != "$%{base[$u]}" ]; then
        echo "@@UNIT-FAILED $u"
        echo "$u is $st (restarted $n times); its last log lines:" >&2
        sudo -n journalctl -u "$u" -n 20 --no-pager -o cat >&2 || true
        return 1
      fi
      [ "$st" = active ] || all=0
    done
    now=$(date +%s%3N)
    if [ $all = 1 ]; then
      [ -n "$since" ] || since=$now
      [ $((now - since)) -ge "$stable" ] && return 0
    else
      since=""
    fi
    if [ $((now - start)) -ge "$timeout" ]; then
      echo "@@UNIT-FAILED timeout"
      for u in "$@"; do echo "$u: $(systemctl show -p ActiveState --value -- "$u")" >&2; sudo -n journalctl -u "$u" -n 10 --no-pager -o cat >&2 || true; done
      return 1
    fi
    sleep 0.2
  done
}
`.replace(/\$%\{/g, '${');

const ms = (seconds: number) => String(Math.round(seconds * 1000));

export function renderStep(step: Step): string {
  const s = (sudo?: boolean) => (sudo ? 'sudo' : '-');
  const sudoArgv = (sudo: boolean | undefined, argv: string[]) => shellJoin(sudo ? ['sudo', '-n', ...argv] : argv);
  switch (step.kind) {
    case 'mkdir':
      return sudoArgv(step.sudo, ['mkdir', '-p', '--', step.path]);
    case 'verify-sha256':
      return shellJoin(['dp_verify', step.path, step.sha256]);
    case 'move':
      return sudoArgv(step.sudo, ['mv', '-fT', '--', step.from, step.to]);
    case 'install-file':
      return shellJoin(['dp_install', s(step.sudo), step.from, step.to, step.mode]);
    case 'symlink':
      return shellJoin(['dp_symlink', s(step.sudo), step.target, step.path]);
    case 'remove':
      return sudoArgv(step.sudo, ['rm', '-rf', '--', ...step.paths]);
    case 'append':
      return `cat -- ${shellQuote(step.from)} >> ${shellQuote(step.to)}`;
    case 'run':
      return sudoArgv(step.sudo, step.argv);
    case 'app-command':
      return shellJoin(['dp_app', step.runAs ?? '', step.releaseDir, step.command]);
    case 'caddy-validate':
      return shellJoin(['dp_caddy_validate', step.site, step.candidate]);
    case 'wait-units':
      return shellJoin(['dp_wait_units', ms(step.timeoutSec), ms(step.stableSec), ...step.units]);
    case 'activate':
      return shellJoin(['dp_activate', step.marker, step.owner, step.appDir, step.release, step.site]);
    case 'deactivate':
      return shellJoin(['dp_deactivate', step.marker, step.owner, step.appDir, step.site]);
    case 'check-owned':
      return shellJoin(['dp_check_owned', step.marker, step.owner, step.site ?? '', ...step.units]);
    case 'remove-app-dir':
      return shellJoin(['dp_remove_app_dir', step.appDir, step.identityFile, step.identity]);
    case 'ensure-app-user':
      return shellJoin(['dp_ensure_user', step.name, step.comment]);
    case 'ensure-data-dir':
      return shellJoin(['dp_data_dir', step.path, step.user]);
    case 'remove-app-user':
      return shellJoin(['dp_remove_user', step.name, step.comment]);
    case 'wait-release':
      return shellJoin(['dp_wait_release', step.appDir, step.release, ms(step.timeoutSec), ms(step.stableSec)]);
    case 'write':
      return shellJoin(['dp_write', step.path, step.mode, step.content]);
    case 'append-line':
      return `printf '%s\\n' ${shellQuote(step.line)} >> ${shellQuote(step.path)}`;
    case 'mark':
      return `echo ${shellQuote(`@@MARK ${step.name}`)}`;
  }
}

function renderChecked(steps: Step[], indent: string): string[] {
  return steps.flatMap((step) => [
    `${indent}STEP=${shellQuote(describeStep(step))}; echo "@@STEP $STEP"`,
    `${indent}${renderStep(step)} || fail`,
  ]);
}

function renderBestEffort(steps: Step[], indent: string): string[] {
  return steps.map((step) => `${indent}${renderStep(step)} || echo ${shellQuote(`@@WARN ${describeStep(step)} failed`)}`);
}

export function renderScript(spec: ScriptSpec): string {
  const lines: string[] = [
    'set -u',
    "trap '' HUP PIPE",
    'export LC_ALL=C.UTF-8 SYSTEMD_PAGER= PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1',
    LIBRARY.trim(),
    'fail() {',
    '  local rc=$?',
    '  echo "@@FAIL $STEP"',
    ...renderBestEffort(spec.onFail ?? [], '  '),
    `  exit ${ScriptExit.stepFailed}`,
    '}',
    // Everything is inside main(), so bash has parsed the whole script before
    // the verdict `read` consumes the next line of stdin.
    'main() {',
    `  exec 8>>${shellQuote(spec.phaseLock)} && flock 8 || { echo ${shellQuote(`cannot take ${spec.phaseLock}`)} >&2; exit ${ScriptExit.lockBusy}; }`,
    ...renderChecked(spec.steps, '  '),
  ];
  if (spec.verdict) {
    lines.push(
      '  echo "@@READY"',
      '  local verdict=""',
      `  read -r -t ${spec.verdict.timeoutSec} verdict || verdict=""`,
      '  if [ "$verdict" = commit ]; then',
      ...renderBestEffort(spec.verdict.commit, '    '),
      '    echo "@@COMMITTED"',
      '  else',
      '    echo "@@REVERTING ${verdict:-no answer from the client}"',
      ...renderBestEffort(spec.verdict.rollback, '    '),
      '    echo "@@REVERTED"',
      `    exit ${ScriptExit.rolledBack}`,
      '  fi',
    );
  }
  lines.push('  echo "@@DONE"', '}', 'main', '');
  return lines.join('\n');
}
