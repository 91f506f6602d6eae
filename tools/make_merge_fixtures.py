#!/usr/bin/python3
"""Reference fixtures for the merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate and Dot, with and without masks.

A merge takes several inputs, so these fixtures hold x0, x1, ... instead of one x (the same
safetensors format and writer as tools/make_fixtures.py): for each case seeded inputs x<k>, the
merged output y from PyTorch in float64, an upstream gradient dy, the gradients dx<k> of
sum(y * dy), and, where the output carries a mask, that mask as 0/1 values (B, T). They are written
to tests/fixtures/merge_<case>.safetensors.

An input listed in `masked` goes through Masking() (mask_value 0) before the merge, as
tests/check_merge.c builds it: the steps of x<k> that `keep` marks 0 are all zeros, Masking flags
them, and the merge combines the masks. The merges follow Keras 3's code
(keras/src/layers/merging/) line by line with torch operations:
  - inputs of lower rank get axes of size 1 after the batch axis (base_merge.Merge.call), then
    broadcast;
  - Multiply sets masked entries to 1, and with every input masked zeroes what all mask
    (multiply.py); Maximum and Minimum replace a masked entry by the other operand
    (Merge._apply_merge_op_and_or_mask); the output mask is the OR of the masks when every input
    has one (Merge.compute_mask);
  - Concatenate joins masks as Concatenate.compute_mask does: an unmasked input counts as all
    true, the joined mask is reduced with any() over the last axis;
  - Dot is keras.layers.merging.dot.batch_dot (transposes, reshapes and torch.bmm), with
    normalize as keras.ops.normalize: x * rsqrt(max(sum x^2, epsilon^2)).
check_against_torch below checks batch_dot against torch.einsum and the normalization against
F.normalize.

Run from the repository root:  tools/make_merge_fixtures.py   (deterministic output)
"""

import sys
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from make_fixtures import case_generator, nudge_from_kinks, parse_args, seeded_uniform, write_fixture

torch.set_default_dtype(torch.float64)

FORMAT = "shapelab-merge-fixture-1"
EPSILON = 1e-7  # Keras's backend.epsilon()

# merge(xs, masks) -> (y, output mask or None); masks[k] is a (B, T) bool tensor or None
Merge = Callable[[List[torch.Tensor], List[Optional[torch.Tensor]]], Tuple[torch.Tensor, Optional[torch.Tensor]]]


@dataclass
class MergeCase:
    name: str                          # file name stem, after "merge_"
    layer: str                         # Keras class name
    args: str                          # constructor arguments as a Keras user writes them
    shapes: List[Tuple[int, ...]]      # input shapes, batch first
    merge: Merge
    what: str
    keep: List[Optional[List[List[int]]]] = field(default_factory=list)  # per input: (B, T) 0/1, or None


# --- the elementwise merges (base_merge.py, add.py, ..., multiply.py) -----------------------------


def expand_ranks(xs: List[torch.Tensor]) -> List[torch.Tensor]:
    """Merge.call: inputs of lower rank get axes of size 1 at axis 1 until all ranks are equal."""
    top = max(x.dim() for x in xs)
    out = []
    for x in xs:
        while x.dim() < top:
            x = x.unsqueeze(1)
        out.append(x)
    return out


def full_mask(mask: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """ops.broadcast_to(ops.expand_dims(mask, -1), ops.shape(x))"""
    return mask.unsqueeze(-1).expand(x.shape)


def or_masks(masks: List[Optional[torch.Tensor]]) -> Optional[torch.Tensor]:
    """Merge.compute_mask: None if any input has none, else the OR of all."""
    if any(m is None for m in masks):
        return None
    out = masks[0]
    for m in masks[1:]:
        out = out | m
    return out


def add(xs, masks):
    xs = expand_ranks(xs)
    y = xs[0]
    for x in xs[1:]:
        y = y + x
    return y, or_masks(masks)


def subtract(xs, masks):
    xs = expand_ranks(xs)
    return xs[0] - xs[1], or_masks(masks)


def average(xs, masks):
    y, m = add(xs, masks)
    return y / len(xs), m


def multiply(xs, masks):
    xs = expand_ranks(xs)
    has_output_mask = all(m is not None for m in masks)
    output, output_mask = None, None
    for x, mask in zip(xs, masks):
        if mask is not None:
            mask = full_mask(mask, x)
            x = torch.where(mask, x, torch.ones_like(x))  # masked entries count as 1
            if has_output_mask:
                output_mask = mask if output_mask is None else output_mask | mask
        output = x if output is None else output * x
    if has_output_mask:
        output = torch.where(output_mask, output, torch.zeros_like(output))
        return output, output_mask.any(dim=-1)
    return output, None


def merge_op_and_or_mask(op):
    """Merge._apply_merge_op_and_or_mask, for Maximum and Minimum."""
    def merge(xs, masks):
        xs = expand_ranks(xs)
        output, output_mask = None, None
        for x, mask in zip(xs, masks):
            if mask is not None:
                mask = full_mask(mask, x)
            if output is None:
                output, output_mask = x, mask
                continue
            if mask is not None:
                x = torch.where(mask, x, output)
            if output_mask is not None:
                output = torch.where(output_mask, output, x)
            if mask is not None and output_mask is not None:
                output_mask = output_mask | mask
            else:
                output_mask = None
            output = op(output, x)
        return output, None if output_mask is None else output_mask.any(dim=-1)
    return merge


# --- Concatenate (concatenate.py) --------------------------------------------------------------------


def concatenate(axis: int) -> Merge:
    def merge(xs, masks):
        y = torch.cat(xs, dim=axis)
        if all(m is None for m in masks):
            return y, None
        full = []
        for x, m in zip(xs, masks):
            if m is None:
                full.append(torch.ones_like(x, dtype=torch.bool))
            elif m.dim() < x.dim():
                full.append(m.unsqueeze(-1) | torch.zeros_like(x, dtype=torch.bool))
            else:
                full.append(m)
        return y, torch.cat(full, dim=axis).any(dim=-1)
    return merge


# --- Dot (dot.py) -----------------------------------------------------------------------------------


def batch_dot(x: torch.Tensor, y: torch.Tensor, axes: Sequence[int]) -> torch.Tensor:
    """keras.src.layers.merging.dot.batch_dot, with torch operations (axes already positive)."""
    x_ndim, y_ndim = x.dim(), y.dim()
    a0, a1 = axes
    orig_x_ndim, orig_y_ndim = x_ndim, y_ndim
    if x_ndim == 2:
        x = x.unsqueeze(1)
        a0 += 1
        x_ndim += 1
    if y_ndim == 2:
        y = y.unsqueeze(2)
        y_ndim += 1
    if a0 != x_ndim - 1:  # x's reduced axis to the end
        pattern = list(range(x_ndim))
        for i in range(a0, x_ndim - 1):
            pattern[i] = pattern[i + 1]
        pattern[-1] = a0
        x = x.permute(pattern)
    if a1 != 1:  # y's reduced axis to position 1
        pattern = list(range(y_ndim))
        for i in range(a1, 1, -1):
            pattern[i] = pattern[i - 1]
        pattern[1] = a1
        y = y.permute(pattern)
    x_mid = x.shape[1:-1]
    y_trail = y.shape[2:]
    x3 = x.reshape(x.shape[0], -1, x.shape[-1])
    y3 = y.reshape(y.shape[0], y.shape[1], -1)
    result = torch.bmm(x3, y3).reshape((x.shape[0],) + tuple(x_mid) + tuple(y_trail))
    if orig_x_ndim == 2:
        result = result.squeeze(1)
    elif orig_y_ndim == 2:
        result = result.squeeze(-1)
    return result


def l2_normalize(x: torch.Tensor, axis: int) -> torch.Tensor:
    """keras.ops.normalize(x, axis, order=2): x * rsqrt(max(sum x^2, epsilon^2))."""
    square_sum = (x * x).sum(dim=axis, keepdim=True)
    return x * torch.rsqrt(torch.clamp(square_sum, min=EPSILON * EPSILON))


def dot(axes, normalize: bool = False) -> Merge:
    def merge(xs, _masks):
        x, y = xs
        if isinstance(axes, int):
            a = [axes % x.dim(), axes % y.dim()] if axes < 0 else [axes, axes]
        else:
            a = [axes[0] % x.dim(), axes[1] % y.dim()]
        if normalize:
            x, y = l2_normalize(x, a[0]), l2_normalize(y, a[1])
        return batch_dot(x, y, a), None  # Dot.compute_mask: None
    return merge


def check_against_torch() -> None:
    """batch_dot agrees with einsum, and the normalization with F.normalize."""
    g = torch.Generator()
    g.manual_seed(5)
    x, y = torch.rand((2, 3, 4), generator=g), torch.rand((2, 5, 3), generator=g)
    assert torch.allclose(batch_dot(x, y, (1, 2)), torch.einsum("bsi,bjs->bij", x, y), rtol=1e-13)
    x4, y3 = torch.rand((2, 2, 3, 2), generator=g), torch.rand((2, 3, 2), generator=g)
    assert torch.allclose(batch_dot(x4, y3, (2, 1)), torch.einsum("bpsq,bsj->bpqj", x4, y3), rtol=1e-13)
    v, w = torch.rand((3, 4), generator=g), torch.rand((3, 4), generator=g)
    assert torch.allclose(batch_dot(v, w, (1, 1)), (v * w).sum(1, keepdim=True), rtol=1e-13)
    assert torch.allclose(l2_normalize(x, 2), F.normalize(x, dim=2), rtol=1e-13)


# --- the cases ----------------------------------------------------------------------------------------

K0 = [[1, 1, 0, 0], [1, 0, 1, 1]]  # (B, T) = (2, 4): which steps each masked input keeps
K1 = [[1, 0, 1, 0], [1, 1, 1, 0]]  # step 3 of sample 0 is masked in both, others in one
K2 = [[0, 1, 1, 0], [1, 1, 0, 1]]
ONE = [[1], [0]]                   # a steps axis of 1: all of sample 1 masked

CASES: List[MergeCase] = [
    MergeCase("add", "Add", "", [(2, 3, 4), (2, 3, 4)], add, "Add of two (2, 3, 4) tensors."),
    MergeCase("add_broadcast", "Add", "", [(2, 3, 4), (2, 1, 4), (2, 4)], add,
              "Add of (2, 3, 4), (2, 1, 4) and (2, 4): size-1 and missing axes repeat."),
    MergeCase("subtract", "Subtract", "", [(2, 3, 4), (2, 3, 1)], subtract,
              "Subtract: (2, 3, 4) minus (2, 3, 1), the last axis repeated."),
    MergeCase("multiply", "Multiply", "", [(2, 3, 4)] * 3, multiply, "Multiply of three (2, 3, 4) tensors."),
    MergeCase("average", "Average", "", [(2, 3, 4), (2, 3, 4), (2, 1, 4)], average,
              "Average of (2, 3, 4), (2, 3, 4) and (2, 1, 4)."),
    MergeCase("maximum", "Maximum", "", [(2, 3, 4), (2, 3, 4)], merge_op_and_or_mask(torch.maximum),
              "Maximum of two (2, 3, 4) tensors."),
    MergeCase("minimum", "Minimum", "", [(2, 3, 4), (2, 1, 4), (2, 3, 1)], merge_op_and_or_mask(torch.minimum),
              "Minimum of (2, 3, 4), (2, 1, 4) and (2, 3, 1)."),
    MergeCase("concatenate", "Concatenate", "", [(2, 3, 4), (2, 3, 2)], concatenate(-1),
              "Concatenate on the last axis: (2, 3, 4) and (2, 3, 2) to (2, 3, 6)."),
    MergeCase("concatenate_axis1", "Concatenate", "axis=1", [(2, 3, 4), (2, 2, 4), (2, 1, 4)], concatenate(1),
              "Concatenate on axis 1 (the steps) of three inputs."),
    MergeCase("concatenate_4d_axis2", "Concatenate", "axis=2", [(2, 2, 3, 2), (2, 2, 1, 2)], concatenate(2),
              "Concatenate of 4-D inputs on axis 2."),
    MergeCase("dot_last", "Dot", "axes=-1", [(2, 3, 4), (2, 5, 4)], dot(-1),
              "Dot(axes=-1): (2, 3, 4) and (2, 5, 4) to (2, 3, 5), a batch of x z^T."),
    MergeCase("dot_pair", "Dot", "axes=(1, 2)", [(2, 3, 4), (2, 5, 3)], dot((1, 2)),
              "Dot(axes=(1, 2)): (2, 3, 4) and (2, 5, 3) to (2, 4, 5)."),
    MergeCase("dot_2d", "Dot", "axes=1", [(3, 4), (3, 4)], dot(1),
              "Dot(axes=1) of two (3, 4) tensors: one product per sample, (3, 1)."),
    MergeCase("dot_2d_3d", "Dot", "axes=(1, 2)", [(2, 4), (2, 3, 4)], dot((1, 2)),
              "Dot(axes=(1, 2)) of (2, 4) and (2, 3, 4): (2, 3)."),
    MergeCase("dot_4d", "Dot", "axes=(2, 1)", [(2, 2, 3, 2), (2, 3, 2)], dot((2, 1)),
              "Dot(axes=(2, 1)) of (2, 2, 3, 2) and (2, 3, 2): (2, 2, 2, 2)."),
    MergeCase("dot_normalize", "Dot", "axes=2, normalize=True", [(2, 3, 4), (2, 5, 4)], dot(2, True),
              "Dot(axes=2, normalize=True): cosine similarities, (2, 3, 5)."),
    # masks
    MergeCase("add_masked", "Add", "", [(2, 4, 3), (2, 4, 3)], add,
              "Add of two masked inputs: the values as without masks, the output mask their OR.",
              keep=[K0, K1]),
    MergeCase("add_masked_one", "Add", "", [(2, 4, 3), (2, 4, 3)], add,
              "Add of a masked and an unmasked input: no output mask.", keep=[K0, None]),
    MergeCase("subtract_masked", "Subtract", "", [(2, 4, 3), (2, 4, 3)], subtract,
              "Subtract of two masked inputs.", keep=[K0, K1]),
    MergeCase("average_masked", "Average", "", [(2, 4, 3), (2, 4, 3), (2, 4, 3)], average,
              "Average of three masked inputs.", keep=[K0, K1, K2]),
    MergeCase("multiply_masked", "Multiply", "", [(2, 4, 3), (2, 4, 3)], multiply,
              "Multiply of two masked inputs: masked entries count 1, entries masked in both are 0.",
              keep=[K0, K1]),
    MergeCase("multiply_masked_one", "Multiply", "", [(2, 4, 3), (2, 4, 3), (2, 4, 3)], multiply,
              "Multiply with one unmasked input: masked entries count 1, no output mask.",
              keep=[K0, None, K2]),
    MergeCase("maximum_masked", "Maximum", "", [(2, 4, 3), (2, 4, 3)], merge_op_and_or_mask(torch.maximum),
              "Maximum of two masked inputs: a masked entry gives way to the other input.", keep=[K0, K1]),
    MergeCase("maximum_masked_broadcast", "Maximum", "", [(2, 4, 3), (2, 1, 3)],
              merge_op_and_or_mask(torch.maximum),
              "Maximum of (2, 4, 3) and (2, 1, 3), both masked: the (2, 1) mask repeats along the steps.",
              keep=[K0, ONE]),
    MergeCase("minimum_masked_one", "Minimum", "", [(2, 4, 3), (2, 4, 3), (2, 4, 3)],
              merge_op_and_or_mask(torch.minimum),
              "Minimum with the middle input unmasked: masked entries give way, no output mask.",
              keep=[K0, None, K1]),
    MergeCase("concatenate_masked_one", "Concatenate", "", [(2, 4, 3), (2, 4, 2)], concatenate(-1),
              "Concatenate on the last axis of a masked and an unmasked input: the mask is all true.",
              keep=[K0, None]),
    MergeCase("concatenate_masked", "Concatenate", "axis=-1", [(2, 4, 3), (2, 4, 2)], concatenate(-1),
              "Concatenate on the last axis of two masked inputs: the mask is their OR.", keep=[K0, K1]),
    MergeCase("concatenate_masked_axis1", "Concatenate", "axis=1", [(2, 4, 3), (2, 2, 3), (2, 4, 3)],
              concatenate(1),
              "Concatenate on the steps: the masks are joined, the unmasked input counts as all true.",
              keep=[K0, None, K1]),
    MergeCase("dot_masked", "Dot", "axes=(2, 2)", [(2, 4, 3), (2, 4, 3)], dot((2, 2)),
              "Dot of two masked inputs: no mask leaves it.", keep=[K0, K1]),
]


def masking(x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """keras.layers.Masking(mask_value=0.0): a step is kept when any feature is not 0."""
    m = (x != 0).any(dim=-1)
    return x * m.unsqueeze(-1).to(x.dtype), m


def assert_no_ties(case: MergeCase, xs: List[torch.Tensor]) -> None:
    """Maximum and Minimum: no two inputs within 1e-3 where they meet (a float32 build could pick
    the other one)."""
    if case.layer not in ("Maximum", "Minimum"):
        return
    e = expand_ranks(xs)
    for i in range(len(e)):
        for j in range(i + 1, len(e)):
            gap = (e[i] - e[j]).abs()
            gap = gap[(e[i] != 0) & (e[j] != 0)]  # masked (zeroed) entries take no part
            assert gap.numel() == 0 or float(gap.min()) > 1e-3, f"{case.name}: inputs {i} and {j} nearly tie"


def build(case: MergeCase) -> List[Tuple[str, torch.Tensor]]:
    g = case_generator(case.name)
    keep = case.keep or [None] * len(case.shapes)
    xs = []
    for shape, k in zip(case.shapes, keep):
        x = nudge_from_kinks(seeded_uniform(g, shape, -1.5, 1.5), (0.0,))
        if k is not None:  # masked steps hold only zeros, which Masking() flags
            x = x * torch.tensor(k, dtype=torch.float64).reshape(shape[:2] + (1,) * (len(shape) - 2))
        xs.append(x.requires_grad_(True))
    assert_no_ties(case, [x.detach() for x in xs])
    merged_in, masks = [], []
    for x, k in zip(xs, keep):
        if k is None:
            merged_in.append(x)
            masks.append(None)
        else:
            xm, m = masking(x)
            assert m.tolist() == [[bool(v) for v in row] for row in k], f"{case.name}: Masking's mask"
            merged_in.append(xm)
            masks.append(m)
    y, mask = case.merge(merged_in, masks)
    dy = seeded_uniform(g, y.shape, -1.0, 1.0)
    (y * dy).sum().backward()
    out = [(f"x{k}", x) for k, x in enumerate(xs)] + [("y", y), ("dy", dy)]
    out += [(f"dx{k}", x.grad) for k, x in enumerate(xs)]
    if mask is not None:
        out.append(("mask", mask.to(torch.float64)))
    return out


def metadata(case: MergeCase) -> dict:
    keep = case.keep or [None] * len(case.shapes)
    parse_args(case.args)  # keyword arguments only, as the C test passes them on
    return {
        "format": FORMAT,
        "layer": case.layer,
        "args": case.args,
        "inputs": str(len(case.shapes)),
        "masked": ",".join("1" if k is not None else "0" for k in keep),
        "what": case.what,
    }


def main() -> int:
    check_against_torch()
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    for case in CASES:
        write_fixture(f"merge_{case.name}", build(case), metadata(case))
    return 0


if __name__ == "__main__":
    sys.exit(main())
