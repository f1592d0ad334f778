# shellcheck shell=bash
# `deployer server create-user NAME` (src/server/createUser.ts), after
# server-prelude.sh: a deploy user that logs in with the SSH user's keys and
# has passwordless sudo through its own file in /etc/sudoers.d/.
#
# Arguments: NAME SUDOERS_PATH SUDOERS_CONTENT
name=$1 sudoers=$2 content=$3
# Through as_root: visudo and useradd live in /usr/sbin, off a normal user's PATH.
as_root visudo -V >/dev/null 2>&1 || fail "visudo is missing: install sudo first (deployer server bootstrap does)"

# --- the user (password "*": none, but not locked, so key logins pass PAM)
if id -u -- "$name" >/dev/null 2>&1; then ok "user $name exists"; else
  if getent group -- "$name" >/dev/null; then grp=(-g "$name"); else grp=(--user-group); fi
  as_root useradd --create-home --shell /bin/bash "${grp[@]}" -- "$name" || fail "useradd $name failed"
  as_root usermod -p '*' -- "$name" || fail "usermod $name failed"
  changed "created user $name"
fi
home=$(getent passwd -- "$name" | cut -d: -f6) group=$(id -gn -- "$name")
{ [ -n "$home" ] && [ "$home" != / ]; } || fail "user $name has no home directory"
for d in "$home" "$home/.ssh"; do
  if as_root test -d "$d"; then continue; fi
  mode=755; [ "$d" = "$home" ] || mode=700
  as_root install -d -m "$mode" -o "$name" -g "$group" -- "$d" || fail "cannot create $d"
  changed "created $d"
done

# --- authorized_keys: every key the SSH user logs in with, added if missing
src="$HOME/.ssh/authorized_keys" dst="$home/.ssh/authorized_keys"
[ -s "$src" ] || fail "$src is missing or empty: there is no key to give $name"
tmp=$(mktemp) || fail "mktemp failed"
as_root cat -- "$dst" > "$tmp" 2>/dev/null || : > "$tmp"
added=0
while IFS= read -r line || [ -n "$line" ]; do
  case $line in ''|'#'*) continue ;; esac
  grep -qxF -- "$line" "$tmp" && continue
  if [ -s "$tmp" ] && [ -n "$(tail -c1 -- "$tmp")" ]; then echo >> "$tmp"; fi
  printf '%s\n' "$line" >> "$tmp"
  added=$((added + 1))
done < "$src"
if [ $added -gt 0 ]; then
  if ! { as_root install -m 600 -o "$name" -g "$group" -- "$tmp" "$dst.deployer-tmp" && as_root mv -fT -- "$dst.deployer-tmp" "$dst"; }; then
    rm -f -- "$tmp"; fail "cannot write $dst"
  fi
  changed "added $added key(s) of $(id -un) to $dst"
else ok "$dst has the keys of $(id -un)"; fi
rm -f -- "$tmp"

# --- sudoers: checked by visudo as a temp file (its dot keeps sudo from
# reading it meanwhile), renamed into place, then the whole config checked
tmp=$(mktemp) || fail "mktemp failed"
printf '%s' "$content" > "$tmp"
if as_root cmp -s -- "$tmp" "$sudoers"; then ok "$sudoers is in place"; else
  as_root install -m 440 -o root -g root -- "$tmp" "$sudoers.deployer-tmp" || { rm -f -- "$tmp"; fail "cannot write $sudoers.deployer-tmp"; }
  if ! as_root visudo -cqf "$sudoers.deployer-tmp" >&2; then
    as_root rm -f -- "$sudoers.deployer-tmp"; rm -f -- "$tmp"
    fail "visudo rejects the new $sudoers; nothing was changed"
  fi
  as_root mv -fT -- "$sudoers.deployer-tmp" "$sudoers" || fail "cannot replace $sudoers"
  if ! as_root visudo -cq >&2; then as_root rm -f -- "$sudoers"; rm -f -- "$tmp"; fail "visudo -c fails with $sudoers in place, so it was removed"; fi
  changed "wrote $sudoers (passwordless sudo for $name)"
fi
rm -f -- "$tmp"
echo "@@end"
