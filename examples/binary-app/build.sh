#!/bin/sh
# Builds dist/hello-bin with the version from deployer.toml compiled in, so
# the version has one source of truth (deployer reads the same line).
# Static when the C library allows it (runs on any Linux host), else dynamic.
set -eu
cd "$(dirname "$0")"
VERSION=$(sed -n 's/^version[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' deployer.toml)
[ -n "$VERSION" ] || { echo "build.sh: no version = \"…\" line in deployer.toml" >&2; exit 1; }
CC=${CC:-cc}
mkdir -p dist
tmp=dist/.hello-bin.tmp
if ! "$CC" -O2 -Wall -pthread -static -DVERSION="\"$VERSION\"" -o "$tmp" hello.c 2>/dev/null; then
  echo "build.sh: static link failed, building a dynamic binary" >&2
  "$CC" -O2 -Wall -pthread -DVERSION="\"$VERSION\"" -o "$tmp" hello.c
fi
mv -f "$tmp" dist/hello-bin
echo "dist/hello-bin $VERSION"
