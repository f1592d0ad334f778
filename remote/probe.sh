# shellcheck shell=bash
# The first channel of every command that changes a host (src/remote/probe.ts):
# take the app's lock, print the remote state, then hold the lock for as long
# as the channel lives. The lock is an flock held by this shell; when the
# client exits, is killed, or the network drops, sshd closes the channel,
# `cat` sees EOF, the shell exits and the kernel releases the lock. It cannot
# go stale. Markers are named in src/remote/protocol.ts.
#
# Arguments, named (ProbeArgs in src/remote/probe.ts): --apps-dir= --state-dir= --app-dir=
#   --lock-file= --lock-info-file= --phase-lock-file= --release-dir= --site= --unit-marker=
#   --holder= --lock-wait-sec=SEC --lock=0|1 --create=0|1 --create-later=0|1
#   --unit-dir= --caddyfile= --sites-dir= --identity= --identity-file=
#   --owner-line= --legacy-description= (src/plan/ownership.ts) --history-file=
#   --ports=0|1 --own-ports-line=
# --create-later=1: a missing app dir is created only when the client sends
# `create` on this channel, once it has checked the state (the ports of the
# other apps, src/plan/ports.ts): a refused deploy leaves nothing behind.
# --ports=1: list every deployer web unit on the host and what shows its ports,
# unless this app's own web unit already carries --own-ports-line (the range
# the client asks for): every deploy of another app since it was written has
# checked its range against this one, so there is nothing new to find.
set -u
appsdir="" statedir="" appdir="" lock="" info="" phaselock="" release="" site="" marker="" holder=""
lockwait=0 want_lock=0 create=0 create_later=0 unitdir="" caddyfile="" sitesdir="" ident="" identfile=""
owner="" legacydesc="" history="" scan_ports=0 own_ports=""
for dp_arg; do
  dp_value=${dp_arg#*=}
  case $dp_arg in
    --apps-dir=*) appsdir=$dp_value ;;
    --state-dir=*) statedir=$dp_value ;;
    --app-dir=*) appdir=$dp_value ;;
    --lock-file=*) lock=$dp_value ;;
    --lock-info-file=*) info=$dp_value ;;
    --phase-lock-file=*) phaselock=$dp_value ;;
    --release-dir=*) release=$dp_value ;;
    --site=*) site=$dp_value ;;
    --unit-marker=*) marker=$dp_value ;;
    --holder=*) holder=$dp_value ;;
    --lock-wait-sec=*) lockwait=$dp_value ;;
    --lock=*) want_lock=$dp_value ;;
    --create=*) create=$dp_value ;;
    --create-later=*) create_later=$dp_value ;;
    --unit-dir=*) unitdir=$dp_value ;;
    --caddyfile=*) caddyfile=$dp_value ;;
    --sites-dir=*) sitesdir=$dp_value ;;
    --identity=*) ident=$dp_value ;;
    --identity-file=*) identfile=$dp_value ;;
    --owner-line=*) owner=$dp_value ;;
    --legacy-description=*) legacydesc=$dp_value ;;
    --history-file=*) history=$dp_value ;;
    --ports=*) scan_ports=$dp_value ;;
    --own-ports-line=*) own_ports=$dp_value ;;
    *) echo "@@error probe.sh: unknown argument ${dp_arg%%=*}"; exit 2 ;;
  esac
done

b64() { base64 -w0 -- "$1" 2>/dev/null; echo; }
# A file's text on one line, with no process: \ becomes \\, a newline \n, a CR \r
# (src/remote/probe.ts unescapes). `read` and the expansions are builtins; a
# base64 process per file cost milliseconds each, for every file of every
# release, on every command.
emit() { # PREFIX FILE: one line, PREFIX then FILE's text
  local c=""
  IFS= read -r -d '' c < "$2"
  c=${c//\\/\\\\}
  c=${c//$'\r'/\\r}
  printf '%s%s\n' "$1" "${c//$'\n'/\\n}"
}

# Prints `@@envhash KEY sha256` for each variable an .appenv exports, never a
# value. .appenv is shell syntax (written with shellQuote), so bash itself
# decodes the values exactly, multi-line ones included, where parsing .env on
# the host would need a dotenv parser. `export` is replaced by a function that
# only records, in a clean `env -i` shell. The last export is the PATH line
# deployer appends (formatAppEnv), not an app setting.
dp_envhash() { # APPENV
  set -f
  local keys=() sums=() n i
  # shellcheck disable=SC2317 # called by the sourced .appenv
  export() { local a; for a in "$@"; do keys+=("${a%%=*}"); sums+=("$(printf %s "${a#*=}" | sha256sum)"); done; }
  # shellcheck disable=SC1090 # the app's own env file
  . "$1" >/dev/null 2>&1
  n=${#keys[@]}
  [ "$n" -gt 0 ] && [ "${keys[n-1]}" = PATH ] && n=$((n-1))
  for ((i=0; i<n; i++)); do [[ ${keys[i]} =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] && echo "@@envhash ${keys[i]} ${sums[i]%% *}"; done
  return 0
}

# Whose the app dir is: own (its identity record is ours), legacy (made by
# an earlier deployer: .versions, a current release whose units carry this
# app's marker and describe this app and stage), missing, other (another
# app's record) or foreign (anything else). Only own, legacy and missing go on.
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
      # "shop (admin) web" is stage admin of shop, not the app shop: a process name follows the prefix.
      if ! grep -qxF -- "$marker" "$f" || [[ $d != "$legacydesc"* || $d == "$legacydesc("* ]]; then echo foreign; return; fi
      n=$((n+1))
    done
    [ $n -gt 0 ] && { echo legacy; return; }
  fi
  echo foreign
}
refuse_unless_ours() { # stops here, having created nothing, unless the app dir is ours (or missing)
  case $own in
    other) echo "@@refused $(b64 "$appdir/$identfile")"; exit 0 ;;
    foreign) echo "@@refused "; exit 0 ;;
  esac
}
write_identity() {
  printf '%s\n' "$ident" > "$appdir/$identfile.tmp" && mv -f -- "$appdir/$identfile.tmp" "$appdir/$identfile"
}
owned_by_us() { # FILE: carries no owner line (an earlier deployer wrote it) or ours
  local o
  o=$(grep -m1 '^# deployer-owner: ' -- "$1")
  [ -z "$o" ] || [ "$o" = "$owner" ]
}

echo "@@user $(id -un)"
# Refuse before creating anything (and again under the lock, below).
own=$(owner_status); refuse_unless_ours
# Create only what is missing; never chown or chmod what exists (apps_dir may be /opt).
if [ "$create" = 1 ]; then
  if [ ! -d "$appsdir" ]; then
    mkdir -p -- "$appsdir" 2>/dev/null || sudo -n install -d -m 755 -o "$(id -un)" -g "$(id -gn)" -- "$appsdir" ||
      { echo "@@error cannot create $appsdir: the user $(id -un) cannot write there and has no passwordless sudo"; exit 1; }
  fi
  if [ ! -d "$statedir" ]; then
    mkdir -- "$statedir" 2>/dev/null || sudo -n install -d -m 755 -o "$(id -un)" -g "$(id -gn)" -- "$statedir" ||
      { echo "@@error cannot create $statedir: the user $(id -un) cannot write $appsdir and has no passwordless sudo"; exit 1; }
  fi
fi
if [ "$want_lock" = 1 ] && [ "$create" = 0 ] && [ ! -d "$appdir" ]; then
  echo "@@error the app is not deployed on this host ($appdir does not exist): run deployer deploy first"; exit 0
fi
if [ "$want_lock" = 1 ]; then
  exec 9>>"$lock" || { echo "@@error cannot open $lock"; exit 1; }
  # Half a second of grace even without --lock-wait: a read-only probe
  # (plan, status) may hold the lock for an instant to see if it is free.
  if ! flock -w 0.5 9; then
    if [ "$lockwait" -gt 0 ]; then echo "@@waiting $(b64 "$info")"; fi
    if [ "$lockwait" = 0 ] || ! flock -w "$lockwait" 9; then echo "@@locked $(b64 "$info")"; exit 0; fi
  fi
  printf '%s\n' "$holder" > "$info.tmp" && mv -f -- "$info.tmp" "$info"
  # A phase script of a client that just died may still be finishing (it
  # ignores SIGHUP on purpose): wait for it before looking at the state.
  exec 8>>"$phaselock" && flock -w 600 8; exec 8>&-
  own=$(owner_status); refuse_unless_ours
  # Made by an earlier deployer: adopted once, by the first command that changes the host.
  if [ "$own" = legacy ]; then
    if write_identity; then own=adopted; else echo "@@error cannot write $appdir/$identfile"; exit 1; fi
  fi
else
  if [ -e "$lock" ] && ! flock -n "$lock" true 2>/dev/null; then echo "@@held $(b64 "$info")"; fi
fi
create_app_dir() {
  { mkdir -- "$appdir" 2>/dev/null || sudo -n install -d -m 755 -o "$(id -un)" -g "$(id -gn)" -- "$appdir"; } && write_identity
}
if [ "$create" = 1 ] && [ "$create_later" = 0 ] && [ "$own" = missing ]; then
  create_app_dir || { echo "@@error cannot create $appdir"; exit 1; }
  own=created
fi
echo "@@owner $own"
cur=""
[ -d "$appdir" ] && cur=$(readlink -- "$appdir/current" 2>/dev/null)

# The reads that start processes (hashing, systemctl, python3) run at once,
# each in its own background job, while this shell reads the small files;
# their lines are printed at the end. Each took tens of ms on a small host,
# one after the other. None reads stdin: it holds the lock.
files_of() { # DIR MARKER: "MARKER PATH SHA256" for each file of a release (not its venv, not an upload in progress)
  (cd -- "$1" && find . -path ./.venv -prune -o -path ./.incoming -prune -o -type f -print0 | xargs -0 -r sha256sum) |
    while read -r sum path; do echo "$2 ${path#./} $sum"; done
}
# Services of the live release that are not running (a no-op deploy must still start them):
# its instances, and with blue-green the live slot's web instances (web-instances, written at commit).
inactive_units() {
  local live_units=() live_states=() unit i
  while read -r _ unit; do [ -n "$unit" ] && live_units+=("$unit"); done < <(cat -- "$appdir/$cur/.deployer/instances" "$appdir/$cur/.deployer/web-instances" 2>/dev/null)
  [ ${#live_units[@]} -gt 0 ] || return 0
  # One systemctl call for all of them (each costs tens of ms): one state per unit, in order.
  mapfile -t live_states < <(systemctl is-active -- "${live_units[@]}" 2>/dev/null)
  for i in "${!live_units[@]}"; do [ "${live_states[i]:-}" = active ] || echo "@@inactive ${live_units[i]}"; done
}
# Every deployer web unit on the host (units are global, so apps of every
# apps_dir): the lines that say whose it is and which ports it takes, as
# `@@port-unit NAME line TEXT`. A unit without a `# deployer-ports:` line
# (written before it existed) also gets what shows its ports: its enabled
# instances, its .web/<port> links and live slot (blue-green), its Caddy
# site's upstreams. src/plan/ports.ts turns these into ranges.
host_web_ports() {
  local f name line rest dir p w
  declare -A marked=() recorded=() workdir=()
  while IFS= read -r line; do
    f=${line%%:*} rest=${line#*:} name=${f##*/}
    echo "@@port-unit $name line $rest"
    case $rest in
      "# deployer-app: "*) marked[$name]=${rest#\# deployer-app: } ;;
      "# deployer-ports: "*) recorded[$name]=1 ;;
      WorkingDirectory=*) workdir[$name]=${rest#WorkingDirectory=} ;;
    esac
  done < <(grep -H -E '^(# deployer-app: |# deployer-owner: |# deployer-ports: |Environment=PORT=|WorkingDirectory=)' -- "$unitdir"/*-web.service "$unitdir"/*-web@.service 2>/dev/null)
  for name in "${!marked[@]}"; do
    [ -z "${recorded[$name]:-}" ] || continue
    if [[ $name == *@.service ]]; then
      for w in "$unitdir"/*.wants/"${name%.service}"*.service; do
        p=${w##*@} p=${p%.service}
        [[ $p =~ ^[0-9]+$ ]] && echo "@@port-unit $name enabled $p"
      done
    fi
    dir=${workdir[$name]:-}
    if [[ $dir == */.web/%i ]]; then
      dir=${dir%/%i}
      [ -f "$dir/live" ] && { IFS= read -r -n 1 p < "$dir/live"; echo "@@port-unit $name live $p"; }
      for w in "$dir"/[0-9]*; do
        p=${w##*/}
        [[ $p =~ ^[0-9]+$ ]] && [ -L "$w" ] && echo "@@port-unit $name link $p"
      done
    fi
    f="$sitesdir/${marked[$name]}.caddy"
    if [ -f "$f" ]; then
      while IFS= read -r line; do
        [[ $line =~ ^[[:space:]]*reverse_proxy[[:space:]](.*)$ ]] && echo "@@port-unit $name upstream ${BASH_REMATCH[1]}"
      done < "$f"
    fi
  done
  return 0
}
own_range_recorded() { # builtins only: this is what spares the scan's grep on every redeploy
  local f line name=${appdir##*/}
  [ -n "$own_ports" ] || return 1
  for f in "$unitdir/$name-web@.service" "$unitdir/$name-web.service"; do
    [ -f "$f" ] || continue
    while IFS= read -r line; do [ "$line" = "$own_ports" ] && return 0; done < "$f"
  done
  return 1
}
python_version() {
  # `--version`, not `-c`: the interpreter answers without starting up.
  local v
  v=$(python3 --version 2>/dev/null) && [[ $v =~ ([0-9]+\.[0-9]+) ]] && v=${BASH_REMATCH[1]} || v=""
  echo "@@python $v"
}
exec 3</dev/null 4</dev/null 5</dev/null 6</dev/null 7</dev/null 8</dev/null
if [ -n "$release" ] && [ -d "$release" ]; then exec 3< <(files_of "$release" @@file </dev/null); fi
# The live release's files too: what is unchanged is copied on the host
# instead of uploaded, and its venv can be reused when the deps match.
if [ -n "$cur" ] && [ -d "$appdir/$cur" ] && [ "$appdir/$cur" != "$release" ]; then exec 4< <(files_of "$appdir/$cur" @@curfile </dev/null); fi
if [ -n "$cur" ]; then exec 5< <(inactive_units </dev/null); fi
exec 6< <(python_version </dev/null)
if [ "$scan_ports" = 1 ] && ! own_range_recorded; then exec 8< <(host_web_ports </dev/null); fi
if [ -f "$appdir/.appenv" ]; then
  exec 7< <(env -i bash --norc --noprofile -c "$(declare -f dp_envhash); dp_envhash \"\$1\"" envhash "$appdir/.appenv" </dev/null)
fi
# What a switch decides from, so the host makes no choice of its own
# (src/plan/activate.ts): the instances of this app's template units that
# systemd has loaded (the ones the release does not run are stopped), and
# whether Caddy's admin API takes a reload (with a Caddyfile this user can
# read, as dp_reload_caddy POSTs it). Its own job: systemctl costs tens of ms.
switch_facts() {
  local pats=() f u active status=""
  mapfile -t pats < <(grep -lxF -- "$marker" "$unitdir"/*@.service 2>/dev/null)
  for f in "${!pats[@]}"; do pats[f]=${pats[f]##*/}; pats[f]="${pats[f]%.service}*.service"; done
  if [ ${#pats[@]} -gt 0 ]; then
    while read -r u _ active _; do echo "@@instance $u $active"; done < <(systemctl list-units --all --plain --no-legend -- "${pats[@]}" 2>/dev/null)
  fi
  [ -r "$caddyfile" ] || return 0
  status=$( (exec 7<>/dev/tcp/127.0.0.1/2019 && printf 'GET /config/ HTTP/1.0\r\nHost: localhost:2019\r\n\r\n' >&7 && IFS= read -r -t 2 status <&7 && echo "$status") 2>/dev/null)
  [[ $status == "HTTP/"*" 200"* ]] && echo "@@caddy-admin 127.0.0.1:2019"
  return 0
}
exec 10< <(switch_facts </dev/null)

if [ -d "$appdir" ]; then
  [ -n "$cur" ] && echo "@@current ${cur#v}"
  # Each release, and what its switch installs: units, Caddy site, instances.
  for d in "$appdir"/v*/; do
    [ -d "$d" ] || continue
    d=${d%/} v=${d##*/v}
    echo "@@release $v"
    for f in "$d"/.deployer/units/*; do [ -f "$f" ] && emit "@@release-unit $v ${f##*/} " "$f"; done
    [ -f "$d/.deployer/caddy.site" ] && emit "@@release-site $v " "$d/.deployer/caddy.site"
    [ -f "$d/.deployer/instances" ] && emit "@@release-instances $v " "$d/.deployer/instances"
    # Blue-green: the web instances it ran with when it was live (a rollback brings back as many).
    [ -f "$d/.deployer/web-instances" ] && emit "@@release-web-instances $v " "$d/.deployer/web-instances"
  done
  [ -f "$appdir/.versions" ] && emit "@@versions " "$appdir/.versions"
fi
if [ -n "$cur" ] && [ -x "$appdir/$cur/.venv/bin/python" ]; then echo "@@curvenv yes"; fi
# Units and site with this app's name: ours, or another app's (same name, other owner line).
# One grep finds them among every unit file on the host.
mapfile -t marked < <(grep -lxF -- "$marker" "$unitdir"/*.service "$unitdir"/*.socket "$unitdir"/*.timer 2>/dev/null)
for f in "${marked[@]}"; do
  [ -f "$f" ] || continue
  if owned_by_us "$f"; then emit "@@unit ${f##*/} " "$f"; else echo "@@unit-other ${f##*/} $(grep -m1 '^# deployer-owner: ' -- "$f" | base64 -w0)"; fi
done
if [ -f "$site" ]; then
  if owned_by_us "$site"; then emit "@@caddy " "$site"; else echo "@@caddy-other $(grep -m1 '^# deployer-owner: ' -- "$site" | base64 -w0)"; fi
fi
# Blue-green (src/plan/slots.ts): the slot that serves, recorded when a switch commits.
[ -f "$appdir/.web/live" ] && echo "@@slot $(head -c 1 -- "$appdir/.web/live")"
# Maintenance mode (src/plan/maintenanceMode.ts): the page Caddy answers with while it exists.
[ -f "$appdir/.maintenance" ] && echo "@@maintenance on"
grep -qE "^[[:space:]]*import[[:space:]]+$sitesdir/\\*\\.caddy" "$caddyfile" 2>/dev/null && echo "@@caddy-imports yes"
# A Caddy reload closes its old SO_REUSEPORT listener: the kernel resets the
# connections queued on it unless it hands them on (Linux 5.14+, 0 by
# default; `server bootstrap` sets 1). Only a 0 that can be changed is news.
if read -r migrate </proc/sys/net/ipv4/tcp_migrate_req 2>/dev/null && [ "$migrate" = 0 ]; then echo "@@migrate-req off"; fi
command -v uv >/dev/null 2>&1 && echo "@@uv yes"
# The background jobs' lines, each job's read to its end: one `cat`, in
# blocks (`read` takes a pipe one byte at a time).
cat /dev/fd/3 /dev/fd/4 /dev/fd/5 /dev/fd/6 /dev/fd/7 /dev/fd/8 /dev/fd/10
exec 3<&- 4<&- 5<&- 6<&- 7<&- 8<&- 10<&-
echo "@@end"
# Hold the lock until the client closes stdin (or the connection dies).
# Meanwhile the client may send `history LINE`: a deploy that changed
# nothing records itself through this channel instead of opening another;
# and `create` (CREATE_LATER): the missing app dir, once the client checked.
if [ "$want_lock" = 1 ]; then
  while IFS= read -r line; do
    case $line in
      create)
        if [ "$own" != missing ]; then echo "@@owner $own"
        elif [ "$create" = 1 ] && create_app_dir; then own=created; echo "@@owner created"
        else echo "@@error cannot create $appdir"; fi ;;
      "history "*) if printf '%s\n' "${line#history }" >> "$history"; then echo "@@history-appended"; else echo "@@error cannot append to $history"; fi ;;
    esac
  done
fi
