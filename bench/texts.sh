# shellcheck shell=bash
# The unit and Caddy site that bench/baseline.sh and bench/floor.sh install:
# the same app, the same files, whichever way they reach the host.
# Reads APP, TARGET (user@host), PORT and DOMAIN.

unit_text() {
  local appdir=/srv/deployer/$APP
  cat <<UNIT
# baseline deploy of $APP
[Unit]
Description=$APP web
After=network.target

[Service]
Type=simple
User=${TARGET%%@*}
WorkingDirectory=$appdir/current
EnvironmentFile=$appdir/.env
Environment=PORT=$PORT
ExecStart=$appdir/app_binary
Restart=always
RestartSec=1s
TimeoutStopSec=20s
SyslogIdentifier=$APP-web

[Install]
WantedBy=multi-user.target
UNIT
}

site_text() {
  printf '%s {\n\tencode gzip\n\treverse_proxy 127.0.0.1:%s {\n\t\tlb_try_duration 5s\n\t}\n}\n' "$DOMAIN" "$PORT"
}
