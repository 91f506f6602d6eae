#!/bin/sh
# Redraw the pictures of README.md's gallery and docs/visualizer.md into docs/img/: each scene as an
# animated PNG (browsers and GitHub play it; other viewers show its first frame, the still that
# `shapelab png -o` writes). Run from the repository's root after `make`:
#   sh tools/gallery.sh
set -e
S=build/shapelab
M=../shared/models
T=tests/scripts/models
OUT=docs/img
[ -x "$S" ] || { echo "gallery: build first (make)" >&2; exit 1; }
mkdir -p "$OUT"

png() { # png NAME MODEL [options...]: the scene as an APNG
    name=$1
    model=$2
    shift 2
    "$S" png "$model" "$@" --animate -o "$OUT/$name.png" 2>/dev/null
    echo "$OUT/$name.png"
}

png shapes "$M/14_multi_output.py" --scene shapes
png dense "$M/15_regression.py" --scene dense
png gradcheck "$M/15_regression.py" --scene gradcheck
png lstm "$M/03_return_state.py" --scene lstm
png lstm-stacked "$M/01_stacked_lstm.py" --scene lstm
png stateful "$M/04_stateful.py" --scene stateful
png timedistributed "$M/09_timedistributed.py" --scene timedistributed
png bidirectional "$T/bidirectional.py" --scene bidirectional --timesteps 20
png receptive-field "$M/10_causal_dilated.py" --scene receptive-field
png conv2d "$M/12_conv2d_channels.py" --scene conv2d
png conv-backprop "$M/13_conv_backprop.py" --scene conv-backprop
png seq2seq "$M/08_seq2seq_encoder_decoder.py" --scene seq2seq

# The scenes the lessons draw on their own models (and a fit's history): their animated PNGs.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
lesson() { # lesson BINARY SHOWN SCENE NAME: the lesson's SHOWN-th picture of SCENE
    "build/lessons/$1" --quick --png "$dir" >/dev/null
    cp "$dir/$1-$2-$3-animated.png" "$OUT/$4.png"
    echo "$OUT/$4.png (lesson $1)"
}
lesson 02_dense_units 2 dense dense-sequence
lesson 03_regression_vs_classification 2 training training
lesson 12_variable_length_batches 1 generator generator
lesson 13_padding_and_masking 1 mask mask
lesson 17_reshape_vs_permute 1 reshape-permute reshape-permute
lesson 23_transposed_conv 1 transposed-conv transposed-conv
du -ch "$OUT"/*.png | tail -1
