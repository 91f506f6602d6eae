#!/usr/bin/python3
"""Reference fixtures for the normalization family: LayerNormalization.

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

Run from the repository root:  tools/make_norm_fixtures.py   (deterministic output)
"""

import sys
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from make_fixtures import Case, call_args, write_cases

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


def main() -> int:
    check_against_keras_test()
    check_against_torch()
    write_cases(CASES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
