#!/bin/sh
# Runs every test of the project and prints one closing line "N passed, N failed":
#   - the C tests (ASan+UBSan build in $BUILD/asan/tests/), each a TAP program, and the
#     threaded ones again under ThreadSanitizer ($BUILD/tsan/tests/);
#   - every fuzz target ($BUILD/fuzz/fuzzers/) for FUZZ_SMOKE seconds (tools/fuzz.sh);
#   - the busted specs under Lua 5.4 and under LuaJIT, in TAP form.
# A test program that crashes or prints no plan counts as one failure.
set -u
BUILD=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
pass=0
fail=0

# count FILE LABEL: adds the TAP lines of FILE to the totals and shows the failures.
count() {
    p=$(grep -ac '^ok ' "$1")
    f=$(grep -ac '^not ok ' "$1")
    plan=$(grep -ac '^1\.\.[0-9]' "$1")
    if [ "$plan" = 0 ] || [ "$2" = crashed ]; then f=$((f + 1)); echo "not ok - $3 did not finish (see above)"; fi
    pass=$((pass + p))
    fail=$((fail + f))
    echo "$3: $p passed, $f failed"
    grep -a -A 12 '^not ok ' "$1" | head -80
}

# ctests DIR LABEL: runs every test program in DIR.
ctests() {
    for t in "$1"/test_*; do
        [ -x "$t" ] || continue
        name=$(basename "$t")
        state=ok
        "$t" > "$log/$name.$2.tap" 2> "$log/$name.$2.err" || state=crashed
        # a failing CHECK already shows as "not ok"; a crash or a sanitizer report does not
        [ "$state" = crashed ] && grep -aq '^not ok' "$log/$name.$2.tap" && state=ok
        [ "$state" = crashed ] && tail -30 "$log/$name.$2.err"
        count "$log/$name.$2.tap" "$state" "C ($2) $name"
    done
}

ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctests "$BUILD/asan/tests" asan
# the threaded parts again under ThreadSanitizer (make test builds test_pool, test_http_load)
TSAN_OPTIONS=halt_on_error=1:exitcode=66 ctests "$BUILD/tsan/tests" tsan

# every libFuzzer target for FUZZ_SMOKE seconds (make fuzz runs them longer)
if ls "$BUILD"/fuzz/fuzzers/fuzz_* > /dev/null 2>&1; then
    sh tools/fuzz.sh "$BUILD/fuzz" "${FUZZ_SMOKE:-40}" tap > "$log/fuzz.tap" 2>&1
    count "$log/fuzz.tap" ok "fuzz"
fi

export HOTPATH_BUILD="$here/$BUILD"
for rt in lua5.4 luajit; do
    busted --lua="$rt" -o TAP spec > "$log/$rt.tap" 2> "$log/$rt.err"
    state=ok
    grep -aq '^1\.\.' "$log/$rt.tap" || { state=crashed; tail -30 "$log/$rt.err"; tail -30 "$log/$rt.tap"; }
    count "$log/$rt.tap" "$state" "specs ($rt)"
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
