#!/bin/sh
# Installs the Debian packages in tools/deps.txt that are not installed yet.
# As root it runs apt-get; otherwise it prints the exact command and fails, so that
# `make test` never half-runs on a machine that lacks something.
set -eu
here=$(dirname "$0")
want=$(grep -v '^#' "$here/deps.txt" | grep -v '^ *$')
missing=""
for p in $want; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
    echo "hotpath: missing Debian packages:$missing" >&2
    echo "hotpath: run as root:  apt-get update && $cmd" >&2
    exit 1
fi
echo "hotpath: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A bare machine has no package lists yet; refresh them once if the install cannot find one.
apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 || {
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends $missing
}
