#!/usr/bin/env bash
# A consistent snapshot of an app's data dir (DEPLOYER_DATA_DIR) as a
# deployer backup archive: tar + gzip whose first member is manifest.json
# (app, stage, host, live release, time, sha256 of every file), then data/.
# Runs as root: `deployer app backup` sends it on stdin (src/app/backupScripts.ts)
# and streams the archive from stdout; the scheduled backup unit
# (templates/backup.service.hbs) runs the copy a deploy put in the release,
# `<release>/.deployer/backup.sh`, which writes into BACKUPS_DIR and keeps the
# newest KEEP archives.
#
# The copy is made first, into a staging dir beside the data dir, as the data
# dir's owner: SQLite databases (files starting "SQLite format 3\0") through
# SQLite's online backup API (python3's sqlite3 Connection.backup: a live
# database is copied consistently, its -wal/-shm/-journal are left out), other
# files as they are. Running as the owner means SQLite never creates a -wal
# or -shm file the app could not open afterwards.
#
# Usage: app-backup.sh stream APPDIR DATADIR APP STAGE HOST
#        app-backup.sh file   APPDIR DATADIR APP STAGE HOST BACKUPS_DIR KEEP STEM
#   STAGE '' or '-' when the app has no stages; STEM: the archives' names up to the
#   time, <app>[-<stage>]-<host> (src/app/backupArchive.ts, backupFileStem). Progress for `stream`: the first line
#   of stderr is `@@backup-size BYTES` (the snapshot's size before gzip).
set -euo pipefail
mode=$1 appdir=$2 datadir=$3 app=$4 stage=${5#-} host=$6
fail() { echo "@@error $*" >&2; exit 1; }
[ -d "$datadir" ] || fail "$datadir does not exist: is the app deployed on this host?"
command -v python3 >/dev/null || fail "python3 is not installed on this host (the backup copies SQLite databases with it)"
owner=$(stat -c %U "$datadir")
release=$(readlink "$appdir/current" 2>/dev/null || true)
release=${release##*/}
release=${release#v}

stage_dir=$(mktemp -d "$appdir/.backup.XXXXXX")
trap 'rm -rf -- "$stage_dir"' EXIT
chown "$owner" "$stage_dir"
chmod 700 "$stage_dir"

runuser -u "$owner" -- python3 - "$datadir" "$stage_dir" "$app" "$stage" "$host" "$release" <<'PY'
import hashlib, json, os, sqlite3, stat, sys, time
src, out, app, stage, host, release = sys.argv[1:7]
dst = os.path.join(out, "data")
SQLITE = b"SQLite format 3\x00"

def header(p):
    try:
        with open(p, "rb") as f:
            return f.read(16)
    except OSError:
        return b""

def sha256(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

entries, dbs = [], set()
walk = []
for root, dirs, names in os.walk(src):
    dirs.sort()
    for n in sorted(dirs + names):
        walk.append(os.path.join(root, n))
for p in walk:
    if os.path.isfile(p) and not os.path.islink(p) and header(p) == SQLITE:
        dbs.add(p)
skip = {d + s for d in dbs for s in ("-wal", "-shm", "-journal")}
os.mkdir(dst, stat.S_IMODE(os.stat(src).st_mode))
total = 0
for p in walk:
    if p in skip:
        continue
    rel = os.path.relpath(p, src)
    target = os.path.join(dst, rel)
    st = os.lstat(p)
    mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        link = os.readlink(p)
        os.symlink(link, target)
        entries.append({"path": rel, "type": "symlink", "target": link})
    elif stat.S_ISDIR(st.st_mode):
        os.mkdir(target, mode)
        entries.append({"path": rel, "type": "dir", "mode": mode})
    elif stat.S_ISREG(st.st_mode):
        if p in dbs:
            # One step (pages=-1): a writer cannot restart a copy made in one go.
            live = sqlite3.connect(p, timeout=60)
            copy = sqlite3.connect(target)
            with copy:
                live.backup(copy, pages=-1)
            copy.close()
            live.close()
            os.chmod(target, mode)
        else:
            with open(p, "rb") as f, open(target, "wb") as g:
                for block in iter(lambda: f.read(1 << 20), b""):
                    g.write(block)
            os.chmod(target, mode)
        size = os.path.getsize(target)
        total += size
        entries.append({"path": rel, "type": "file", "mode": mode, "size": size, "sha256": sha256(target), "sqlite": p in dbs})
    else:
        print("deployer backup: skipped %s (not a file, directory or symlink)" % rel, file=sys.stderr)
manifest = {
    "format": "deployer-backup",
    "formatVersion": 1,
    "app": app,
    "stage": stage or None,
    "host": host,
    "release": release or None,
    "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "bytes": total,
    "files": entries,
}
with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1)
    f.write("\n")
print(total, file=open(os.path.join(out, "size"), "w"))
PY

# The manifest first, then the data; owners left out (a restore gives the
# files to the data dir's owner on its host).
archive() { tar -C "$stage_dir" --numeric-owner --owner=0 --group=0 -cf - manifest.json data | gzip -6; }

case $mode in
  stream)
    echo "@@backup-size $(cat "$stage_dir/size")" >&2
    archive
    ;;
  file)
    dir=$7 keep=$8 stem=$9
    mkdir -p -- "$dir"
    chmod 700 -- "$dir"
    name="$stem-$(date -u +%Y%m%dT%H%M%SZ).tar.gz"
    archive >"$dir/.$name.partial"
    mv -f -- "$dir/.$name.partial" "$dir/$name"
    echo "deployer backup: wrote $dir/$name ($(stat -c %s "$dir/$name") bytes)"
    # Names sort by time (the stamp is UTC, fixed width): keep the newest KEEP.
    # Only this stem's names exactly (host h1 must not prune host h1-2's).
    all=()
    while IFS= read -r f; do
      if [[ ${f#"$stem"-} =~ ^[0-9]{8}T[0-9]{6}Z\.tar\.gz$ ]]; then all+=("$f"); fi
    done < <(find "$dir" -maxdepth 1 -type f -name "$stem-*.tar.gz" -printf '%f\n' | LC_ALL=C sort)
    n=$(( ${#all[@]} - keep ))
    for (( i = 0; i < n; i++ )); do
      rm -f -- "${dir:?}/${all[$i]}"
      echo "deployer backup: removed ${all[$i]} (keep = $keep)"
    done
    ;;
  *) fail "unknown mode $mode" ;;
esac
