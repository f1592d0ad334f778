# shellcheck shell=bash
# A deploy's uploads (src/exec/upload-command.ts), on one channel: the files
# come on stdin right after this script, in the order of the arguments.
# Arguments: the number of dirs, the dirs (made with their parents), then per
# file PATH START COUNT MODE: keep the first START bytes of PATH (a partial
# file an interrupted upload left, its sha256 checked by the client), append
# the next COUNT bytes of stdin, set MODE (octal). The bytes are appended as
# they come, in order, so a cut upload leaves an exact prefix that the next
# deploy resumes; the prepare phase checks every sha256. `head -c` reads
# exactly COUNT bytes and leaves the next file's on stdin; the last file is
# read by cat, in large blocks, to the end of stdin.
set -u
umask 022
dirs=$1
shift
while [ "$dirs" -gt 0 ]; do
  mkdir -p -- "$1" || exit 1
  shift
  dirs=$((dirs - 1))
done
# Nobody else reads a file before its mode is set (a .env is 0600).
umask 077
while [ $# -ge 4 ]; do
  path=$1 start=$2 count=$3 mode=$4
  shift 4
  truncate -s "$start" -- "$path" || exit 1
  if [ $# -eq 0 ]; then
    cat >>"$path" || exit 1
  else
    head -c "$count" >>"$path" || exit 1
  fi
  size=$(stat -c %s -- "$path") || exit 1
  if [ "$size" != "$((start + count))" ]; then
    echo "$path: $size bytes of $((start + count)) arrived" >&2
    exit 1
  fi
  chmod "$mode" -- "$path" || exit 1
done
