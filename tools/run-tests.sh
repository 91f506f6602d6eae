#!/bin/sh
# Run the float32 suites, the float64 suites, every lesson with --quick and, when given, each
# fuzz target for FUZZ_SECONDS (default 30) from the fixed seed FUZZ_SEED (default 1), so that a
# clean clone explores the same inputs in the same order each time (make fuzz draws a new seed);
# print the totals, after the failures once more.
# Usage: run-tests.sh F32_TESTS... -- F64_TESTS... -- LESSONS... [-- FUZZ_TARGETS...]
# Check prints "NN%: Checks: C, Failures: F, Errors: E" for each suite; we add them up.
# The suites run under `xvfb-run -a` when it exists, so the window test has a display; without it
# they run plainly (and the window test fails, as it should where no window can be opened).
#
# TEST_JOBS items run at once (default: the number of processors, at most 2): each is a
# single-threaded program, and each prints its lines when it ends, so lines of two items never mix.
# Internally, `run-tests.sh --one SECTION ITEM DIR` runs one item and leaves its counts in DIR.
if [ "$1" = "--one" ]; then
    section=$2
    t=$3
    dir=$4
    id=$(echo "$t" | tr '/' '_')
    log="$dir/$section.$id.log"
    passed=0
    failed=0
    if [ "$section" = "fuzz" ]; then
        if sh tools/run-fuzz.sh "${FUZZ_SECONDS:-30}" "$t" -seed="${FUZZ_SEED:-1}" >"$log" 2>&1; then
            passed=1
        else
            failed=1
            cp "$log" "$dir/$section.$id.fail"
        fi
        cat "$log"
    elif [ "$section" = "lessons" ]; then
        if timeout $((300 * ${CK_TIMEOUT_MULTIPLIER:-1})) "$t" --quick </dev/null >"$log" 2>&1; then
            passed=1
            echo "lesson $t: ok"
        else
            failed=1
            { echo "lesson $t: FAILED"; tail -20 "$log"; } | tee "$dir/$section.$id.fail"
        fi
    else
        display=""
        command -v xvfb-run >/dev/null 2>&1 && display="xvfb-run -a"
        $display timeout $((600 * ${CK_TIMEOUT_MULTIPLIER:-1})) "$t" >"$log" 2>&1
        rc=$?
        line=$(grep -E '^[0-9]+%: Checks: ' "$log" | tail -1)
        if [ -z "$line" ]; then
            failed=1
            { echo "$section $(basename "$t"): CRASHED or timed out (exit $rc)"; tail -20 "$log"; } |
                tee "$dir/$section.$id.fail"
        else
            c=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
            f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
            e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
            bad=$((f + e))
            passed=$((c - bad))
            failed=$bad
            [ "$bad" -eq 0 ] && [ "$rc" -ne 0 ] && failed=1
            if [ "$failed" -gt 0 ]; then
                { echo "$section $(basename "$t"): $line"; grep -E ':[EF]:' "$log" | head -20; } |
                    tee "$dir/$section.$id.fail"
            else
                echo "$section $(basename "$t"): $line"
            fi
        fi
    fi
    echo "$passed $failed" >"$dir/$section.$id.count"
    exit 0
fi

jobs=${TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$jobs" -gt 2 ] && [ -z "${TEST_JOBS:-}" ] && jobs=2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
section="float32"
list="$dir/items"
: >"$list"
for t in "$@"; do
    if [ "$t" = "--" ]; then
        case $section in
        float32) section="float64" ;;
        float64) section="lessons" ;;
        *) section="fuzz" ;;
        esac
        continue
    fi
    printf '%s %s\n' "$section" "$t" >>"$list"
done
# The longest suites start first, so that the others fill the second job around them.
slow='check_viz$|check_cli$|check_script$'
{ grep -E "$slow" "$list"; grep -vE "$slow" "$list"; } >"$list.ordered"
mv "$list.ordered" "$list"
# shellcheck disable=SC2016
xargs -P "$jobs" -L 1 sh -c 'sh tools/run-tests.sh --one "$0" "$1" "'"$dir"'"' <"$list"
passed=0
failed=0
n=0
for count in "$dir"/*.count; do
    [ -e "$count" ] || continue
    read -r p f <"$count"
    passed=$((passed + p))
    failed=$((failed + f))
    n=$((n + 1))
done
items=$(wc -l <"$list")
if [ "$n" -ne "$items" ]; then # an item that left no count did not run to its end
    echo "$((items - n)) of $items items left no result"
    failed=$((failed + items - n))
fi
# The failures once more, last: a log that shows only its end still names them.
said=""
for fail in "$dir"/*.fail; do
    [ -e "$fail" ] || continue
    [ -z "$said" ] && echo "--- what failed, once more:" && said=1
    cat "$fail"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
