#!/usr/bin/env bash
# testhost.sh: throwaway real Debian hosts for deployer's end-to-end tests.
#
# A host is a Debian 12 (or 13: TESTHOST_SUITE=trixie) root filesystem made by debootstrap and customised by
# docker/provision.sh (the same script the Docker image uses), booted with
# `systemd-nspawn --boot`: real systemd as PID 1, sshd, Caddy, python3-venv,
# sudo. It needs root, but neither Docker nor systemd as the machine's PID 1.
#
#   testhost.sh deps                    apt-get install what this script needs
#   testhost.sh build                   build the image, or reuse the cached one (prints its dir)
#   testhost.sh mirror                  the Debian mirror the build would use
#   testhost.sh up NAME SSH_PORT [HOST_PORT:GUEST_PORT ...]
#                                       boot NAME; wait for ssh and `running`;
#                                       print info.json
#   testhost.sh down NAME               power off, then remove every trace (idempotent)
#   testhost.sh down-all                `down` every instance
#   testhost.sh list                    instances and whether they run
#   testhost.sh ssh NAME [CMD...]       ssh in as root (deploy@NAME works with the ssh_config)
#   testhost.sh link NAME1 NAME2 [NET]  veth pair between the two hosts' namespaces, a /30
#                                       (default 10.213.0.0) that exists only inside them
#   testhost.sh proxy-stop NAME HOST_PORT    stop one loopback proxy (cuts its connections)
#   testhost.sh proxy-start NAME HOST_PORT [RTT_MS]
#                                       start it again; with RTT_MS, the path through it has that
#                                       round-trip time (a host across the internet; no netem here)
#
# Network: each host has its own network namespace with only `lo`, so inside
# the defaults apply (sshd :22, Caddy :80, admin :2019) and hosts never clash.
# The machine reaches a host through per-port proxies on 127.0.0.1:
#   systemd-socket-activate -l 127.0.0.1:HOST_PORT  nsenter --net=NETNS  node loopback-proxy.mjs 127.0.0.1:GUEST_PORT
# (loopback-proxy.mjs says why not systemd-socket-proxyd: it adds 40 ms stalls).
# SSH_PORT forwards to guest port 22. Connect to 127.0.0.1, never "localhost"
# (Node may pick ::1, where nothing listens).
#
# Files: $DEPLOYER_TESTHOST_BASE (default /var/tmp/deployer-testhost)
#   images/<hash>/rootfs     cached image, the read-only lower layer of every host
#   instances/<NAME>/        overlay dirs, merged root, netns, keys, known_hosts,
#                            ssh_config, info.json, pid files, logs
#   logs/<NAME>.console.log  console of the last boot of NAME (kept by `down`)
#   locks/                   flock files
# Outside it: cgroups <hierarchy>/$DEPLOYER_TESTHOST_CGROUP/<NAME>, the overlay and netns
# mounts, /run/systemd/nspawn/propagate/<NAME>; `down` removes all of them.
#
# Knobs: DEPLOYER_TESTHOST_BASE, DEPLOYER_TESTHOST_CGROUP (deployer-test; a
# separate base + group gives a harness that never sees the default one's
# hosts), TESTHOST_SUITE (bookworm; or trixie), TESTHOST_MIRROR (default:
# the machine's own apt sources),
# TESTHOST_BOOT_TIMEOUT (120 s), TESTHOST_STOP_TIMEOUT (30 s),
# TESTHOST_KEEP_FAILED=1 (leave a failed `up` for inspection).

set -Eeuo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
REPO=$(cd "$(dirname "$SELF")/../.." && pwd)
PROVISION=$REPO/docker/provision.sh
BASE=${DEPLOYER_TESTHOST_BASE:-/var/tmp/deployer-testhost}
SUITE=${TESTHOST_SUITE:-bookworm}
BOOT_TIMEOUT=${TESTHOST_BOOT_TIMEOUT:-120}
STOP_TIMEOUT=${TESTHOST_STOP_TIMEOUT:-30}
CG_GROUP=${DEPLOYER_TESTHOST_CGROUP:-deployer-test}
DEPLOY_USER=deploy
PROXY=$(dirname "$SELF")/loopback-proxy.mjs

log() { printf '[testhost] %s\n' "$*" >&2; }
die() { printf '[testhost] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# Internal: join the given cgroups, record our PID, exec the command. Every
# long-running process goes through this, so `down` finds all of them (and
# nspawn's own children stay below its cgroup).
#   __exec PIDFILE CGROUPDIR... -- CMD ARGS...
if [ "${1:-}" = "__exec" ]; then
  shift
  pidfile=$1; shift
  while [ "$1" != "--" ]; do
    mkdir -p "$1" && echo $$ > "$1/cgroup.procs"
    shift
  done
  shift
  echo $$ > "$pidfile"
  exec "$@"
fi

need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

need_tools() {
  local missing=() t
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  [ ${#missing[@]} = 0 ] || die "missing tools: ${missing[*]} (run: $0 deps)"
}

# --- cgroups ----------------------------------------------------------------------
# Every hierarchy nspawn and systemd care about: on a v1/hybrid machine the
# name=systemd v1 tree and the cgroup2 tree at unified/; on pure v2 the root.
# Without its own group, nspawn --keep-unit puts supervisor/ and payload/ at the
# cgroup ROOT, where two hosts would share them and nobody removes them.
cgroup_roots() {
  if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
    echo /sys/fs/cgroup
    return
  fi
  if [ -d /sys/fs/cgroup/systemd ] && [ "$(stat -fc %T /sys/fs/cgroup/systemd)" = cgroupfs ]; then
    echo /sys/fs/cgroup/systemd
  fi
  if [ -d /sys/fs/cgroup/unified ] && [ "$(stat -fc %T /sys/fs/cgroup/unified)" = cgroup2fs ]; then
    echo /sys/fs/cgroup/unified
  fi
}

cgroup_dirs() {   # NAME SUB: the instance's SUB group, one dir per hierarchy
  local r
  for r in $(cgroup_roots); do echo "$r/$CG_GROUP/$1/$2"; done
}

cgroup_pids() {   # NAME: every PID in the instance's cgroups, any depth
  local r
  for r in $(cgroup_roots); do
    [ -d "$r/$CG_GROUP/$1" ] || continue
    find "$r/$CG_GROUP/$1" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}

cgroup_remove() {   # NAME
  local r d
  for r in $(cgroup_roots); do
    d="$r/$CG_GROUP/$1"
    [ -d "$d" ] || continue
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
      [ -d "$d" ] || break
      sleep 0.3
    done
    [ -d "$d" ] && log "warning: could not remove cgroup $d"
    rmdir "$r/$CG_GROUP" 2>/dev/null || true   # succeeds only when no other instance is left
  done
  return 0
}

# --- mounts -------------------------------------------------------------------------
mounts_below() {   # DIR: mount points at or below DIR, deepest first
  awk -v d="$1" '{ m = $5; gsub(/\\040/, " ", m); if (m == d || index(m, d "/") == 1) print m }' \
    /proc/self/mountinfo | sort -r
}

umount_below() {   # DIR: true when nothing stays mounted below DIR
  local m
  for m in $(mounts_below "$1"); do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      umount "$m" 2>/dev/null && break
      sleep 0.3
    done
    if mountpoint -q "$m" 2>/dev/null; then
      log "warning: $m busy, detaching lazily"
      umount -l "$m" || true
    fi
  done
  [ -z "$(mounts_below "$1")" ]
}

# --- small helpers -------------------------------------------------------------
port_in_use() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# Only ever signal a PID that sits in this instance's cgroups (PIDs get reused).
pid_is_ours() {   # NAME PID
  pid_alive "$2" || return 1
  cgroup_pids "$1" | grep -qx "$2"
}

validate_name() {
  [[ $1 =~ ^[a-z0-9][a-z0-9-]{0,30}$ ]] || die "bad NAME '$1' (want [a-z0-9-], at most 31 chars: it becomes the hostname)"
}

validate_port() {
  # shellcheck disable=SC2015 # die exits, so this is if-then-else
  [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge 1024 ] && [ "$1" -le 65535 ] || die "bad port '$1' (want 1024-65535)"
}

json_str() {   # STRING -> a JSON string literal (paths and key lines: no control chars)
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}

inst_dir() { echo "$BASE/instances/$1"; }

lock_instance() {   # NAME: hold fd 9 on the instance lock until the script exits
  mkdir -p "$BASE/locks"
  exec 9>"$BASE/locks/$1.lock"
  flock 9
}

# The Debian mirror the machine's apt uses (deb822 .sources or one-line
# format), for any suite: the entry that names SUITE, else the entry of the
# machine's main archive (a suite without "-security"/"-updates"/...), since a
# Debian mirror serves every release. No mirror host is written here.
detect_mirror() {
  if [ -n "${TESTHOST_MIRROR:-}" ]; then echo "$TESTHOST_MIRROR"; return; fi
  local m="" want apt=${TESTHOST_APT_ETC:-/etc/apt}   # (another dir: for the unit test)
  for want in "$SUITE" main; do
    if compgen -G "$apt/sources.list.d/*.sources" >/dev/null; then
      m=$(awk -v suite="$want" '
        function hit(  n, a, k) {
          if (u == "" || t !~ /(^| )deb( |$)/) return 0
          n = split(s, a, " ")
          for (k = 1; k <= n; k++) if (suite == "main" ? a[k] !~ /-/ : a[k] == suite) return 1
          return 0
        }
        /^[[:space:]]*$/ { if (hit()) { print u; exit } u = ""; s = ""; t = ""; next }
        /^Types:/ { $1 = ""; t = $0 } /^URIs:/ { u = $2 } /^Suites:/ { $1 = ""; s = $0 }
        END { if (hit()) print u }' "$apt"/sources.list.d/*.sources | head -n1)
    fi
    if [ -z "$m" ] && { [ -f "$apt/sources.list" ] || compgen -G "$apt/sources.list.d/*.list" >/dev/null; }; then
      m=$( { cat "$apt"/sources.list "$apt"/sources.list.d/*.list 2>/dev/null || true; } | awk -v suite="$want" '
        $1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) break
          if (i < NF && (suite == "main" ? $(i + 1) !~ /-/ : $(i + 1) == suite)) { print $i; exit } }')
    fi
    [ -n "$m" ] && break
  done
  [ -n "$m" ] || die "no Debian mirror in the machine's apt sources (/etc/apt/sources.list*); set TESTHOST_MIRROR=<mirror URL>"
  echo "$m"
}

packages() { bash "$PROVISION" --packages; }

# Cache key: what the image is made of. Editing provision.sh builds a new one.
image_dir() {
  local key
  key=$( { sha256sum < "$PROVISION"; packages; echo "$SUITE"; } | sha256sum | cut -c1-12)
  echo "$BASE/images/$SUITE-$key"
}

# ================================================================================
# deps. --no-install-recommends keeps libnss-mymachines out (it would rewrite
# the machine's /etc/nsswitch.conf).
cmd_deps() {
  need_root
  apt-get update -o DPkg::Lock::Timeout=300 >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 \
    debootstrap systemd-container openssh-client curl iproute2 util-linux >&2
}

# ================================================================================
# build: debootstrap + provision.sh, once. Built in a temp dir and renamed into
# place when complete, so an interrupted build never looks cached.
cmd_build() {
  need_root
  need_tools debootstrap chroot sha256sum flock
  [ -f "$PROVISION" ] || die "missing $PROVISION"
  local img tmp mirror t0 pk ok=0
  img=$(image_dir)
  if [ -e "$img/.complete" ]; then echo "$img"; return 0; fi

  mkdir -p "$BASE/images" "$BASE/locks"
  exec 8>"$BASE/locks/build.lock"
  flock 8
  if [ -e "$img/.complete" ]; then exec 8>&-; echo "$img"; return 0; fi

  for tmp in "$BASE"/images/.tmp-*; do   # leftovers of interrupted builds
    [ -e "$tmp" ] || continue
    umount_below "$tmp" || die "cannot unmount leftovers under $tmp"
    rm -rf --one-file-system "$tmp"
  done

  tmp="$BASE/images/.tmp-$(basename "$img")-$$"
  mkdir -p "$tmp"
  mirror=$(detect_mirror)
  pk=$(packages)
  log "building image $(basename "$img") from $mirror (about a minute; log: $tmp/debootstrap.log)"
  t0=$(now)
  for try in 1 2; do
    if debootstrap --variant=minbase --include="$pk" "$SUITE" "$tmp/rootfs" "$mirror" \
        >"$tmp/debootstrap.log" 2>&1; then ok=1; break; fi
    log "debootstrap attempt $try failed:"; tail -n 15 "$tmp/debootstrap.log" >&2
    umount_below "$tmp" || true
    rm -rf --one-file-system "$tmp/rootfs"
  done
  [ $ok = 1 ] || { rm -rf --one-file-system "$tmp"; die "debootstrap failed"; }
  umount_below "$tmp/rootfs" || die "debootstrap left mounts under $tmp/rootfs"
  log "debootstrap done in $(elapsed "$t0")s; running provision.sh in a chroot"

  # The very script the Dockerfile runs, executed inside the new rootfs.
  install -m 755 "$PROVISION" "$tmp/rootfs/tmp/provision.sh"
  chroot "$tmp/rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    PROVISION_TARGET=nspawn /bin/bash /tmp/provision.sh >&2
  rm -f "$tmp/rootfs/tmp/provision.sh"

  echo "suite=$SUITE packages=$pk mirror=$mirror built=$(date -u +%FT%TZ) seconds=$(elapsed "$t0")" \
    > "$tmp/BUILDINFO"
  rm -rf --one-file-system "$img"
  mv "$tmp" "$img"
  touch "$img/.complete"
  log "image ready: $img ($(du -sh "$img/rootfs" | cut -f1)) in $(elapsed "$t0")s"
  # Older images of this suite that no running instance uses as its lower
  # layer (images of the other suite stay: CI uses both).
  local old
  for old in "$BASE"/images/"$SUITE"-*/; do
    old=${old%/}
    [ "$old" = "$img" ] && continue
    grep -qF "lowerdir=$old/rootfs" /proc/self/mountinfo && continue
    log "removing unused old image $old"
    rm -rf --one-file-system "$old"
  done
  exec 8>&-
  echo "$img"
}

# ================================================================================
# Start a long-running helper in its own session and in the instance cgroup
# SUB, with every inherited fd closed or redirected: Node's execFile waits for
# stdout to close, and an inherited lock fd would hold the lock for the host's
# whole life.
spawn_bg() {   # NAME SUB PIDFILE LOGFILE -- CMD...
  local name=$1 sub=$2 pidfile=$3 logf=$4
  shift 5
  rm -f "$pidfile"
  # shellcheck disable=SC2046
  setsid bash "$SELF" __exec "$pidfile" $(cgroup_dirs "$name" "$sub") -- "$@" \
    </dev/null >>"$logf" 2>&1 8>&- 9>&- &
  for _ in $(seq 1 100); do [ -s "$pidfile" ] && break; sleep 0.05; done
  [ -s "$pidfile" ] || die "failed to start: $*"
}

# One loopback proxy HOST_PORT -> the host's GUEST_PORT, in cgroup proxy-HOST_PORT.
start_proxy() {   # NAME HOST_PORT GUEST_PORT [RTT_MS]
  local name=$1 hp=$2 gp=$3 rtt=${4:-0} i pf
  i=$(inst_dir "$name")
  pf=$i/proxy-$hp.pid
  port_in_use "$hp" && die "port $hp on the machine is already in use"
  spawn_bg "$name" "proxy-$hp" "$pf" "$i/proxy-$hp.log" -- \
    systemd-socket-activate -l "127.0.0.1:$hp" \
    nsenter --net="$i/netns" node "$PROXY" "127.0.0.1:$gp" "$rtt"
  for _ in $(seq 1 100); do
    ss -Hltnp "sport = :$hp" 2>/dev/null | grep -q "pid=$(cat "$pf")," && return 0
    pid_alive "$(cat "$pf")" || break
    sleep 0.05
  done
  cat "$i/proxy-$hp.log" >&2 || true
  die "proxy for port $hp did not start"
}

# Kill everything in cgroup proxy-HOST_PORT: the socket activator, or, once a
# connection came in, the proxyd it became (which carries every connection).
stop_proxy() {   # NAME HOST_PORT
  local name=$1 hp=$2 r p pids
  for _ in $(seq 1 50); do
    pids=$(for r in $(cgroup_roots); do cat "$r/$CG_GROUP/$name/proxy-$hp/cgroup.procs" 2>/dev/null; done | sort -u)
    [ -z "$pids" ] && ! port_in_use "$hp" && return 0
    for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
    sleep 0.1
  done
  die "proxy on port $hp would not stop"
}

forward_guest_port() {   # NAME HOST_PORT -> GUEST_PORT, from the forwards file
  local gp
  gp=$(awk -F: -v hp="$2" '$1 == hp { print $2 }' "$(inst_dir "$1")/forwards" 2>/dev/null)
  [ -n "$gp" ] || die "$1 has no forward from host port $2"
  echo "$gp"
}

nspawn_running() {   # NAME
  local pid
  pid=$(cat "$(inst_dir "$1")/nspawn.pid" 2>/dev/null || true)
  pid_is_ours "$1" "$pid"
}

ssh_cmd() {   # NAME: ssh command words for root
  local i
  i=$(inst_dir "$1")
  echo ssh -F "$i/ssh_config" -o ConnectTimeout=5 "$1"
}

write_info() {   # NAME SSH_PORT BOOT_SECONDS
  local name=$1 port=$2 secs=$3 i hostkey fw sep="" hp gp
  i=$(inst_dir "$name")
  hostkey=$(cut -d' ' -f1,2 "$i/root/etc/ssh/ssh_host_ed25519_key.pub")
  while IFS=: read -r hp gp; do
    fw+="$sep{\"hostPort\":$hp,\"guestPort\":$gp}"; sep=","
  done < "$i/forwards"
  {
    printf '{\n'
    printf '  "name": %s,\n' "$(json_str "$name")"
    printf '  "address": "127.0.0.1",\n'
    printf '  "sshPort": %s,\n' "$port"
    printf '  "users": ["root", %s],\n' "$(json_str "$DEPLOY_USER")"
    printf '  "keyPath": %s,\n' "$(json_str "$i/id_ed25519")"
    printf '  "knownHostsPath": %s,\n' "$(json_str "$i/known_hosts")"
    printf '  "sshConfigPath": %s,\n' "$(json_str "$i/ssh_config")"
    printf '  "hostKey": %s,\n' "$(json_str "$hostkey")"
    printf '  "hostKeyLine": %s,\n' "$(json_str "$(cat "$i/known_hosts")")"
    printf '  "forwards": [%s],\n' "$fw"
    printf '  "rootfs": %s,\n' "$(json_str "$i/root")"
    printf '  "consoleLog": %s,\n' "$(json_str "$i/console.log")"
    printf '  "bootSeconds": %s\n' "$secs"
    printf '}\n'
  } > "$i/info.json"
}

# ================================================================================
cmd_up() {
  need_root
  need_tools systemd-nspawn systemd-socket-activate ssh ssh-keygen ss flock nsenter unshare setsid ip node
  [ $# -ge 2 ] || die "usage: $0 up NAME SSH_PORT [HOST_PORT:GUEST_PORT ...]"
  local name=$1 port=$2; shift 2
  local fwds=("$@") f hp gp
  validate_name "$name"; validate_port "$port"
  for f in "${fwds[@]}"; do
    [[ $f =~ ^([0-9]+):([0-9]+)$ ]] || die "bad forward '$f' (want HOST_PORT:GUEST_PORT)"
    validate_port "${BASH_REMATCH[1]}"
  done
  [ -n "$(cgroup_roots)" ] || die "no usable cgroup hierarchy under /sys/fs/cgroup"

  local img i
  img=$(cmd_build)
  i=$(inst_dir "$name")
  mkdir -p "$BASE/instances"
  lock_instance "$name"

  if nspawn_running "$name"; then die "$name is already up (run: $0 down $name)"; fi
  [ -e "$i" ] && { log "removing stale instance dir of $name"; down_locked "$name"; }
  for f in "$port" "${fwds[@]}"; do
    port_in_use "${f%%:*}" && die "port ${f%%:*} on the machine is already in use"
  done

  local t0
  t0=$(now)
  # Any failure from here on (set -e, die, a signal): show the console, tear down.
  trap 'up_failed "$name"' EXIT
  trap 'exit 130' INT TERM

  # --- filesystem: an overlay, so the cached image is never written ---------
  mkdir -p "$i"/{upper,work,root}
  mount -t overlay "deployer-test-$name" \
    -o "lowerdir=$img/rootfs,upperdir=$i/upper,workdir=$i/work" "$i/root"
  local r=$i/root
  echo "$port" > "$i/ssh_port"
  printf '%s\n' "$port:22" "${fwds[@]}" > "$i/forwards"

  # --- identity: hostname, machine-id, host key, client key, known_hosts ------
  echo "$name" > "$r/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' "$name" > "$r/etc/hosts"
  # A fresh machine-id per host (an empty one would trigger first-boot logic).
  tr -d '-' < /proc/sys/kernel/random/uuid > "$r/etc/machine-id"
  [ -d "$r/var/lib/dbus" ] && cp "$r/etc/machine-id" "$r/var/lib/dbus/machine-id"
  ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$r/etc/ssh/ssh_host_ed25519_key"
  ssh-keygen -q -t ed25519 -N '' -C "deployer-test-$name" -f "$i/id_ed25519"
  install -m 600 "$i/id_ed25519.pub" "$r/root/.ssh/authorized_keys"
  local uid gid
  uid=$(awk -F: -v u="$DEPLOY_USER" '$1 == u { print $3 }' "$r/etc/passwd")
  gid=$(awk -F: -v u="$DEPLOY_USER" '$1 == u { print $4 }' "$r/etc/passwd")
  install -m 600 -o "$uid" -g "$gid" "$i/id_ed25519.pub" "$r/home/$DEPLOY_USER/.ssh/authorized_keys"
  printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$r/etc/ssh/ssh_host_ed25519_key.pub")" > "$i/known_hosts"
  cat > "$i/ssh_config" <<EOF
# ssh -F $i/ssh_config $name          (root)
# ssh -F $i/ssh_config $DEPLOY_USER@$name   (passwordless sudo)
Host $name
  HostName 127.0.0.1
  Port $port
  User root
  IdentityFile $i/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $i/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
EOF

  # --- private network namespace and the loopback proxies ----------------------
  # A persistent netns bound to a file: it exists before the container, so the
  # proxies start first, and it is ours to unmount.
  touch "$i/netns"
  unshare --net="$i/netns" true
  nsenter --net="$i/netns" ip link set lo up
  # What `deployer server bootstrap` sets on a real host: a Caddy reload closes
  # its old SO_REUSEPORT listener, and without this the connections queued on
  # it are reset. The host cannot set it itself (its /proc/sys is read-only).
  nsenter --net="$i/netns" sysctl -qw net.ipv4.tcp_migrate_req=1
  for f in "$port:22" "${fwds[@]}"; do start_proxy "$name" "${f%%:*}" "${f##*:}"; done

  # --- boot ---------------------------------------------------------------------
  # --register=no --keep-unit: no machined/systemd on the machine to talk to
  #   (otherwise: "Failed to open system bus").
  # --console=read-only: boot messages go to console.log, no tty needed.
  # --link-journal=no --resolv-conf=off --timezone=off: leave machine and image alone.
  # nspawn turns SIGTERM into SIGRTMIN+3 for the container: a clean poweroff.
  log "booting $name (ssh 127.0.0.1:$port${fwds[*]:+, forwards ${fwds[*]}})"
  spawn_bg "$name" ct "$i/nspawn.pid" "$i/console.log" -- \
    systemd-nspawn --boot --directory="$r" --machine="$name" \
      --register=no --keep-unit --console=read-only --link-journal=no \
      --resolv-conf=off --timezone=off --network-namespace-path="$i/netns"

  # --- ready: ssh answers, then systemd reports `running` ------------------------
  local ssh deadline t_ssh state
  read -r -a ssh <<<"$(ssh_cmd "$name")"
  deadline=$(( $(date +%s) + BOOT_TIMEOUT ))
  until "${ssh[@]}" true </dev/null >/dev/null 2>&1; do
    pid_alive "$(cat "$i/nspawn.pid")" || die "container exited during boot"
    [ "$(date +%s)" -lt "$deadline" ] || die "ssh not ready after ${BOOT_TIMEOUT}s"
    sleep 0.2
  done
  t_ssh=$(elapsed "$t0")
  state=$(timeout "$BOOT_TIMEOUT" "${ssh[@]}" systemctl is-system-running --wait </dev/null 2>/dev/null || true)
  if [ "$state" = degraded ]; then
    # On a loaded machine the per-user manager started by our own root login
    # (user@0.service) can time out while the system boots. Nothing here uses
    # it; when it is the only failure, clear it instead of failing the boot.
    local failed
    failed=$("${ssh[@]}" systemctl list-units --state=failed --plain --no-legend </dev/null 2>/dev/null | awk '{print $1}')
    if [ -n "$failed" ] && ! grep -qv '^user@[0-9]*\.service$' <<<"$failed"; then
      # shellcheck disable=SC2116,SC2086 # word splitting puts the unit list on one line
      log "only $(echo $failed) failed (a user manager, unused here); resetting it"
      "${ssh[@]}" systemctl reset-failed </dev/null >/dev/null 2>&1 || true
      state=$(timeout "$BOOT_TIMEOUT" "${ssh[@]}" systemctl is-system-running --wait </dev/null 2>/dev/null || true)
    fi
  fi
  if [ "$state" != running ]; then
    log "system state after boot: '$state'; failed units:"
    "${ssh[@]}" systemctl --failed --no-pager </dev/null >&2 || true
    die "boot did not reach 'running'"
  fi
  trap - EXIT INT TERM
  write_info "$name" "$port" "$(elapsed "$t0")"
  log "$name up: ssh ready after ${t_ssh}s, running after $(elapsed "$t0")s"
  cat "$i/info.json"
}

up_failed() {
  local name=$1
  trap - EXIT
  log "up of $name failed; last console lines:"
  tail -n 25 "$(inst_dir "$name")/console.log" 2>/dev/null >&2 || true
  if [ "${TESTHOST_KEEP_FAILED:-0}" = 1 ]; then
    log "TESTHOST_KEEP_FAILED=1: leaving $(inst_dir "$name") (run: $0 down $name)"
  else
    down_locked "$name" || true
  fi
}

# ================================================================================
# down: SIGTERM to nspawn (clean poweroff), then kill whatever is left in the
# instance's cgroups (proxies, stragglers: nothing else lives there), unmount,
# delete. Safe to run any number of times.
cmd_down() {
  need_root
  [ $# -eq 1 ] || die "usage: $0 down NAME"
  validate_name "$1"
  lock_instance "$1"
  down_locked "$1"
  exec 9>&-
}

down_locked() {
  local name=$1 i pid t0 p
  i=$(inst_dir "$name")
  t0=$(now)
  pid=$(cat "$i/nspawn.pid" 2>/dev/null || true)
  if pid_is_ours "$name" "$pid"; then
    kill -TERM "$pid"
    for _ in $(seq 1 $((STOP_TIMEOUT * 10))); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then
      log "$name did not power off in ${STOP_TIMEOUT}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    else
      log "$name powered off in $(elapsed "$t0")s"
    fi
  fi
  for p in $(cgroup_pids "$name"); do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 30); do [ -z "$(cgroup_pids "$name")" ] && break; sleep 0.1; done
  for p in $(cgroup_pids "$name"); do kill -KILL "$p" 2>/dev/null || true; done
  for _ in $(seq 1 30); do [ -z "$(cgroup_pids "$name")" ] && break; sleep 0.1; done
  [ -z "$(cgroup_pids "$name")" ] || log "warning: processes of $name survived SIGKILL: $(cgroup_pids "$name" | tr '\n' ' ')"

  if [ -d "$i" ]; then
    if [ -f "$i/console.log" ]; then   # keep the last boot log for post-mortems
      mkdir -p "$BASE/logs"
      mv -f "$i/console.log" "$BASE/logs/$name.console.log"
    fi
    umount_below "$i" || die "could not unmount everything under $i; not deleting it"
    rm -rf --one-file-system "$i"
  fi
  cgroup_remove "$name"
  # nspawn's scratch dir for this machine (it cannot clean it: /run is no tmpfs here).
  rmdir "/run/systemd/nspawn/propagate/$name" 2>/dev/null || true
  return 0
}

cmd_down_all() {
  need_root
  local d r rc=0
  # Each in a subshell: one instance that cannot be removed must not stop the rest.
  for d in "$BASE"/instances/*/; do
    [ -d "$d" ] || continue
    ( cmd_down "$(basename "$d")" ) || rc=1
  done
  # Instances whose dir is gone but whose cgroup is not.
  for r in $(cgroup_roots); do
    for d in "$r/$CG_GROUP"/*/; do
      [ -d "$d" ] || continue
      ( cmd_down "$(basename "$d")" ) || rc=1
    done
  done
  return $rc
}

cmd_list() {
  local d name
  for d in "$BASE"/instances/*/; do
    [ -d "$d" ] || continue
    name=$(basename "$d")
    if nspawn_running "$name"; then
      echo "$name running ssh=127.0.0.1:$(cat "$d/ssh_port" 2>/dev/null) forwards=$(tr '\n' ' ' < "$d/forwards" 2>/dev/null)"
    else
      echo "$name stopped (stale; run: $0 down $name)"
    fi
  done
}

cmd_ssh() {
  [ $# -ge 1 ] || die "usage: $0 ssh NAME [CMD...]"
  local i name=$1
  shift
  i=$(inst_dir "$name")
  [ -f "$i/ssh_config" ] || die "no instance $name"
  exec ssh -F "$i/ssh_config" "$name" "$@"
}

cmd_proxy_stop() {
  need_root
  [ $# -eq 2 ] || die "usage: $0 proxy-stop NAME HOST_PORT"
  validate_name "$1"; validate_port "$2"
  lock_instance "$1"
  forward_guest_port "$1" "$2" >/dev/null
  stop_proxy "$1" "$2"
}

cmd_proxy_start() {
  need_root
  [ $# -eq 2 ] || [ $# -eq 3 ] || die "usage: $0 proxy-start NAME HOST_PORT [RTT_MS]"
  validate_name "$1"; validate_port "$2"
  [[ ${3:-0} =~ ^[0-9]{1,5}$ ]] || die "RTT_MS must be a whole number of milliseconds, not '$3'"
  lock_instance "$1"
  local gp
  gp=$(forward_guest_port "$1" "$2")
  nspawn_running "$1" || die "$1 is not running"
  stop_proxy "$1" "$2"   # idempotent: a running proxy is replaced
  start_proxy "$1" "$2" "$gp" "${3:-0}"
}

# ================================================================================
# link: a veth pair between two hosts' network namespaces, with a /30 that
# exists only inside them (nothing on the machine's side), so one host reaches
# the other (a jump host and a target whose sshd the machine cannot reach).
# The pair disappears with the namespaces at `down`.
cmd_link() {
  need_root
  [ $# -ge 2 ] || die "usage: $0 link NAME1 NAME2 [A.B.C.D (the /30's network, default 10.213.0.0)]"
  local n1=$1 n2=$2 net=${3:-10.213.0.0} i1 i2 pre last helper
  validate_name "$n1"; validate_name "$n2"
  [[ $net =~ ^([0-9]+\.[0-9]+\.[0-9]+\.)([0-9]+)$ ]] || die "bad network '$net'"
  pre=${BASH_REMATCH[1]}; last=${BASH_REMATCH[2]}
  i1=$(inst_dir "$n1"); i2=$(inst_dir "$n2")
  nspawn_running "$n1" || die "$n1 is not running"
  nspawn_running "$n2" || die "$n2 is not running"
  # `ip link add ... peer ... netns` takes a PID: a short-lived process in the second namespace.
  nsenter --net="$i2/netns" sleep 30 </dev/null >/dev/null 2>&1 &
  helper=$!
  # Under load nsenter may not have entered the namespace yet: the peer would
  # land in the wrong one. Wait until the helper's netns is the second host's.
  local want tries=0
  want=$(stat -L -c %i "$i2/netns")
  until [ "$(stat -L -c %i "/proc/$helper/ns/net" 2>/dev/null)" = "$want" ]; do
    tries=$((tries + 1))
    [ $tries -le 100 ] || { kill "$helper" 2>/dev/null; die "the helper never entered $n2's network namespace"; }
    sleep 0.05
  done
  nsenter --net="$i1/netns" ip link add link0 type veth peer name link0 netns "$helper" \
    || { kill "$helper"; die "cannot create the veth pair (one link per host)"; }
  kill "$helper" 2>/dev/null || true
  nsenter --net="$i1/netns" ip addr add "$pre$((last + 1))/30" dev link0
  nsenter --net="$i1/netns" ip link set link0 up
  nsenter --net="$i2/netns" ip addr add "$pre$((last + 2))/30" dev link0
  nsenter --net="$i2/netns" ip link set link0 up
  printf '{"%s": "%s", "%s": "%s"}\n' "$n1" "$pre$((last + 1))" "$n2" "$pre$((last + 2))"
}

# ================================================================================
main() {
  local cmd=${1:-help}
  shift || true
  case $cmd in
    deps) cmd_deps "$@" ;;
    build) cmd_build "$@" ;;
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    down-all) cmd_down_all ;;
    mirror) detect_mirror ;;
    link) cmd_link "$@" ;;
    list) cmd_list ;;
    ssh) cmd_ssh "$@" ;;
    proxy-stop) cmd_proxy_stop "$@" ;;
    proxy-start) cmd_proxy_start "$@" ;;
    help|-h|--help) sed -n '2,/^set -Eeuo/p' "$SELF" | sed '$d' | sed 's/^# \{0,1\}//' ;;
    *) die "unknown command '$cmd' (try: $0 help)" ;;
  esac
}

main "$@"
