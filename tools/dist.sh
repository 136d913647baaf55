#!/bin/sh
# make dist: writes OUT/hotpath-VERSION.tar.gz, the source of hotpath-VERSION-1.rockspec, and
# checks that the rockspec agrees with the core's version (hp_version) and names that tarball.
#   sh tools/dist.sh VERSION OUT
# The rockspec names the tarball by a relative path (build/dist/...): `luarocks install
# hotpath-VERSION-1.rockspec` and `luarocks build` resolve it from this folder. `luarocks pack`
# fetches in a temporary folder, where a relative path does not resolve, so OUT also gets a
# copy of the rockspec whose source.url is the tarball's absolute file:// URL, for `make rock`.
# The files: in a git checkout, the ones git tracks or would add (tracked, and new files that
# .gitignore does not exclude), as they are in the working tree; elsewhere (an unpacked
# tarball) every file but build output. All below one folder hotpath-VERSION/.
set -eu
version=${1:-}
out=${2:-build/dist}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
[ -n "$version" ] || { echo "make dist: no version: csrc/common/common.c has no hp_version returning a string" >&2; exit 1; }
spec=hotpath-$version-1.rockspec
url="build/dist/hotpath-$version.tar.gz"
[ -f "$spec" ] || { echo "make dist: $spec is missing (hp_version says $version): copy the previous versioned rockspec to it" >&2; exit 1; }
grep -q "^version = \"$version-1\"$" "$spec" || { echo "make dist: $spec does not say version = \"$version-1\"" >&2; exit 1; }
grep -q "url = \"$url\"" "$spec" || { echo "make dist: $spec's source.url is not \"$url\"" >&2; exit 1; }
mkdir -p "$out"
list=$(mktemp)
body=$(mktemp)
trap 'rm -f "$list" "$body"' EXIT
# the rest is the scm rockspec's (the build is described once: a change there must reach here)
body() { awk '/^--/ { next } /^version = / { next } /^source = .*}$/ { next } /^source = / { skip = 1 } skip { if (/^}/) skip = 0; next } { print }' "$1"; }
body "$spec" > "$body"
if ! body hotpath-scm-1.rockspec | cmp -s - "$body"; then
    echo "make dist: $spec differs from hotpath-scm-1.rockspec in more than version and source:" >&2
    body hotpath-scm-1.rockspec | diff - "$body" >&2
    exit 1
fi
if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
    # a tracked file deleted in the working tree is not part of it
    git ls-files -z --cached --others --exclude-standard |
        xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\0" "$f"; done' sh | sort -z > "$list"
else
    find . \( -path ./build -o -path ./.git -o -path './lua_modules/*' \) -prune -o -type f ! -name '*.rock' -print0 |
        sed -z 's,^\./,,' | sort -z > "$list"
fi
tarball="$out/hotpath-$version.tar.gz"
tar --null -T "$list" --owner=0 --group=0 --numeric-owner \
    --transform "s,^,hotpath-$version/," -cf - | gzip -n > "$tarball.tmp"
mv "$tarball.tmp" "$tarball"
abs=$(cd "$out" && pwd)/hotpath-$version.tar.gz
sed "s|url = \"$url\"|url = \"file://$abs\"|" "$spec" > "$out/$spec"
echo "$tarball ($(tr -cd '\0' < "$list" | wc -c) files)"
