# shellcheck shell=bash
# The library of every deploy phase script (src/plan/script.ts). The client
# sends this file on stdin to `bash -s`, followed by the phase: functions
# dp_steps, dp_on_fail, dp_commit and dp_rollback made only of calls to the
# functions below with quoted arguments, and one last line `dp_phase ...`.
# Markers printed here are named in src/remote/protocol.ts.
#
# The phase ignores SIGHUP/SIGPIPE: if the client dies mid-phase the host
# finishes the phase (or, for the switch, reverts) instead of stopping half
# way. Each phase holds the phase lock so the next deploy waits for it.
set -u
trap '' HUP PIPE
export LC_ALL=C.UTF-8 SYSTEMD_PAGER='' PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

# Exit codes read by the client (ScriptExit in src/plan/script.ts).
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
    if [ "$verdict" = commit ]; then
      dp_commit
      echo "@@committed"
    else
      echo "@@reverting ${verdict:-no answer from the client}"
      dp_rollback
      echo "@@reverted"
      exit "$DP_EXIT_ROLLED_BACK"
    fi
  fi
  echo "@@done"
}

dp_sudo() { if [ "$1" = sudo ]; then shift; sudo -n "$@"; else shift; "$@"; fi; }
dp_install() { # sudo|- FROM TO MODE
  local s=$1 tmp="$3.deployer-tmp"
  dp_sudo "$s" cp -- "$2" "$tmp" && dp_sudo "$s" chmod "$4" "$tmp" && dp_sudo "$s" mv -fT -- "$tmp" "$3"
}
dp_symlink() { # sudo|- TARGET PATH
  dp_sudo "$1" ln -sfn -- "$2" "$3.deployer-tmp" && dp_sudo "$1" mv -fT -- "$3.deployer-tmp" "$3"
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
  got=$(sha256sum -- "$1" | cut -d' ' -f1) || return 1
  [ "$got" = "$2" ] || { echo "checksum mismatch for $1: expected $2, got $got" >&2; return 1; }
}
dp_app() { # RUNAS RELEASE_DIR COMMAND: a user's command line, in the release with its .appenv
  # shellcheck disable=SC2016 # expanded by the inner bash
  local run=(bash -c 'set -a; . "$1/.appenv" || exit 1; set +a; PATH="$1/.venv/bin:$1:$PATH"; cd "$1" && exec bash -c "$2"' deployer-app "$2" "$3")
  if [ -n "$1" ] && [ "$1" != "$(id -un)" ]; then sudo -n -u "$1" -- "${run[@]}"; else "${run[@]}"; fi
}
dp_share_env() { # RUNAS FILE...: let RUNAS's group read the files (still not world-readable)
  local group
  group=$(id -gn -- "$1") || return 1
  shift
  sudo -n chgrp -- "$group" "$@" && sudo -n chmod 0640 "$@"
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
dp_mark() { # NAME
  echo "@@mark $1"
}
dp_app_units() { # UNIT_DIR MARKER: unit files of this app (they carry the marker line)
  local f
  for f in "$1"/*.service "$1"/*.socket "$1"/*.timer; do
    [ -f "$f" ] && grep -qxF -- "$2" "$f" && echo "${f##*/}"
  done
  return 0
}
dp_stop_unit() { # NAME: stop and disable a unit file's units (all instances of a template)
  if [[ $1 == *@.service ]]; then sudo -n systemctl stop -- "${1%.service}*.service" 2>/dev/null; fi
  sudo -n systemctl disable --now --quiet -- "$1" 2>/dev/null
  return 0
}
dp_activate() { # UNIT_DIR MARKER APPDIR RELEASE SITE
  local unitdir=$1 marker=$2 appdir=$3 rel=$4 site=$5 meta="$3/$4/.deployer" changed=0 f name u
  local inst=() restart=() start=() action unit
  if ! { [ -d "$appdir/$rel" ] && [ -f "$meta/instances" ]; }; then echo "release $rel is incomplete: $meta/instances is missing" >&2; return 1; fi
  while read -r action unit; do
    [ -n "$unit" ] || continue
    inst+=("$unit")
    if [ "$action" = start ]; then start+=("$unit"); else restart+=("$unit"); fi
  done < "$meta/instances"
  for name in $(dp_app_units "$unitdir" "$marker"); do
    if [ ! -f "$meta/units/$name" ]; then
      dp_stop_unit "$name"; sudo -n rm -f -- "$unitdir/$name" || return 1
      changed=1; echo "@@unit-removed $name"
    fi
  done
  for f in "$meta"/units/*; do
    [ -f "$f" ] || continue
    name=${f##*/}
    if ! cmp -s -- "$f" "$unitdir/$name"; then
      dp_install sudo "$f" "$unitdir/$name" 0644 || return 1
      changed=1; echo "@@unit-changed $name"
    fi
  done
  if [ $changed = 1 ]; then sudo -n systemctl daemon-reload || return 1; echo "@@daemon-reload"; fi
  dp_symlink - "$rel" "$appdir/current" || return 1
  for name in .env .appenv .venv app_binary; do
    if [ -e "$appdir/current/$name" ] || [ -L "$appdir/current/$name" ]; then
      [ "$(readlink -- "$appdir/$name")" = "current/$name" ] || dp_symlink - "current/$name" "$appdir/$name" || return 1
    fi
  done
  # Replicas scaled down: stop instances of our template units that the release does not list.
  for f in "$meta"/units/*@.service; do
    [ -f "$f" ] || continue
    name=${f##*/}
    for u in $(systemctl list-units --all --plain --no-legend -- "${name%.service}*.service" | awk '{print $1}'); do
      printf '%s\n' "${inst[@]}" | grep -qxF -- "$u" || { sudo -n systemctl disable --now --quiet -- "$u"; echo "@@unit-stopped $u"; }
    done
  done
  if [ ${#inst[@]} -gt 0 ]; then
    sudo -n systemctl enable --quiet -- "${inst[@]}" || return 1
    if [ ${#restart[@]} -gt 0 ]; then sudo -n systemctl restart -- "${restart[@]}" || return 1; fi
    if [ ${#start[@]} -gt 0 ]; then sudo -n systemctl start -- "${start[@]}" || return 1; fi
    echo "@@restarted ${inst[*]}"
  fi
  if [ -f "$meta/caddy.site" ]; then
    if ! cmp -s -- "$meta/caddy.site" "$site"; then
      sudo -n mkdir -p -- "${site%/*}" && dp_install sudo "$meta/caddy.site" "$site" 0644 || return 1
      sudo -n systemctl reload caddy || return 1
      echo "@@caddy-reload"
    fi
  elif [ -f "$site" ]; then
    sudo -n rm -f -- "$site" && sudo -n systemctl reload caddy || return 1
    echo "@@caddy-reload"
  fi
}
dp_deactivate() { # UNIT_DIR MARKER APPDIR SITE
  local name changed=0
  for name in $(dp_app_units "$1" "$2"); do
    dp_stop_unit "$name"; sudo -n rm -f -- "$1/$name"; changed=1; echo "@@unit-removed $name"
  done
  [ $changed = 1 ] && sudo -n systemctl daemon-reload
  if [ -f "$4" ]; then sudo -n rm -f -- "$4" && sudo -n systemctl reload caddy; echo "@@caddy-reload"; fi
  rm -f -- "$3/current"
  return 0
}
dp_wait_release() { # APPDIR RELEASE TIMEOUT_MS STABLE_MS
  local inst=() action unit
  [ -f "$1/$2/.deployer/instances" ] || return 1
  while read -r action unit; do [ -n "$unit" ] && inst+=("$unit"); done < "$1/$2/.deployer/instances"
  [ ${#inst[@]} -gt 0 ] || return 0
  dp_wait_units "$3" "$4" "${inst[@]}"
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
      if [ "$st" = failed ] || [ "$n" != "${base[$u]}" ]; then
        echo "@@unit-failed $u"
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
      echo "@@unit-failed timeout"
      for u in "$@"; do echo "$u: $(systemctl show -p ActiveState --value -- "$u")" >&2; sudo -n journalctl -u "$u" -n 10 --no-pager -o cat >&2 || true; done
      return 1
    fi
    sleep 0.2
  done
}
