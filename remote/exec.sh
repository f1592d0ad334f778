#!/usr/bin/env bash
# Runs CMD [ARG...] as it is (`deployer server exec`), after telling the
# client its process group on the first line of stderr, so Ctrl-C can stop it
# (see remote/stop.sh: sshd does not act on the SSH "signal" request).
#
# Usage: exec.sh CMD [ARG...]
read -r _ _ _ _ pgid _ </proc/$$/stat
printf '@@deployer-pgid %s\n' "$pgid" >&2
exec "$@"
