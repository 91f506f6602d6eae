#!/bin/sh
# The lessons as web pages (make web): each lesson is run as a learner runs it, with --png, and
# what it prints becomes the page, step by step, with each scene it draws shown where it drew it
# (the whole scene as an animated PNG; a viewer that does not play APNG shows its still).
#   web-lesson.sh LESSON_BINARY OUTDIR [LESSON_FLAGS...]  writes OUTDIR/NAME.html and OUTDIR/img/
#   web-lesson.sh --index OUTDIR PAGE.html...             writes OUTDIR/index.html, the list
# A lesson that fails fails the build, with what it said. Pages are written whole or not at all.
set -eu

fail() {
    echo "web-lesson.sh: $*" >&2
    exit 1
}

head_html() { # TITLE
    cat <<EOF
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shapelab: $1</title>
<style>
body { margin: 0 auto; max-width: 1320px; padding: 12px 20px 40px; color: #1f2430;
       background: #fbfaf7; font: 15px/1.45 "DejaVu Sans", system-ui, sans-serif; }
nav a { margin-right: 14px; color: #0072b2; }
h1 { font-size: 24px; margin: 14px 0 6px; }
h2 { font-size: 17px; margin: 26px 0 6px; padding-top: 8px; border-top: 1px solid #d9d6cf; }
pre { margin: 8px 0; padding: 8px 10px; overflow: auto; white-space: pre-wrap;
      font: 13px/1.4 "DejaVu Sans Mono", Menlo, Consolas, monospace;
      background: #fff; border: 1px solid #d9d6cf; border-radius: 5px; }
.question { font-size: 17px; }
.see, .stars, figcaption { color: #6b6f7a; }
figure { margin: 12px 0; }
figure img { display: block; width: 100%; max-width: 1280px; height: auto; border: 1px solid #d9d6cf; }
table { border-collapse: collapse; }
td { padding: 6px 10px; border-bottom: 1px solid #d9d6cf; vertical-align: top; }
</style>
</head>
<body>
EOF
}

escape() {
    sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'
}

# ---- the list of lessons ----
if [ "$1" = "--index" ]; then
    dir=$2
    shift 2
    tmp="$dir/index.html.tmp"
    {
        head_html "lessons"
        echo '<nav><a href="../index.html">the page: paste your own code</a></nav>'
        echo '<h1>Lessons</h1>'
        echo '<p>Each lesson answers one question with a small model, step by step: what it printed when'
        echo 'it ran, and the scenes it drew. Their C sources are in the project'"'"'s <code>lessons/</code>.</p>'
        echo '<table>'
        for page in "$@"; do
            name=$(basename "$page" .html)
            title=$(sed -n 's|^<h1>\(.*\)</h1>$|\1|p' "$page")
            question=$(sed -n 's|^<p class="question">\(.*\)</p>$|\1|p' "$page")
            stars=$(sed -n 's|^<p class="stars">\(.*\)</p>$|\1|p' "$page")
            [ -n "$title" ] || fail "$page has no <h1>"
            echo "<tr><td><a href=\"$name.html\">$title</a></td><td>$question</td><td>$stars</td></tr>"
        done
        echo '</table>'
        echo '</body>'
        echo '</html>'
    } >"$tmp"
    mv "$tmp" "$dir/index.html"
    exit 0
fi

# ---- one lesson ----
bin=$1 dir=$2
shift 2
name=$(basename "$bin")
mkdir -p "$dir/img"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" "$@" --png "$work/png" <"/dev/null" >"$work/out.txt" 2>"$work/err.txt" ||
    fail "$bin failed: $(tail -5 "$work/err.txt")"

# The banner: the title (with its stars), the question, what the learner will see.
title=$(sed -n '2s/^ *\(.*[^ ]\) *\[\**\]$/\1/p' "$work/out.txt" | escape)
stars=$(sed -n '2s/.*\[\(\**\)\]$/\1/p' "$work/out.txt")
question=$(sed -n 's/^  Question: //p' "$work/out.txt" | head -1 | escape)
see=$(sed -n 's/^  You will see: //p' "$work/out.txt" | head -1 | escape)
[ -n "$title" ] && [ -n "$question" ] || fail "$bin printed no banner"

# The animated PNG of each scene, by the name the lesson printed it under.
for png in "$work/png"/*-animated.png; do
    [ -e "$png" ] && cp "$png" "$dir/img/"
done

tmp="$dir/$name.html.tmp"
{
    head_html "$title"
    echo '<nav><a href="index.html">all lessons</a><a href="../index.html">the page: paste your own code</a></nav>'
    echo "<h1>$title</h1>"
    echo "<p class=\"question\">$question</p>"
    echo "<p class=\"see\">You will see: $see</p>"
    echo "<p class=\"stars\">$(printf '%s' "$stars" | sed 's/\*/\&#9733;/g')</p>"
    # The steps: a heading each, the printed text in <pre>, a figure where a scene was drawn.
    sed '1,/^=====*$/d' "$work/out.txt" | escape | awk -v work="$work/png/" '
        function flush() {
            while (n > 0 && text[n] == "") n--          # no blank lines at the end
            if (n > 0) {
                print "<pre>"
                for (i = 1; i <= n; i++) print text[i]
                print "</pre>"
            }
            n = 0
        }
        /^--- Step [0-9]+: / {
            flush()
            sub(/^--- /, "")
            print "<h2>" $0 "</h2>"
            next
        }
        /^  \(wrote [0-9]+ pictures? of the .* scene to / { next }
        /^  \(and all of it, animated: / {
            flush()
            path = $0
            sub(/^  \(and all of it, animated: /, "", path)
            sub(/\)$/, "", path)
            file = substr(path, length(work) + 1)
            scene = file
            sub(/-animated\.png$/, "", scene)
            sub(/^.*-[0-9]+-/, "", scene)
            print "<figure><img src=\"img/" file "\" alt=\"the " scene " scene, animated\">"
            print "<figcaption>the " scene " scene, all its steps (an animated PNG)</figcaption></figure>"
            next
        }
        n == 0 && $0 == "" { next }                      # no blank lines at the start
        { text[++n] = $0 }
        END { flush() }'
    echo '</body>'
    echo '</html>'
} >"$tmp"
mv "$tmp" "$dir/$name.html"
