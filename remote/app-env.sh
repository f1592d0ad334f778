#!/usr/bin/env bash
# Runs a command in a deployed app's environment, as its running web unit sees
# it: the release's .appenv (its env and PATH), PORT as the live web unit sets
# it, DEPLOYER_DATA_DIR, in the current release directory. Used by `deployer app exec`,
# `app shell` and `server exec --appenv`; runs as the app user.
#
# Usage: app-env.sh APPDIR WEB_UNIT_STEM REPORT_PID CMD [ARG...]
#   WEB_UNIT_STEM  <app>-web: its units are <stem>.service or <stem>@N.service
#   REPORT_PID     1: first print `@@deployer-pgid N` on stderr, the process
#                  group the command will run in, for the client to stop it
#                  with remote/stop.sh on Ctrl-C; 0 (app shell, a pty): do not
set -u
if [ "$3" = 1 ]; then
  read -r _ _ _ _ pgid _ </proc/$$/stat
  printf '@@deployer-pgid %s\n' "$pgid" >&2
fi
appdir=$1 web=$2
shift 3
if [ ! -r "$appdir/.appenv" ]; then
  echo "deployer: cannot read $appdir/.appenv as $(id -un): is the app deployed, and readable by this user?" >&2
  exit 127
fi
set -a
# shellcheck disable=SC1091  # the release's own file, written by deployer
. "$appdir/.appenv"
set +a

# PORT is not in .appenv: each web unit (or replica, or blue/green instance)
# sets its own. Take it from a live one (the first active, else the first
# listed) rather than from the config, so it is the port the app really has.
unit_port() {
  local kv
  set -f
  # shellcheck disable=SC2046  # Environment= is space-separated KEY=VALUE words
  for kv in $(systemctl show -p Environment --value -- "$1" 2>/dev/null); do
    case $kv in PORT=[0-9]*) set +f; printf '%s\n' "${kv#PORT=}"; return 0 ;; esac
  done
  set +f
  return 1
}
# The release's units: `instances`, and with blue-green its web instances in
# the slot it serves from (`web-instances`, named by their ports).
port='' fallback=''
for inst in "$appdir/current/.deployer/web-instances" "$appdir/current/.deployer/instances"; do
  [ -f "$inst" ] || continue
  while read -r _ unit; do
    case $unit in "$web".service | "$web"@*.service) ;; *) continue ;; esac
    p=$(unit_port "$unit") || continue
    [ -n "$fallback" ] || fallback=$p
    if systemctl is-active --quiet -- "$unit" 2>/dev/null; then port=$p; break 2; fi
  done <"$inst"
done
port=${port:-$fallback}
if [ -n "$port" ]; then export PORT="$port"; fi
# The app's data dir (uploads, SQLite), as its units have it.
export DEPLOYER_DATA_DIR="$appdir/data"

cd "$appdir/current" || exit 127
exec "$@"
