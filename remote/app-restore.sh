# shellcheck shell=bash
# shellcheck disable=SC2154 # all: set by dp_read_instances (app-instances.sh, sent first)
# `deployer app restore FILE` (src/app/restore.ts), after app-instances.sh
# and web.sh (dp_http_status); runs as root, with the app's lock held by the
# client. The archive follows the script on stdin: exactly SIZE bytes, whose
# sha256 must be SHA256 (the client checked the archive's manifest and every
# file's checksum before sending it). Until the units are stopped nothing on
# the host has changed: a short or different upload, or an archive tar cannot
# read, ends here with `@@error`.
#
# Then: stop the release's units, move the data dir aside, move the restored
# one in (both renames inside APPDIR), start the units, wait until they are
# active and the web instances answer their health check. Any failure after
# the stop puts the old data dir back and starts the units again; the old one
# is removed only once the app is up on the restored data.
#
# Arguments: APPDIR DATADIR SIZE SHA256 WAIT_SEC HC_PATH HC_STATUS HC_HOST HC_PORT WEB_BASE
#   HC_PATH '' : any HTTP answer counts; HC_HOST '' : 127.0.0.1:PORT;
#   HC_PORT: the port of a web unit not named by its port ('' : no check);
#   WEB_BASE: <app>-web, whose units get the health check.
set -u
appdir=$1 datadir=$2 size=$3 sum=$4 waitsec=$5 hcpath=$6 hcstatus=$7 hchost=$8 hcport=$9 webbase=${10}
fail() { echo "@@error $*"; exit 1; }
[ -d "$datadir" ] || fail "$datadir does not exist: is the app deployed on this host?"
owner=$(stat -c %U:%G "$datadir")
dirmode=$(stat -c %a "$datadir")

work=$(mktemp -d "$appdir/.restore.XXXXXX") || fail "cannot create a staging directory in $appdir"
old="$work/old"
phase=staging
cleanup() {
  if [ "$phase" = swapped ] || [ "$phase" = stopped ]; then rollback; fi
  rm -rf -- "$work"
}
trap cleanup EXIT
# A dropped connection must not stop a restore half way: it finishes, or puts the old data back.
trap '' HUP PIPE
trap 'exit 1' INT TERM

head -c "$size" >"$work/archive.tar.gz"
got=$(stat -c %s "$work/archive.tar.gz")
[ "$got" = "$size" ] || fail "the upload was cut short ($got of $size bytes); nothing on the host was changed"
read -r got _ < <(sha256sum "$work/archive.tar.gz")
[ "$got" = "$sum" ] || fail "the uploaded archive's sha256 is $got, not $sum as sent; nothing on the host was changed"
mkdir "$work/new"
tar -xzf "$work/archive.tar.gz" -C "$work/new" --no-same-owner --delay-directory-restore data 2>"$work/tar.err" ||
  fail "tar could not unpack the archive: $(head -c 400 "$work/tar.err"); nothing on the host was changed"
[ -d "$work/new/data" ] || fail "the archive has no data/ directory; nothing on the host was changed"
chown -hR "$owner" "$work/new/data"
chmod "$dirmode" "$work/new/data"

dp_read_instances "$appdir"
start_units() { [ ${#all[@]} -eq 0 ] || systemctl start -- "${all[@]}"; }
rollback() {
  echo "restore failed: putting the old data back" >&2
  [ ${#all[@]} -eq 0 ] || systemctl stop -- "${all[@]}"
  if [ -d "$old" ]; then
    rm -rf -- "$work/failed" && { [ ! -e "$datadir" ] || mv -- "$datadir" "$work/failed"; } && mv -- "$old" "$datadir"
  fi
  phase=rolled-back
  start_units || true
  echo "@@error ${reason:-the restore was interrupted}; the old data is back in $datadir"
}

web_ready() { # UNIT: active and answering the health check on its port
  local u=$1 port got='' deadline=$(( SECONDS + waitsec ))
  case $u in *@*) port=${u##*@}; port=${port%.service} ;; *) port=$hcport ;; esac
  while :; do
    if [ "$(systemctl show -p ActiveState --value -- "$u")" = active ]; then
      [[ $port =~ ^[0-9]+$ ]] || return 0
      got=$(dp_http_status "$port" "${hcpath:-/}" "${hchost:-127.0.0.1:$port}" 2)
      if { [ -n "$hcpath" ] && [ "$got" = "$hcstatus" ]; } || { [ -z "$hcpath" ] && [ "$got" != 000 ]; }; then return 0; fi
    fi
    [ $SECONDS -lt "$deadline" ] || break
    sleep 0.3
  done
  reason="$u is not healthy on the restored data (${port:+GET ${hcpath:-/} on port $port answered ${got/#000/nothing}, }state $(systemctl show -p ActiveState --value -- "$u"))"
  journalctl --no-pager -o cat -n 10 -u "$u" >&2 || true
  return 1
}

phase=stopped
if [ ${#all[@]} -gt 0 ]; then
  echo "@@step stop ${all[*]}"
  systemctl stop -- "${all[@]}" || { reason="systemctl stop failed"; exit 1; }
fi
mv -- "$datadir" "$old" || { reason="cannot move $datadir aside"; exit 1; }
phase=swapped
mv -- "$work/new/data" "$datadir" || { reason="cannot move the restored data into place"; exit 1; }
echo "@@step swap $datadir"
start_units || { reason="systemctl start failed"; exit 1; }
sleep 0.5
for u in "${all[@]}"; do
  case $u in
    "$webbase".service | "$webbase"@*.service) web_ready "$u" || exit 1 ;;
    *.service)
      deadline=$(( SECONDS + waitsec ))
      until [ "$(systemctl show -p ActiveState --value -- "$u")" = active ] || [ $SECONDS -ge $deadline ]; do sleep 0.3; done
      st=$(systemctl show -p ActiveState --value -- "$u")
      [ "$st" = active ] || { reason="$u is $st on the restored data"; exit 1; }
      ;;
  esac
done
phase=finished
echo "@@step start ${all[*]}"
rm -rf -- "$old"
