# shellcheck shell=bash
# A deploy's uploads (src/exec/upload-command.ts), on one channel: the files
# come on stdin right after this script, in the order of the arguments.
# Arguments: the number of dirs, the dirs (made with their parents), then per
# file PATH START COUNT MODE: keep the first START bytes of PATH (a partial
# file an interrupted upload left, its sha256 checked by the client), append
# the next COUNT bytes of stdin, set MODE (octal). The bytes are appended as
# they come, in order, so a cut upload leaves an exact prefix that the next
# deploy resumes; the prepare phase checks every sha256 (a file cut short
# fails there). `head -c` reads exactly COUNT bytes and leaves the next file's
# on stdin; the last file is read by cat, in large blocks, to the end of stdin.
set -u
umask 022
# Few processes: each costs the host more than its work here takes.
mkdir -p -- "${@:2:$1}" || exit 1
shift $(($1 + 1))
# Nobody else reads a file before its mode is set (a .env is 0600).
umask 077
while [ $# -ge 4 ]; do
  path=$1 start=$2 count=$3 mode=$4
  shift 4
  if [ "$start" = 0 ]; then
    : >"$path" || exit 1
  else
    truncate -s "$start" -- "$path" || exit 1
  fi
  if [ $# -eq 0 ]; then
    cat >>"$path" || exit 1
  else
    head -c "$count" >>"$path" || exit 1
  fi
  chmod "$mode" -- "$path" || exit 1
done
