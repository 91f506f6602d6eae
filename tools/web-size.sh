#!/bin/sh
# What the page weighs (make web): the files of build/web/ as they are and gzip-compressed, as a
# static host serves them. index.html is the page, the float32 engine inside; engine-f64.js is
# fetched only for the scenes drawn in double; lessons/ are pages of their own.
# Usage: web-size.sh DIR
set -eu
dir=$1
mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1048576 }'; }
size() { # LABEL FILE
    printf '%-15s %s, %s compressed\n' "$1" "$(mb "$(wc -c <"$2")")" "$(mb "$(gzip -9 <"$2" | wc -c)")"
}
size index.html "$dir/index.html"
size engine-f64.js "$dir/engine-f64.js"
if [ -d "$dir/lessons" ]; then
    printf '%-15s %s in %s files (the PNGs are compressed already)\n' lessons/ \
        "$(mb "$(du -sb "$dir/lessons" | cut -f1)")" "$(find "$dir/lessons" -type f | wc -l)"
fi
