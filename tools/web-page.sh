#!/bin/sh
# Assemble build/web/index.html from the template web/index.html: the lines @style, @models,
# @engine and @script are replaced by the page's CSS, the shared models (each in a
# <script type="text/plain" class="model" data-name="NAME.py">), the float32 engine and the page's
# JavaScript. One file that works from file:// and from any static host. Embedded texts are checked
# for what would end their element early. The output is written whole or not at all.
# Usage: web-page.sh OUT TEMPLATE CSS JS ENGINE MODEL.py...
set -eu
out=$1 template=$2 css=$3 js=$4 engine=$5
shift 5

fail() {
    echo "web-page.sh: $*" >&2
    exit 1
}

for f in "$js" "$engine" "$@"; do
    ! grep -qi -e '</script' -e '<!--' "$f" || fail "$f holds '</script' or '<!--', which would end its <script> early"
done
! grep -qi '</style' "$css" || fail "$css holds '</style'"

models() {
    for m in "$@"; do
        name=$(basename "$m")
        case $name in
        *[!A-Za-z0-9_.-]*) fail "$m: a model's file name is letters, digits, '_', '-' and '.'" ;;
        esac
        printf '<script type="text/plain" class="model" data-name="%s">\n' "$name"
        cat "$m"
        printf '</script>\n'
    done
}

tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
while IFS= read -r line; do
    case $line in
    @style) cat "$css" ;;
    @models) models "$@" ;;
    @engine) cat "$engine" ;;
    @script) cat "$js" ;;
    *) printf '%s\n' "$line" ;;
    esac
done <"$template" >"$tmp"
mv "$tmp" "$out"
trap - EXIT
