#!/bin/sh
# Builds the Go peers offline with Debian's go (1.19) in GOPATH mode, as the peers' contract (issue 16) says:
#   bench/peers/go/build.sh OUTDIR [NAME...]
# Binaries go to OUTDIR/bin/NAME, the build cache to OUTDIR/gocache (a second build is fast).
# Without NAMEs every program folder here is built. Libraries may only come from Debian's
# golang-*-dev packages (GOPATH=/usr/share/gocode); nothing is downloaded (GOPROXY=off).
set -eu
if [ $# -lt 1 ]; then
    echo "usage: $0 OUTDIR [NAME...]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
out=$1
shift
mkdir -p "$out/bin" "$out/gocache"
out=$(cd "$out" && pwd)
if [ $# -eq 0 ]; then
    set --
    for d in "$here"/*/; do
        [ -f "$d/main.go" ] && set -- "$@" "$(basename "$d")"
    done
fi
GO=${GO:-go}
for name in "$@"; do
    if [ ! -f "$here/$name/main.go" ]; then
        echo "$0: no Go peer named '$name' in $here" >&2
        exit 2
    fi
    (cd "$here/$name" && env GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS= \
        GOENV=off GOCACHE="$out/gocache" "$GO" build -o "$out/bin/$name" .)
done
