# shellcheck shell=bash
# Shared head of app-status.sh and app-control.sh (src/app/appScripts.ts): the
# current release's unit list, `.deployer/instances`, which lists exactly what
# the deploy started. Keeps the units whose name starts with one of the
# BASE... arguments (`<base>.` or `<base>@`); no BASE keeps them all.
#
# Sets: inst (the instances file), all, restart, start (unit names), and web:
# a blue-green web process's live instances, listed apart in `web-instances`
# (written when its switch committed), which `app restart` rolls one by one.
dp_read_instances() { # APPDIR BASE...
  local act unit keep b src isweb=0
  inst="$1/current/.deployer/instances"
  shift
  all=() restart=() start=() web=()
  [ -f "$inst" ] || return 0
  for src in "$inst" "${inst%/*}/web-instances"; do
    [ -f "$src" ] || continue
    while read -r act unit; do
      [ -n "$unit" ] || continue
      keep=$(( $# == 0 ))
      for b in "$@"; do case $unit in "$b".*|"$b"@*) keep=1 ;; esac; done
      [ $keep = 1 ] || continue
      all+=("$unit")
      if [ $isweb = 1 ]; then web+=("$unit")
      elif [ "$act" = start ]; then start+=("$unit")
      else restart+=("$unit"); fi
    done <"$src"
    isweb=1
  done
}
