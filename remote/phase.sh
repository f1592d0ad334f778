# shellcheck shell=bash
# The library of every deploy phase script (src/remote/phaseScript.ts). The
# client sends this file on the channel's stdin (src/ssh/sendScript.ts), followed by the phase: functions
# dp_steps, dp_on_fail, dp_commit and dp_rollback made only of calls to the
# functions below with quoted arguments, and one last line `dp_phase ...`.
# Markers printed here are named in src/remote/protocol.ts.
#
# The phase ignores SIGHUP/SIGPIPE: if the client dies mid-phase the host
# finishes the phase (or, for the switch, reverts) instead of stopping half
# way. Each phase holds the phase lock so the next deploy waits for it.
set -u
trap '' HUP PIPE
# What a phase creates (release dirs, the venv) is not group-writable, whatever
# the login's umask (Debian 13 gives users 002).
umask 022
export LC_ALL=C.UTF-8 SYSTEMD_PAGER='' PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

# Exit codes read by the client (ScriptExit in src/remote/phaseScript.ts).
DP_EXIT_STEP_FAILED=10
DP_EXIT_ROLLED_BACK=11
DP_EXIT_LOCK_BUSY=12
STEP=""

dp_step() { # DESCRIPTION COMMAND [ARG...]: a checked step; a failure ends the phase
  STEP=$1
  shift
  echo "@@step $STEP"
  "$@" || dp_fail
}
dp_try() { # DESCRIPTION COMMAND [ARG...]: a best-effort step
  local what=$1
  shift
  "$@" || echo "@@warn $what failed"
}
dp_fail() {
  echo "@@fail $STEP"
  dp_on_fail
  exit "$DP_EXIT_STEP_FAILED"
}
dp_phase() { # PHASE_LOCK [VERDICT_TIMEOUT_SEC]: runs dp_steps, then waits for the verdict when given one
  if ! { exec 8>>"$1" && flock 8; }; then echo "cannot take $1" >&2; exit "$DP_EXIT_LOCK_BUSY"; fi
  dp_steps
  if [ $# -ge 2 ]; then
    echo "@@ready"
    local verdict=""
    read -r -t "$2" verdict || verdict=""
    # The exit code tells the client which way it went (src/remote/phaseScript.ts ScriptExit).
    if [ "$verdict" = commit ]; then
      dp_commit
    else
      dp_rollback
      exit "$DP_EXIT_ROLLED_BACK"
    fi
  fi
}

dp_sudo() { if [ "$1" = sudo ]; then shift; sudo -n "$@"; else shift; "$@"; fi; }
dp_install() { # sudo|- FROM TO MODE: a copy under a temporary name, then renamed over TO
  # One process (one sudo) for the three commands: each sudo costs ~15 ms.
  # shellcheck disable=SC2016 # expanded by the inner sh, which gets the values as arguments
  dp_sudo "$1" sh -c 'cp -- "$1" "$2.deployer-tmp" && chmod "$3" "$2.deployer-tmp" && mv -fT -- "$2.deployer-tmp" "$2"' dp-install "$2" "$3" "$4"
}
dp_symlink() { # sudo|- TARGET PATH
  dp_sudo "$1" ln -sfn -- "$2" "$3.deployer-tmp" && dp_sudo "$1" mv -fT -- "$3.deployer-tmp" "$3"
}
dp_copy_files() { # FROM TO PATH...: each relative PATH of FROM copied into TO (its dirs made, modes and times kept), in one process
  local from=$1 to=$2
  shift 2
  (cd -- "$from" && cp -p --parents -- "$@" "$to/")
}
dp_relocate_venv() { # OLD NEW: a copied venv's scripts and pyvenv.cfg still name the old path
  # shellcheck disable=SC2016 # Python code, not shell
  python3 -c '
import pathlib, sys
old, new = (a.encode() for a in sys.argv[1:3])
venv = pathlib.Path(sys.argv[2])
for p in [venv / "pyvenv.cfg", *(venv / "bin").iterdir()]:
    if p.is_file() and not p.is_symlink():
        data = p.read_bytes()
        if old in data:
            p.write_bytes(data.replace(old, new))
' "$1" "$2"
}
dp_verify() { # PATH SHA256
  local got
  read -r got _ < <(sha256sum -- "$1") || return 1
  [ "$got" = "$2" ] || { echo "checksum mismatch for $1: expected $2, got $got" >&2; return 1; }
}
dp_app() { # RUNAS RELEASE_DIR COMMAND [NAME=VALUE...]: a user's command line, in the release with its .appenv and then NAME=VALUE exported
  # shellcheck disable=SC2016 # expanded by the inner bash
  local run=(bash -c 'set -a; . "$1/.appenv" || exit 1; set +a; export DEPLOYER_DATA_DIR="${1%/*}/data"; PATH="$1/.venv/bin:$1:$PATH"; cd "$1" || exit 1; c=$2; shift 2; if [ $# -gt 0 ]; then export -- "$@" || exit 1; fi; exec bash -c "$c"' deployer-app "$2" "$3" "${@:4}")
  if [ -n "$1" ] && [ "$1" != "$(id -un)" ]; then sudo -n -u "$1" -- "${run[@]}"; else "${run[@]}"; fi
}
# A release while it is prepared, then sealed before it goes live (src/plan/planDeploy.ts).
# The app user's release_command and pre_switch hook may add files and dirs to
# the release (collectstatic's static/, built assets); deployer's own entries
# (.deployer/ with the units and site root installs, .env, .appenv, .venv, the
# artifact) are never theirs, and once sealed the app writes nothing in it.
dp_open_release() { # RUNAS DIR: RUNAS may add entries to DIR (sticky: not replace ours) and read its env files
  local group
  group=$(id -gn -- "$1") || return 1
  # One sudo. What an earlier prepare of this release let RUNAS add (sealed
  # since: ours, in its group) is RUNAS's again, before DIR opens (closed, so
  # nothing in it moves meanwhile): release_command may rewrite or remove it.
  # shellcheck disable=SC2016 # expanded by the inner sh, which gets the values as arguments
  sudo -n sh -c 'u=$1 g=$2 r=$3
    find "$r" -mindepth 1 -maxdepth 1 -group "$g" ! -name .env ! -name .appenv ! -name .deployer ! -name .venv \
      -exec chown -R -- "$u" {} + &&
    chgrp -- "$g" "$r/.env" "$r/.appenv" && chmod 0640 -- "$r/.env" "$r/.appenv" &&
    chgrp -- "$g" "$r" && chmod g+rwx,+t -- "$r"' dp-open-release "$1" "$group" "$2"
}
dp_seal_release() { # RUNAS DIR: read-only for RUNAS: what it added is this user's, no write bits for group and others, env files 0640 in its group
  local group me
  # A prepare that failed before the release dir existed has nothing to seal.
  [ -d "$2" ] || return 0
  group=$(id -gn -- "$1") || return 1
  # Never opened (no release_command or pre_switch; open leaves DIR sticky
  # until sealed, even after an interrupted prepare): RUNAS could add
  # nothing, so only its env files are to be shared; a walk of the release
  # would cost every deploy tens of ms for nothing.
  if [ ! -k "$2" ]; then
    # shellcheck disable=SC2016 # expanded by the inner sh, which gets the values as arguments
    sudo -n sh -c 'g=$1; shift; chgrp -- "$g" "$@" && chmod 0640 -- "$@"' dp-share-env "$group" "$2/.env" "$2/.appenv"
    return
  fi
  me=$(id -un) || return 1
  # One sudo. DIR is closed first, so what RUNAS added there cannot move
  # while it is handed over; chown -R and chmod -R do not follow symlinks
  # below the entries they are given, and no symlink is given to chmod.
  # .venv and .deployer were never open (and are the slow ones to walk).
  # shellcheck disable=SC2016 # expanded by the inner sh, which gets the values as arguments
  sudo -n sh -c 'u=$1 g=$2 me=$3 r=$4
    chmod go-w,-t -- "$r" || exit 1
    bad=$(find "$r" -mindepth 1 -maxdepth 1 \( -name .deployer -o -name .env -o -name .appenv -o -name .venv -o -name app_binary \) \
      ! -user "$me" -print -quit) || exit 1
    if [ -n "$bad" ]; then
      echo "$bad was made by $u (release_command or pre_switch hook), not by deployer: refusing to put this release live" >&2; exit 1
    fi
    find "$r" -mindepth 1 -maxdepth 1 ! -name .venv ! -name .deployer -exec chown -R --from="$u" -- "$me" {} + &&
    find "$r" -mindepth 1 -maxdepth 1 ! -name .venv ! -name .deployer ! -type l -exec chmod -R u+rwX,g+rX,go-w -- {} + &&
    chgrp -- "$g" "$r/.env" "$r/.appenv" && chmod 0640 -- "$r/.env" "$r/.appenv" || exit 1
    if [ -n "$(find "$r" \( -path "$r/.venv" -o -path "$r/.deployer" \) -prune -o -user "$u" -print -quit)" ]; then
      echo "a process of $u is still writing into $r: stop it and deploy again" >&2; exit 1
    fi' dp-seal-release "$1" "$group" "$me" "$2"
}
dp_require_caddy_import() { # CADDYFILE SITES_DIR
  grep -qE "^[[:space:]]*import[[:space:]]+$2/\\*\\.caddy" "$1" 2>/dev/null && return 0
  echo "$1 does not import $2/*.caddy: run deployer server bootstrap" >&2
  return 1
}
dp_caddy_validate() { # CADDYFILE SITES_DIR SITE CANDIDATE
  local caddyfile=$1 sites=$2 t rc=0 f
  t=$(mktemp -d) || return 1
  mkdir "$t/sites"
  for f in "$sites"/*.caddy; do
    [ -e "$f" ] && [ "$f" != "$3" ] && cp -- "$f" "$t/sites/"
  done
  cp -- "$4" "$t/sites/$(basename -- "$3")"
  sed "s#$sites/#$t/sites/#g" "$caddyfile" > "$t/Caddyfile"
  # shellcheck disable=SC2024 # the output goes to our own temp file, not a root-owned one
  sudo -n caddy validate --adapter caddyfile --config "$t/Caddyfile" > "$t/out" 2>&1 || rc=$?
  if [ $rc != 0 ]; then echo "Caddy rejected the new site:" >&2; grep -v '^{' "$t/out" | tail -n 15 >&2; fi
  rm -rf -- "$t"
  return $rc
}
dp_write() { # PATH MODE CONTENT
  printf '%s' "$3" > "$1.deployer-tmp" && chmod "$2" "$1.deployer-tmp" && mv -fT -- "$1.deployer-tmp" "$1"
}
dp_append_line() { # PATH LINE
  printf '%s\n' "$2" >> "$1"
}
# The switch, as explicit steps: src/plan/activate.ts decides which of these
# run (which units change, which restart, whether Caddy reloads).
dp_remove_unit() { # UNIT_DIR NAME: stop and disable a unit file's units (all instances of a template), remove it
  if [[ $2 == *@.service ]]; then sudo -n systemctl stop -- "${2%.service}*.service" 2>/dev/null; fi
  sudo -n systemctl disable --no-reload --now --quiet -- "$2" 2>/dev/null
  sudo -n rm -f -- "$1/$2" || return 1
  echo "@@unit-removed $2"
}
dp_install_unit() { # FROM UNIT_DIR NAME
  dp_install sudo "$1" "$2/$3" 0644 || return 1
  echo "@@unit-changed $3"
}
dp_daemon_reload() {
  sudo -n systemctl daemon-reload || return 1
  echo "@@daemon-reload"
}
dp_switch_current() { # APPDIR RELEASE: the one atomic switch, then the app dir's links into current/
  local appdir=$1 rel=$2 name
  if [ ! -d "$appdir/$rel" ]; then echo "release $rel is missing from $appdir" >&2; return 1; fi
  dp_symlink - "$rel" "$appdir/current" || return 1
  for name in .env .appenv .venv app_binary; do
    if [ -e "$appdir/current/$name" ] || [ -L "$appdir/current/$name" ]; then
      [ "$(readlink -- "$appdir/$name")" = "current/$name" ] || dp_symlink - "current/$name" "$appdir/$name" || return 1
    fi
  done
}
dp_stop_unlisted() { # TEMPLATE... -- KEEP... -- STOP...: replicas scaled down: stop STOP, which the client chose from the probe
  local templates=() keep=() stop=() pats=() t u n listed
  while [ $# -gt 0 ] && [ "$1" != -- ]; do templates+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do keep+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  stop=("$@")
  for u in "${stop[@]}"; do sudo -n systemctl disable --no-reload --now --quiet -- "$u"; echo "@@unit-stopped $u"; done
  # One the probe did not see (started since) is not ours to choose: named, left running.
  for t in "${templates[@]}"; do pats+=("${t%.service}*.service"); done
  while read -r u _; do
    listed=0
    for n in "${keep[@]}" "${stop[@]}"; do [ "$u" = "$n" ] && listed=1; done
    [ $listed = 1 ] || echo "@@warn $u is there, and it was not when deployer looked at the host: left as it is (the release does not run it)"
  done < <(systemctl list-units --all --plain --no-legend -- "${pats[@]}")
  return 0
}
dp_start_units() { # RESTART... -- START...: enable them all; restart services, start sockets and timers
  local restart=() start=() all
  while [ $# -gt 0 ] && [ "$1" != -- ]; do restart+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  start=("$@")
  all=("${restart[@]}" "${start[@]}")
  [ ${#all[@]} -gt 0 ] || return 0
  sudo -n systemctl enable --no-reload --quiet -- "${all[@]}" || return 1
  if [ ${#restart[@]} -gt 0 ]; then sudo -n systemctl restart -- "${restart[@]}" || return 1; fi
  if [ ${#start[@]} -gt 0 ]; then sudo -n systemctl start -- "${start[@]}" || return 1; fi
  echo "@@restarted ${all[*]}"
}
dp_heal_units() { # UNIT...: start the live release's stopped or failed units again; running ones are left alone
  # A unit systemd gave up on (start limit hit) starts only once reset.
  sudo -n systemctl reset-failed -- "$@" 2>/dev/null
  sudo -n systemctl start -- "$@" || return 1
  echo "@@restarted $*"
}
dp_install_site() { # FROM SITE
  { [ -d "${2%/*}" ] || sudo -n mkdir -p -- "${2%/*}"; } && dp_install sudo "$1" "$2" 0644
}
dp_remove_site() { # SITE
  sudo -n rm -f -- "$1"
}
dp_reload_caddy() { # CADDYFILE admin-api ADDRESS | CADDYFILE systemctl: a graceful reload, never a restart, the way the client chose
  # admin-api: what `caddy reload` does (the unit's ExecReload) without starting
  # a caddy process or a systemd job, tens of ms less on each switch and revert.
  local rc=0
  case ${2:-} in
    admin-api)
      dp_caddy_load "${3%:*}" "${3##*:}" "$1" || rc=$?
      # The probe found the admin API there: reloading another way now would be a choice the plan did not show.
      if [ $rc = 2 ]; then echo "Caddy's admin API on $3 no longer answers as it did when deployer looked at the host: Caddy not reloaded" >&2; fi
      [ $rc = 0 ] || return 1 ;;
    systemctl) sudo -n systemctl reload caddy || return 1 ;;
    *) echo "dp_reload_caddy: no way to reload Caddy given (admin-api ADDRESS or systemctl)" >&2; return 1 ;;
  esac
  echo "@@caddy-reload"
}
dp_caddy_load() { # ADDRESS PORT CADDYFILE: POST /load; 0 loaded, 1 refused (says why), 2 no admin API there
  local body len status="" line
  # A Caddyfile this user cannot read: systemctl (root) reads it.
  body=$(<"$3") 2>/dev/null || return 2
  len=$(LC_ALL=C; echo "${#body}")
  (
    { exec 7<>"/dev/tcp/$1/$2"; } 2>/dev/null || exit 2
    # Cache-Control: must-revalidate loads even an unchanged config (`caddy reload --force`).
    printf 'POST /load HTTP/1.1\r\nHost: localhost:%s\r\nContent-Type: text/caddyfile\r\nCache-Control: must-revalidate\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' \
      "$2" "$len" "$body" >&7 || exit 2
    IFS= read -r -t 60 status <&7 || exit 2
    status=${status#HTTP/* }
    status=${status%%[!0-9]*}
    [ "$status" = 200 ] && exit 0
    # 400: Caddy could not adapt or load it. Anything else is not Caddy's admin API as expected.
    [ "$status" = 400 ] || exit 2
    # Its reason is the body, after the headers (the last line may have no newline).
    while IFS= read -r -t 5 line && [ -n "${line%$'\r'}" ]; do :; done <&7
    { echo "Caddy refused the new config:"; while IFS= read -r -t 5 line || [ -n "$line" ]; do printf '%s\n' "${line%$'\r'}"; line=""; done; } <&7 >&2
    exit 1
  )
}
# Ownership (src/plan/ownership.ts): deployer replaces or removes only what it created.
# Unit files and sites are small: read with builtins, not a grep process per question.
dp_owned_by() { # FILE OWNER_LINE: the file's first owner line is that one, or it has none (an earlier deployer wrote it)
  local l
  while IFS= read -r l || [ -n "$l" ]; do
    if [[ $l == '# deployer-owner: '* ]]; then [ "$l" = "$2" ]; return; fi
  done < "$1"
  return 0
}
dp_has_line() { # FILE LINE: the file has exactly this line
  local l
  while IFS= read -r l || [ -n "$l" ]; do [ "$l" = "$2" ] && return 0; done < "$1"
  return 1
}
dp_check_owned() { # MARKER OWNER UNIT_DIR SITE UNIT_NAME...: refuse to replace a unit or site that is not this app's
  local marker=$1 owner=$2 unitdir=$3 site=$4 name f
  shift 4
  for name in "$@"; do
    f=$unitdir/$name
    [ -e "$f" ] || [ -L "$f" ] || continue
    if [ ! -f "$f" ] || [ -L "$f" ] || ! dp_has_line "$f" "$marker"; then
      echo "$f was not created by deployer for this app: refusing to replace it" >&2; return 1
    fi
    dp_owned_by "$f" "$owner" || { echo "$f belongs to $(grep -m1 '^# deployer-owner: ' -- "$f" | cut -c19-)" >&2; return 1; }
  done
  if [ -n "$site" ] && { [ -e "$site" ] || [ -L "$site" ]; }; then
    if [ ! -f "$site" ] || [ -L "$site" ] || ! dp_owned_by "$site" "$owner"; then
      echo "$site is not this app's: refusing to replace it" >&2; return 1
    fi
  fi
  return 0
}
dp_remove_app_dir() { # APPDIR IDENTITY_FILE IDENTITY: rm -rf only a dir whose identity record is this app's
  if [ ! -d "$1" ] || [ -L "$1" ]; then return 0; fi
  if [ ! -f "$1/$2" ] || [ "$(cat -- "$1/$2")" != "$3" ]; then
    echo "$1 does not carry this app's identity record: not removing it" >&2; return 1
  fi
  sudo -n rm -rf -- "$1"
}
# The app user (src/plan/appUser.ts): a system user with no login shell, no
# home and no sudo, whose comment says which app it is for.
dp_ensure_user() { # NAME COMMENT
  local entry
  if entry=$(getent passwd -- "$1"); then
    IFS=: read -r -a entry <<< "$entry"
    [ "${entry[4]:-}" = "$2" ] && return 0
    echo "the user $1 exists and deployer did not create it for this app: set app_user = \"$1\" to run the app as it on purpose" >&2
    return 1
  fi
  sudo -n useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --comment "$2" -- "$1" || return 1
  echo "@@user-created $1"
}
dp_data_dir() { # DIR USER: created for the app user when missing; an existing one is left as it is
  [ -d "$1" ] && return 0
  sudo -n install -d -m 0750 -o "$2" -g "$(id -gn -- "$2")" -- "$1"
}
dp_remove_user() { # NAME COMMENT: only a user deployer created for this app
  local entry
  entry=$(getent passwd -- "$1") || return 0
  if [ "$(printf '%s' "$entry" | cut -d: -f5)" != "$2" ]; then
    echo "@@warn the user $1 was not created by deployer for this app: left in place"; return 0
  fi
  sudo -n userdel -- "$1" || return 1
  echo "@@user-removed $1"
}
dp_now_ms() { # VAR: milliseconds since the epoch into VAR, from bash's own clock (no `date` process per poll)
  local t=${EPOCHREALTIME/[.,]/}
  printf -v "$1" '%d' "$((t / 1000))"
}
dp_unit_states() { # UNIT...: "ACTIVE_STATE NRESTARTS" per unit, in order, from one systemctl call
  # One call for every unit: each `systemctl` costs tens of ms on a small host.
  systemctl show -p ActiveState -p NRestarts -- "$@" | awk -F= '
    /^ActiveState=/ { st = $2 } /^NRestarts=/ { n = $2 }
    /^$/ { print st, n; st = n = "" } END { if (st != "" || n != "") print st, n }'
}
dp_wait_units() { # TIMEOUT_MS STABLE_MS UNIT...: every unit active, never restarted, for STABLE_MS
  local timeout=$1 stable=$2 units start now since="" i st n all states=() base=()
  shift 2
  units=("$@")
  mapfile -t states < <(dp_unit_states "${units[@]}")
  for i in "${!units[@]}"; do base[i]=${states[i]#* }; done
  dp_now_ms start
  while :; do
    all=1
    mapfile -t states < <(dp_unit_states "${units[@]}")
    for i in "${!units[@]}"; do
      st=${states[i]% *}
      n=${states[i]#* }
      if [ "$st" = failed ] || [ "$n" != "${base[i]}" ]; then
        echo "@@unit-failed ${units[i]}"
        echo "${units[i]} is $st (restarted $n times); its last log lines:" >&2
        sudo -n journalctl -u "${units[i]}" -n 20 --no-pager -o cat >&2 || true
        return 1
      fi
      [ "$st" = active ] || all=0
    done
    dp_now_ms now
    if [ $all = 1 ]; then
      [ -n "$since" ] || since=$now
      [ $((now - since)) -ge "$stable" ] && return 0
    else
      since=""
    fi
    if [ $((now - start)) -ge "$timeout" ]; then
      echo "@@unit-failed timeout"
      for i in "${!units[@]}"; do
        echo "${units[i]}: ${states[i]% *}" >&2
        sudo -n journalctl -u "${units[i]}" -n 10 --no-pager -o cat >&2 || true
      done
      return 1
    fi
    sleep 0.2
  done
}
