#!/usr/bin/python3
"""Generate reference fixtures for shapelab's layer, loss, optimizer and fit tests.

For every case in CASES below this script builds a seeded input batch `x`,
seeded layer parameters and a seeded upstream gradient `dy`, computes the
layer's output `y` with PyTorch (float64, Keras 3 semantics, Keras layouts),
and obtains the gradients of the objective sum(y * dy) with autograd.  Each
case is written to tests/fixtures/<case>.safetensors.

Three more tables work the same way:
  LOSS_CASES   -> loss_<case>.safetensors: a loss, its gradient d loss / d y_pred
                  and the metrics (accuracy, mae, mse) as [sum, count];
  OPTIM_CASES  -> optim_<case>.safetensors: weights after each of 5 optimizer
                  steps with given gradients;
  FIT_CASES    -> fit_<case>.safetensors: a small Sequential model trained with
                  fit(), its initial and final weights and per-epoch loss/accuracy.

Run it from the repository root with the Debian system Python:

    tools/make_fixtures.py            # or: /usr/bin/python3 tools/make_fixtures.py

The output is deterministic: running it twice gives byte-identical files
(fixed seeds per case, sorted JSON keys, no timestamps).

File format (safetensors): 8-byte little-endian u64 N, then an N-byte UTF-8
JSON header (padded with spaces so N % 8 == 0), then the raw tensor data,
packed contiguously, C order, little-endian float64 ("F64").

Adding a layer family means adding rows to CASES: a name, the Keras class
name, the Keras constructor arguments as written by a user, the input shape,
parameter shapes in Keras layout, and a torch function y = f(x, params, extra).
"""

import ast
import math
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from safetensors_io import read_safetensors, write_safetensors

torch.set_default_dtype(torch.float64)

FORMAT = "shapelab-fixture-1"
OUT_DIR = Path(__file__).resolve().parent.parent / "tests" / "fixtures"

# ---------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------


def case_generator(name: str) -> torch.Generator:
    """A torch RNG whose seed is a stable function of the case name.

    crc32 is fixed by its definition (unlike Python's salted hash()), so the
    same case always gets the same numbers, and adding a case elsewhere in the
    table does not change the numbers of the others.
    """
    g = torch.Generator()
    g.manual_seed(zlib.crc32(name.encode("utf-8")))
    return g


def seeded_uniform(g: torch.Generator, shape: Sequence[int], lo: float, hi: float) -> torch.Tensor:
    """Uniform float64 values in [lo, hi) drawn from generator g."""
    return lo + (hi - lo) * torch.rand(tuple(shape), generator=g, dtype=torch.float64)


def nudge_from_kinks(t: torch.Tensor, kinks: Sequence[float], margin: float = 0.1) -> torch.Tensor:
    """Push every value closer than `margin` to a kink out to margin..2*margin.

    A value v with |v - k| < margin becomes k + sign(v - k) * (margin + |v - k|),
    i.e. it lands in [margin, 2*margin) on the same side of the kink (v == k goes
    to the + side).  Kinks are points where the layer is not differentiable
    (0 for relu, +-3 for hard_sigmoid, ...), where float32 rounding could flip
    the branch taken and make gradients disagree.
    """
    t = t.clone()
    for k in kinks:
        d = t - k
        near = d.abs() < margin
        side = torch.where(d >= 0, torch.ones_like(d), -torch.ones_like(d))
        t = torch.where(near, k + side * (margin + d.abs()), t)
    return t


MASK64 = (1 << 64) - 1


class SplitMix64:
    """The project's RNG (splitmix64); uniform() gives a double in [0, 1)."""

    def __init__(self, seed: int):
        self.state = seed & MASK64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def uniform(self) -> float:
        return (self.next() >> 11) * 2.0 ** -53

    def normal(self) -> float:
        """sl_rng_normal: Box-Muller on two uniforms, 1 - u keeping the log's argument > 0."""
        u1 = 1.0 - self.uniform()
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(6.283185307179586 * u2)


def parse_args(args: str) -> Dict[str, object]:
    """Keyword arguments as a Keras user writes them ("momentum=0.9, nesterov=True") -> dict.

    Only keywords with literal values are accepted; "" gives {}.
    """
    call = ast.parse(f"f({args})", mode="eval").body
    assert isinstance(call, ast.Call) and not call.args, f"expected keyword arguments only: {args!r}"
    return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}


def call_args(args: str, positional: Sequence[str]) -> Dict[str, object]:
    """Arguments as a Keras user writes them, positional ones named by `positional` in order."""
    call = ast.parse(f"f({args})", mode="eval").body
    a = {name: ast.literal_eval(v) for name, v in zip(positional, call.args)}
    a.update({kw.arg: ast.literal_eval(kw.value) for kw in call.keywords})
    return a


def one_hot(classes: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Float64 one-hot vectors along a new last axis for integer-valued float class indices."""
    return F.one_hot(classes.long(), num_classes).to(torch.float64)


def seeded_classes(g: torch.Generator, shape: Sequence[int], num_classes: int) -> torch.Tensor:
    """Class indices 0..num_classes-1 (stored as float64), uniform, drawn from generator g."""
    return torch.floor(seeded_uniform(g, shape, 0.0, float(num_classes)))


def assert_clear_of(t: torch.Tensor, points: Sequence[float], what: str, margin: float = 1e-3) -> None:
    """Assert that no value of t lies within margin of a point (a kink or a threshold).

    Fixtures are also compared against float32 builds, where a value too close to
    a threshold could land on the other side.
    """
    for k in points:
        gap = float((t - k).abs().min())
        assert gap > margin, f"{what}: a value is {gap:.2e} from {k}"


# ---------------------------------------------------------------------------
# Activation functions, written with plain torch ops (Keras 3 definitions).
# Each one that nn.functional also provides is checked against it below.
# ---------------------------------------------------------------------------

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def act_linear(x):
    return x


def act_relu(x):
    return torch.where(x > 0, x, torch.zeros_like(x))


def act_elu(x, alpha=1.0):
    return torch.where(x > 0, x, alpha * torch.expm1(x))


def act_selu(x):
    return SELU_SCALE * torch.where(x > 0, x, SELU_ALPHA * torch.expm1(x))


def act_sigmoid(x):
    return 1.0 / (1.0 + torch.exp(-x))


def act_hard_sigmoid(x):
    # Keras 3: relu6(x + 3) / 6
    return torch.clamp(x + 3.0, 0.0, 6.0) / 6.0


def act_hard_sigmoid_k2(x):
    # Keras 2: clip(0.2 * x + 0.5, 0, 1)
    return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)


def act_tanh(x):
    return torch.tanh(x)


def act_softplus(x):
    return torch.log(1.0 + torch.exp(x))


def act_softsign(x):
    return x / (1.0 + torch.abs(x))


def act_swish(x):
    return x * act_sigmoid(x)


def act_softmax(x):
    # over the last axis, shifted by the max for stability
    e = torch.exp(x - x.max(dim=-1, keepdim=True).values)
    return e / e.sum(dim=-1, keepdim=True)


def act_leaky_relu(x, negative_slope=0.2):
    # Keras 3's keras.activations.leaky_relu: max(x, negative_slope * x), default slope 0.2
    return torch.maximum(x, negative_slope * x)


def act_relu6(x):
    return torch.clamp(x, 0.0, 6.0)


def act_gelu(x):
    # Keras 3's default approximate=False: x * Phi(x)
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def act_celu(x, alpha=1.0):
    return torch.clamp(x, min=0.0) + alpha * torch.expm1(torch.clamp(x, max=0.0) / alpha)


def act_soft_shrink(x):
    zero = torch.zeros_like(x)
    return torch.where(x > 0.5, x - 0.5, torch.where(x < -0.5, x + 0.5, zero))


def act_hard_shrink(x):
    return torch.where(x.abs() > 0.5, x, torch.zeros_like(x))


def act_sparse_plus(x):
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x < 1, (x + 1) ** 2 / 4, x))


def act_squareplus(x):
    return (x + torch.sqrt(x * x + 4.0)) / 2


def act_tanh_shrink(x):
    return x - torch.tanh(x)


def act_hard_tanh(x):
    return torch.clamp(x, -1.0, 1.0)


def act_sparse_sigmoid(x):
    return torch.where(x <= -1, torch.zeros_like(x),
                       torch.where(x >= 1, torch.ones_like(x), 0.5 * (x + 1)))


def act_exponential(x):
    return torch.exp(x)


def act_hard_silu(x):
    return x * act_hard_sigmoid(x)


def act_mish(x):
    return x * torch.tanh(act_softplus(x))


def act_log_sigmoid(x):
    return -act_softplus(-x)


def act_log_softmax(x):
    # over the last axis: x - log(sum(exp(x)))
    m = x.max(dim=-1, keepdim=True).values
    return x - m - torch.log(torch.exp(x - m).sum(dim=-1, keepdim=True))


ACTIVATIONS: Dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "linear": act_linear,
    "relu": act_relu,
    "elu": act_elu,
    "selu": act_selu,
    "sigmoid": act_sigmoid,
    "hard_sigmoid": act_hard_sigmoid,
    "hard_sigmoid_k2": act_hard_sigmoid_k2,
    "tanh": act_tanh,
    "softplus": act_softplus,
    "softsign": act_softsign,
    "swish": act_swish,
    "softmax": act_softmax,
    "leaky_relu": act_leaky_relu,
    "relu6": act_relu6,
    "gelu": act_gelu,
    "celu": act_celu,
    "soft_shrink": act_soft_shrink,
    "hard_shrink": act_hard_shrink,
    "sparse_plus": act_sparse_plus,
    "squareplus": act_squareplus,
    "tanh_shrink": act_tanh_shrink,
    "hard_tanh": act_hard_tanh,
    "sparse_sigmoid": act_sparse_sigmoid,
    "exponential": act_exponential,
    "hard_silu": act_hard_silu,
    "mish": act_mish,
    "log_sigmoid": act_log_sigmoid,
    "log_softmax": act_log_softmax,
}

# Where each function has a kink (its fixtures keep their inputs away from these).
ACTIVATION_KINKS: Dict[str, Tuple[float, ...]] = {
    "hard_sigmoid": (0.0, -3.0, 3.0),
    "hard_sigmoid_k2": (0.0, -2.5, 2.5),
    "hard_silu": (0.0, -3.0, 3.0),
    "soft_shrink": (0.0, -0.5, 0.5),
    "hard_shrink": (0.0, -0.5, 0.5),
    "sparse_plus": (0.0, -1.0, 1.0),
    "hard_tanh": (0.0, -1.0, 1.0),
    "sparse_sigmoid": (0.0, -1.0, 1.0),
}

# PyTorch's own versions, used only to cross-check the formulas above.
TORCH_REFERENCE = {
    "relu": F.relu,
    "elu": lambda x: F.elu(x, alpha=1.0),
    "selu": F.selu,
    "sigmoid": torch.sigmoid,
    "hard_sigmoid": F.hardsigmoid,
    "tanh": torch.tanh,
    "softplus": F.softplus,
    "softsign": F.softsign,
    "swish": F.silu,
    "softmax": lambda x: F.softmax(x, dim=-1),
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "relu6": F.relu6,
    "gelu": F.gelu,
    "celu": F.celu,
    "soft_shrink": lambda x: F.softshrink(x, 0.5),
    "hard_shrink": lambda x: F.hardshrink(x, 0.5),
    "tanh_shrink": F.tanhshrink,
    "hard_tanh": F.hardtanh,
    "exponential": torch.exp,
    "hard_silu": F.hardswish,
    "mish": F.mish,
    "log_sigmoid": F.logsigmoid,
    "log_softmax": lambda x: F.log_softmax(x, dim=-1),
}


def check_activations() -> None:
    """Assert that each hand-written activation matches nn.functional (value and gradient)."""
    g = torch.Generator()
    g.manual_seed(0)
    x = nudge_from_kinks(seeded_uniform(g, (4, 7), -4.0, 4.0), [0.0, -3.0, 3.0, -1.0, 1.0, -0.5, 0.5])
    w = seeded_uniform(g, (4, 7), -1.0, 1.0)
    for name, ref in TORCH_REFERENCE.items():
        a = x.clone().requires_grad_(True)
        b = x.clone().requires_grad_(True)
        ya, yb = ACTIVATIONS[name](a), ref(b)
        (ya * w).sum().backward()
        (yb * w).sum().backward()
        assert torch.allclose(ya, yb, rtol=1e-13, atol=1e-14), f"activation {name}: value mismatch"
        # PyTorch 1.13's hardsigmoid backward multiplies by a float32 1/6
        # (off by ~3e-8 relative) even for float64; our clamp gives exact 1/6.
        rtol = 1e-7 if name in ("hard_sigmoid", "hard_silu") else 1e-12
        assert torch.allclose(a.grad, b.grad, rtol=rtol, atol=1e-14), f"activation {name}: gradient mismatch"


# ---------------------------------------------------------------------------
# The case table
# ---------------------------------------------------------------------------

# forward(x, params, extra) -> y; params/extra are dicts of tensors by name.
Forward = Callable[[torch.Tensor, Dict[str, torch.Tensor], Dict[str, torch.Tensor]], torch.Tensor]


@dataclass
class Case:
    name: str                     # file name stem
    layer: str                    # Keras class name
    args: str                     # constructor arguments as a Keras user writes them
    x_shape: Tuple[int, ...]      # input shape, batch first, channels last
    forward: Forward              # y from x (torch ops only)
    what: str                     # one-sentence description
    params: List[Tuple[str, Tuple[int, ...]]] = field(default_factory=list)  # Keras names/layouts
    training: bool = False
    seed: int = 0                 # splitmix64 seed (Dropout only)
    x_range: Tuple[float, float] = (-1.5, 1.5)
    kinks: Tuple[float, ...] = (0.0,)
    # constant tensors the forward needs and that are stored too (e.g. Dropout's mask)
    extra: Optional[Callable[["Case"], Dict[str, torch.Tensor]]] = None


# --- Dense ------------------------------------------------------------------

def dense_forward(activation: str, use_bias: bool) -> Forward:
    def forward(x, p, _extra):
        # Keras kernel is (in, units); PyTorch's linear weight is (out, in),
        # hence kernel.T.  F.linear acts on the last axis of any-rank input.
        z = F.linear(x, p["kernel"].T, p["bias"] if use_bias else None)
        return ACTIVATIONS[activation](z)
    return forward


def dense_case(name, args, x_shape, units, activation="linear", use_bias=True) -> Case:
    params = [("kernel", (x_shape[-1], units))]
    if use_bias:
        params.append(("bias", (units,)))
    bias_text = "with bias" if use_bias else "without bias"
    return Case(name, "Dense", args, x_shape, dense_forward(activation, use_bias),
                what=f"Dense({units}) {bias_text}, {activation} activation, on a rank-{len(x_shape)} input {x_shape}.",
                params=params)


# --- Activation ---------------------------------------------------------------

def activation_case(name: str) -> Case:
    # hard_sigmoid_k2 is Keras 2's piecewise-linear hard_sigmoid, not a Keras 3 built-in name
    kinks = ACTIVATION_KINKS.get(name, (0.0,))
    x_range = (-4.0, 4.0) if max(abs(k) for k in kinks) > 2 else (-1.5, 1.5)
    fn = ACTIVATIONS[name]
    return Case(f"activation_{name}", "Activation", repr(name), (2, 3, 5),
                lambda x, _p, _e: fn(x),
                what=f"Activation layer applying {name} elementwise"
                     + (" over the last axis" if "softmax" in name else "") + ".",
                x_range=x_range, kinks=kinks)


# --- The activation layers: ReLU, LeakyReLU, ELU, PReLU, Softmax ----------------------------


def keras_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras 3's relu(x, negative_slope, max_value, threshold), written as its static_call."""
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return torch.maximum(x, negative_slope * x)
    negative_part = torch.clamp(threshold - x, min=0.0)
    y = torch.where(x > threshold, x, torch.zeros_like(x)) if threshold != 0 else torch.clamp(x, min=0.0)
    if max_value is not None:
        y = torch.clamp(y, 0.0, max_value)
    return y - negative_slope * negative_part if negative_slope != 0.0 else y


def relu_layer_case(name: str, args: str) -> Case:
    a = call_args(args, ("max_value", "negative_slope", "threshold"))
    kinks = tuple(v for v in (0.0, a.get("threshold"), a.get("max_value")) if v is not None)
    return Case(name, "ReLU", args, (2, 3, 5), lambda x, _p, _e: keras_relu(x, **a),
                what=f"ReLU({args}): Keras 3's relu with these arguments.", kinks=kinks)


def prelu_case(name: str, args: str, x_shape: Tuple[int, ...]) -> Case:
    shared = call_args(args, ("alpha_initializer", "alpha_regularizer", "alpha_constraint",
                              "shared_axes")).get("shared_axes") or []
    alpha_shape = tuple(1 if d + 1 in shared else n for d, n in enumerate(x_shape[1:]))

    def forward(x, p, _e):
        # Keras: relu(x) - alpha * relu(-x), alpha broadcast over the batch and shared axes
        return torch.clamp(x, min=0.0) - p["alpha"] * torch.clamp(-x, min=0.0)
    return Case(name, "PReLU", args, x_shape, forward,
                what=f"PReLU({args}) on {x_shape}: alpha of shape {alpha_shape} (1 on shared axes).",
                params=[("alpha", alpha_shape)])


def softmax_axes_forward(axes: Tuple[int, ...]) -> Forward:
    # Keras with several axes: exp(x - logsumexp(x, axes))
    return lambda x, _p, _e: torch.exp(x - torch.logsumexp(x, dim=axes, keepdim=True))


def check_activation_layers() -> None:
    """The layer cases' formulas against PyTorch's modules where PyTorch has the same case."""
    g = torch.Generator()
    g.manual_seed(1)
    x = nudge_from_kinks(seeded_uniform(g, (3, 4, 5), -8.0, 8.0), [0.0, 6.0])
    pairs = [(keras_relu(x, max_value=6.0), F.relu6(x)),
             (keras_relu(x, negative_slope=0.1), F.leaky_relu(x, 0.1)),
             (keras_relu(x), F.relu(x)),
             (softmax_axes_forward((1,))(x, {}, {}), F.softmax(x, dim=1)),
             (act_elu(x, 0.5), F.elu(x, 0.5))]
    alpha = seeded_uniform(g, (5,), -0.5, 0.5)
    prelu = prelu_case("check", "shared_axes=[1]", (3, 4, 5)).forward
    # F.prelu's slopes run along axis 1: move Keras's last axis there
    pairs.append((prelu(x, {"alpha": alpha.reshape(1, 5)}, {}),
                  F.prelu(x.transpose(1, 2), alpha).transpose(1, 2)))
    for a, b in pairs:
        assert torch.allclose(a, b, rtol=1e-13, atol=1e-14), "activation layers: value mismatch"


# --- Dropout ------------------------------------------------------------------

def dropout_mask(case: Case, rate: float, noise_shape=None) -> Dict[str, torch.Tensor]:
    """The keep mask the project's Dropout draws with splitmix64(case.seed).

    One uniform per mask element in C order; an element is dropped when u < rate.
    The mask shape is the input shape, or noise_shape with None -> input dim.
    """
    if noise_shape is None:
        shape = tuple(case.x_shape)
    else:
        shape = tuple(d if n is None else n for n, d in zip(noise_shape, case.x_shape))
    rng = SplitMix64(case.seed)
    count = int(np.prod(shape, dtype=np.int64))
    keep = [0.0 if rng.uniform() < rate else 1.0 for _ in range(count)]
    return {"keep": torch.tensor(keep, dtype=torch.float64).reshape(shape)}


def dropout_train_case(name, args, x_shape, rate, seed, noise_shape=None, layer="Dropout") -> Case:
    # the keep mask broadcasts over axes where noise_shape is 1; SpatialDropout1D/2D are Dropout
    # with Keras's noise shape fixed: (batch, 1, channels), (batch, 1, 1, channels)
    return Case(name, layer, args, x_shape,
                lambda x, _p, e: x * e["keep"] / (1.0 - rate),
                what=f"{layer}(rate={rate}) in training mode"
                     + (f" with noise_shape={noise_shape}" if noise_shape else "")
                     + f", mask from splitmix64 seed {seed}, kept values scaled by 1/(1-rate).",
                training=True, seed=seed,
                extra=lambda c: dropout_mask(c, rate, noise_shape))


def gaussian_noise(case: Case) -> Dict[str, torch.Tensor]:
    """The N(0, 1) noise the project's GaussianNoise/GaussianDropout draw with splitmix64(case.seed),
    one per element of the input in C order."""
    rng = SplitMix64(case.seed)
    count = int(np.prod(case.x_shape, dtype=np.int64))
    return {"noise": torch.tensor([rng.normal() for _ in range(count)]).reshape(case.x_shape)}


def gaussian_noise_case(name, stddev, x_shape, seed) -> Case:
    return Case(name, "GaussianNoise", repr(stddev), x_shape,
                lambda x, _p, e: x + stddev * e["noise"],
                what=f"GaussianNoise({stddev}) in training mode: x + stddev * noise, noise from "
                     f"splitmix64 seed {seed} (Box-Muller).",
                training=True, seed=seed, extra=gaussian_noise)


def gaussian_dropout_case(name, rate, x_shape, seed) -> Case:
    s = math.sqrt(rate / (1.0 - rate))
    return Case(name, "GaussianDropout", repr(rate), x_shape,
                lambda x, _p, e: x * (1.0 + s * e["noise"]),
                what=f"GaussianDropout({rate}) in training mode: x * (1 + sqrt(rate/(1-rate)) * "
                     f"noise), noise from splitmix64 seed {seed} (Box-Muller).",
                training=True, seed=seed, extra=gaussian_noise)


# --- Shape layers -------------------------------------------------------------

def reshape_forward(target: Tuple[int, ...]) -> Forward:
    return lambda x, _p, _e: x.reshape((x.shape[0],) + target)


def permute_forward(dims: Tuple[int, ...]) -> Forward:
    # Keras dims are 1-based and exclude the batch axis, which stays first
    return lambda x, _p, _e: x.permute((0,) + dims)


def repeat_vector_forward(n: int) -> Forward:
    # (batch, features) -> (batch, n, features)
    return lambda x, _p, _e: x.unsqueeze(1).expand(x.shape[0], n, x.shape[1])


CASES: List[Case] = [
    # Dense
    dense_case("dense_2d", "3", (4, 5), 3),
    dense_case("dense_3d_tanh", "3, activation='tanh'", (2, 3, 4), 3, "tanh"),
    dense_case("dense_4d_relu", "units=2, activation='relu'", (2, 2, 3, 4), 2, "relu"),
    dense_case("dense_nobias_softmax", "5, activation='softmax', use_bias=False", (3, 4), 5, "softmax", use_bias=False),
    dense_case("dense_3d_sigmoid", "4, activation='sigmoid'", (2, 4, 3), 4, "sigmoid"),
    # Activation
    *[activation_case(n) for n in ACTIVATIONS],
    # the activation layers
    relu_layer_case("activation_relu_layer", ""),
    relu_layer_case("activation_relu_layer_max_slope_threshold",
                    "max_value=1.0, negative_slope=0.1, threshold=0.2"),
    relu_layer_case("activation_relu_layer_leaky", "negative_slope=0.2"),
    relu_layer_case("activation_relu_layer_relu6", "6.0"),
    Case("activation_leaky_relu_layer", "LeakyReLU", "", (2, 3, 5),
         lambda x, _p, _e: F.leaky_relu(x, 0.3),
         what="LeakyReLU() with Keras 3's default negative_slope=0.3."),
    Case("activation_elu_layer", "ELU", "alpha=0.5", (2, 3, 5), lambda x, _p, _e: act_elu(x, 0.5),
         what="ELU(alpha=0.5): x above 0, 0.5 * (e^x - 1) below."),
    prelu_case("activation_prelu", "", (2, 3, 4)),
    prelu_case("activation_prelu_shared", "shared_axes=[1]", (2, 3, 4)),
    prelu_case("activation_prelu_shared_image", "shared_axes=[1, 2]", (2, 3, 2, 4)),
    Case("activation_softmax_layer_axis1", "Softmax", "axis=1", (2, 3, 4), softmax_axes_forward((1,)),
         what="Softmax(axis=1): each vector along the steps axis sums to 1."),
    Case("activation_softmax_layer_axes12", "Softmax", "axis=[1, 2]", (2, 3, 4),
         softmax_axes_forward((1, 2)),
         what="Softmax(axis=[1, 2]): each sample's 3 x 4 values sum to 1."),
    # Dropout
    Case("dropout_eval", "Dropout", "0.3", (3, 4), lambda x, _p, _e: x,
         what="Dropout(rate=0.3) in inference mode is the identity."),
    dropout_train_case("dropout_train", "0.5", (4, 6), 0.5, 12345),
    dropout_train_case("dropout_train_noise_shape", "0.25, noise_shape=(None, 1, 4)", (2, 3, 4), 0.25, 777,
                       noise_shape=(None, 1, 4)),
    # SpatialDropout1D/2D, GaussianNoise, GaussianDropout, Identity
    dropout_train_case("spatial_dropout1d_train", "0.5", (3, 4, 5), 0.5, 31,
                       noise_shape=(None, 1, None), layer="SpatialDropout1D"),
    dropout_train_case("spatial_dropout2d_train", "0.4", (2, 3, 3, 4), 0.4, 32,
                       noise_shape=(None, 1, 1, None), layer="SpatialDropout2D"),
    dropout_train_case("spatial_dropout2d_channels_first", "0.5, data_format='channels_first'",
                       (2, 3, 2, 2), 0.5, 33, noise_shape=(None, None, 1, 1),
                       layer="SpatialDropout2D"),
    Case("spatial_dropout1d_eval", "SpatialDropout1D", "0.5", (2, 3, 4), lambda x, _p, _e: x,
         what="SpatialDropout1D(0.5) in inference mode is the identity."),
    gaussian_noise_case("gaussian_noise_train", 0.3, (2, 3, 4), 41),
    Case("gaussian_noise_eval", "GaussianNoise", "0.3", (2, 3, 4), lambda x, _p, _e: x,
         what="GaussianNoise(0.3) in inference mode is the identity."),
    gaussian_dropout_case("gaussian_dropout_train", 0.2, (3, 5), 42),
    Case("gaussian_dropout_eval", "GaussianDropout", "0.2", (3, 5), lambda x, _p, _e: x,
         what="GaussianDropout(0.2) in inference mode is the identity."),
    Case("identity", "Identity", "", (2, 3, 4), lambda x, _p, _e: x,
         what="Identity returns its input."),
    # Flatten
    Case("flatten", "Flatten", "", (2, 3, 4), lambda x, _p, _e: x.reshape(x.shape[0], -1),
         what="Flatten of a (2, 3, 4) batch to (2, 12)."),
    Case("flatten_4d", "Flatten", "", (2, 2, 3, 2), lambda x, _p, _e: x.reshape(x.shape[0], -1),
         what="Flatten of a (2, 2, 3, 2) batch to (2, 12)."),
    # Reshape
    Case("reshape", "Reshape", "(4, 3)", (2, 3, 4), reshape_forward((4, 3)),
         what="Reshape of (2, 3, 4) to (2, 4, 3) in row-major order."),
    Case("reshape_minus1", "Reshape", "target_shape=(3, -1)", (2, 6, 2), reshape_forward((3, -1)),
         what="Reshape of (2, 6, 2) to (2, 3, 4), inferring the -1 dimension."),
    Case("reshape_3d", "Reshape", "(5, 10, 1)", (2, 10, 5), reshape_forward((5, 10, 1)),
         what="Reshape of (2, 10, 5) to (2, 5, 10, 1) in row-major order."),
    # Permute
    Case("permute_21", "Permute", "(2, 1)", (2, 3, 4), permute_forward((2, 1)),
         what="Permute (2, 1) swaps the two non-batch axes: (2, 3, 4) to (2, 4, 3)."),
    Case("permute_312", "Permute", "(3, 1, 2)", (2, 3, 4, 5), permute_forward((3, 1, 2)),
         what="Permute (3, 1, 2) of (2, 3, 4, 5) to (2, 5, 3, 4)."),
    Case("permute_213", "Permute", "(2, 1, 3)", (2, 10, 5, 3), permute_forward((2, 1, 3)),
         what="Permute (2, 1, 3) of (2, 10, 5, 3) to (2, 5, 10, 3)."),
    # RepeatVector
    Case("repeat_vector", "RepeatVector", "3", (2, 4), repeat_vector_forward(3),
         what="RepeatVector(3) turns (2, 4) into (2, 3, 4), repeating each sample's vector along axis 1."),
]


# ---------------------------------------------------------------------------
# Losses and metrics (Keras 3 definitions; reduction as in src/loss.h)
# ---------------------------------------------------------------------------

EPSILON = 1e-7  # Keras's backend.epsilon()


def loss_mse(t, p, from_logits=False):
    return ((t - p) ** 2).mean(dim=-1)


def loss_mae(t, p, from_logits=False):
    return (t - p).abs().mean(dim=-1)


def loss_bce(t, p, from_logits=False):
    if from_logits:
        return F.binary_cross_entropy_with_logits(p, t, reduction="none").mean(dim=-1)
    p = torch.clamp(p, EPSILON, 1.0 - EPSILON)  # zero gradient outside [eps, 1 - eps]
    return (-(t * torch.log(p) + (1.0 - t) * torch.log(1.0 - p))).mean(dim=-1)


def loss_cce(t, p, from_logits=False):
    if from_logits:
        return -(t * F.log_softmax(p, dim=-1)).sum(dim=-1)
    q = p / p.sum(dim=-1, keepdim=True)  # Keras normalises; the gradient goes through this too
    q = torch.clamp(q, EPSILON, 1.0 - EPSILON)
    return -(t * torch.log(q)).sum(dim=-1)


def loss_scce(t, p, from_logits=False):
    # t holds one class index per position (no class axis)
    return loss_cce(one_hot(t, p.shape[-1]), p, from_logits)


# Keras function name -> per-position loss l_p(y_true, y_pred, from_logits)
LOSSES: Dict[str, Callable[..., torch.Tensor]] = {
    "mean_squared_error": loss_mse,
    "mean_absolute_error": loss_mae,
    "binary_crossentropy": loss_bce,
    "categorical_crossentropy": loss_cce,
    "sparse_categorical_crossentropy": loss_scce,
}


def reduce_loss(l: torch.Tensor, sample_weight: Optional[torch.Tensor] = None,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    """sum_p l_p w_p m_p / D, D = sum_p m_p with a mask, else the number of positions.

    A sample weight of shape (B,) applies to all of that sample's positions; one of
    shape (B, T) to each timestep.  Missing weights and masks count as 1.
    """
    num = l
    if sample_weight is not None:
        w = sample_weight.reshape(tuple(sample_weight.shape) + (1,) * (l.dim() - sample_weight.dim()))
        num = num * w
    if mask is not None:
        return (num * mask).sum() / mask.sum()
    return num.sum() / float(l.numel())


def accuracy_kind(loss: str, true_shape: Sequence[int], pred_shape: Sequence[int]) -> str:
    """What "accuracy" means: tf.keras's rule from the shapes, with the loss deciding
    for binary and sparse crossentropy (the project's sl_accuracy_kind)."""
    if loss == "binary_crossentropy":
        return "binary"
    if loss == "sparse_categorical_crossentropy":
        return "sparse"
    if pred_shape[-1] == 1:
        return "binary"
    if len(true_shape) < len(pred_shape) or (true_shape[-1] == 1 and pred_shape[-1] > 1):
        return "sparse"
    return "categorical"


def metric_values(kind: str, t: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """A metric's value per position (sample weights play no part in metrics)."""
    if kind == "binary":  # threshold 0.5 on y_pred, also for from_logits losses (as Keras)
        return ((p > 0.5).to(torch.float64) == t).to(torch.float64).mean(dim=-1)
    if kind == "categorical":  # argmax: the first index wins ties
        return (torch.argmax(t, dim=-1) == torch.argmax(p, dim=-1)).to(torch.float64)
    if kind == "sparse":
        return (t == torch.argmax(p, dim=-1)).to(torch.float64)
    if kind == "mae":
        return loss_mae(t, p)
    if kind == "mse":
        return loss_mse(t, p)
    raise ValueError(kind)


def metric_sum_count(v: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
    """[sum_p v_p m_p, sum_p m_p]; without a mask the count is the number of positions."""
    if mask is None:
        return torch.stack([v.sum(), torch.tensor(float(v.numel()))])
    return torch.stack([(v * mask).sum(), mask.sum()])


def check_losses() -> None:
    """Assert that each per-position loss matches nn.functional's version (value and gradient)."""
    g = torch.Generator()
    g.manual_seed(1)
    B, C = 6, 4
    classes = seeded_classes(g, (B,), C)
    probs = act_softmax(seeded_uniform(g, (B, C), -2.0, 2.0))
    logits = seeded_uniform(g, (B, C), -3.0, 3.0)
    reg_t, reg_p = seeded_uniform(g, (B, C), -1.0, 1.0), seeded_uniform(g, (B, C), -1.5, 1.5)
    bin_t = (seeded_uniform(g, (B, C), 0.0, 1.0) < 0.5).to(torch.float64)
    bin_p = seeded_uniform(g, (B, C), 0.01, 0.99)
    w = seeded_uniform(g, (B,), 0.5, 1.5)

    def manual_bce_logits(t, z, _fl):  # the stable form, independent of torch's
        return (torch.clamp(z, min=0.0) - z * t + torch.log1p(torch.exp(-z.abs()))).mean(dim=-1)

    pairs = [
        ("mse", loss_mse, lambda t, p, _: F.mse_loss(p, t, reduction="none").mean(dim=-1), reg_t, reg_p, False),
        ("mae", loss_mae, lambda t, p, _: F.l1_loss(p, t, reduction="none").mean(dim=-1), reg_t, reg_p, False),
        ("bce", loss_bce, lambda t, p, _: F.binary_cross_entropy(p, t, reduction="none").mean(dim=-1),
         bin_t, bin_p, False),
        ("bce logits", loss_bce, manual_bce_logits, bin_t, logits, True),
        ("cce", loss_cce, lambda t, p, _: F.nll_loss(torch.log(p / p.sum(-1, keepdim=True)), t.argmax(-1),
                                                     reduction="none"),
         one_hot(classes, C), 2.0 * probs, False),
        ("cce logits", loss_cce, lambda t, p, _: F.cross_entropy(p, t, reduction="none"),
         one_hot(classes, C), logits, True),
        # the normalisation changes the gradient even where the probabilities sum to 1
        ("scce", loss_scce, lambda t, p, _: F.nll_loss(torch.log(p / p.sum(-1, keepdim=True)), t.long(),
                                                      reduction="none"),
         classes, probs, False),
        ("scce logits", loss_scce, lambda t, p, _: F.cross_entropy(p, t.long(), reduction="none"),
         classes, logits, True),
    ]
    for name, ours, ref, t, p, from_logits in pairs:
        a = p.clone().requires_grad_(True)
        b = p.clone().requires_grad_(True)
        la, lb = ours(t, a, from_logits), ref(t, b, from_logits)
        (la * w).sum().backward()
        (lb * w).sum().backward()
        assert torch.allclose(la, lb, rtol=1e-13, atol=1e-15), f"loss {name}: value mismatch"
        assert torch.allclose(a.grad, b.grad, rtol=1e-12, atol=1e-15), f"loss {name}: gradient mismatch"


@dataclass
class LossCase:
    name: str                          # file name stem
    loss: str                          # Keras function name
    args: str                          # keyword arguments of the loss object ("" or "from_logits=True")
    shape: Tuple[int, ...]             # y_pred shape; positions are all axes but the last
    what: str                          # one-sentence description
    sample_weight: Optional[list] = None   # (B,) per sample or (B, T) per timestep
    mask: Optional[list] = None            # (B, T) of 0/1
    scale: Tuple[Tuple[Tuple[int, ...], float], ...] = ()  # (position, factor): rows of y_pred scaled
    pin: Tuple[Tuple[Tuple[int, ...], float, float], ...] = ()  # (index, y_true, y_pred) set by hand


CLASS_LEAN = 1.0  # added to the target class's logit in categorical and sparse cases


def loss_inputs(case: LossCase) -> Tuple[torch.Tensor, torch.Tensor]:
    """Seeded y_true and y_pred for a case; draw order y_true, then y_pred."""
    g = case_generator(case.name)
    from_logits = bool(parse_args(case.args).get("from_logits", False))
    positions, C = case.shape[:-1], case.shape[-1]
    if case.loss in ("mean_squared_error", "mean_absolute_error"):
        y_true = seeded_uniform(g, case.shape, -1.0, 1.0)
        y_pred = seeded_uniform(g, case.shape, -1.5, 1.5)
    elif case.loss == "binary_crossentropy":
        y_true = (seeded_uniform(g, case.shape, 0.0, 1.0) < 0.5).to(torch.float64)
        y_pred = seeded_uniform(g, case.shape, *((-3.0, 3.0) if from_logits else (0.01, 0.99)))
    else:  # categorical targets one-hot, sparse targets class indices
        classes = seeded_classes(g, positions, C)
        y_true = one_hot(classes, C) if case.loss == "categorical_crossentropy" else classes
        # logits lean towards the target class, like a partly trained model's,
        # so that accuracy is neither all right nor all wrong
        lean = CLASS_LEAN * one_hot(classes, C)
        if from_logits:
            y_pred = seeded_uniform(g, case.shape, -3.0, 3.0) + lean
        else:
            y_pred = act_softmax(seeded_uniform(g, case.shape, -2.0, 2.0) + lean)
    for position, factor in case.scale:
        y_pred[position] *= factor
    for index, t, p in case.pin:
        y_true[index] = t
        y_pred[index] = p
    return y_true, y_pred


def build_loss(case: LossCase) -> List[Tuple[str, torch.Tensor]]:
    """Compute all tensors of a loss case, in the order they are written."""
    from_logits = bool(parse_args(case.args).get("from_logits", False))
    y_true, y_pred = loss_inputs(case)
    sw = None if case.sample_weight is None else torch.tensor(case.sample_weight, dtype=torch.float64)
    mask = None if case.mask is None else torch.tensor(case.mask, dtype=torch.float64)
    kind = accuracy_kind(case.loss, y_true.shape, y_pred.shape)

    # keep values clear of the places where float32 could take the other branch
    if case.loss in ("mean_squared_error", "mean_absolute_error"):
        assert_clear_of(y_pred - y_true, [0.0], f"{case.name}: |y_pred - y_true|")
    if kind == "binary":
        assert_clear_of(y_pred, [0.5], f"{case.name}: binary accuracy threshold")
    if kind in ("categorical", "sparse"):
        top2 = torch.topk(y_pred, 2, dim=-1).values
        assert_clear_of(top2[..., 0] - top2[..., 1], [0.0], f"{case.name}: argmax gap")

    y_pred.requires_grad_(True)
    loss = reduce_loss(LOSSES[case.loss](y_true, y_pred, from_logits), sw, mask)
    loss.backward()
    grad = y_pred.grad
    y_pred = y_pred.detach()

    if case.loss == "binary_crossentropy" and not from_logits:
        clipped = (y_pred < EPSILON) | (y_pred > 1.0 - EPSILON)
        assert int(clipped.sum()) == len(case.pin), f"{case.name}: clipped values are the pinned ones"
        assert bool((grad[clipped] == 0).all()), f"{case.name}: clip must stop the gradient"

    out = [("y_true", y_true), ("y_pred", y_pred)]
    if sw is not None:
        out.append(("sample_weight", sw))
    if mask is not None:
        out.append(("mask", mask))
    out += [("loss", loss.detach().reshape(1)), ("grad", grad)]
    accuracy = metric_sum_count(metric_values(kind, y_true, y_pred), mask)
    assert 0 < accuracy[0] < accuracy[1], f"{case.name}: accuracy should be neither 0 nor 1"
    out.append(("metric/accuracy", accuracy))
    if case.loss != "sparse_categorical_crossentropy":  # y_true has no class axis there
        out.append(("metric/mae", metric_sum_count(metric_values("mae", y_true, y_pred), mask)))
        out.append(("metric/mse", metric_sum_count(metric_values("mse", y_true, y_pred), mask)))
    return out


def loss_metadata(case: LossCase) -> Dict[str, str]:
    y_true, y_pred = loss_inputs(case)
    return {
        "format": FORMAT,
        "loss": case.loss,
        "args": case.args,
        "accuracy": accuracy_kind(case.loss, y_true.shape, y_pred.shape),
        "what": case.what,
    }


def check_loss_file(case: LossCase, meta: Dict[str, str], arrays: Dict[str, np.ndarray]) -> None:
    """Recompute loss and metrics from the stored arrays with numpy, apart from torch."""
    t, p = arrays["y_true"], arrays["y_pred"]
    from_logits = parse_args(meta["args"]).get("from_logits", False)
    if meta["loss"] == "sparse_categorical_crossentropy":
        t = np.eye(p.shape[-1])[t.astype(np.int64)]
    if meta["loss"] == "mean_squared_error":
        l = np.mean((t - p) ** 2, axis=-1)
    elif meta["loss"] == "mean_absolute_error":
        l = np.mean(np.abs(t - p), axis=-1)
    elif meta["loss"] == "binary_crossentropy":
        if from_logits:
            l = np.mean(np.maximum(p, 0) - p * t + np.log1p(np.exp(-np.abs(p))), axis=-1)
        else:
            q = np.clip(p, EPSILON, 1 - EPSILON)
            l = np.mean(-(t * np.log(q) + (1 - t) * np.log(1 - q)), axis=-1)
    else:
        if from_logits:
            z = p - p.max(axis=-1, keepdims=True)
            logq = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        else:
            logq = np.log(np.clip(p / p.sum(axis=-1, keepdims=True), EPSILON, 1 - EPSILON))
        l = -np.sum(t * logq, axis=-1)
    w = np.ones(l.shape)
    if "sample_weight" in arrays:
        sw = arrays["sample_weight"]
        w = w * sw.reshape(sw.shape + (1,) * (l.ndim - sw.ndim))
    m = arrays.get("mask", np.ones(l.shape))
    assert np.isclose(arrays["loss"][0], np.sum(l * w * m) / np.sum(m), rtol=1e-12, atol=0), f"{case.name}: loss"
    values = {"mae": np.mean(np.abs(t - p), axis=-1), "mse": np.mean((t - p) ** 2, axis=-1)}
    if meta["accuracy"] == "binary":
        values["accuracy"] = np.mean((p > 0.5) == t, axis=-1)
    else:
        values["accuracy"] = (np.argmax(t, axis=-1) == np.argmax(p, axis=-1)) * 1.0
    for name, v in values.items():
        if "metric/" + name in arrays:
            expect = [np.sum(v * m), np.sum(m)]
            assert np.allclose(arrays["metric/" + name], expect, rtol=1e-12, atol=0), f"{case.name}: metric {name}"


STEP_MASK = [[1, 1, 1, 1, 0], [1, 1, 0, 1, 0]]            # 3 of 10 positions masked

LOSS_CASES: List[LossCase] = [
    # mean_squared_error
    LossCase("loss_mse_2d", "mean_squared_error", "", (4, 3),
             what="mean_squared_error on (4, 3), no sample weights, no mask."),
    LossCase("loss_mse_3d_mask", "mean_squared_error", "", (2, 5, 2), mask=STEP_MASK,
             what="mean_squared_error on (2, 5, 2) with a (2, 5) mask hiding 3 of 10 timesteps: "
                  "the loss divides by the 7 unmasked positions."),
    LossCase("loss_mse_3d_step_weights", "mean_squared_error", "", (2, 5, 2),
             sample_weight=[[1.0, 0.5, 0.0, 2.0, 1.0], [2.0, 0.0, 1.0, 0.5, 1.5]],
             what="mean_squared_error on (2, 5, 2) with per-timestep sample weights (2, 5), two of them 0; "
                  "the loss divides by all 10 positions."),
    LossCase("loss_mse_3d_mask_sample_weights", "mean_squared_error", "", (2, 5, 2),
             sample_weight=[0.5, 2.0], mask=[[1, 1, 0, 1, 1], [0, 1, 1, 1, 0]],
             what="mean_squared_error on (2, 5, 2) with per-sample weights [0.5, 2.0] and a mask hiding "
                  "3 of 10 timesteps."),
    # mean_absolute_error
    LossCase("loss_mae_2d_weights", "mean_absolute_error", "", (4, 3), sample_weight=[0.5, 2.0, 0.0, 1.0],
             what="mean_absolute_error on (4, 3) with per-sample weights, one of them 0 (still counted "
                  "in the divisor)."),
    # binary_crossentropy
    LossCase("loss_bce_2d", "binary_crossentropy", "", (4, 3),
             pin=(((0, 1), 1.0, 1e-9), ((2, 2), 1.0, 1.0 - 1e-12)),
             what="binary_crossentropy on (4, 3) probabilities, two of which (1e-9 and 1 - 1e-12) lie outside "
                  "[1e-7, 1 - 1e-7] and are clipped, so their gradient is 0."),
    LossCase("loss_bce_logits", "binary_crossentropy", "from_logits=True", (4, 3),
             what="binary_crossentropy(from_logits=True) on (4, 3) logits in [-3, 3]; binary accuracy "
                  "still thresholds y_pred at 0.5."),
    LossCase("loss_bce_3d_mask", "binary_crossentropy", "", (2, 4, 1), mask=[[1, 1, 0, 1], [0, 1, 1, 1]],
             what="binary_crossentropy on (2, 4, 1) probabilities with a (2, 4) mask hiding 2 of 8 timesteps."),
    # categorical_crossentropy
    LossCase("loss_cce_2d", "categorical_crossentropy", "", (4, 5), scale=(((1,), 2.0),),
             what="categorical_crossentropy on (4, 5) softmax outputs, row 1 scaled by 2 so that it sums "
                  "to 2 and Keras's normalisation matters (for the gradient)."),
    LossCase("loss_cce_logits", "categorical_crossentropy", "from_logits=True", (4, 5),
             what="categorical_crossentropy(from_logits=True) on (4, 5) logits in [-3, 3]."),
    LossCase("loss_cce_3d_mask_step_weights", "categorical_crossentropy", "", (2, 3, 4),
             sample_weight=[[0.5, 2.0, 1.0], [1.0, 3.0, 0.0]], mask=[[1, 1, 0], [1, 0, 1]],
             what="categorical_crossentropy on (2, 3, 4) softmax outputs with a (2, 3) mask and (2, 3) "
                  "per-timestep sample weights (masked steps have nonzero weights, an unmasked one weight 0)."),
    # sparse_categorical_crossentropy
    LossCase("loss_scce_2d", "sparse_categorical_crossentropy", "", (4, 5),
             what="sparse_categorical_crossentropy on (4, 5) softmax outputs, y_true (4,) class indices."),
    LossCase("loss_scce_logits", "sparse_categorical_crossentropy", "from_logits=True", (4, 5),
             what="sparse_categorical_crossentropy(from_logits=True) on (4, 5) logits in [-3, 3], "
                  "y_true (4,) class indices."),
    LossCase("loss_scce_3d", "sparse_categorical_crossentropy", "", (2, 3, 4),
             what="sparse_categorical_crossentropy on (2, 3, 4) softmax outputs, y_true (2, 3) class indices."),
]


# ---------------------------------------------------------------------------
# Optimizers (Keras 3 update rules)
# ---------------------------------------------------------------------------

# A rule returns the new value of one variable w from its gradient g, its slot
# dict s (slots start at 0 and are created on first use), the step number t
# (1, 2, ...) and the optimizer's hyperparameters.


def sgd_rule(w, g, s, t, learning_rate, momentum, nesterov):
    if momentum == 0:
        return w - learning_rate * g
    m = s["momentum"] = momentum * s.get("momentum", torch.zeros_like(w)) - learning_rate * g
    if nesterov:
        return w + (momentum * m - learning_rate * g)
    return w + m


def rmsprop_rule(w, g, s, t, learning_rate, rho, momentum, epsilon, centered):
    v = s["velocity"] = rho * s.get("velocity", torch.zeros_like(w)) + (1 - rho) * g * g
    if centered:
        a = s["average_gradient"] = rho * s.get("average_gradient", torch.zeros_like(w)) + (1 - rho) * g
        denominator = v - a * a + epsilon
    else:
        denominator = v + epsilon
    increment = learning_rate * g / torch.sqrt(denominator)  # epsilon inside the square root
    if momentum > 0:
        mom = s["momentum"] = momentum * s.get("momentum", torch.zeros_like(w)) + increment
        return w - mom
    return w - increment


def adam_rule(w, g, s, t, learning_rate, beta_1, beta_2, epsilon, amsgrad):
    alpha = learning_rate * (1 - beta_2 ** t) ** 0.5 / (1 - beta_1 ** t)
    m = s.get("m", torch.zeros_like(w))
    m = s["m"] = m + (g - m) * (1 - beta_1)
    v = s.get("v", torch.zeros_like(w))
    v = s["v"] = v + (g * g - v) * (1 - beta_2)
    if amsgrad:
        vhat = s["vhat"] = torch.maximum(s.get("vhat", torch.zeros_like(w)), v)
        # remembered for the fixture's own check that the max keeps an older value
        s["kept_older"] = s.get("kept_older", False) or bool((vhat > v).any())
        v = vhat
    return w - alpha * m / (torch.sqrt(v) + epsilon)


# Keras class name -> (rule, Keras defaults)
OPTIMIZERS: Dict[str, Tuple[Callable[..., torch.Tensor], Dict[str, object]]] = {
    "SGD": (sgd_rule, dict(learning_rate=0.01, momentum=0.0, nesterov=False)),
    "RMSprop": (rmsprop_rule, dict(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False)),
    "Adam": (adam_rule, dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)),
}


class Optimizer:
    """A Keras optimizer: apply() does one step on a dict of weights; the step count is shared."""

    def __init__(self, name: str, args: str, **overrides):
        self.rule, defaults = OPTIMIZERS[name]
        given = {**parse_args(args), **overrides}
        unknown = set(given) - set(defaults)
        assert not unknown, f"{name}: unknown arguments {sorted(unknown)}"
        self.name, self.hp = name, {**defaults, **given}
        self.iterations = 0
        self.slots: Dict[str, Dict[str, object]] = {}

    def apply(self, weights: Dict[str, torch.Tensor], grads: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        self.iterations += 1
        with torch.no_grad():
            return {n: self.rule(w.detach(), grads[n].detach(), self.slots.setdefault(n, {}),
                                 self.iterations, **self.hp)
                    for n, w in weights.items()}


class TorchOptimizer:
    """torch.optim's version of an Optimizer, for cross-checks only.

    It keeps its own copy of the weights (apply() ignores the ones passed in).
    torch puts epsilon elsewhere for RMSprop and Adam, so those only agree with
    Keras's rules when epsilon = 0.
    """

    def __init__(self, name: str, hp: Dict[str, object], weights: Dict[str, torch.Tensor]):
        self.params = {n: torch.nn.Parameter(w.detach().clone()) for n, w in weights.items()}
        ps = list(self.params.values())
        if name == "SGD":
            self.opt = torch.optim.SGD(ps, lr=hp["learning_rate"], momentum=hp["momentum"], nesterov=hp["nesterov"])
        elif name == "RMSprop":
            self.opt = torch.optim.RMSprop(ps, lr=hp["learning_rate"], alpha=hp["rho"], eps=hp["epsilon"],
                                           momentum=hp["momentum"], centered=hp["centered"])
        elif name == "Adam":
            self.opt = torch.optim.Adam(ps, lr=hp["learning_rate"], betas=(hp["beta_1"], hp["beta_2"]),
                                        eps=hp["epsilon"], amsgrad=hp["amsgrad"])
        else:
            raise ValueError(name)

    def apply(self, weights: Dict[str, torch.Tensor], grads: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        for n, p in self.params.items():
            p.grad = grads[n].detach().clone()
        self.opt.step()
        return {n: p.detach().clone() for n, p in self.params.items()}


@dataclass
class OptimCase:
    name: str                 # file name stem
    optimizer: str            # Keras class name
    args: str                 # constructor arguments as a Keras user writes them
    what: str                 # one-sentence description
    steps: int = 5
    size: int = 7
    shrinking_grads: bool = False  # grads[t] scaled by 1/(t+1), so that amsgrad's max keeps old values


def optim_trajectory(opt, w0: torch.Tensor, grads: torch.Tensor) -> torch.Tensor:
    """The weights after each step, one row per step."""
    weights, rows = {"w": w0}, []
    for g in grads:
        weights = opt.apply(weights, {"w": g})
        rows.append(weights["w"])
    return torch.stack(rows)


def build_optim(case: OptimCase) -> List[Tuple[str, torch.Tensor]]:
    g = case_generator(case.name)
    # draw order is fixed: w0, grads
    w0 = seeded_uniform(g, (case.size,), -1.0, 1.0)
    grads = seeded_uniform(g, (case.steps, case.size), -1.0, 1.0)
    if case.shrinking_grads:
        grads = grads / torch.arange(1, case.steps + 1, dtype=torch.float64).reshape(-1, 1)
    opt = Optimizer(case.optimizer, case.args)
    w = optim_trajectory(opt, w0, grads)

    if opt.hp.get("amsgrad"):
        assert opt.slots["w"]["kept_older"], f"{case.name}: max(vhat, v) never kept an older value"
    # cross-check with torch.optim: SGD as is, RMSprop and Adam with epsilon = 0
    if case.optimizer == "SGD":
        ours = w
    else:
        ours = optim_trajectory(Optimizer(case.optimizer, case.args, epsilon=0.0), w0, grads)
    theirs = optim_trajectory(TorchOptimizer(case.optimizer, {**opt.hp, **({} if case.optimizer == "SGD" else
                                                                            {"epsilon": 0.0})}, {"w": w0}),
                              w0, grads)
    assert torch.allclose(ours, theirs, rtol=1e-12, atol=1e-14), f"{case.name}: disagrees with torch.optim"
    return [("w0", w0), ("grads", grads), ("w", w)]


def optim_metadata(case: OptimCase) -> Dict[str, str]:
    return {"format": FORMAT, "optimizer": case.optimizer, "args": case.args, "what": case.what}


OPTIM_CASES: List[OptimCase] = [
    OptimCase("optim_sgd", "SGD", "learning_rate=0.1",
              what="SGD(learning_rate=0.1), 5 steps on 7 weights with given gradients: w -= lr * g."),
    OptimCase("optim_sgd_momentum", "SGD", "learning_rate=0.1, momentum=0.9",
              what="SGD with momentum 0.9: m = 0.9 m - lr g, w += m; 5 steps on 7 weights."),
    OptimCase("optim_sgd_nesterov", "SGD", "learning_rate=0.1, momentum=0.9, nesterov=True",
              what="SGD with Nesterov momentum 0.9: m = 0.9 m - lr g, w += 0.9 m - lr g; 5 steps on 7 weights."),
    OptimCase("optim_rmsprop", "RMSprop", "",
              what="RMSprop with Keras defaults (lr 0.001, rho 0.9, epsilon 1e-7 inside the square root); "
                   "5 steps on 7 weights."),
    OptimCase("optim_rmsprop_centered_momentum", "RMSprop", "learning_rate=0.01, rho=0.8, momentum=0.5, centered=True",
              what="Centered RMSprop with momentum 0.5 (denominator v - a^2 + epsilon); 5 steps on 7 weights."),
    OptimCase("optim_adam", "Adam", "",
              what="Adam with Keras defaults (epsilon 1e-7 added to sqrt(v), bias correction folded into the "
                   "step size); 5 steps on 7 weights."),
    OptimCase("optim_adam_amsgrad", "Adam", "learning_rate=0.01, beta_1=0.8, beta_2=0.95, epsilon=0.001, amsgrad=True",
              shrinking_grads=True,
              what="Adam with amsgrad; gradients of step t+1 scaled by 1/(t+1) so that max(vhat, v) keeps an "
                   "older value for some weights; 5 steps on 7 weights."),
]


# ---------------------------------------------------------------------------
# fit(): a small Sequential model of Dense layers
# ---------------------------------------------------------------------------


@dataclass
class FitCase:
    name: str                              # file name stem
    features: int                          # input features
    layers: Tuple[Tuple[int, str], ...]    # Dense layers: (units, activation)
    samples: int
    loss: str                              # Keras function name (no weights, no mask)
    optimizer: str                         # Keras class name
    optimizer_args: str
    batch_size: int
    epochs: int
    what: str

    def layer_names(self) -> List[str]:
        # Keras's automatic names: dense, dense_1, dense_2, ...
        return ["dense" if i == 0 else f"dense_{i}" for i in range(len(self.layers))]

    def model_text(self) -> str:
        parts = []
        for i, (units, activation) in enumerate(self.layers):
            shape = f", input_shape=({self.features},)" if i == 0 else ""
            parts.append(f"Dense({units}, activation={activation!r}{shape})")
        return "; ".join(parts)


def fit_forward(case: FitCase, x: torch.Tensor, weights: Dict[str, torch.Tensor]) -> torch.Tensor:
    for name, (_units, activation) in zip(case.layer_names(), case.layers):
        x = ACTIVATIONS[activation](F.linear(x, weights[name + "/kernel"].T, weights[name + "/bias"]))
    return x


def fit_train(case: FitCase, x, y, weights, opt) -> Tuple[Dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
    """Keras's fit() without shuffling: per batch, forward, loss, autograd, one step.

    The epoch loss is the mean of the batch losses weighted by batch size; the
    epoch accuracy counts each sample with the weights its batch was evaluated
    with (before that batch's update).
    """
    epoch_loss, epoch_accuracy = [], []
    for _epoch in range(case.epochs):
        loss_sum, correct = torch.tensor(0.0), torch.tensor(0.0)
        for start in range(0, case.samples, case.batch_size):
            xb, yb = x[start:start + case.batch_size], y[start:start + case.batch_size]
            live = {n: w.detach().clone().requires_grad_(True) for n, w in weights.items()}
            out = fit_forward(case, xb, live)
            loss = reduce_loss(LOSSES[case.loss](yb, out))
            loss.backward()
            kind = accuracy_kind(case.loss, yb.shape, out.shape)
            loss_sum = loss_sum + loss.detach() * len(xb)
            correct = correct + metric_values(kind, yb, out.detach()).sum()
            weights = opt.apply(weights, {n: w.grad for n, w in live.items()})
        epoch_loss.append(loss_sum / case.samples)
        epoch_accuracy.append(correct / case.samples)
    return weights, torch.stack(epoch_loss), torch.stack(epoch_accuracy)


def build_fit(case: FitCase) -> List[Tuple[str, torch.Tensor]]:
    g = case_generator(case.name)
    # draw order is fixed: x, y's classes, then kernel and bias of each layer in order
    x = seeded_uniform(g, (case.samples, case.features), -1.0, 1.0)
    classes_n = case.layers[-1][0]
    y = one_hot(seeded_classes(g, (case.samples,), classes_n), classes_n)
    initial: Dict[str, torch.Tensor] = {}
    fan_in = case.features
    for name, (units, _activation) in zip(case.layer_names(), case.layers):
        initial[name + "/kernel"] = seeded_uniform(g, (fan_in, units), -0.5, 0.5)
        initial[name + "/bias"] = seeded_uniform(g, (units,), -0.5, 0.5)
        fan_in = units

    opt = Optimizer(case.optimizer, case.optimizer_args)
    final, epoch_loss, epoch_accuracy = fit_train(case, x, y, dict(initial), opt)

    # cross-check the loop (batches, shared step count) against torch.optim, with epsilon = 0
    if case.optimizer in ("RMSprop", "Adam"):
        ours = Optimizer(case.optimizer, case.optimizer_args, epsilon=0.0)
    else:
        ours = Optimizer(case.optimizer, case.optimizer_args)
    theirs = TorchOptimizer(case.optimizer, ours.hp, initial)
    a, la, _ = fit_train(case, x, y, dict(initial), ours)
    b, lb, _ = fit_train(case, x, y, dict(initial), theirs)
    assert torch.allclose(la, lb, rtol=1e-12), f"{case.name}: epoch losses disagree with torch.optim"
    for n in initial:
        assert torch.allclose(a[n], b[n], rtol=1e-11, atol=1e-13), f"{case.name}: {n} disagrees with torch.optim"

    out = [("x", x), ("y", y)]
    out += list(initial.items())
    out += [("final/" + n, w) for n, w in final.items()]
    out += [("epoch_loss", epoch_loss), ("epoch_accuracy", epoch_accuracy)]
    return out


def fit_metadata(case: FitCase) -> Dict[str, str]:
    return {
        "format": FORMAT,
        "model": case.model_text(),
        "compile": f"loss={case.loss!r}, optimizer={case.optimizer}({case.optimizer_args}), metrics=['accuracy']",
        "fit": f"batch_size={case.batch_size}, epochs={case.epochs}, shuffle=False",
        "what": case.what,
    }


FIT_CASES: List[FitCase] = [
    FitCase("fit_dense_adam", 4, ((3, "tanh"), (2, "softmax")), 8, "categorical_crossentropy", "Adam",
            "learning_rate=0.05", batch_size=4, epochs=3,
            what="fit() of Dense(3, tanh) -> Dense(2, softmax) on 8 samples, batches of 4 in order, 3 epochs "
                 "(6 Adam steps): initial and final weights, per-epoch loss and accuracy."),
]


# ---------------------------------------------------------------------------
# Running a case
# ---------------------------------------------------------------------------


def build(case: Case) -> List[Tuple[str, torch.Tensor]]:
    """Compute all tensors of a case, in the order they are written."""
    g = case_generator(case.name)
    # draw order is fixed: x, parameters (table order), dy
    x = nudge_from_kinks(seeded_uniform(g, case.x_shape, *case.x_range), case.kinks)
    x.requires_grad_(True)
    params = {n: seeded_uniform(g, shape, -0.5, 0.5).requires_grad_(True) for n, shape in case.params}
    extra = case.extra(case) if case.extra else {}

    y = case.forward(x, params, extra)
    dy = seeded_uniform(g, y.shape, -1.0, 1.0)
    (y * dy).sum().backward()  # objective sum(y * dy)

    out = [("x", x), ("y", y), ("dy", dy), ("dx", x.grad)]
    out += [(n, params[n]) for n, _ in case.params]
    out += [("grad/" + n, params[n].grad) for n, _ in case.params]
    out += list(extra.items())
    return out


def metadata(case: Case) -> Dict[str, str]:
    return {
        "format": FORMAT,
        "layer": case.layer,
        "args": case.args,
        "training": "1" if case.training else "0",
        "seed": str(case.seed),
        "what": case.what,
    }


def write_fixture(name: str, tensors: List[Tuple[str, torch.Tensor]], meta: Dict[str, str]) -> Dict[str, np.ndarray]:
    """Write tests/fixtures/<name>.safetensors, read it back and compare, print a summary line."""
    path = OUT_DIR / f"{name}.safetensors"
    write_safetensors(path, [(n, t.detach().cpu().numpy()) for n, t in tensors], meta)
    # read it back and compare, so a broken writer cannot go unnoticed
    meta_back, arrays = read_safetensors(path)
    assert meta_back == meta
    assert sorted(arrays) == sorted(n for n, _ in tensors)
    for n, t in tensors:
        assert np.array_equal(arrays[n], t.detach().numpy()), f"{name}: {n} round-trip"
    print(f"{path.relative_to(OUT_DIR.parent.parent)}  " + " ".join(f"{n}{tuple(t.shape)}" for n, t in tensors))
    return arrays


def write_cases(cases: Sequence[Case]) -> None:
    """Write the fixture of every case of a layer family's table (tools/make_<family>_fixtures.py)."""
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    for case in cases:
        write_fixture(case.name, build(case), metadata(case))


def main() -> int:
    check_activations()
    check_activation_layers()
    check_losses()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    names = [c.name for c in CASES] + [c.name for c in LOSS_CASES] + [c.name for c in OPTIM_CASES] \
        + [c.name for c in FIT_CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    for case in CASES:
        write_fixture(case.name, build(case), metadata(case))
    for loss_case in LOSS_CASES:
        meta = loss_metadata(loss_case)
        arrays = write_fixture(loss_case.name, build_loss(loss_case), meta)
        check_loss_file(loss_case, meta, arrays)
    for optim_case in OPTIM_CASES:
        write_fixture(optim_case.name, build_optim(optim_case), optim_metadata(optim_case))
    for fit_case in FIT_CASES:
        write_fixture(fit_case.name, build_fit(fit_case), fit_metadata(fit_case))
    return 0


if __name__ == "__main__":
    sys.exit(main())
