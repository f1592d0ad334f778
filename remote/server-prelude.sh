# shellcheck shell=bash
# Shared head of the `deployer server …` scripts (src/server/): how to run as
# root, and the markers the runner reads (@@changed what / @@ok what /
# @@fail why / @@end). Each check looks first and acts only when something
# differs, so a second run prints only @@ok lines: that is how "no change" is
# known, not guessed. The client sends this file, then the script, on stdin.
set -u
export LC_ALL=C.UTF-8
changed() { echo "@@changed $*"; }
ok() { echo "@@ok $*"; }
fail() { echo "@@fail $*"; exit 1; }
# A fresh VPS is often reached as root, with no sudo installed yet.
if [ "$(id -u)" = 0 ]; then as_root() { "$@"; }; else as_root() { sudo -n "$@"; }; fi
[ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null || fail "$(id -un) is neither root nor allowed passwordless sudo; connect as root, or give it sudo"
