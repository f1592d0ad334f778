# shellcheck shell=bash
# `deployer app cat env` (src/app/cat.ts): the file, or @@missing.
#
# Arguments: FILE
cat -- "$1" 2>/dev/null || echo "@@missing"
