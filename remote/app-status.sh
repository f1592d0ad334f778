# shellcheck shell=bash
# shellcheck disable=SC2154 # all: set by dp_read_instances (app-instances.sh, sent first)
# `deployer app status` (src/app/status.ts), after app-instances.sh. Prints
# `@@now EPOCH`, then `@@unit NAME BASE64` per unit, where BASE64 is its
# `systemctl show` properties plus `Since=EPOCH` (the host converts the
# timestamp: its `date` reads systemd's format and knows its own time zone).
#
# Arguments: APPDIR BASE...
set -u
dp_read_instances "$@"
echo "@@now $(date +%s)"
for unit in "${all[@]}"; do
  props=$(systemctl show -p ActiveState -p SubState -p ActiveEnterTimestamp -p MainPID -p NRestarts -- "$unit" 2>/dev/null)
  ts=$(printf '%s\n' "$props" | sed -n 's/^ActiveEnterTimestamp=//p')
  since=""; [ -n "$ts" ] && since=$(date -d "$ts" +%s 2>/dev/null)
  echo "@@unit $unit $(printf '%s\nSince=%s\n' "$props" "$since" | base64 -w0)"
done
echo "@@end"
