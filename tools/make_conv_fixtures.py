#!/usr/bin/python3
"""Reference fixtures for the convolution family: Conv1D, Conv2D, Conv1DTranspose, Conv2DTranspose,
pooling, ZeroPadding, Cropping, UpSampling.

The same format and the same case machinery as tools/make_fixtures.py (imported from it): for each
case a seeded input x, seeded weights in Keras layout, y from PyTorch in float64, an upstream
gradient dy and the gradients of sum(y * dy), written to tests/fixtures/conv_<case>.safetensors.

Keras layouts are converted to PyTorch's explicitly:
  Conv1D kernel (k, in, filters)        -> torch (filters, in, k)        permute(2, 1, 0)
  Conv2D kernel (kh, kw, in, filters)   -> torch (filters, in, kh, kw)   permute(3, 2, 0, 1)
  Conv1DTranspose kernel (k, filters, in)        -> torch (in, filters, k)       permute(2, 1, 0)
  Conv2DTranspose kernel (kh, kw, filters, in)   -> torch (in, filters, kh, kw)  permute(3, 2, 0, 1)
  data channels_last (batch, ..., ch)   -> torch channels_first (batch, ch, ...)
  data_format='channels_first' cases give x as torch takes it, (batch, ch, ...), and compare y as
  torch makes it: nothing is moved, so they check shapelab's own moving of the channels; the
  kernel keeps Keras's layout in both formats. groups= is torch's groups (Keras's kernel
  (k..., in/groups, filters) permutes to torch's (filters, in/groups, k...), output channel f in
  group f // (filters / groups) in both).
What nn.* lacks is written with torch operations and checked against nn.* where nn.* has the
same case (check_against_torch below):
  - TensorFlow's 'same' (the odd cell of padding goes after, also with strides): F.pad then a
    'valid' convolution or pooling;
  - 'causal': F.pad with (k - 1) * d zeros on the left only;
  - 'same' average pooling divides by the real cells only: the sum of the padded window over the
    count of real cells in it;
  - Keras's transposed convolutions: nn's conv_transpose with padding 0 gives the whole scatter,
    (n - 1) * s + span cells; Keras's cells are cut from it explicitly (keras_transpose_cuts, the
    rule of Keras's backend_utils.py), with zeros where Keras keeps more. nn's own padding cannot
    say it: ConvTranspose2d(padding=1, output_padding=1) is one cell off Keras's 'same' (checked);
  - UpSampling2D's bilinear rule (tf.image.resize's half-pixel centres) written with gathers and
    weights, checked against F.interpolate(mode='bilinear', align_corners=False).

Run from the repository root:  tools/make_conv_fixtures.py   (deterministic output)
"""

import sys
import warnings
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F

from make_fixtures import ACTIVATIONS, Case, assert_clear_of, call_args, parse_args, write_cases

torch.set_default_dtype(torch.float64)


def as_tuple(v, rank: int) -> Tuple[int, ...]:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * rank


def tf_pads(n: int, k: int, s: int, d: int, padding: str) -> Tuple[int, int]:
    """(before, after) cells of padding along one axis, as TensorFlow and Keras place them."""
    span = 1 + (k - 1) * d
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return span - 1, 0
    out = -(-n // s)  # ceil(n / s)
    total = max((out - 1) * s + span - n, 0)
    return total // 2, total - total // 2


def pad_channels_first(x: torch.Tensor, pads: Sequence[Tuple[int, int]], value: float = 0.0) -> torch.Tensor:
    """Pad the spatial axes of a channels_first tensor; pads lists (before, after) per axis, first
    spatial axis first (F.pad wants the last axis first)."""
    flat = []
    for before, after in reversed(pads):
        flat += [before, after]
    return F.pad(x, flat, value=value)


def to_channels_first(x: torch.Tensor) -> torch.Tensor:
    return x.movedim(-1, 1)


def to_channels_last(x: torch.Tensor) -> torch.Tensor:
    return x.movedim(1, -1)


def is_channels_first(a: dict) -> bool:
    return str(a.get("data_format") or "channels_last").lower() == "channels_first"


def channels_of(a: dict, x_shape: Tuple[int, ...]) -> int:
    return x_shape[1] if is_channels_first(a) else x_shape[-1]


def in_torch_layout(a: dict, fn):
    """A channels_first forward fn(xc) -> yc made to take and give the case's own layout."""
    if is_channels_first(a):
        return fn
    return lambda x: to_channels_last(fn(to_channels_first(x)))


# --- Conv1D / Conv2D -------------------------------------------------------------


def conv_forward(rank: int, a: dict, case_name: str):
    k = as_tuple(a["kernel_size"], rank)
    s = as_tuple(a.get("strides", 1), rank)
    d = as_tuple(a.get("dilation_rate", 1), rank)
    padding = a.get("padding", "valid")
    act = a.get("activation") or "linear"
    use_bias = a.get("use_bias", True)
    groups = a.get("groups", 1)

    def forward(x, p, _extra):
        def conv(xc):
            pads = [tf_pads(xc.shape[2 + i], k[i], s[i], d[i], padding) for i in range(rank)]
            xc = pad_channels_first(xc, pads)
            if rank == 1:  # Keras (k, in/groups, filters) -> torch (filters, in/groups, k)
                w = p["kernel"].permute(2, 1, 0)
                return F.conv1d(xc, w, p["bias"] if use_bias else None, stride=s, dilation=d, groups=groups)
            # Keras (kh, kw, in/groups, filters) -> torch (filters, in/groups, kh, kw)
            w = p["kernel"].permute(3, 2, 0, 1)
            return F.conv2d(xc, w, p["bias"] if use_bias else None, stride=s, dilation=d, groups=groups)

        z = in_torch_layout(a, conv)(x)
        if act in ("relu", "elu"):
            assert_clear_of(z.detach(), [0.0], f"{case_name}: pre-activation", margin=1e-4)
        return ACTIVATIONS[act](z)

    return forward


def conv_case(name: str, layer: str, args: str, x_shape: Tuple[int, ...]) -> Case:
    rank = 1 if layer == "Conv1D" else 2
    a = call_args(args, ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups"))
    filters = a["filters"]
    k = as_tuple(a["kernel_size"], rank)
    params = [("kernel", k + (channels_of(a, x_shape) // a.get("groups", 1), filters))]
    if a.get("use_bias", True):
        params.append(("bias", (filters,)))
    return Case(f"conv_{name}", layer, args, x_shape, conv_forward(rank, a, name),
                what=f"{layer}({args}) on {x_shape}", params=params)


# --- Conv1DTranspose / Conv2DTranspose ----------------------------------------------


def keras_transpose_cuts(k: int, s: int, d: int, padding: str, op) -> Tuple[int, int]:
    """(before, after): the cells Keras cuts from the start and the end of the whole scatter,
    (n - 1) * s + span cells (after < 0: zeros added), from its output-size rule and padding
    (keras/src/backend/common/backend_utils.py); op is output_padding, None or an int."""
    span = (k - 1) * d + 1
    if padding == "valid":
        op = max(span, s) - span if op is None else op
        return 0, -op
    pad_len = s + span - 2 if op is None else span + span % 2 - 2 + op
    left = min(pad_len // 2 + pad_len % 2, span - 1)
    before = span - 1 - left
    keep = s if op is None else span % 2 + op  # out = (n - 1) * s + keep
    return before, span - keep - before


def crop_channels_first(y: torch.Tensor, cuts: Sequence[Tuple[int, int]]) -> torch.Tensor:
    """Cut (before, after) cells from each spatial axis of a channels_first tensor; a negative
    `after` adds zeros at the end instead."""
    for i, (before, after) in enumerate(cuts):
        ax = 2 + i
        if after < 0:
            y = pad_channels_first(y, [(0, -after) if j == i else (0, 0) for j in range(len(cuts))])
            after = 0
        y = y.narrow(ax, before, y.shape[ax] - before - after)
    return y


def transpose_forward(rank: int, a: dict, case_name: str):
    k = as_tuple(a["kernel_size"], rank)
    s = as_tuple(a.get("strides", 1), rank)
    d = as_tuple(a.get("dilation_rate", 1), rank)
    op = a.get("output_padding")
    op = as_tuple(op, rank) if op is not None else (None,) * rank
    padding = a.get("padding", "valid")
    act = a.get("activation") or "linear"
    use_bias = a.get("use_bias", True)

    def forward(x, p, _extra):
        def transpose(xc):
            # Keras (k..., filters, in) -> torch (in, filters, k...)
            w = p["kernel"].permute(2, 1, 0) if rank == 1 else p["kernel"].permute(3, 2, 0, 1)
            fn = F.conv_transpose1d if rank == 1 else F.conv_transpose2d
            z = fn(xc, w, None, stride=s, dilation=d)  # the whole scatter
            z = crop_channels_first(z, [keras_transpose_cuts(k[i], s[i], d[i], padding, op[i]) for i in range(rank)])
            if use_bias:  # after the cut: the cells Keras adds get the bias too
                z = z + p["bias"].reshape((1, -1) + (1,) * rank)
            return z

        z = in_torch_layout(a, transpose)(x)
        if act in ("relu", "elu"):
            assert_clear_of(z.detach(), [0.0], f"{case_name}: pre-activation", margin=1e-4)
        return ACTIVATIONS[act](z)

    return forward


def transpose_case(name: str, layer: str, args: str, x_shape: Tuple[int, ...]) -> Case:
    rank = 1 if layer.startswith("Conv1D") else 2
    a = call_args(args, ("filters", "kernel_size", "strides", "padding", "output_padding", "data_format"))
    k = as_tuple(a["kernel_size"], rank)
    params = [("kernel", k + (a["filters"], channels_of(a, x_shape)))]
    if a.get("use_bias", True):
        params.append(("bias", (a["filters"],)))
    return Case(f"conv_{name}", layer, args, x_shape, transpose_forward(rank, a, name),
                what=f"{layer}({args}) on {x_shape}", params=params)


# --- UpSampling1D / UpSampling2D ------------------------------------------------------


def bilinear_axis(x: torch.Tensor, axis: int, s: int) -> torch.Tensor:
    """Make `axis` s times longer with tf.image.resize's half-pixel bilinear rule (Keras's
    UpSampling2D(interpolation='bilinear'), antialias off): src = (o + 0.5) / s - 0.5, clamped at
    0; y[o] = (1 - w) x[i0] + w x[i1], i0 = floor(src), i1 = min(i0 + 1, n - 1), w = src - i0."""
    n = x.shape[axis]
    o = torch.arange(n * s, dtype=torch.float64)
    src = ((o + 0.5) / s - 0.5).clamp(min=0.0)
    i0 = src.floor().long()
    i1 = (i0 + 1).clamp(max=n - 1)
    w = (src - i0.to(torch.float64)).reshape([-1 if j == axis else 1 for j in range(x.dim())])
    return (1 - w) * x.index_select(axis, i0) + w * x.index_select(axis, i1)


def up_sampling_case(name: str, layer: str, args: str, x_shape: Tuple[int, ...]) -> Case:
    rank = 1 if layer.endswith("1D") else 2
    a = call_args(args, ("size", "data_format", "interpolation"))
    size = as_tuple(a.get("size", 2), rank)
    bilinear = a.get("interpolation", "nearest") == "bilinear"

    def forward(x, _p, _e):
        def up(xc):
            for i in range(rank):
                xc = bilinear_axis(xc, 2 + i, size[i]) if bilinear else xc.repeat_interleave(size[i], dim=2 + i)
            return xc

        return in_torch_layout(a, up)(x)

    return Case(f"conv_{name}", layer, args, x_shape, forward, what=f"{layer}({args}) on {x_shape}",
                kinks=())


# --- pooling ----------------------------------------------------------------------


def pool_forward(rank: int, kind: str, a: dict):
    pool = as_tuple(a.get("pool_size", 2), rank)
    strides = a.get("strides")
    s = as_tuple(strides, rank) if strides is not None else pool
    padding = a.get("padding", "valid")

    def forward(x, _p, _extra):
        def pool_first(xc):
            pads = [tf_pads(xc.shape[2 + i], pool[i], s[i], 1, padding) for i in range(rank)]
            if kind == "max":  # padding never wins a max
                xp = pad_channels_first(xc, pads, value=float("-inf"))
                fn = F.max_pool1d if rank == 1 else F.max_pool2d
                return fn(xp, pool, s)
            # the sum of the real cells over their count
            fn = F.avg_pool1d if rank == 1 else F.avg_pool2d
            cells = float(torch.tensor(pool).prod())
            total = fn(pad_channels_first(xc, pads), pool, s) * cells
            count = fn(pad_channels_first(torch.ones_like(xc), pads), pool, s) * cells
            return total / count

        return in_torch_layout(a, pool_first)(x)

    return forward


def pool_case(name: str, layer: str, args: str, x_shape: Tuple[int, ...]) -> Case:
    rank = 1 if layer.endswith("1D") else 2
    kind = "max" if layer.startswith("Max") else "avg"
    a = call_args(args, ("pool_size", "strides", "padding", "data_format"))
    return Case(f"conv_{name}", layer, args, x_shape, pool_forward(rank, kind, a),
                what=f"{layer}({args}) on {x_shape}", kinks=())


def global_case(name: str, layer: str, args: str, x_shape: Tuple[int, ...]) -> Case:
    keep = "keepdims=True" in args
    first = is_channels_first(call_args(args, ("data_format", "keepdims")))
    axes = tuple(range(2, len(x_shape))) if first else tuple(range(1, len(x_shape) - 1))

    def forward(x, _p, _e):
        if layer.startswith("GlobalMax"):
            y = x
            for ax in reversed(axes):
                y = y.max(dim=ax, keepdim=keep).values
            return y
        return x.mean(dim=axes, keepdim=keep)

    return Case(f"conv_{name}", layer, args, x_shape, forward, what=f"{layer}({args}) on {x_shape}",
                kinks=())


def zero_padding_case(name: str, layer: str, args: str, x_shape, pads) -> Case:
    a = call_args(args, ("padding", "data_format"))

    def forward(x, _p, _e):
        return in_torch_layout(a, lambda xc: pad_channels_first(xc, pads))(x)

    return Case(f"conv_{name}", layer, args, x_shape, forward, what=f"{layer}({args}) on {x_shape}")


def cropping_case(name: str, args: str, x_shape, crop: Tuple[int, int]) -> Case:
    def forward(x, _p, _e):
        return x[:, crop[0]:x.shape[1] - crop[1], :]

    return Case(f"conv_{name}", "Cropping1D", args, x_shape, forward, what=f"Cropping1D({args}) on {x_shape}")


def cropping2d_case(name: str, args: str, x_shape, crop) -> Case:
    (top, bottom), (left, right) = crop
    a = call_args(args, ("cropping", "data_format"))

    def forward(x, _p, _e):
        crop_first = lambda xc: xc[:, :, top:xc.shape[2] - bottom, left:xc.shape[3] - right]
        return in_torch_layout(a, crop_first)(x)

    return Case(f"conv_{name}", "Cropping2D", args, x_shape, forward, what=f"Cropping2D({args}) on {x_shape}")


def flatten_channels_first_case(name: str, x_shape) -> Case:
    """Keras's Flatten(data_format='channels_first') moves the channels last, then flattens."""
    def forward(x, _p, _e):
        return x.permute(0, *range(2, x.dim()), 1).reshape(x.shape[0], -1)

    return Case(f"conv_{name}", "Flatten", "data_format='channels_first'", x_shape, forward,
                what=f"Flatten(data_format='channels_first') on {x_shape}", kinks=())


CASES = [
    # Conv1D: every padding, with strides (dilation 1) and with dilations (stride 1)
    conv_case("conv1d_valid", "Conv1D", "3, 3", (2, 7, 2)),
    conv_case("conv1d_same_even_kernel", "Conv1D", "2, 4, padding='same'", (2, 7, 3)),
    conv_case("conv1d_causal", "Conv1D", "2, 3, padding='causal'", (2, 6, 2)),
    conv_case("conv1d_causal_dilated_relu", "Conv1D", "3, 3, padding='causal', dilation_rate=2, activation='relu'",
              (2, 9, 2)),
    conv_case("conv1d_causal_dilated4_elu", "Conv1D", "2, 5, padding='causal', dilation_rate=4, activation='elu'",
              (2, 10, 3)),
    conv_case("conv1d_valid_dilated_tanh", "Conv1D", "2, 2, dilation_rate=3, use_bias=False, activation='tanh'",
              (2, 8, 3)),
    conv_case("conv1d_same_dilated", "Conv1D", "2, 3, padding='same', dilation_rate=3", (2, 10, 2)),
    conv_case("conv1d_valid_stride2", "Conv1D", "3, 3, strides=2", (2, 8, 2)),
    conv_case("conv1d_same_stride2", "Conv1D", "2, 3, strides=2, padding='same'", (2, 8, 2)),
    conv_case("conv1d_same_stride3", "Conv1D", "2, 4, strides=3, padding='same'", (2, 7, 2)),
    conv_case("conv1d_causal_stride2", "Conv1D", "2, 2, strides=2, padding='causal'", (2, 7, 2)),
    conv_case("conv1d_kernel1", "Conv1D", "4, 1", (2, 3, 5)),
    # Conv2D
    conv_case("conv2d_valid", "Conv2D", "3, (2, 3)", (2, 5, 6, 2)),
    conv_case("conv2d_same", "Conv2D", "2, 3, padding='same'", (2, 5, 5, 3)),
    conv_case("conv2d_same_even", "Conv2D", "2, (2, 4), padding='same'", (2, 4, 5, 2)),
    conv_case("conv2d_same_stride2", "Conv2D", "2, (3, 2), strides=(2, 2), padding='same'", (2, 6, 7, 2)),
    conv_case("conv2d_valid_stride21", "Conv2D", "2, 3, strides=(2, 1), activation='tanh'", (2, 7, 6, 1)),
    conv_case("conv2d_same_dilated_relu", "Conv2D",
              "2, (2, 3), dilation_rate=(2, 1), padding='same', activation='relu'", (2, 6, 6, 2)),
    conv_case("conv2d_valid_dilated", "Conv2D", "3, 2, dilation_rate=2, use_bias=False", (1, 6, 7, 2)),
    # pooling
    pool_case("max_pooling1d", "MaxPooling1D", "", (2, 6, 3)),
    pool_case("max_pool1d_alias", "MaxPool1D", "pool_size=3", (2, 7, 2)),
    pool_case("max_pooling1d_same_stride2", "MaxPooling1D", "pool_size=3, strides=2, padding='same'", (2, 8, 2)),
    pool_case("average_pooling1d_valid", "AveragePooling1D", "pool_size=3", (2, 7, 2)),
    pool_case("average_pooling1d_same_stride2", "AveragePooling1D", "pool_size=3, strides=2, padding='same'",
              (2, 7, 2)),
    pool_case("average_pooling1d_same", "AveragePooling1D", "pool_size=2, padding='same'", (2, 5, 2)),
    pool_case("max_pooling2d", "MaxPooling2D", "pool_size=(2, 2), strides=(2, 2)", (2, 4, 6, 2)),
    pool_case("max_pooling2d_same", "MaxPooling2D", "pool_size=(3, 3), strides=(2, 2), padding='same'",
              (2, 5, 6, 1)),
    pool_case("average_pooling2d", "AveragePooling2D", "pool_size=2", (2, 4, 5, 2)),
    pool_case("average_pooling2d_same", "AveragePooling2D", "pool_size=(2, 3), padding='same'", (2, 5, 7, 2)),
    global_case("global_max_pooling1d", "GlobalMaxPooling1D", "", (2, 5, 3)),
    global_case("global_average_pooling1d", "GlobalAveragePooling1D", "", (2, 5, 3)),
    global_case("global_average_pooling1d_keepdims", "GlobalAveragePooling1D", "keepdims=True", (2, 4, 3)),
    global_case("global_max_pooling2d", "GlobalMaxPooling2D", "", (2, 3, 4, 2)),
    global_case("global_average_pooling2d", "GlobalAveragePooling2D", "", (2, 3, 4, 2)),
    # padding and cropping
    zero_padding_case("zero_padding1d", "ZeroPadding1D", "2", (2, 4, 3), [(2, 2)]),
    zero_padding_case("zero_padding1d_asym", "ZeroPadding1D", "padding=(1, 3)", (2, 4, 2), [(1, 3)]),
    zero_padding_case("zero_padding2d", "ZeroPadding2D", "1", (2, 3, 3, 2), [(1, 1), (1, 1)]),
    zero_padding_case("zero_padding2d_asym", "ZeroPadding2D", "padding=((1, 0), (2, 1))", (2, 3, 3, 2),
                      [(1, 0), (2, 1)]),
    cropping_case("cropping1d", "(1, 2)", (2, 6, 2), (1, 2)),
    cropping_case("cropping1d_int", "cropping=1", (2, 5, 3), (1, 1)),
    cropping2d_case("cropping2d", "((1, 0), (2, 1))", (2, 4, 6, 2), ((1, 0), (2, 1))),
    cropping2d_case("cropping2d_int", "cropping=1", (2, 4, 5, 3), ((1, 1), (1, 1))),
    cropping2d_case("cropping2d_pair", "(2, 1)", (2, 5, 4, 2), ((2, 2), (1, 1))),
    # transposed convolutions: every padding, with and without output_padding, strides and
    # dilations, even and odd kernels, a stride larger than the kernel
    transpose_case("conv1d_transpose_valid", "Conv1DTranspose", "2, 3", (2, 5, 3)),
    transpose_case("conv1d_transpose_same_stride2", "Conv1DTranspose", "2, 3, strides=2, padding='same'", (2, 5, 3)),
    transpose_case("conv1d_transpose_valid_stride3_op", "Conv1DTranspose", "3, 2, strides=3, output_padding=2",
                   (2, 4, 2)),
    transpose_case("conv1d_transpose_same_op", "Conv1DTranspose", "2, 4, strides=2, padding='same', output_padding=1",
                   (2, 4, 2)),
    transpose_case("conv1d_transpose_stride_gt_kernel", "Conv1DTranspose", "2, 2, strides=3", (2, 4, 2)),
    transpose_case("conv1d_transpose_dilated_tanh", "Conv1DTranspose",
                   "2, 3, dilation_rate=2, padding='same', activation='tanh'", (2, 5, 2)),
    transpose_case("conv2d_transpose_same_stride2", "Conv2DTranspose", "1, 3, strides=2, padding='same'", (2, 4, 4, 3)),
    transpose_case("conv2d_transpose_valid_relu", "Conv2DTranspose", "2, (2, 3), activation='relu'", (2, 3, 4, 2)),
    transpose_case("conv2d_transpose_same_op", "Conv2DTranspose",
                   "2, (3, 2), strides=(2, 3), padding='same', output_padding=(1, 2)", (2, 3, 3, 2)),
    transpose_case("conv2d_transpose_valid_op_sigmoid", "Conv2DTranspose",
                   "3, 3, strides=(3, 2), output_padding=(2, 1), activation='sigmoid', use_bias=False", (1, 3, 2, 2)),
    transpose_case("conv2d_transpose_same_even", "Conv2DTranspose", "2, 4, strides=2, padding='same'", (2, 3, 3, 1)),
    transpose_case("conv2d_transpose_dilated", "Conv2DTranspose", "2, (2, 3), dilation_rate=(2, 1)", (2, 3, 3, 2)),
    # upsampling
    up_sampling_case("up_sampling1d", "UpSampling1D", "3", (2, 4, 2)),
    up_sampling_case("up_sampling1d_default", "UpSampling1D", "", (2, 3, 3)),
    up_sampling_case("up_sampling2d", "UpSampling2D", "(2, 3)", (2, 3, 2, 2)),
    up_sampling_case("up_sampling2d_bilinear", "UpSampling2D", "2, interpolation='bilinear'", (2, 3, 4, 2)),
    up_sampling_case("up_sampling2d_bilinear_odd", "UpSampling2D", "(3, 1), interpolation='bilinear'", (2, 3, 2, 2)),
    # data_format='channels_first': x and y as torch has them, (batch, channels, ...)
    conv_case("conv1d_channels_first", "Conv1D", "3, 3, padding='causal', data_format='channels_first'", (2, 2, 7)),
    conv_case("conv2d_channels_first", "Conv2D", "3, (2, 3), 2, 'same', 'channels_first', activation='tanh'",
              (2, 2, 5, 6)),
    transpose_case("conv1d_transpose_channels_first", "Conv1DTranspose",
                   "2, 3, strides=2, padding='same', data_format='channels_first'", (2, 3, 4)),
    transpose_case("conv2d_transpose_channels_first", "Conv2DTranspose",
                   "2, (3, 2), strides=(2, 1), data_format='channels_first'", (2, 3, 3, 4)),
    pool_case("max_pooling1d_channels_first", "MaxPooling1D", "3, 2, 'same', 'channels_first'", (2, 3, 8)),
    pool_case("average_pooling2d_channels_first", "AveragePooling2D",
              "(2, 3), padding='same', data_format='channels_first'", (2, 2, 5, 7)),
    pool_case("max_pooling2d_channels_first", "MaxPooling2D", "2, data_format='channels_first'", (2, 3, 4, 6)),
    global_case("global_average_pooling1d_channels_first", "GlobalAveragePooling1D", "data_format='channels_first'",
                (2, 3, 5)),
    global_case("global_max_pooling2d_channels_first", "GlobalMaxPooling2D",
                "data_format='channels_first', keepdims=True", (2, 3, 4, 2)),
    zero_padding_case("zero_padding1d_channels_first", "ZeroPadding1D", "(1, 2), 'channels_first'", (2, 3, 4),
                      [(1, 2)]),
    zero_padding_case("zero_padding2d_channels_first", "ZeroPadding2D",
                      "((1, 0), (2, 1)), data_format='channels_first'", (2, 2, 3, 3), [(1, 0), (2, 1)]),
    cropping2d_case("cropping2d_channels_first", "((1, 0), (2, 1)), data_format='channels_first'", (2, 2, 4, 6),
                    ((1, 0), (2, 1))),
    up_sampling_case("up_sampling2d_channels_first", "UpSampling2D", "(2, 3), data_format='channels_first'",
                     (2, 2, 3, 2)),
    up_sampling_case("up_sampling2d_bilinear_channels_first", "UpSampling2D",
                     "2, 'channels_first', 'bilinear'", (2, 2, 3, 4)),
    # groups: each group of in/groups channels makes filters/groups of the outputs
    conv_case("conv1d_groups", "Conv1D", "4, 3, groups=2, activation='tanh'", (2, 7, 6)),
    conv_case("conv2d_groups", "Conv2D", "6, (2, 3), padding='same', groups=3", (2, 4, 5, 3)),
    conv_case("conv2d_groups_channels_first", "Conv2D",
              "4, 3, strides=2, data_format='channels_first', groups=4, use_bias=False", (2, 4, 6, 5)),
    conv_case("conv2d_depthwise_groups", "Conv2D", "6, 2, dilation_rate=2, groups=3", (1, 6, 6, 3)),
    flatten_channels_first_case("flatten_channels_first", (2, 3, 2, 4)),
    flatten_channels_first_case("flatten_channels_first_1d", (2, 3, 5)),
]


def check_against_torch() -> None:
    """The hand-made paddings agree with nn.* where nn.* has the same case."""
    g = torch.Generator()
    g.manual_seed(3)
    x = torch.rand((2, 3, 9), generator=g)
    w = torch.rand((4, 3, 3), generator=g)
    # 'same' with stride 1: torch's padding='same' also puts the odd cell after
    warnings.filterwarnings("ignore", message="Using padding='same' with even kernel")
    for k, d in ((3, 1), (3, 2), (4, 1), (2, 3)):
        wk = torch.rand((4, 3, k), generator=g)
        mine = F.conv1d(pad_channels_first(x, [tf_pads(9, k, 1, d, "same")]), wk, dilation=d)
        assert torch.allclose(mine, F.conv1d(x, wk, padding="same", dilation=d), rtol=1e-13, atol=1e-14)
    # 'causal' = nn's symmetric padding of (k-1)*d, cut back to the first n outputs
    causal = F.conv1d(pad_channels_first(x, [tf_pads(9, 3, 1, 2, "causal")]), w, dilation=2)
    sym = F.conv1d(x, w, padding=4, dilation=2)[..., :9]
    assert torch.allclose(causal, sym, rtol=1e-13, atol=1e-14)
    # 'same' average pooling where every window is whole equals nn's; symmetric padding with
    # count_include_pad=False matches when TF's padding happens to be symmetric
    a = parse_args("pool_size=3, strides=1, padding='same'")
    mine = to_channels_first(pool_forward(1, "avg", a)(to_channels_last(x), {}, {}))
    ref = F.avg_pool1d(x, 3, 1, padding=1, count_include_pad=False)
    assert torch.allclose(mine, ref, rtol=1e-13, atol=1e-14)
    mine = to_channels_first(pool_forward(1, "max", a)(to_channels_last(x), {}, {}))
    assert torch.allclose(mine, F.max_pool1d(x, 3, 1, padding=1), rtol=1e-13, atol=1e-14)
    x2 = torch.rand((2, 3, 6, 6), generator=g)
    w2 = torch.rand((2, 3, 3, 3), generator=g)
    mine = F.conv2d(pad_channels_first(x2, [tf_pads(6, 3, 1, 1, "same")] * 2), w2)
    assert torch.allclose(mine, F.conv2d(x2, w2, padding="same"), rtol=1e-13, atol=1e-14)
    check_transpose_against_torch(g)
    # UpSampling2D bilinear: the half-pixel rule is F.interpolate's with align_corners=False
    for sh, sw in ((2, 2), (3, 1), (4, 3)):
        mine = bilinear_axis(bilinear_axis(x2, 2, sh), 3, sw)
        ref = F.interpolate(x2, scale_factor=(sh, sw), mode="bilinear", align_corners=False)
        assert torch.allclose(mine, ref, rtol=1e-13, atol=1e-14), (sh, sw)


def check_transpose_against_torch(g: torch.Generator) -> None:
    """The cut scatter equals nn's ConvTranspose where nn's symmetric padding says the same, and
    it is one cell off where it cannot: 'same' with strides 2, kernel 3."""
    x = torch.rand((2, 3, 5, 5), generator=g)
    w = torch.rand((3, 2, 3, 3), generator=g)  # torch (in, filters, kh, kw)
    whole = F.conv_transpose2d(x, w, stride=2)  # 11 x 11: (5 - 1) * 2 + 3
    # 'same', strides 1: Keras cuts 1 cell each side, as padding=1 does
    keras = crop_channels_first(F.conv_transpose2d(x, w), [keras_transpose_cuts(3, 1, 1, "same", None)] * 2)
    assert torch.allclose(keras, F.conv_transpose2d(x, w, padding=1), rtol=1e-13, atol=1e-14)
    # 'valid' with output_padding 1: both add one cell at the end
    keras = crop_channels_first(whole, [keras_transpose_cuts(3, 2, 1, "valid", 1)] * 2)
    assert torch.allclose(keras, F.conv_transpose2d(x, w, stride=2, output_padding=1), rtol=1e-13, atol=1e-14)
    # 'same', strides 2: Keras keeps cells 0..9 of the scatter, padding=1 + output_padding=1 keeps 1..10
    keras = crop_channels_first(whole, [keras_transpose_cuts(3, 2, 1, "same", None)] * 2)
    nn = F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)
    assert keras.shape == nn.shape == (2, 2, 10, 10)
    assert not torch.allclose(keras, nn)
    assert torch.allclose(keras[..., 1:, 1:], nn[..., :-1, :-1], rtol=1e-13, atol=1e-14)


def main() -> int:
    check_against_torch()
    write_cases(CASES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
