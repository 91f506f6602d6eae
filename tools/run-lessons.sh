#!/bin/sh
# make demo: run the lessons in order. In a terminal each lesson pauses between its steps.
for l in "$@"; do
    "$l" || exit 1
done
