#!/usr/bin/python3
"""Reference fixtures for the normalization family: LayerNormalization and BatchNormalization.

The same format and the same case machinery as tools/make_fixtures.py (imported from it): for each
case a seeded input x, seeded weights in Keras layout (gamma and beta have the shape of the
normalized axes), y from PyTorch in float64, an upstream gradient dy and the gradients of
sum(y * dy), written to tests/fixtures/norm_<case>.safetensors.

Keras's rule is written with torch operations (keras_layer_norm below): the mean and the biased
variance over the normalized axes, r = 1/sqrt(var + epsilon), y = gamma * (x - mean) * r + beta.
Keras's epsilon defaults to 1e-3, PyTorch's to 1e-5, so every comparison passes epsilon
explicitly. check_against_torch checks the rule against F.layer_norm (values and gradients) for
every case that F.layer_norm has: it normalizes the last axes, so the normalized axes are moved
last first. rms_scaling=True (deprecated in Keras 3: x * r * gamma, not centred, no beta) has no
nn.* counterpart; it is checked against the figures of Keras's own test instead, as is the plain
rule (keras/src/layers/normalization/layer_normalization_test.py).

BatchNormalization (BN_CASES) has state and two modes, so its files hold more: the moving
statistics before (moving_mean, moving_variance, as the weights) and after one forward pass
(after/moving_mean, after/moving_variance), and a "masked" flag: the test then puts a Masking()
layer first, and x has whole steps of zeros. keras_batch_norm writes Keras's rule with torch
operations: in training the mean and the *biased* variance over every axis but the channel axis,
moving = moving * momentum + batch * (1 - momentum); in inference the moving statistics. With a
mask, Keras's _moments weighs each step by its mask and divides by (count + 1e-7).
check_bn_against_torch checks it against nn.BatchNorm1d/2d wherever they have the same case:
forward and gradients in train mode, forward in eval mode with the running statistics set, and
the running statistics themselves: PyTorch's momentum is 1 - Keras's, and its running variance
uses the *unbiased* variance, so there the check is that PyTorch's running variance is
moving * momentum + var * n/(n-1) * (1 - momentum) while Keras's uses var itself. The masked rule
is checked against the unmasked one on the batch without its masked steps.

Run from the repository root:  tools/make_norm_fixtures.py   (deterministic output)
"""

import sys
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from make_fixtures import (Case, call_args, case_generator, seeded_uniform, write_cases,
                           write_fixture)

torch.set_default_dtype(torch.float64)

# LayerNormalization's positional arguments in Keras 3's order (rms_scaling is keyword-only).
LN_POSITIONAL = ("axis", "epsilon", "center", "scale")


def canonical_axes(axis, rank: int) -> List[int]:
    """Keras's canonicalize_axes, sorted as its build() sorts them."""
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    return sorted(a + rank if a < 0 else a for a in axes)


def keras_layer_norm(x: torch.Tensor, gamma: Optional[torch.Tensor], beta: Optional[torch.Tensor],
                     axes: Sequence[int], epsilon: float, rms_scaling: bool = False) -> torch.Tensor:
    """Keras 3's ops.layer_normalization with torch operations; gamma/beta None when absent."""
    mean = x.mean(dim=tuple(axes), keepdim=True)
    var = ((x - mean) ** 2).mean(dim=tuple(axes), keepdim=True)
    r = torch.rsqrt(var + epsilon)
    z = x * r if rms_scaling else (x - mean) * r
    # gamma and beta span the normalized axes: broadcast them over the others
    shape = [x.shape[d] if d in axes else 1 for d in range(x.dim())]
    if gamma is not None:
        z = z * gamma.reshape(shape)
    if beta is not None:
        z = z + beta.reshape(shape)
    return z


def torch_layer_norm(x: torch.Tensor, gamma: Optional[torch.Tensor], beta: Optional[torch.Tensor],
                     axes: Sequence[int], epsilon: float) -> torch.Tensor:
    """F.layer_norm on the same case: the normalized axes moved last, normalized, moved back."""
    kept = [d for d in range(x.dim()) if d not in axes]
    order = kept + list(axes)
    back = [order.index(d) for d in range(x.dim())]
    xp = x.permute(order)
    y = F.layer_norm(xp, tuple(x.shape[d] for d in axes), gamma, beta, eps=epsilon)
    return y.permute(back)


def layer_norm_settings(args: str, rank: int):
    """(axes, epsilon, center, scale, rms_scaling) from the arguments as a Keras user writes them."""
    a = call_args(args, LN_POSITIONAL)
    rms = a.get("rms_scaling", False)
    return (canonical_axes(a.get("axis", -1), rank), a.get("epsilon", 1e-3), a.get("center", True),
            a.get("scale", True), rms)


def layer_norm_case(name: str, args: str, x_shape: Tuple[int, ...]) -> Case:
    axes, eps, center, scale, rms = layer_norm_settings(args, len(x_shape))
    shape = tuple(x_shape[d] for d in axes)
    params = []
    if scale or rms:  # Keras's build(): gamma first, then beta
        params.append(("gamma", shape))
    if center and not rms:
        params.append(("beta", shape))

    def forward(x, p, _extra):
        return keras_layer_norm(x, p.get("gamma"), p.get("beta"), axes, eps, rms)

    return Case(f"norm_{name}", "LayerNormalization", args, x_shape, forward,
                what=f"LayerNormalization({args}) on {x_shape}: axes {axes}, epsilon {eps}",
                params=params, kinks=())


CASES = [
    layer_norm_case("layer_norm_last", "", (2, 3, 5)),
    layer_norm_case("layer_norm_2d_eps", "epsilon=1e-5", (4, 6)),
    layer_norm_case("layer_norm_axis1", "axis=1", (2, 4, 3)),
    layer_norm_case("layer_norm_two_last", "axis=[-2, -1]", (2, 3, 4)),
    layer_norm_case("layer_norm_middle_axes", "axis=(1, 2)", (2, 3, 2, 4)),
    layer_norm_case("layer_norm_whole_sample", "axis=[1, 2, 3], epsilon=0.01", (2, 2, 3, 2)),
    layer_norm_case("layer_norm_positional_beta_only", "-1, 0.01, True, False", (3, 4)),
    layer_norm_case("layer_norm_gamma_only", "center=False", (2, 3, 4)),
    layer_norm_case("layer_norm_no_weights", "center=False, scale=False", (2, 3, 4)),
    layer_norm_case("layer_norm_rms_scaling", "rms_scaling=True", (2, 3, 5)),
    layer_norm_case("layer_norm_rms_scaling_axis1", "axis=1, rms_scaling=True", (2, 4, 3)),
]


def check_against_keras_test() -> None:
    """The figures of Keras's own test_output and test_output_with_rms_scaling (gamma = beta = 1)."""
    x = torch.arange(5.0)[None, :]
    ones = torch.ones(5)
    y = keras_layer_norm(x, ones, ones, [1], 1e-3)
    want = torch.tensor([[-0.41386, 0.29307, 1.0, 1.70693, 2.41386]])
    assert torch.allclose(y, want, atol=1e-5), y
    y = keras_layer_norm(x, ones, None, [1], 1e-3, rms_scaling=True)
    want = torch.tensor([[0.0, 0.70693, 1.41386, 2.12079, 2.82772]])
    assert torch.allclose(y, want, atol=1e-5), y


def check_against_torch() -> None:
    """keras_layer_norm equals F.layer_norm, values and gradients, on every case F has."""
    g = torch.Generator()
    g.manual_seed(5)
    for case in CASES:
        axes, eps, center, scale, rms = layer_norm_settings(case.args, len(case.x_shape))
        if rms:
            continue
        shape = tuple(case.x_shape[d] for d in axes)
        x = torch.rand(case.x_shape, generator=g).requires_grad_(True)
        gamma = (torch.rand(shape, generator=g) - 0.5).requires_grad_(True) if scale else None
        beta = (torch.rand(shape, generator=g) - 0.5).requires_grad_(True) if center else None
        dy = torch.rand(case.x_shape, generator=g)
        leaves = [t for t in (x, gamma, beta) if t is not None]
        mine = keras_layer_norm(x, gamma, beta, axes, eps)
        ref = torch_layer_norm(x, gamma, beta, axes, eps)
        assert torch.allclose(mine, ref, rtol=1e-12, atol=1e-13), f"{case.name}: value"
        for a, b in zip(torch.autograd.grad((mine * dy).sum(), leaves),
                        torch.autograd.grad((ref * dy).sum(), leaves)):
            assert torch.allclose(a, b, rtol=1e-10, atol=1e-12), f"{case.name}: gradient"


# --- BatchNormalization ---------------------------------------------------------

# Its positional arguments in Keras 3's order.
BN_POSITIONAL = ("axis", "momentum", "epsilon", "center", "scale")
KERAS_EPSILON = 1e-7  # backend.epsilon(), in the masked moments


def bn_settings(args: str, rank: int):
    """(channel axis, momentum, epsilon, center, scale) from the arguments as written."""
    a = call_args(args, BN_POSITIONAL)
    axis = a.get("axis", -1)
    return (axis + rank if axis < 0 else axis, a.get("momentum", 0.99), a.get("epsilon", 1e-3),
            a.get("center", True), a.get("scale", True))


def keras_batch_norm(x, gamma, beta, moving_mean, moving_var, axis, momentum, epsilon, training,
                     mask=None):
    """Keras 3's BatchNormalization.call with torch operations: (y, new moving mean, new moving
    variance). mask: (batch, timesteps) of 0/1 for a 3-D x, or None."""
    red = tuple(d for d in range(x.dim()) if d != axis)
    shape = [x.shape[d] if d == axis else 1 for d in range(x.dim())]
    if training:
        if mask is None:
            mean = x.mean(dim=red, keepdim=True)
            var = ((x - mean) ** 2).mean(dim=red, keepdim=True)
        else:
            w = mask[..., None].expand_as(x)
            count = w.sum(dim=red, keepdim=True) + KERAS_EPSILON
            mean = (w * x).sum(dim=red, keepdim=True) / count
            var = (w * (x - mean) ** 2).sum(dim=red, keepdim=True) / count
        new_mean = moving_mean * momentum + mean.reshape(-1) * (1 - momentum)
        new_var = moving_var * momentum + var.reshape(-1) * (1 - momentum)
    else:
        mean, var = moving_mean.reshape(shape), moving_var.reshape(shape)
        new_mean, new_var = moving_mean, moving_var
    y = (x - mean) * torch.rsqrt(var + epsilon)
    if gamma is not None:
        y = y * gamma.reshape(shape)
    if beta is not None:
        y = y + beta.reshape(shape)
    return y, new_mean, new_var


class BnCase:
    def __init__(self, name: str, args: str, x_shape: Tuple[int, ...], training: bool,
                 masked_steps: Tuple[Tuple[int, int], ...] = ()):
        self.name, self.args, self.x_shape, self.training = f"norm_{name}", args, x_shape, training
        self.masked_steps = masked_steps  # (sample, step) pairs set to zero, masked by Masking()


def bn_build(case: BnCase):
    axis, momentum, eps, center, scale = bn_settings(case.args, len(case.x_shape))
    channels = case.x_shape[axis]
    g = case_generator(case.name)
    # draw order: x, gamma, beta, moving mean, moving variance, dy
    x = seeded_uniform(g, case.x_shape, -1.5, 1.5) * 2 + 0.7  # a mean and spread of its own
    mask = None
    if case.masked_steps:
        mask = torch.ones(case.x_shape[:2])
        for b, t in case.masked_steps:
            x[b, t, :] = 0.0
            mask[b, t] = 0.0
    x.requires_grad_(True)
    params = []
    if scale:
        params.append(("gamma", seeded_uniform(g, (channels,), 0.5, 1.5)))
    if center:
        params.append(("beta", seeded_uniform(g, (channels,), -0.5, 0.5)))
    for _, t in params:
        t.requires_grad_(True)
    moving_mean = seeded_uniform(g, (channels,), -0.5, 0.5)
    moving_var = seeded_uniform(g, (channels,), 0.5, 2.0)
    p = dict(params)
    # a masked case runs Masking() first, which multiplies x by the mask (dx too)
    x_in = x if mask is None else x * mask[..., None]
    y, new_mean, new_var = keras_batch_norm(x_in, p.get("gamma"), p.get("beta"), moving_mean,
                                            moving_var, axis, momentum, eps, case.training, mask)
    dy = seeded_uniform(g, y.shape, -1.0, 1.0)
    (y * dy).sum().backward()
    out = [("x", x), ("y", y), ("dy", dy), ("dx", x.grad)]
    out += params
    out += [("moving_mean", moving_mean), ("moving_variance", moving_var)]
    out += [("grad/" + n, t.grad) for n, t in params]
    out += [("after/moving_mean", new_mean), ("after/moving_variance", new_var)]
    meta = {"format": "shapelab-fixture-1", "layer": "BatchNormalization", "args": case.args,
            "training": "1" if case.training else "0", "seed": "0",
            "masked": "1" if case.masked_steps else "0",
            "what": f"BatchNormalization({case.args}) on {case.x_shape}, "
                    + ("training: batch statistics, moving ones updated" if case.training
                       else "inference: the moving statistics")
                    + (f", steps {list(case.masked_steps)} masked" if case.masked_steps else "")}
    return out, meta


BN_CASES = [
    BnCase("batch_norm_dense_train", "", (6, 4), True),
    BnCase("batch_norm_dense_infer", "", (6, 4), False),
    BnCase("batch_norm_seq_train", "momentum=0.9, epsilon=1e-5", (3, 4, 3), True),
    BnCase("batch_norm_image_train", "", (2, 3, 4, 3), True),
    BnCase("batch_norm_image_infer", "", (2, 3, 4, 3), False),
    BnCase("batch_norm_axis1_train", "axis=1", (3, 4, 2), True),
    BnCase("batch_norm_positional", "-1, 0.5, 0.01, True, False", (5, 3), True),
    BnCase("batch_norm_beta_only_infer", "scale=False", (4, 3), False),
    BnCase("batch_norm_no_weights_train", "center=False, scale=False", (4, 2, 3), True),
    BnCase("batch_norm_masked_train", "", (3, 4, 2), True, ((0, 3), (1, 2), (1, 3), (2, 0))),
    BnCase("batch_norm_masked_infer", "", (3, 4, 2), False, ((0, 3), (1, 2))),
]


def torch_bn_module(x: torch.Tensor, axis: int):
    """nn.BatchNorm1d/2d for x with its channels on `axis`, and how to move them to axis 1 and
    back; None when PyTorch has no module for the case."""
    if x.dim() == 2 and axis == 1:
        return nn.BatchNorm1d, (0, 1)
    if x.dim() == 3:
        return nn.BatchNorm1d, ((0, 2, 1) if axis == 2 else (0, 1, 2))
    if x.dim() == 4 and axis == 3:
        return nn.BatchNorm2d, (0, 3, 1, 2)
    return None


def check_bn_against_torch() -> None:
    """keras_batch_norm against nn.BatchNorm: forward, gradients, running statistics, eval mode."""
    g = torch.Generator()
    g.manual_seed(7)
    for case in BN_CASES:
        if case.masked_steps:
            continue
        axis, momentum, eps, center, scale = bn_settings(case.args, len(case.x_shape))
        module = torch_bn_module(torch.zeros(case.x_shape), axis)
        assert module is not None, case.name
        cls, order = module
        back = [order.index(d) for d in range(len(order))]
        c = case.x_shape[axis]
        x = (torch.rand(case.x_shape, generator=g) * 3 - 1).requires_grad_(True)
        gamma = (torch.rand(c, generator=g) + 0.5).requires_grad_(True)
        beta = (torch.rand(c, generator=g) - 0.5).requires_grad_(True)
        mm, mv = torch.rand(c, generator=g) - 0.5, torch.rand(c, generator=g) + 0.5
        dy = torch.rand(case.x_shape, generator=g)
        bn = cls(c, eps=eps, momentum=1 - momentum, affine=True)
        with torch.no_grad():
            bn.weight.copy_(gamma), bn.bias.copy_(beta)
            bn.running_mean.copy_(mm), bn.running_var.copy_(mv)
        for training in (True, False):
            bn.train(training)
            before_var = bn.running_var.clone()
            ref = bn(x.permute(order)).permute(back)
            mine, new_mean, new_var = keras_batch_norm(x, gamma, beta, mm, mv, axis, momentum,
                                                       eps, training)
            assert torch.allclose(mine, ref, rtol=1e-12, atol=1e-12), f"{case.name}: y"
            leaves = [x, gamma, beta]
            for a, b in zip(torch.autograd.grad((mine * dy).sum(), leaves),
                            torch.autograd.grad((ref * dy).sum(), [x, bn.weight, bn.bias])):
                assert torch.allclose(a, b, rtol=1e-10, atol=1e-12), f"{case.name}: gradient"
            if not training:
                continue
            # the moving mean agrees; PyTorch's running variance uses the unbiased variance
            assert torch.allclose(bn.running_mean, new_mean, rtol=1e-12), case.name
            n = x.numel() // c
            batch_var = (new_var - mv * momentum) / (1 - momentum)
            want_torch = before_var * momentum + batch_var * n / (n - 1) * (1 - momentum)
            assert torch.allclose(bn.running_var, want_torch, rtol=1e-12), case.name
            assert not torch.allclose(bn.running_var, new_var, rtol=1e-6), case.name
            with torch.no_grad():  # back to the same start for eval mode
                bn.running_mean.copy_(mm), bn.running_var.copy_(mv)


def check_bn_masked() -> None:
    """The masked rule equals the plain rule on the batch without its masked steps (up to the
    1e-7 in the count), and the masked steps are normalized with those statistics too."""
    x = torch.rand(3, 4, 2, generator=torch.Generator().manual_seed(3)) * 2
    mask = torch.ones(3, 4)
    mask[0, 3] = mask[1, 2] = mask[1, 3] = 0
    gamma, beta = torch.tensor([1.5, 0.5]), torch.tensor([0.1, -0.2])
    mm, mv = torch.zeros(2), torch.ones(2)
    y, m1, v1 = keras_batch_norm(x, gamma, beta, mm, mv, 2, 0.9, 1e-3, True, mask)
    kept = x[mask.bool()]  # (unmasked steps, 2)
    y_kept, m2, v2 = keras_batch_norm(kept, gamma, beta, mm, mv, 1, 0.9, 1e-3, True)
    assert torch.allclose(m1, m2, rtol=1e-6) and torch.allclose(v1, v2, rtol=1e-6)
    assert torch.allclose(y[mask.bool()], y_kept, rtol=1e-6)
    mean = kept.mean(0)
    assert torch.allclose(y[0, 3], (x[0, 3] - mean) * torch.rsqrt(kept.var(0, unbiased=False) + 1e-3)
                          * gamma + beta, rtol=1e-6)


def main() -> int:
    check_against_keras_test()
    check_against_torch()
    check_bn_against_torch()
    check_bn_masked()
    write_cases(CASES)
    names = [c.name for c in BN_CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    for case in BN_CASES:
        write_fixture(case.name, *bn_build(case))
    return 0


if __name__ == "__main__":
    sys.exit(main())
