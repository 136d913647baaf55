#!/bin/sh
# Builds the Go peers and checks every output against hotpath's (see check.lua):
#   bench/peers/go/check.sh [--full] [BUILD_DIR]     (after `make`; BUILD_DIR: build/peers/go)
set -eu
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
LUA_PATH="$root/lua/?.lua;$root/lua/?/init.lua;$root/build/lua/?.lua;;" \
LUA_CPATH="$root/build/lua54/?.so;;" \
    exec lua5.4 bench/peers/go/check.lua "$@"
