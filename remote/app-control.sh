# shellcheck shell=bash
# shellcheck disable=SC2154 # inst, all, restart, start: set by dp_read_instances (app-instances.sh, sent first)
# `deployer app start|stop|restart` (src/app/control.ts), after
# app-instances.sh: systemctl on the release's units, then `@@state UNIT
# STATE` for each. Sockets (listed with action `start`) are started, never
# restarted: restarting a socket whose service holds it fails. Exits 1 when a
# started unit is not active within WAIT_SEC, after its last log lines.
#
# Arguments: APPDIR ACTION(start|stop|restart) WAIT_SEC AS_ROOT(root|sudo) BASE...
set -u
appdir=$1 action=$2 waitsec=$3
if [ "$4" = root ]; then as_root() { "$@"; }; else as_root() { sudo -n "$@"; }; fi
shift 4
dp_read_instances "$appdir" "$@"
[ -f "$inst" ] || { echo "@@error nothing is deployed in $appdir (no current release)"; exit 1; }
[ ${#all[@]} -gt 0 ] || { echo "@@error the current release has no units for this process"; exit 1; }
case $action in
  stop) as_root systemctl stop -- "${all[@]}" || exit 1 ;;
  start) as_root systemctl start -- "${all[@]}" || exit 1 ;;
  restart)
    if [ ${#restart[@]} -gt 0 ]; then as_root systemctl restart -- "${restart[@]}" || exit 1; fi
    if [ ${#start[@]} -gt 0 ]; then as_root systemctl start -- "${start[@]}" || exit 1; fi
    ;;
  *) echo "@@error unknown action $action"; exit 1 ;;
esac
if [ "$action" != stop ]; then
  # `systemctl start` returns once a simple service is forked; give a
  # crashing one a moment to show it, so "restarted" means "up".
  deadline=$(( SECONDS + waitsec ))
  sleep 0.5
  while :; do
    down=0
    for u in "${all[@]}"; do [ "$(systemctl show -p ActiveState --value -- "$u")" = active ] || down=1; done
    { [ $down = 0 ] || [ $SECONDS -ge $deadline ]; } && break
    sleep 0.3
  done
fi
rc=0
for u in "${all[@]}"; do
  st=$(systemctl show -p ActiveState --value -- "$u")
  echo "@@state $u $st"
  if [ "$action" = stop ]; then
    [ "$st" = inactive ] || [ "$st" = failed ] || rc=1
  elif [ "$st" != active ]; then
    rc=1
    echo "$u is $st; its last log lines:" >&2
    as_root journalctl --no-pager -o cat -n 10 -u "$u" >&2 || true
  fi
done
exit $rc
