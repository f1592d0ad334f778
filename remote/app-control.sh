# shellcheck shell=bash
# shellcheck disable=SC2154 # inst, all, restart, start, web: set by dp_read_instances (app-instances.sh, sent first)
# `deployer app start|stop|restart` (src/app/control.ts), after
# app-instances.sh and web.sh (for dp_http_status): systemctl on the
# release's units, then `@@state UNIT STATE` for each. Sockets (listed with
# action `start`) are started, never restarted: restarting a socket whose
# service holds it fails. A blue-green web process's live instances restart
# one at a time, each active and answering its health check on its own port
# before the next, so the others serve meanwhile (`@@web-restart rolling`);
# a single instance restarts in place (`@@web-restart in-place`). Exits 1
# when a started unit is not active within WAIT_SEC, after its last log lines.
#
# Arguments: APPDIR ACTION(start|stop|restart) WAIT_SEC AS_ROOT(root|sudo)
#   HC_PATH HC_STATUS HC_HOST BASE...
#   HC_PATH: health_check.path ('' : any HTTP answer); HC_HOST: its Host header ('' : 127.0.0.1:PORT)
set -u
appdir=$1 action=$2 waitsec=$3 hcpath=$5 hcstatus=$6 hchost=$7
if [ "$4" = root ]; then as_root() { "$@"; }; else as_root() { sudo -n "$@"; }; fi
shift 7
dp_read_instances "$appdir" "$@"
[ -f "$inst" ] || { echo "@@error nothing is deployed in $appdir (no current release)"; exit 1; }
[ ${#all[@]} -gt 0 ] || { echo "@@error the current release has no units for this process"; exit 1; }

web_ready() { # UNIT: active and answering the health check on its port (the instance name)
  local u=$1 port got='' deadline=$(( SECONDS + waitsec ))
  port=${u##*@}; port=${port%.service}
  while :; do
    if [ "$(systemctl show -p ActiveState --value -- "$u")" = active ]; then
      got=$(dp_http_status "$port" "${hcpath:-/}" "${hchost:-127.0.0.1:$port}" 2)
      if { [ -n "$hcpath" ] && [ "$got" = "$hcstatus" ]; } || { [ -z "$hcpath" ] && [ "$got" != 000 ]; }; then return 0; fi
    fi
    [ $SECONDS -lt "$deadline" ] || break
    sleep 0.2
  done
  echo "@@error $u did not answer ${hcpath:+GET $hcpath with $hcstatus }on port $port within $waitsec s (last answer: ${got/#000/none}); the instances after it were not restarted"
  as_root journalctl --no-pager -o cat -n 10 -u "$u" >&2 || true
  return 1
}
restart_web() {
  local u
  [ ${#web[@]} -gt 0 ] || return 0
  if [ ${#web[@]} -eq 1 ]; then
    echo "@@web-restart in-place ${web[0]}"
    as_root systemctl restart -- "${web[0]}"
    return
  fi
  echo "@@web-restart rolling ${web[*]}"
  for u in "${web[@]}"; do
    as_root systemctl restart -- "$u" || return 1
    web_ready "$u" || return 1
  done
}

case $action in
  stop) as_root systemctl stop -- "${all[@]}" || exit 1 ;;
  start) as_root systemctl start -- "${all[@]}" || exit 1 ;;
  restart)
    if [ ${#restart[@]} -gt 0 ]; then as_root systemctl restart -- "${restart[@]}" || exit 1; fi
    if [ ${#start[@]} -gt 0 ]; then as_root systemctl start -- "${start[@]}" || exit 1; fi
    restart_web || rolled=failed
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
[ "${rolled:-}" != failed ] || rc=1
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
