# shellcheck shell=bash
# `deployer app exec` / `app shell` (src/app/scripts.ts): passed whole as the
# script of `bash -c`, with the app dir and the user's argv as its positional
# parameters (never re-parsed by a shell). .appenv exports the env and PATH
# (venv or binary dir), then the command runs in the current release, with
# DEPLOYER_DATA_DIR (the app's data dir, as in its units).
#
# Arguments ($0 is "deployer-app"): APPDIR COMMAND [ARG...]
[ -r "$1/.appenv" ] || { echo "deployer: cannot read $1/.appenv as $(id -un): is the app deployed, and readable by this user?" >&2; exit 127; }
set -a
# shellcheck disable=SC1091 # the app's env file, written by the deploy
. "$1/.appenv"
set +a
export DEPLOYER_DATA_DIR="$1/data"
cd "$1/current" || exit 127
shift
exec "$@"
