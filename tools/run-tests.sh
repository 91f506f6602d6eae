#!/bin/sh
# Run the float32 suites, the float64 suites, every lesson with --quick and, when given, each
# fuzz target for FUZZ_SECONDS (default 30) from the fixed seed FUZZ_SEED (default 1), so that a
# clean clone explores the same inputs in the same order each time (make fuzz draws a new seed);
# print the totals.
# Usage: run-tests.sh F32_TESTS... -- F64_TESTS... -- LESSONS... [-- FUZZ_TARGETS...]
# Check prints "NN%: Checks: C, Failures: F, Errors: E" for each suite; we add them up.
# The suites run under `xvfb-run -a` when it exists, so the window test has a display; without it
# they run plainly (and the window test fails, as it should where no window can be opened).
display=""
command -v xvfb-run >/dev/null 2>&1 && display="xvfb-run -a"
passed=0
failed=0
section="float32"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
    if [ "$t" = "--" ]; then
        case $section in
        float32) section="float64" ;;
        float64) section="lessons" ;;
        *) section="fuzz" ;;
        esac
        continue
    fi
    if [ "$section" = "fuzz" ]; then
        if sh tools/run-fuzz.sh "${FUZZ_SECONDS:-30}" "$t" -seed="${FUZZ_SEED:-1}"; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
        fi
        continue
    fi
    if [ "$section" = "lessons" ]; then
        if timeout 300 "$t" --quick </dev/null >"$log" 2>&1; then
            passed=$((passed + 1))
            echo "lesson $t: ok"
        else
            failed=$((failed + 1))
            echo "lesson $t: FAILED"
            tail -20 "$log"
        fi
        continue
    fi
    $display timeout 600 "$t" >"$log" 2>&1
    rc=$?
    line=$(grep -E '^[0-9]+%: Checks: ' "$log" | tail -1)
    if [ -z "$line" ]; then
        failed=$((failed + 1))
        echo "$section $(basename "$t"): CRASHED or timed out (exit $rc)"
        tail -20 "$log"
        continue
    fi
    c=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
    f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
    e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
    bad=$((f + e))
    passed=$((passed + c - bad))
    failed=$((failed + bad))
    echo "$section $(basename "$t"): $line"
    if [ "$bad" -gt 0 ] || [ "$rc" -ne 0 ]; then
        grep -E ':[EF]:' "$log" | head -20
        [ "$bad" -eq 0 ] && failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
