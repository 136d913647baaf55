#!/bin/sh
# Instructions per document (callgrind: repeatable on a noisy machine, unlike time) of
# hotpath and lua-cjson decoding and encoding the 2.4 KB bench document, under Lua 5.4 and
# LuaJIT: each figure is (run of 1 + N documents - run of 1) / N, so start-up cancels.
#   tools/json_instr.sh [N=1000]      (from the source tree, after make)
set -eu
cd "$(dirname "$0")/.."
n=${1:-1000}
export LUA_PATH="lua/?.lua;lua/?/init.lua;build/lua/?.lua;;"
count() {   # runtime cpath lib op docs -> instructions
    LUA_CPATH="$2" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        "$1" tools/json_one.lua "$3" "$4" "$5" 2>&1 | sed -n 's/.*I *refs: *//p' | tr -d ,
}
for rt in lua5.4 luajit; do
    cpath="build/lua54/?.so;;"
    [ "$rt" = luajit ] && cpath="build/luajit/?.so;;"
    for op in decode encode; do
        line="$rt $op:"
        for lib in hotpath cjson; do
            base=$(count "$rt" "$cpath" "$lib" "$op" 1)
            full=$(count "$rt" "$cpath" "$lib" "$op" $((n + 1)))
            per=$(( (full - base) / n ))
            eval "per_$lib=$per"
            line="$line $lib $per"
        done
        echo "$line instructions/document; cjson/hotpath $(awk "BEGIN{printf \"%.2f\", $per_cjson/$per_hotpath}")x"
    done
done
