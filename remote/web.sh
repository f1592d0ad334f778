# shellcheck shell=bash
# Blue-green for the web process (strategy = "blue-green"), appended to the
# phase library (phase.sh), whose dp_unit_states and dp_now_ms the gate uses. src/plan/slots.ts decides the slots and ports;
# these functions only do what a step names. Two slots of web instances, one
# instance per port, each running the release that <appdir>/.web/<port> points
# at: a link changed only while its instance is stopped, so a running instance
# never sees its files change. Markers are named in src/remote/protocol.ts.

dp_http_status() { # PORT PATH HOST TIMEOUT_SEC: the status of GET PATH on 127.0.0.1:PORT ("000": no answer)
  # bash's /dev/tcp, so the host needs no curl; a subshell, so the fd never leaks.
  (
    exec 7<>"/dev/tcp/127.0.0.1/$1" || { echo 000; exit 0; }
    printf 'GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: deployer-gate\r\nConnection: close\r\n\r\n' "$2" "$3" >&7
    line=""
    IFS= read -r -t "$4" line <&7 || true
    line=${line#HTTP/* }
    line=${line%%[!0-9]*}
    echo "${line:-000}"
  ) 2>/dev/null
}

dp_port_owner() { # PORT: " (NAME, pid PID, unit UNIT, of the deployer app APP)" of its listener, as far as the host can tell
  # The listening socket's inode from /proc/net (no `ss`: not every host has
  # it), then the process holding it (root can read every /proc/PID/fd).
  local hex inode="" laddr st node f pid cg="" l unit="" who="" app="" name=""
  printf -v hex '%04X' "$1"
  while read -r _ laddr _ st _ _ _ _ _ node _; do
    [ "$st" = 0A ] && [ "${laddr##*:}" = "$hex" ] && [ "$node" != 0 ] && { inode=$node; break; }
  done < <(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null)
  [ -n "$inode" ] || return 0
  f=$(sudo -n find /proc/[0-9]*/fd -lname "socket:\[$inode\]" -print -quit 2>/dev/null)
  pid=${f#/proc/} pid=${pid%%/*}
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  IFS= read -r name 2>/dev/null < "/proc/$pid/comm"
  # The systemd unit it runs in (its cgroup: "0::/system.slice/…/shop-web@8001.service"),
  # and, when deployer wrote that unit, whose app it is (its owner line, or the marker of an older one).
  while IFS= read -r l; do [[ $l == 0::* || $l == *:name=systemd:* ]] && cg=${l##*:}; done 2>/dev/null < "/proc/$pid/cgroup"
  unit=${cg##*/}
  [[ $unit == *.service ]] || unit=""
  if [ -n "$unit" ]; then
    f=$(systemctl show -P FragmentPath -- "$unit" 2>/dev/null)
    if [ -n "$f" ] && [ -f "$f" ]; then
      while IFS= read -r l; do
        case $l in
          "# deployer-app: "*) app=${l#"# deployer-app: "} ;;
          "# deployer-owner: "*) who=${l#"# deployer-owner: "} ;;
          *) break ;;
        esac
      done < "$f"
    fi
    if [[ $who =~ ^app=([^ ]*)\ stage=([^ ]*)\ apps_dir=(.*)$ ]]; then
      app="${BASH_REMATCH[1]}${BASH_REMATCH[2]:+ (stage ${BASH_REMATCH[2]})} in ${BASH_REMATCH[3]}"
    fi
  fi
  printf ' (%s, pid %s%s%s)' "${name:-?}" "$pid" "${unit:+, unit $unit}" "${app:+, of the deployer app $app}"
}

dp_unit_pids() { # UNIT: the pids in the unit's cgroup, one a line (cgroup v2, else systemd's v1 hierarchies)
  local cg f
  cg=$(systemctl show -p ControlGroup --value -- "$1" 2>/dev/null) || return 0
  [ -n "$cg" ] || return 0
  for f in "/sys/fs/cgroup$cg/cgroup.procs" "/sys/fs/cgroup/unified$cg/cgroup.procs" "/sys/fs/cgroup/systemd$cg/cgroup.procs"; do
    if [ -r "$f" ]; then
      cat -- "$f"
      return 0
    fi
  done
}

dp_hex_addr() { # /proc/net/tcp's HEXADDR:HEXPORT: "127.0.0.1:8000", "[::1]:8000"
  local h=${1%:*} port=$((16#${1#*:})) i w out=""
  if [ ${#h} -eq 8 ]; then
    # One 32-bit word in the host's byte order (little-endian).
    printf '%d.%d.%d.%d:%d\n' "$((16#${h:6:2}))" "$((16#${h:4:2}))" "$((16#${h:2:2}))" "$((16#${h:0:2}))" "$port"
    return 0
  fi
  for i in 0 8 16 24; do
    w=${h:i:8}
    w="${w:6:2}${w:4:2}${w:2:2}${w:0:2}"
    out+=$(printf '%x:%x:' "$((16#${w:0:4}))" "$((16#${w:4:4}))")
  done
  out=${out%:}
  case $out in 0:0:0:0:0:0:0:0) out="::" ;; 0:0:0:0:0:0:0:1) out="::1" ;; esac
  printf '[%s]:%d\n' "$out" "$port"
}

dp_unit_listens() { # PID...: the TCP addresses these processes listen on, one a line
  # From /proc, so the host needs no ss: each process's socket inodes (its
  # fds are root's to read), then the listening sockets (state 0A) with those.
  local dirs=() p inodes addr st inode f
  for p in "$@"; do dirs+=("/proc/$p/fd"); done
  inodes=" $(sudo -n find "${dirs[@]}" -lname 'socket:*' -printf '%l ' 2>/dev/null | tr -c '0-9' ' ') "
  for f in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$f" ] || continue
    while read -r _ addr _ st _ _ _ _ _ inode _; do
      [ "$st" = 0A ] || continue
      case $inodes in *" $inode "*) dp_hex_addr "$addr" ;; esac
    done < <(tail -n +2 -- "$f")
  done
}

dp_web_listens() { # UNIT PORT: why an instance failed its gate, as far as the host can see
  # What the unit's processes (its cgroup) listen on, when that is not PORT:
  # "@@web-listens UNIT PORT ADDR..." (no ADDR: no TCP listener at all). And
  # "@@web-addr-in-use UNIT" when its log says another process holds its port.
  local unit=$1 port=$2 addr line pids=() addrs=()
  if sudo -n journalctl -u "$unit" -n 50 --no-pager -o cat 2>/dev/null | grep -qi 'address already in use'; then
    echo "@@web-addr-in-use $unit"
    echo "$unit: its log says \"address already in use\": it binds a port another process holds" >&2
  fi
  mapfile -t pids < <(dp_unit_pids "$unit")
  [ ${#pids[@]} -gt 0 ] || return 0
  mapfile -t addrs < <(dp_unit_listens "${pids[@]}" | sort -u)
  for addr in "${addrs[@]}"; do [ "${addr##*:}" = "$port" ] && return 0; done
  echo "@@web-listens $unit $port ${addrs[*]}"
  if [ ${#addrs[@]} -eq 0 ]; then
    echo "$unit listens on no TCP port, not $port" >&2
  else
    line="${addrs[*]}"
    echo "$unit listens on ${line// /, }, not $port" >&2
  fi
}

dp_web_start() { # APPDIR RELEASE DRAIN_UNIT UNIT PORT [UNIT PORT...] [-- STALE...]: start RELEASE's instances in the idle slot
  local appdir=$1 rel=$2 drain=$3 units=() ports=() stale=() p q i
  shift 3
  mkdir -p -- "$appdir/.web" || return 1
  # STALE: units that serve no traffic and must not outlive the drain
  # cancelled below (a retired restart-era web unit on this slot's port).
  for ((i = 1; i <= $#; i++)); do [ "${!i}" = -- ] && stale=("${@:i+1}") && set -- "${@:1:i-1}" && break; done
  while [ $# -ge 2 ]; do
    dp_symlink - "../$rel" "$appdir/.web/$2.next" || return 1
    units+=("$1")
    ports+=("$2")
    shift 2
  done
  # A drain still pending from the deploy before stops this slot's instances:
  # cancel it, or it would stop the new ones. An instance left over from an
  # earlier deploy (draining, or failed) serves no traffic. One systemctl call
  # for all of them, and one sudo for both calls: each costs tens of ms.
  # shellcheck disable=SC2016 # expanded by the inner bash, which gets the units as arguments
  sudo -n bash -c 'n=$1; shift; systemctl stop -- "$@"; systemctl reset-failed -- "${@:3:n}"; exit 0' \
    dp-web-stop "${#units[@]}" "$drain.timer" "$drain.service" "${units[@]}" "${stale[@]}" 2>/dev/null
  # Nothing else may listen on the slot's ports: the gate asks the port, so a
  # stray process there would pass it in the new instance's place and get the
  # traffic (and the new instance could never bind). A connection that opens
  # means a listener (bash's /dev/tcp: nothing to install).
  for p in "${ports[@]}"; do
    if (exec 7<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "port $p, where deployer starts ${units[0]%@*}@$p, is taken by another process$(dp_port_owner "$p"): free it, or move this app to ports no other app or stage uses (webserver.upstream); the live release keeps serving" >&2
      for q in "${ports[@]}"; do rm -f -- "$appdir/.web/$q.next"; done
      return 1
    fi
  done
  # Only now, with the slot's instances stopped, do their links change.
  for p in "${ports[@]}"; do mv -fT -- "$appdir/.web/$p.next" "$appdir/.web/$p" || return 1; done
  sudo -n systemctl start -- "${units[@]}" || return 1
  echo "@@web-started ${units[*]}"
}

dp_web_gate() { # TIMEOUT_MS STABLE_MS PATH STATUS HOST UNIT PORT [UNIT PORT...]: the new instances run and answer
  # Each instance must be active, never restarted, and answer GET PATH on its
  # own port with STATUS (any HTTP answer when PATH is empty), then stay so for
  # STABLE_MS. A unit that fails or restarts ends the wait at once.
  local timeout=$1 stable=$2 path=$3 want=$4 host=$5 units=() ports=() base=() states=() i u st n got start now since="" all last="" wait_ms secs
  shift 5
  while [ $# -ge 2 ]; do units+=("$1"); ports+=("$2"); shift 2; done
  declare -A ok
  dp_now_ms start
  while :; do
    all=1
    mapfile -t states < <(dp_unit_states "${units[@]}")
    # The restart counts as the instances started (the first poll, right after the start).
    if [ ${#base[@]} -eq 0 ]; then for i in "${!units[@]}"; do base[i]=${states[i]#* }; done; fi
    for i in "${!units[@]}"; do
      u=${units[$i]}
      st=${states[i]% *}
      n=${states[i]#* }
      if [ "$st" = failed ] || [ "$st" = inactive ] || [ "$n" != "${base[i]}" ]; then
        echo "@@unit-failed $u"
        echo "$u is $st (restarted $n times) before it answered; its last log lines:" >&2
        sudo -n journalctl -u "$u" -n 20 --no-pager -o cat >&2 || true
        dp_web_listens "$u" "${ports[$i]}"
        return 1
      fi
      if [ -z "${ok[$u]:-}" ]; then
        got=$(dp_http_status "${ports[$i]}" "${path:-/}" "$host" 2)
        if { [ -n "$path" ] && [ "$got" = "$want" ]; } || { [ -z "$path" ] && [ "$got" != 000 ]; }; then
          ok[$u]=1
        else
          all=0
          last="GET ${path:-/} on port ${ports[$i]} answered ${got/#000/nothing}${path:+, expected $want}"
        fi
      fi
    done
    dp_now_ms now
    wait_ms=50
    if [ $all = 1 ]; then
      [ -n "$since" ] || since=$now
      if [ $((now - since)) -ge "$stable" ]; then
        # How long the app took to answer, and how long it then stayed up.
        echo "@@web-healthy $((since - start)) $((now - since)) ${units[*]}"
        return 0
      fi
      # The next look is at the window's end, not a poll later.
      wait_ms=$((stable - (now - since)))
      [ $wait_ms -ge 10 ] || wait_ms=10
    fi
    if [ $((now - start)) -ge "$timeout" ]; then
      echo "@@unit-failed timeout"
      echo "the new instances did not pass their health check within $((timeout / 1000)) s: ${last:-}" >&2
      for u in "${units[@]}"; do sudo -n journalctl -u "$u" -n 10 --no-pager -o cat >&2 || true; done
      for i in "${!units[@]}"; do [ -n "${ok[${units[$i]}]:-}" ] || dp_web_listens "${units[$i]}" "${ports[$i]}"; done
      return 1
    fi
    # Polled often: the switch waits on this, and the app is usually up in milliseconds.
    printf -v secs '0.%03d' "$((wait_ms > 999 ? 999 : wait_ms))"
    sleep "$secs"
  done
}

dp_web_stop() { # UNIT...: stop instances now (a graceful stop: SIGTERM, requests in flight finish)
  sudo -n systemctl stop -- "$@" 2>/dev/null
  sudo -n systemctl disable --no-reload --quiet -- "$@" 2>/dev/null
  echo "@@web-stopped $*"
  return 0
}

dp_retire_unit() { # UNIT_DIR NAME: a restart-era web unit: never started again, its file gone; the drain stops it
  # --no-reload: the daemon-reload step after it reloads once.
  sudo -n systemctl disable --no-reload --quiet -- "$2" 2>/dev/null
  sudo -n rm -f -- "$1/$2" || return 1
  echo "@@unit-removed $2"
}

dp_web_commit() { # DRAIN_UNIT DRAIN_SEC NEW_UNIT... -- OLD_UNIT...: the new slot stays; the old one drains, then stops
  local drain=$1 sec=$2 new=() old=() u n listed
  shift 2
  while [ $# -gt 0 ] && [ "$1" != -- ]; do new+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  old=("$@")
  # OLD is the client's choice from the probe (the old slot and any other
  # instance it found running); one started since is named and left running.
  while read -r u _; do
    listed=0
    for n in "${new[@]}" "${old[@]}"; do [ "$u" = "$n" ] && listed=1; done
    [ $listed = 1 ] || echo "@@warn $u runs, and it was not there when deployer looked at the host: left as it is (neither slot names it)"
  done < <(systemctl list-units --plain --no-legend -- "${new[0]%%@*}@*.service" 2>/dev/null)
  # Only the live slot starts at boot. --no-reload: enabling only adds a
  # link for the next boot, and a daemon-reload would cost a third of a second.
  # (dp_web_start already cancelled any drain pending from the deploy before.)
  if [ ${#old[@]} -eq 0 ]; then
    sudo -n systemctl enable --no-reload --quiet -- "${new[@]}" || return 1
    return 0
  fi
  # One sudo for the three calls. The drain: a transient timer on the host
  # (DRAIN_SEC > 0), so the deploy does not wait for it, and a client that
  # dies now cannot leave the old slot running forever.
  # shellcheck disable=SC2016 # expanded by the inner bash, which gets the values as arguments
  sudo -n bash -c 'drain=$1 sec=$2 n=$3; shift 3
    systemctl enable --no-reload --quiet -- "${@:1:n}" || exit 1
    systemctl disable --no-reload --quiet -- "${@:n+1}" 2>/dev/null
    if [ "$sec" -le 0 ]; then exec systemctl stop --no-block -- "${@:n+1}"; fi
    exec systemd-run --quiet --unit="$drain" --on-active="${sec}s" --timer-property=AccuracySec=100ms -- systemctl stop -- "${@:n+1}"' \
    dp-commit "$drain" "$sec" "${#new[@]}" "${new[@]}" "${old[@]}" || return 1
  echo "@@web-retired ${old[*]}"
}
