#!/usr/bin/python3
"""Generate reference fixtures for shapelab's layer tests.

For every case in CASES below this script builds a seeded input batch `x`,
seeded layer parameters and a seeded upstream gradient `dy`, computes the
layer's output `y` with PyTorch (float64, Keras 3 semantics, Keras layouts),
and obtains the gradients of the objective sum(y * dy) with autograd.  Each
case is written to tests/fixtures/<case>.safetensors.

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

import json
import struct
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

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


def write_safetensors(path: Path, tensors: List[Tuple[str, torch.Tensor]], metadata: Dict[str, str]) -> None:
    """Write (name, tensor) pairs as F64 safetensors, data in the given order."""
    header: Dict[str, object] = {"__metadata__": dict(metadata)}
    blobs = []
    offset = 0
    for name, t in tensors:
        # C order, little-endian float64
        data = np.ascontiguousarray(t.detach().cpu().numpy(), dtype="<f8").tobytes(order="C")
        header[name] = {"dtype": "F64", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # pad so the data section starts 8-aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def read_safetensors(path: Path) -> Tuple[Dict[str, str], Dict[str, np.ndarray]]:
    """Read a file written by write_safetensors back, checking its layout."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0, "header length must be a multiple of 8"
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__")
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    spans = sorted((info["data_offsets"][0], info["data_offsets"][1], name) for name, info in header.items())
    pos = 0
    arrays = {}
    for begin, end, name in spans:
        info = header[name]
        assert info["dtype"] == "F64"
        assert begin == pos, f"{path.name}: gap or overlap before {name}"
        count = int(np.prod(info["shape"], dtype=np.int64))
        assert end - begin == 8 * count, f"{path.name}: {name} size does not match its shape"
        arrays[name] = np.frombuffer(data[begin:end], dtype="<f8").reshape(info["shape"])
        pos = end
    assert pos == len(data), f"{path.name}: trailing bytes after the last tensor"
    return metadata, arrays


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
}


def check_activations() -> None:
    """Assert that each hand-written activation matches nn.functional (value and gradient)."""
    g = torch.Generator()
    g.manual_seed(0)
    x = nudge_from_kinks(seeded_uniform(g, (4, 7), -4.0, 4.0), [0.0, -3.0, 3.0])
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
        rtol = 1e-7 if name == "hard_sigmoid" else 1e-12
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
    x_range, kinks = (-1.5, 1.5), (0.0,)
    args = repr(name)
    if name == "hard_sigmoid":
        x_range, kinks = (-4.0, 4.0), (0.0, -3.0, 3.0)
    elif name == "hard_sigmoid_k2":
        # Keras 2's piecewise-linear hard_sigmoid; not a Keras 3 built-in name
        x_range, kinks = (-4.0, 4.0), (0.0, -2.5, 2.5)
    fn = ACTIVATIONS[name]
    return Case(f"activation_{name}", "Activation", args, (2, 3, 5),
                lambda x, _p, _e: fn(x),
                what=f"Activation layer applying {name} elementwise"
                     + (" over the last axis" if name == "softmax" else "") + ".",
                x_range=x_range, kinks=kinks)


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


def dropout_train_case(name, args, x_shape, rate, seed, noise_shape=None) -> Case:
    # the keep mask broadcasts over axes where noise_shape is 1
    return Case(name, "Dropout", args, x_shape,
                lambda x, _p, e: x * e["keep"] / (1.0 - rate),
                what=f"Dropout(rate={rate}) in training mode"
                     + (f" with noise_shape={noise_shape}" if noise_shape else "")
                     + f", mask from splitmix64 seed {seed}, kept values scaled by 1/(1-rate).",
                training=True, seed=seed,
                extra=lambda c: dropout_mask(c, rate, noise_shape))


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
    # Dropout
    Case("dropout_eval", "Dropout", "0.3", (3, 4), lambda x, _p, _e: x,
         what="Dropout(rate=0.3) in inference mode is the identity."),
    dropout_train_case("dropout_train", "0.5", (4, 6), 0.5, 12345),
    dropout_train_case("dropout_train_noise_shape", "0.25, noise_shape=(None, 1, 4)", (2, 3, 4), 0.25, 777,
                       noise_shape=(None, 1, 4)),
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


def main() -> int:
    check_activations()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    for case in CASES:
        tensors = build(case)
        path = OUT_DIR / f"{case.name}.safetensors"
        write_safetensors(path, tensors, metadata(case))
        # read it back and compare, so a broken writer cannot go unnoticed
        meta, arrays = read_safetensors(path)
        assert meta == metadata(case)
        assert sorted(arrays) == sorted(n for n, _ in tensors)
        for n, t in tensors:
            assert np.array_equal(arrays[n], t.detach().numpy()), f"{case.name}: {n} round-trip"
        print(f"{path.relative_to(OUT_DIR.parent.parent)}  " + " ".join(f"{n}{tuple(t.shape)}" for n, t in tensors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
