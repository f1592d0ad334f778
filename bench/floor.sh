#!/usr/bin/env bash
# floor.sh: the one-connection OpenSSH floor (issue 11's speed targets). One
# `ssh` streams the binary on stdin and runs the same nine steps as a deploy of
# the binary example, in one remote bash, with nothing deployer does on top
# (no lock, no probe, no ownership checks, no second slot, no revert):
#   1 mkdir the release    2 receive the binary, check its sha256
#   3 install it            4 write .env
#   5 the unit (daemon-reload only when it changed)
#   6 the Caddy site (reload only when it changed)
#   7 switch current        8 restart, then wait for GET /healthz = 200
#   9 record the release in .versions
# The end result is the app running from <apps>/<app>/current behind Caddy, as
# bench/baseline.sh leaves it.
#
#   floor.sh SSH_CONFIG TARGET APP VERSION ARTIFACT PORT DOMAIN
# (the arguments of baseline.sh). Prints "step <name> <seconds>" lines on stderr.
set -Eeuo pipefail

[ $# -eq 7 ] || { sed -n '2,15p' "$0" >&2; exit 2; }
CFG=$1 TARGET=$2 APP=$3 VERSION=$4 ARTIFACT=$5 PORT=$6 DOMAIN=$7
SIZE=$(wc -c < "$ARTIFACT" | tr -d ' ')
SHA=$(sha256sum -- "$ARTIFACT" | cut -d' ' -f1)
NAME=$(basename -- "$ARTIFACT")
# shellcheck source=bench/texts.sh
. "$(dirname -- "$0")/texts.sh"

# The remote side: everything after the binary's bytes on stdin is ignored.
# shellcheck disable=SC2016 # expanded by the remote bash
REMOTE='set -Eeuo pipefail
APP=$1 VERSION=$2 NAME=$3 SIZE=$4 SHA=$5 UNIT_TEXT=$6 SITE_TEXT=$7 PORT=$8 ME=$(id -un)
APPDIR=/srv/deployer/$APP REL=/srv/deployer/$APP/v$VERSION UNIT=$APP-web.service
SITE=/etc/caddy/sites/$APP.caddy
t0=$(date +%s%N)
step() { local t; t=$(date +%s%N); awk -v n="$1" -v a="$t0" -v b="$t" "BEGIN { printf \"step %s %.3f\\n\", n, (b - a) / 1e9 }" >&2; t0=$t; }
sudo -n install -d -o "$ME" -g "$ME" -- "$APPDIR" "$REL"; step mkdir
head -c "$SIZE" > "$REL/.$NAME.incoming"
[ "$(sha256sum -- "$REL/.$NAME.incoming" | cut -d" " -f1)" = "$SHA" ] || { echo "checksum mismatch" >&2; exit 1; }; step upload
chmod 0755 -- "$REL/.$NAME.incoming" && mv -fT -- "$REL/.$NAME.incoming" "$REL/$NAME" && ln -sfn -- "$NAME" "$REL/app_binary"; step install
(umask 077; printf "GREETING=hello\n" > "$REL/.env"); step write-env
if ! printf "%s" "$UNIT_TEXT" | cmp -s - "/etc/systemd/system/$UNIT"; then
  printf "%s" "$UNIT_TEXT" | sudo -n tee "/etc/systemd/system/$UNIT" > /dev/null
  sudo -n systemctl daemon-reload
  sudo -n systemctl enable --quiet -- "$UNIT"
fi; step unit
if ! printf "%s" "$SITE_TEXT" | cmp -s - "$SITE"; then
  printf "%s" "$SITE_TEXT" | sudo -n tee "$SITE" > /dev/null
  sudo -n systemctl reload caddy
fi; step site
ln -sfn -- "v$VERSION" "$APPDIR/current.tmp" && mv -fT -- "$APPDIR/current.tmp" "$APPDIR/current"
for n in .env app_binary; do ln -sfn -- "current/$n" "$APPDIR/$n.tmp" && mv -fT -- "$APPDIR/$n.tmp" "$APPDIR/$n"; done; step symlink
sudo -n systemctl restart -- "$UNIT"
for _ in $(seq 1 300); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT" && printf "GET /healthz HTTP/1.0\r\n\r\n" >&3 && head -n1 <&3) 2>/dev/null | grep -q " 200 "; then ok=1; break; fi
  sleep 0.05
done
[ -n "${ok:-}" ] || { echo "$UNIT is not healthy" >&2; exit 1; }; step restart-and-check
{
  printf "# version\tstatus\ttime\tsha256\tby\n%s\tgood\t%s\t%s\tfloor\n" "$VERSION" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${SHA:0:12}"
  if [ -f "$APPDIR/.versions" ]; then awk -F"\t" -v v="$VERSION" "\$1 != v && \$1 !~ /^#/" "$APPDIR/.versions"; fi
} > "$APPDIR/.versions.tmp" && mv -fT -- "$APPDIR/.versions.tmp" "$APPDIR/.versions"; step record
'

# One connection: the command line carries the script and its quoted arguments; stdin carries the binary.
# shellcheck disable=SC2029 # quoted here on purpose (printf %q), expanded by the remote shell
ssh -F "$CFG" -o ControlMaster=no -o ControlPath=none "$TARGET" \
  "bash -c $(printf '%q' "$REMOTE") floor $(printf '%q ' "$APP" "$VERSION" "$NAME" "$SIZE" "$SHA" \
    "$(unit_text)" "$(site_text)" "$PORT")" < "$ARTIFACT"
