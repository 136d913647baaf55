#!/bin/sh
# Instructions a unit (callgrind, all threads: repeatable on a noisy machine, unlike time) of
# pool:map on each tree given (a source tree after make: lua/ and build/), under Lua 5.4 and
# LuaJIT: each figure is (run of 2N - run of N) / (N x units), so start-up and the first
# batch (JIT compilation) cancel. Units: an element of a 100,000-element array batch (ints,
# strings; results read back), a batch of one noop task (one), a batch of two Lua-function
# tasks (lua). See tools/pool_one.lua.
#   tools/pool_instr.sh <tree> [<tree> ...]
set -eu
cd "$(dirname "$0")/.."
count() {   # runtime tree what n -> instructions
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        "$1" tools/pool_one.lua "$2" "$3" "$4" 2>&1 | sed -n 's/.*Collected *: *//p'
}
for rt in lua5.4 luajit; do
    for what in ints strings one lua; do
        case $what in ints|strings) n=2; units=100000 ;; one) n=2000; units=1 ;; *) n=200; units=1 ;; esac
        line="$rt $what:"
        for tree in "$@"; do
            a=$(count "$rt" "$tree" "$what" "$n")
            b=$(count "$rt" "$tree" "$what" $((2 * n)))
            line="$line $tree $(( (b - a) / (n * units) ))"
        done
        echo "$line instructions a unit"
    done
done
