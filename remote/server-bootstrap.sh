# shellcheck shell=bash
# `deployer server bootstrap` (src/server/bootstrap.ts), after
# server-prelude.sh: makes a Debian/Ubuntu host ready for deploys, changing
# only what is missing.
#
# Arguments: APPS_DIR SITES_DIR CADDYFILE IMPORT_LINE IMPORT_RE SYSCTL_FILE SYSCTL_KEY SYSCTL_VALUE PROC_FILE PACKAGE...
appsdir=$1 sites=$2 caddyfile=$3 importline=$4 importre=$5 sysctlfile=$6 sysctlkey=$7 sysctlvalue=$8 procfile=$9
shift 9
pkgs=("$@")
user=$(id -un) group=$(id -gn) caddy_changed=0
{ command -v dpkg-query >/dev/null && command -v apt-get >/dev/null; } || fail "not a Debian or Ubuntu host (no dpkg-query or apt-get)"

# --- packages
missing=()
for p in "${pkgs[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' -- "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  ok "packages installed: ${pkgs[*]}"
else
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || fail "apt-get update failed (see above)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 || fail "apt-get install ${missing[*]} failed (see above)"
  changed "installed ${missing[*]}"
fi

# --- Caddy: the sites folder, the import line, the service
if [ -d "$sites" ]; then ok "$sites exists"; else
  as_root install -d -m 755 -- "$sites" || fail "cannot create $sites"
  changed "created $sites"
fi
if as_root grep -qE -- "$importre" "$caddyfile" 2>/dev/null; then ok "$caddyfile imports $sites"; else
  tmp=$(mktemp) || fail "mktemp failed"
  if as_root test -f "$caddyfile"; then as_root cat -- "$caddyfile" > "$tmp" || fail "cannot read $caddyfile"; fi
  if [ -s "$tmp" ] && [ -n "$(tail -c1 -- "$tmp")" ]; then echo >> "$tmp"; fi
  printf '%s\n%s\n' "# Added by deployer server bootstrap: one site file per app and stage." "$importline" >> "$tmp"
  # Beside the real file, so the Caddyfile's own relative imports resolve the same.
  as_root install -m 644 -- "$tmp" "$caddyfile.deployer-tmp" || fail "cannot write $caddyfile.deployer-tmp"
  rm -f -- "$tmp"
  if ! out=$(as_root caddy validate --adapter caddyfile --config "$caddyfile.deployer-tmp" 2>&1); then
    printf '%s\n' "$out" | grep -v '^{' | tail -n 15 >&2
    as_root rm -f -- "$caddyfile.deployer-tmp"
    fail "Caddy rejects $caddyfile with the import line added (see above); nothing was changed"
  fi
  as_root mv -fT -- "$caddyfile.deployer-tmp" "$caddyfile" || fail "cannot replace $caddyfile"
  changed "added '$importline' to $caddyfile"
  caddy_changed=1
fi
if systemctl is-enabled --quiet caddy 2>/dev/null; then ok "caddy enabled"; else
  as_root systemctl enable --quiet caddy || fail "systemctl enable caddy failed"
  changed "enabled caddy"
fi
if ! systemctl is-active --quiet caddy; then
  as_root systemctl start caddy || fail "caddy does not start: journalctl -u caddy says why"
  changed "started caddy"
elif [ $caddy_changed = 1 ]; then
  as_root systemctl reload caddy || fail "caddy reload failed: journalctl -u caddy says why"
  changed "reloaded caddy"
else ok "caddy running"; fi

# --- the kernel: a Caddy reload closes its old listener; with this setting the
# connections queued on it move to the new one instead of being reset
# (src/server/bootstrap.ts RELOAD_SYSCTL). Kept in a file of deployer's, for
# the next boot, and applied now.
sysctlline="$sysctlkey = $sysctlvalue"
if [ ! -e "$procfile" ]; then
  ok "this kernel has no $sysctlkey (Linux 5.14+): a request arriving as Caddy reloads may be reset"
else
  if as_root grep -qxF -- "$sysctlline" "$sysctlfile" 2>/dev/null; then ok "$sysctlfile sets $sysctlline"; else
    if as_root test -e "$sysctlfile"; then
      printf '%s\n' "$sysctlline" | as_root tee -a -- "$sysctlfile" >/dev/null || fail "cannot write $sysctlfile"
    else
      printf '%s\n' "# Written by deployer server bootstrap: Caddy's reloads hand the connections queued on" \
        "# the old listener to the new one instead of resetting them (Linux 5.14+)." "$sysctlline" |
        as_root tee -- "$sysctlfile" >/dev/null || fail "cannot write $sysctlfile"
    fi
    changed "wrote $sysctlline to $sysctlfile"
  fi
  IFS= read -r current < "$procfile" || current=""
  if [ "$current" = "$sysctlvalue" ]; then ok "$sysctlline"
  elif printf '%s\n' "$sysctlvalue" | as_root tee -- "$procfile" >/dev/null 2>&1; then changed "set $sysctlline"
  else
    ok "$sysctlkey cannot be set from inside this host (read-only /proc/sys: a container?): set it to $sysctlvalue for its network namespace from outside (docker run --sysctl $sysctlkey=$sysctlvalue), or a request arriving as Caddy reloads may be reset"
  fi
fi

# --- the apps directory: created (owned by the SSH user) only when missing.
# An existing one is never re-owned or re-moded: it may be /opt or
# /usr/local/share. Deploys create their app dirs in it (with sudo when the
# SSH user cannot write it), each carrying its identity record.
if [ ! -d "$appsdir" ]; then
  as_root install -d -m 755 -o "$user" -g "$group" -- "$appsdir" || fail "cannot create $appsdir"
  changed "created $appsdir (owned by $user)"
elif [ -w "$appsdir" ]; then ok "$appsdir exists and $user can write it"
else ok "$appsdir exists, owned by $(stat -c %U -- "$appsdir"), left as it is (deploys create their app dirs there with sudo)"; fi
echo "@@end"
