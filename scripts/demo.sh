#!/usr/bin/env bash
# The main job, end to end on this machine: boot a throwaway Debian host
# (systemd, sshd, Caddy, python3-venv) in a container, deploy the example
# wheel app into it with `deployer deploy`, fetch it through Caddy, deploy a
# second version, roll back, and tear the host down (--keep leaves it up).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
testhost="$repo/test/host/testhost.sh"
keep=0
[ "${1:-}" = --keep ] && keep=1

name=demo
ssh_port=${DEMO_SSH_PORT:-24222}
http_port=${DEMO_HTTP_PORT:-24280}
cli="node $PWD/dist/cli/cli.js"

[ -f dist/cli/cli.js ] || npm run build --silent
bash test/host/testhost.sh down "$name" >/dev/null 2>&1 || true
info=$(bash test/host/testhost.sh up "$name" "$ssh_port" "$http_port:80")
key=$(node -e 'console.log(JSON.parse(process.argv[1]).keyPath)' "$info")
known=$(node -e 'console.log(JSON.parse(process.argv[1]).knownHostsPath)' "$info")
if [ $keep = 0 ]; then
  # Also when interrupted or when its output pipe closes: leave no host behind.
  trap 'bash "$testhost" down "$name" >/dev/null 2>&1 || true' EXIT
  trap 'exit 130' INT TERM HUP PIPE
fi

work=$(mktemp -d)
cp -r examples/python-app/. "$work/"
rm -rf "$work/dist"
# The example's config, with an env (one value from a secret) and its host
# pointed at the demo host.
cat > "$work/deployer.toml" <<TOML
env = """
GREETING=hello from the demo
API_TOKEN=\$DEMO_TOKEN
"""
TOML
sed '/^\[\[hosts\]\]/,$d' examples/python-app/deployer.toml >> "$work/deployer.toml"
cat >> "$work/deployer.toml" <<TOML

[[hosts]]
name = "demo"
address = "127.0.0.1"
port = $ssh_port
user = "deploy"
key_file = "$key"
known_hosts = "$known"
TOML

cd "$work"
export DEMO_TOKEN=demo-secret-never-printed
echo "== deployer deploy (1.0.0)"
$cli deploy --timings
echo "== curl through Caddy: $(curl -fsS -H 'Host: hello.localhost' "http://127.0.0.1:$http_port/")"
sed -i 's/^version = .*/version = "1.1.0"/' pyproject.toml
echo "== deployer deploy (1.1.0)"
$cli deploy --timings
echo "== curl through Caddy: $(curl -fsS -H 'Host: hello.localhost' "http://127.0.0.1:$http_port/")"
echo "== deployer rollback"
$cli rollback
echo "== curl through Caddy: $(curl -fsS -H 'Host: hello.localhost' "http://127.0.0.1:$http_port/")"
echo "== deployer history"
$cli history
if [ $keep = 1 ]; then
  echo "The host is still up: ssh -F $(dirname "$key")/ssh_config deploy@$name ; project in $work"
  echo "Tear it down with: bash $testhost down $name"
fi
