#!/usr/bin/env bash
# Stops a command started by exec.sh or app-env.sh (Ctrl-C on `app exec`,
# `server exec`): sends SIGNAL to its process group (the command and what it
# started; sshd makes one per session). A group already gone is not an error.
#
# Usage: stop.sh PGID SIGNAL      (SIGNAL: INT, TERM or KILL)
set -u
pgid=$1 sig=$2
# Never 0 or 1: `kill -- -1` would signal every process the user may signal.
case $pgid in '' | *[!0-9]* | 0 | 1) echo "stop.sh: bad process group: $pgid" >&2; exit 2 ;; esac
case $sig in INT | TERM | KILL) ;; *) echo "stop.sh: bad signal: $sig" >&2; exit 2 ;; esac
kill -s "$sig" -- "-$pgid" 2>/dev/null || true
