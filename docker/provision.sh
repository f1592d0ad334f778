#!/usr/bin/env bash
# provision.sh: turns a stock Debian 12 root filesystem (with PACKAGES installed)
# into a deployer target host: systemd, sshd with key auth, Caddy importing
# /etc/caddy/sites/*.caddy, python3-venv and a `deploy` user with sudo.
#
# One script, two callers, so the Docker image and the test hosts never drift:
#   - test/host/testhost.sh runs it with chroot inside the debootstrapped rootfs;
#   - docker/Dockerfile runs it as a RUN step (PROVISION_TARGET=docker).
# It always works on `/`. Per-host identity (machine-id, ssh host key,
# authorized_keys) is NOT made here: the image is shared by every host.
#
#   provision.sh              apply the customisation to /
#   provision.sh --packages   print the Debian packages the image needs (comma separated)
set -euo pipefail

PACKAGES="systemd,systemd-sysv,dbus,libpam-systemd,openssh-server,python3,python3-venv,caddy,sudo,ca-certificates"
if [ "${1:-}" = "--packages" ]; then
  echo "$PACKAGES"
  exit 0
fi

TARGET=${PROVISION_TARGET:-nspawn}   # nspawn | docker
DEPLOY_USER=deploy

# --- name resolution ---------------------------------------------------------
# Docker bind-mounts its own /etc/hosts, /etc/resolv.conf and /etc/hostname over
# these files, so writing them there is pointless (and would break DNS in the
# build). In an nspawn test host nothing else provides them.
if [ "$TARGET" != docker ]; then
  # minbase has no /etc/hosts: Caddy (Go) then resolved "localhost" via DNS and
  # its admin endpoint failed, leaving the host "degraded".
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > /etc/hosts
  # debootstrap copied the build machine's resolv.conf; test hosts have no
  # network, so they must not try the machine's resolver.
  echo "# deployer test host: no DNS on purpose" > /etc/resolv.conf
  echo deployer-target > /etc/hostname
fi

# --- sshd ----------------------------------------------------------------------
# No baked host keys: every host (or container) must get its own. The test
# harness writes one before boot; in Docker the unit below makes one at boot.
rm -f /etc/ssh/ssh_host_*
# Files in sshd_config.d are read before the main file, so these win.
cat > /etc/ssh/sshd_config.d/10-deployer.conf <<'EOF'
# deployer target: key auth only, one ed25519 host key made per host.
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
# The default 10:30:100 starts dropping unauthenticated connections at 10;
# tests open many at once on purpose.
MaxStartups 100:30:200
EOF
cat > /etc/systemd/system/ssh-hostkey.service <<'EOF'
[Unit]
Description=Generate the SSH host key on first boot
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key
Before=ssh.service

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key

[Install]
WantedBy=multi-user.target
EOF
mkdir -p /etc/systemd/system/multi-user.target.wants
ln -sfn /etc/systemd/system/ssh-hostkey.service \
  /etc/systemd/system/multi-user.target.wants/ssh-hostkey.service

# --- the deploy user ------------------------------------------------------------
# Password "*": no password, but not locked, so key logins work with UsePAM yes.
id "$DEPLOY_USER" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash --user-group "$DEPLOY_USER"
usermod -p '*' "$DEPLOY_USER"
echo "$DEPLOY_USER ALL=(ALL) NOPASSWD:ALL" > "/etc/sudoers.d/90-$DEPLOY_USER"
chmod 0440 "/etc/sudoers.d/90-$DEPLOY_USER"
install -d -m 700 /root/.ssh
install -d -m 700 -o "$DEPLOY_USER" -g "$DEPLOY_USER" "/home/$DEPLOY_USER/.ssh"

# --- units that make no sense on a throwaway host ---------------------------
# apt timers would try the network; fstrim/e2scrub are for real disks;
# firstboot would prompt on the console if /etc/machine-id were ever empty.
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
         fstrim.timer systemd-firstboot.service; do
  ln -sfn /dev/null "/etc/systemd/system/$u"
done

# --- Caddy ------------------------------------------------------------------------
# Debian's default Caddyfile serves a welcome page on :80; drop it so app sites
# (one file per app and stage in /etc/caddy/sites/) can own :80 and their domains.
install -d -m 755 /etc/caddy/sites
cat > /etc/caddy/Caddyfile <<'EOF'
# Managed by the deployer image: every site lives in its own file below.
import /etc/caddy/sites/*.caddy
EOF

# --- apt cache ----------------------------------------------------------------------
# Drop the downloaded .debs. The package lists and apt's *.bin caches stay, so
# `apt-get install` of an installed package works offline and no host rebuilds them.
rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb
apt-cache gencaches >/dev/null
# Start every host with an empty journal.
rm -rf /var/log/journal/*

echo "deployer target image ($TARGET)" > /etc/deployer-image
