#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root) to run deployer's demo and tests:
# the system packages, the npm dependencies, the compiled CLI and the cached
# test-host image. Idempotent: quick when everything is already there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DEBIAN_FRONTEND=noninteractive

[ "$(id -u)" = 0 ] || { echo "setup: run as root (test hosts are systemd-nspawn containers)" >&2; exit 1; }
command -v node >/dev/null || { echo "setup: Node >= 20.12 is needed" >&2; exit 1; }
# shellcheck disable=SC2016 # JavaScript, not shell
node -e 'const [a, b] = process.versions.node.split(".").map(Number); if (a < 20 || (a === 20 && b < 12)) { console.error(`setup: need Node >= 20.12, have ${process.version}`); process.exit(1); }'

need=()
for p in debootstrap systemd-container openssh-client curl iproute2 util-linux bash zsh fish tmux gcc libc6-dev shellcheck strace python3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  apt-get update -o DPkg::Lock::Timeout=300
  # --no-install-recommends: systemd-container would otherwise pull
  # libnss-mymachines, which rewrites /etc/nsswitch.conf. zsh, fish and tmux
  # are for the completion tests; gcc builds the binary example; shellcheck
  # checks every .sh in the tree (test/unit/shellcheck.test.ts); strace counts
  # the reads of a remote script (test/unit/bash-reading.test.ts); python3
  # builds the example wheels and test/fixtures/real-apps' wheels.
  apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 "${need[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
bash test/host/testhost.sh build >/dev/null
# npm test also runs some e2e files on Debian 13 (test/run.mjs, TRIXIE_E2E).
TESTHOST_SUITE=trixie bash test/host/testhost.sh build >/dev/null
# test/e2e/real-apps.test.ts deploys real third-party software (Django,
# gunicorn, uvicorn, busybox) made offline from Debian's packages; cached in
# /var/tmp, keyed by their versions.
bash test/fixtures/real-apps/fetch.sh >/dev/null
echo "setup: ready"
