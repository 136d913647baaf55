#!/bin/sh
# Runs every fuzz target in FUZZDIR/fuzzers/ for SECONDS each, two at a time (one per core),
# each on a working copy of its seed corpus (tests/fuzz/corpus/NAME/ stays as committed):
#   sh tools/fuzz.sh FUZZDIR SECONDS [tap]
# Prints one line per target; with "tap", TAP lines ("ok N - fuzz NAME ...") for run_tests.sh.
# A crash leaves its input in FUZZDIR/crashes/ and the fuzzer's report in FUZZDIR/logs/NAME.log;
# turn it into a regression test in tests/c/ and add the input to the seed corpus.
set -u
dir=$1
secs=$2
mode=${3:-plain}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir/crashes" "$dir/logs" "$dir/work"
targets=$(ls "$dir"/fuzzers/fuzz_* 2>/dev/null | grep -v '\.d$' || true)
if [ -z "$targets" ]; then
    echo "fuzz: no targets in $dir/fuzzers (make fuzz-build)" >&2
    exit 1
fi

# one NAME: runs one target, records its exit status in logs/NAME.rc
one() {
    name=$(basename "$1")
    seeds="$here/tests/fuzz/corpus/${name#fuzz_}"
    work="$dir/work/${name#fuzz_}"
    mkdir -p "$work"
    [ -d "$seeds" ] || seeds=""
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$1" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$dir/crashes/$name-" "$work" $seeds > "$dir/logs/$name.log" 2>&1
    echo $? > "$dir/logs/$name.rc"
}

# two at a time
set -- $targets
while [ $# -gt 0 ]; do
    one "$1" & a=$!
    b=
    if [ $# -gt 1 ]; then one "$2" & b=$!; fi
    wait $a; [ -n "$b" ] && wait $b
    shift; [ $# -gt 0 ] && shift
done

n=0
bad=0
for t in $targets; do
    name=$(basename "$t")
    n=$((n + 1))
    rc=$(cat "$dir/logs/$name.rc")
    runs=$(grep -a 'stat::number_of_executed_units' "$dir/logs/$name.log" | awk '{print $2}')
    if [ "$rc" = 0 ]; then
        res="ok"
    else
        res="not ok"; bad=$((bad + 1))
    fi
    if [ "$mode" = tap ]; then
        echo "$res $n - fuzz $name: ${runs:-0} inputs in ${secs}s"
    else
        echo "fuzz $name: $res, ${runs:-0} inputs in ${secs}s (log: $dir/logs/$name.log)"
    fi
    if [ "$rc" != 0 ]; then
        grep -a -m1 -B2 -A25 'ERROR\|runtime error\|deadly signal' "$dir/logs/$name.log" | head -40 | sed 's/^/# /'
    fi
done
[ "$mode" = tap ] && echo "1..$n"
[ "$bad" = 0 ]
