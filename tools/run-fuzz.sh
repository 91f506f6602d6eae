#!/bin/sh
# Run one libFuzzer target of tests/fuzz/ (built by `make fuzz` into build/fuzz/fuzz/) for
# SECONDS, on its committed seeds and the files the tests already have; print its executions
# and speed. Exit 1 on a finding (a crash, a sanitizer report, a leak, a timeout, running out of
# memory): libFuzzer saves the input under build/fuzz/findings/, and tests/fuzz/README.md says how
# to replay it and turn it into a regression test.
# Usage: run-fuzz.sh SECONDS build/fuzz/fuzz/fuzz_NAME [more libFuzzer options]
secs=$1
bin=$2
shift 2
name=$(basename "$bin")
name=${name#fuzz_}
case $name in
script) seeds="../shared/models tests/scripts" len=16384 ;;
npy) seeds="tests/fixtures/npy tests/fixtures/cli" len=4096 ;;
safetensors) seeds="tests/fixtures" len=16384 ;;
*) seeds="" len=1024 ;;
esac
dirs="tests/fuzz/corpus/$name"
for d in $seeds; do
    [ -d "$d" ] && dirs="$dirs $d"
done
work=build/fuzz/corpus/$name # new inputs go here, never into the committed corpus
mkdir -p "$work" build/fuzz/findings
log=build/fuzz/$name.log
# shellcheck disable=SC2086
"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len="$len" -close_fd_mask=3 \
    -dict="tests/fuzz/$name.dict" -artifact_prefix="build/fuzz/findings/$name-" \
    -print_final_stats=1 "$@" "$work" $dirs >"$log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
if [ "$rc" -eq 0 ]; then
    echo "fuzz $name: ${runs:-?} executions in ${took:-$secs} s (${speed:-?} exec/s), nothing found"
    exit 0
fi
echo "fuzz $name: FOUND a problem after ${runs:-?} executions (exit $rc); log: $log"
grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written)' "$log" | head -20
exit 1
