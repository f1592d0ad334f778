#!/usr/bin/env bash
# baseline.sh: deploy the binary example the way tools that open one `ssh` per
# step do (fujin, capistrano-style): every step below is its own OpenSSH
# connection, no multiplexing (ControlMaster off), so the benchmark can put
# deployer's one-connection deploy next to it. The end result on the host is the
# same as `deployer deploy` of the binary example, in its own app dir:
#   <apps>/<app>/v<version>/{<artifact>,app_binary,.env}, current -> v<version>,
#   .env and app_binary links, <app>-web.service (enabled, running), a Caddy
#   site, and the release recorded in .versions.
#
#   baseline.sh SSH_CONFIG TARGET APP VERSION ARTIFACT PORT DOMAIN
#     SSH_CONFIG  OpenSSH client config with a Host entry for TARGET
#     TARGET      e.g. deploy@t-123-1 (a user with passwordless sudo)
#     PORT        the port the app listens on (PORT= in the unit)
#     DOMAIN      the Caddy site address, e.g. http://baseline.localhost
# Prints one "step <name> <seconds>" line per step on stderr.
set -Eeuo pipefail

[ $# -eq 7 ] || { sed -n '2,16p' "$0" >&2; exit 2; }
CFG=$1 TARGET=$2 APP=$3 VERSION=$4 ARTIFACT=$5 PORT=$6 DOMAIN=$7
APPDIR=/srv/deployer/$APP
REL=$APPDIR/v$VERSION
NAME=$(basename -- "$ARTIFACT")
UNIT=$APP-web.service
SHA=$(sha256sum -- "$ARTIFACT" | cut -d' ' -f1)
SSH_OPTS=(-F "$CFG" -o ControlMaster=no -o ControlPath=none)

# One connection per call: the remote command travels as one quoted string.
# shellcheck disable=SC2029 # quoted here on purpose (printf %q), expanded by the remote shell
remote() { ssh "${SSH_OPTS[@]}" "$TARGET" "$(printf '%q ' "$@")"; }
# A multi-line step: the script goes to `bash -s` on stdin, never on the command line.
# shellcheck disable=SC2029 # as above
remote_script() { ssh "${SSH_OPTS[@]}" "$TARGET" "bash -s -- $(printf '%q ' "$@")"; }

step() {
  local name=$1 t0
  shift
  t0=$(date +%s.%N)
  "$@"
  awk -v n="$name" -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "step %s %.3f\n", n, b - a }' >&2
}

# shellcheck source=bench/texts.sh
. "$(dirname -- "$0")/texts.sh"

do_mkdir() { remote sudo -n install -d -o "${TARGET%%@*}" -g "${TARGET%%@*}" -- "$APPDIR" "$REL"; }
# Uploaded under a temporary name: a running binary cannot be overwritten in place.
do_upload() { scp "${SSH_OPTS[@]}" -q -- "$ARTIFACT" "$TARGET:$REL/.$NAME.incoming"; }
do_sha_check() {
  local got
  got=$(remote sha256sum -- "$REL/.$NAME.incoming" | cut -d' ' -f1)
  [ "$got" = "$SHA" ] || { echo "baseline: checksum mismatch: $got != $SHA" >&2; return 1; }
}
do_install() { remote_script "$REL" "$NAME" <<'EOF'
chmod 0755 -- "$1/.$2.incoming" && mv -fT -- "$1/.$2.incoming" "$1/$2" && ln -sfn -- "$2" "$1/app_binary"
EOF
}
do_write_env() { remote_script "$REL/.env" <<'EOF'
umask 077; cat > "$1"
EOF
}
do_write_unit() { unit_text | remote sudo -n tee "/etc/systemd/system/$UNIT" >/dev/null; }
do_daemon_reload() { remote sudo -n systemctl daemon-reload; }
do_write_site() { site_text | remote sudo -n tee "/etc/caddy/sites/$APP.caddy" >/dev/null; }
do_symlink() { remote_script "$APPDIR" "v$VERSION" <<'EOF'
set -e
ln -sfn -- "$2" "$1/current.tmp" && mv -fT -- "$1/current.tmp" "$1/current"
for n in .env app_binary; do ln -sfn -- "current/$n" "$1/$n.tmp" && mv -fT -- "$1/$n.tmp" "$1/$n"; done
EOF
}
do_restart() { remote_script "$UNIT" <<'EOF'
sudo -n systemctl enable --quiet -- "$1" && sudo -n systemctl restart -- "$1"
EOF
}
do_reload_caddy() { remote sudo -n systemctl reload caddy; }
do_check() { remote_script "$UNIT" "$PORT" <<'EOF'
# Up to 15 s: the unit active and GET /healthz answering 200.
for _ in $(seq 1 75); do
  if systemctl is-active --quiet -- "$1" &&
     (exec 3<>"/dev/tcp/127.0.0.1/$2" && printf 'GET /healthz HTTP/1.0\r\n\r\n' >&3 && head -n1 <&3) 2>/dev/null | grep -q ' 200 '; then
    exit 0
  fi
  sleep 0.2
done
echo "baseline: $1 is not healthy" >&2; exit 1
EOF
}
do_record() { remote_script "$APPDIR/.versions" "$VERSION" "${SHA:0:12}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" <<'EOF'
# Newest first, written whole (temp + rename), like deployer's .versions.
{
  printf '# version\tstatus\ttime\tsha256\tby\n%s\tgood\t%s\t%s\tbaseline\n' "$2" "$4" "$3"
  if [ -f "$1" ]; then awk -F'\t' -v v="$2" '$1 != v && $1 !~ /^#/' "$1"; fi
} > "$1.tmp" && mv -fT -- "$1.tmp" "$1"
EOF
}

step mkdir do_mkdir
step upload do_upload
step sha-check do_sha_check
step install do_install
step write-env do_write_env
step write-unit do_write_unit
step daemon-reload do_daemon_reload
step write-site do_write_site
step symlink do_symlink
step restart do_restart
step reload-caddy do_reload_caddy
step check do_check
step record do_record
