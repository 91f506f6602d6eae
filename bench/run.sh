#!/bin/sh
# run.sh: shapelab's training step beside PyTorch's on the same models, in one run (make bench).
#
#   sh bench/run.sh BENCH_MODELS [STEPS]
#
# BENCH_MODELS is build/bench/bench_models. Each workload runs in a process of its own, pinned
# to one core with taskset (both threads' runs to two), after 3 warm-up steps, the best of STEPS
# (10) steps, and the best of BENCH_RUNS (3) such processes: on a shared virtual machine a whole
# process can run 30% slower than the next one (its core's neighbours), for either engine; PyTorch runs the same models (bench/torch_models.py) when python3-torch is
# installed, with OPENBLAS_NUM_THREADS and torch.set_num_threads as the column says. Prints a
# Markdown table: time per step, GFLOP/s, share of the core's peak (measured by bench_models
# --peak), peak memory, and shapelab's time over PyTorch's.
#
# PyTorch's matrix products run on whatever libblas.so.3 Debian's alternatives point to. On the
# reference BLAS they are about 20 times slower than on an optimized one, which makes any ratio
# meaningless: then the PyTorch columns are printed without a ratio, and how to install
# OpenBLAS is said. This script installs nothing.
set -u
bench=${1:?usage: run.sh BENCH_MODELS [STEPS]}
steps=${2:-10}
runs=${BENCH_RUNS:-3}
torch_script=$(dirname "$0")/torch_models.py
python=${PYTHON:-/usr/bin/python3} # Debian's, which sees python3-torch
ncpu=$(nproc 2>/dev/null || echo 1)
one=$((ncpu - 1))                       # the last CPU for one thread
two=$([ "$ncpu" -ge 2 ] && echo 0,1 || echo 0)
pin() { # pin CPUS COMMAND...
    cpus=$1
    shift
    if command -v taskset >/dev/null 2>&1; then taskset -c "$cpus" "$@"; else "$@"; fi
}
load() { cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?"; }

have_torch=0
if [ -x "$python" ] && "$python" -c 'import torch' >/dev/null 2>&1; then
    have_torch=1
fi

echo "## shapelab beside PyTorch: one training step (forward, loss, backward, RMSprop), float32"
echo
load_start=$(load)
peak=$(pin "$one" "$bench" --peak | awk '{print $2}')
echo "- the core's peak, from a loop of fused multiply-adds: $peak GFLOP/s"
command -v taskset >/dev/null 2>&1 && echo "- pinned with taskset: one thread to CPU $one, two threads to CPUs $two" ||
    echo "- taskset not found: the runs are not pinned"
echo "- each time is the best of $steps steps after 3 steps of warm-up, in the best of $runs" \
    "processes; GFLOP counts the products (bench/bench_models.c says which)"

ratios=1
if [ $have_torch -eq 1 ]; then
    version=$("$python" -c 'import torch; print(torch.__version__)' 2>/dev/null)
    blas=$(OPENBLAS_NUM_THREADS=1 "$python" "$torch_script" --blas | tr '\n' ' ')
    echo "- PyTorch $version; its BLAS (from its /proc/self/maps): $blas"
    case "$blas" in
    *openblas* | *blis* | *mkl*) ;;
    *)
        ratios=0
        echo
        echo "PyTorch loaded Debian's reference BLAS (or none), about 20 times slower at matrix"
        echo "products than an optimized one: its times are shown, but no ratio. Install OpenBLAS,"
        echo "which Debian's alternatives then give to every program that links libblas.so.3:"
        echo "    sudo apt-get install libopenblas0-pthread"
        ;;
    esac
else
    echo "- PyTorch: not installed (python3-torch); shapelab's columns only"
fi
echo

# once WHO THREADS WORKLOAD: prints "ms gflop_per_step mb" (PyTorch: "ms mb")
once() {
    who=$1 n=$2 w=$3
    cpus=$([ "$n" -eq 1 ] && echo "$one" || echo "$two")
    if [ "$who" = shapelab ]; then
        pin "$cpus" "$bench" "$w" --threads "$n" --steps "$steps" | awk '{print $2, $3, $5}'
    else
        OPENBLAS_NUM_THREADS=$n OMP_NUM_THREADS=$n MKL_NUM_THREADS=$n \
            pin "$cpus" "$python" "$torch_script" "$w" --threads "$n" --steps "$steps" |
            awk '{print $2, $5}'
    fi
}

# run WHO THREADS WORKLOAD: the best of $runs processes
run() {
    i=0
    while [ $i -lt "$runs" ]; do
        i=$((i + 1))
        once "$@"
    done | sort -n | head -n 1
}

printf '| workload | GFLOP per step | shapelab ms | GFLOP/s | of peak | MB'
[ $have_torch -eq 1 ] && printf ' | PyTorch ms | GFLOP/s | of peak | MB'
[ $have_torch -eq 1 ] && [ $ratios -eq 1 ] && printf ' | shapelab / PyTorch'
printf ' | shapelab 2 threads ms'
[ $have_torch -eq 1 ] && printf ' | PyTorch 2 threads ms'
[ $have_torch -eq 1 ] && [ $ratios -eq 1 ] && printf ' | ratio, 2 threads'
printf ' |\n|---|---|---|---|---|---'
[ $have_torch -eq 1 ] && printf '|---|---|---|---'
[ $have_torch -eq 1 ] && [ $ratios -eq 1 ] && printf '|---'
printf '|---'
[ $have_torch -eq 1 ] && printf '|---'
[ $have_torch -eq 1 ] && [ $ratios -eq 1 ] && printf '|---'
printf '|\n'

"$bench" --list | while read -r w what; do
    set -- $(run shapelab 1 "$w")
    s_ms=$1 gflop=$2 s_mb=$3
    s2_ms=$(run shapelab 2 "$w" | awk '{print $1}')
    line=$(awk -v w="$what" -v g="$gflop" -v ms="$s_ms" -v mb="$s_mb" -v p="$peak" 'BEGIN {
        printf "| %s | %.3f | %.2f | %.1f | %.0f%% | %.0f", w, g, ms, g / ms * 1e3, 100 * g / ms * 1e3 / p, mb }')
    if [ $have_torch -eq 1 ]; then
        set -- $(run torch 1 "$w")
        t_ms=$1 t_mb=$2
        t2_ms=$(run torch 2 "$w" | awk '{print $1}')
        line=$line$(awk -v g="$gflop" -v ms="$t_ms" -v mb="$t_mb" -v p="$peak" 'BEGIN {
            printf " | %.2f | %.1f | %.0f%% | %.0f", ms, g / ms * 1e3, 100 * g / ms * 1e3 / p, mb }')
        [ $ratios -eq 1 ] && line=$line$(awk -v a="$s_ms" -v b="$t_ms" 'BEGIN { printf " | %.2f", a / b }')
        line=$line$(printf ' | %.2f | %.2f' "$s2_ms" "$t2_ms")
        [ $ratios -eq 1 ] && line=$line$(awk -v a="$s2_ms" -v b="$t2_ms" 'BEGIN { printf " | %.2f", a / b }')
    else
        line=$line$(printf ' | %.2f' "$s2_ms")
    fi
    echo "$line |"
done
echo
echo "load average (1 minute) at the start: $load_start, at the end: $(load)" \
    "(other programs on the machine slow both columns; compare them at a load below 1)"
