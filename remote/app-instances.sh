# shellcheck shell=bash
# Shared head of app-status.sh and app-control.sh (src/app/scripts.ts): the
# current release's unit list, `.deployer/instances`, which lists exactly what
# the deploy started. Keeps the units whose name starts with one of the
# BASE... arguments (`<base>.` or `<base>@`); no BASE keeps them all.
#
# Sets: inst (the instances file), all, restart, start (unit names).
dp_read_instances() { # APPDIR BASE...
  local act unit keep b
  inst="$1/current/.deployer/instances"
  shift
  all=() restart=() start=()
  [ -f "$inst" ] || return 0
  while read -r act unit; do
    [ -n "$unit" ] || continue
    keep=$(( $# == 0 ))
    for b in "$@"; do case $unit in "$b".*|"$b"@*) keep=1 ;; esac; done
    [ $keep = 1 ] || continue
    all+=("$unit")
    if [ "$act" = start ]; then start+=("$unit"); else restart+=("$unit"); fi
  done < "$inst"
}
