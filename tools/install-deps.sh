#!/bin/sh
# Install what shapelab needs to build and test, on Debian or Ubuntu, only when something is
# missing: a C compiler, make, pkg-config, Check, SDL2, stb, the DejaVu fonts, Xvfb, and clang with
# libFuzzer and its sanitizer runtimes (make fuzz, and the fuzz runs of make test). Uses sudo when
# not root.
set -e
missing=""
command -v cc >/dev/null 2>&1 || missing="$missing build-essential"
command -v make >/dev/null 2>&1 || missing="$missing make"
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
pkg-config --exists check 2>/dev/null || missing="$missing check"
pkg-config --exists sdl2 2>/dev/null || missing="$missing libsdl2-dev"
[ -f /usr/include/stb/stb_image_write.h ] || missing="$missing libstb-dev"
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || missing="$missing fonts-dejavu-core"
command -v xvfb-run >/dev/null 2>&1 || missing="$missing xvfb xauth"
# libFuzzer and clang's sanitizer runtimes come from libclang-rt-N-dev, N clang's major version
# (14 on Debian 12), which apt-get does not bring with clang when it skips recommends
command -v clang >/dev/null 2>&1 || missing="$missing clang"
major=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
ls /usr/lib/llvm-"${major:-14}"/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1 ||
    missing="$missing libclang-rt-${major:-14}-dev"
[ -z "$missing" ] && exit 0
echo "shapelab: installing:$missing"
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "shapelab: apt-get not found; please install:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
