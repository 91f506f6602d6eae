#!/bin/sh
# make demo: run the lessons in order. In a terminal each lesson pauses between its steps.
# With a display, each lesson opens its scenes in a window (--viz); without one, it writes them as
# PNGs into build/demo/ (--png) and says where.
if [ -n "$DISPLAY" ] || [ -n "$WAYLAND_DISPLAY" ]; then
    show="--viz"
else
    mkdir -p build/demo
    show="--png build/demo"
fi
for l in "$@"; do
    # shellcheck disable=SC2086
    "$l" $show || exit 1
done
if [ "$show" != "--viz" ]; then
    echo
    echo "No display here, so the lessons' pictures are in build/demo/ ($(ls build/demo | wc -l) PNGs)."
fi
