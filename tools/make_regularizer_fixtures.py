#!/usr/bin/python3
"""Reference fixtures for regularizers and constraints, as Keras 3's training applies them.

Three kinds of case, written to tests/fixtures/regularizer_<case>.safetensors:

1. A layer with weight and activity regularizers (LAYER_CASES). The objective is Keras's loss
   with an upstream gradient standing for the compiled loss:
       f = sum_k sum(y_k * dy_k) + penalty,
       penalty = sum over weights of l1 sum|w| + l2 sum w^2
               + sum over the layer's outputs y_k of (l1 sum|y_k| + l2 sum y_k^2) / batch
   (Keras's Layer.__call__ divides each activity term by its output's first axis). Tensors: x,
   the weights by Keras name below the layer and grad/<name>, y0.., dy0.., penalty (1,), dx.
   Meta: layer, args.
2. A constraint applied to a weight (CONSTRAINT_CASES): w, w_after. Meta: constraint (as a Keras
   user writes it), e.g. "max_norm(2.0, axis=0)"; norms keep the other axes, eps = 1e-7.
3. A few steps of fit with SGD (FIT_CASES): Dense with regularizers and a constraint, loss mse,
   batches in order. Tensors: x, y, the initial weights, final/<name>, epoch_loss (the loss fit
   reports: the batch's mse plus the penalty at the weights of that batch's forward pass, mean
   over the batches weighted by their sizes), eval_loss (evaluate after training). Meta: layer,
   args, optimizer, batch_size, epochs.

Regularizers and constraints are written with torch operations from Keras 3's definitions
(keras/src/regularizers/regularizers.py, keras/src/constraints/constraints.py); the recurrent
layer is make_rnn_fixtures.py's cell, checked there against nn.LSTM.

Run from the repository root:  tools/make_regularizer_fixtures.py   (deterministic output)
"""

import sys
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from make_fixtures import case_generator, seeded_uniform, write_fixture
from make_rnn_fixtures import RnnCase, run_layer

torch.set_default_dtype(torch.float64)
FORMAT = "shapelab-regularizer-fixture-1"
EPSILON = 1e-7  # Keras's backend.epsilon()


def l1_l2(w: torch.Tensor, l1: float = 0.0, l2: float = 0.0) -> torch.Tensor:
    """Keras's L1L2 (and L1, L2) on one tensor: l1 sum |w| + l2 sum w^2."""
    return l1 * w.abs().sum() + l2 * (w * w).sum()


def activity(ys: Sequence[torch.Tensor], l1: float = 0.0, l2: float = 0.0) -> torch.Tensor:
    """An activity regularizer on every output of a layer call, each divided by its batch size."""
    return sum(l1_l2(y, l1, l2) / y.shape[0] for y in ys)


# ---------------------------------------------------------------------------
# 1. layers with regularizers
# ---------------------------------------------------------------------------

@dataclass
class LayerCase:
    name: str
    layer: str
    args: str
    x_shape: Tuple[int, ...]
    params: List[Tuple[str, Tuple[int, ...]]]
    forward: object  # (x, params) -> list of outputs
    penalty: object  # (params, outputs) -> scalar
    what: str


def dense(x, p):
    return [F.linear(x, p["kernel"].T, p["bias"])]


def conv2d(x, p):
    # Keras's kernel (kh, kw, in, filters) -> PyTorch's (filters, in, kh, kw); NHWC <-> NCHW
    y = F.conv2d(x.permute(0, 3, 1, 2), p["kernel"].permute(3, 2, 0, 1), p["bias"])
    return [y.permute(0, 2, 3, 1)]


def lstm(x, p):
    c = RnnCase("reg", "LSTM", "", 3, tuple(x.shape), return_sequences=True, return_state=True)
    return run_layer(c, x, p, [])


LAYER_CASES: List[LayerCase] = [
    LayerCase("dense", "Dense",
              "3, kernel_regularizer=l1_l2(l1=0.01, l2=0.02), bias_regularizer=l2(0.03), "
              "activity_regularizer=l1(0.05)",
              (4, 5), [("kernel", (5, 3)), ("bias", (3,))], dense,
              lambda p, ys: l1_l2(p["kernel"], 0.01, 0.02) + l1_l2(p["bias"], l2=0.03)
              + activity(ys, l1=0.05),
              "Dense(3) with l1_l2 on the kernel, l2 on the bias and l1 on its output."),
    LayerCase("dense_strings", "Dense",
              "2, kernel_regularizer='l2', bias_regularizer='l1', activity_regularizer='l1l2'",
              (3, 4), [("kernel", (4, 2)), ("bias", (2,))], dense,
              lambda p, ys: l1_l2(p["kernel"], l2=0.01) + l1_l2(p["bias"], l1=0.01),
              "Dense(2) with regularizers by name: 'l2' and 'l1' are 0.01, 'l1l2' is 0 and 0."),
    LayerCase("activity_layer", "ActivityRegularization", "l1=0.01, l2=0.02", (4, 5), [],
              lambda x, _p: [x],
              lambda _p, ys: activity(ys, 0.01, 0.02),
              "ActivityRegularization(l1=0.01, l2=0.02): the identity, and its terms / batch."),
    LayerCase("conv2d", "Conv2D",
              "2, 3, kernel_regularizer=L2(0.01), bias_regularizer=L1L2(0.02, 0.03), "
              "activity_regularizer=L2(l2=0.005)",
              (2, 5, 4, 3), [("kernel", (3, 3, 3, 2)), ("bias", (2,))], conv2d,
              lambda p, ys: l1_l2(p["kernel"], l2=0.01) + l1_l2(p["bias"], 0.02, 0.03)
              + activity(ys, l2=0.005),
              "Conv2D(2, 3) with L2, L1L2 and an activity L2, written as Keras's classes."),
    LayerCase("lstm_states", "LSTM",
              "3, return_sequences=True, return_state=True, kernel_regularizer=l2(0.02), "
              "recurrent_regularizer=l1(0.03), bias_regularizer=l2(0.04), "
              "activity_regularizer=l1_l2(l1=0.01, l2=0.02)",
              (2, 4, 3), [("lstm_cell/kernel", (3, 12)), ("lstm_cell/recurrent_kernel", (3, 12)),
                          ("lstm_cell/bias", (12,))], lstm,
              lambda p, ys: l1_l2(p["lstm_cell/kernel"], l2=0.02)
              + l1_l2(p["lstm_cell/recurrent_kernel"], l1=0.03) + l1_l2(p["lstm_cell/bias"], l2=0.04)
              + activity(ys, 0.01, 0.02),
              "LSTM(3) returning the sequence and its states: the activity regularizer on each of "
              "the three outputs, each divided by the batch size."),
]


def build_layer(c: LayerCase) -> List[Tuple[str, torch.Tensor]]:
    g = case_generator("regularizer_" + c.name)
    x = seeded_uniform(g, c.x_shape, -1.5, 1.5).requires_grad_(True)
    params = {n: seeded_uniform(g, s, -0.5, 0.5).requires_grad_(True) for n, s in c.params}
    ys = c.forward(x, params)
    dys = [seeded_uniform(g, y.shape, -1.0, 1.0) for y in ys]
    penalty = c.penalty(params, ys)
    objective = sum((y * dy).sum() for y, dy in zip(ys, dys)) + penalty
    objective.backward()
    out = [("x", x)]
    out += [(n, params[n]) for n, _ in c.params]
    out += [(f"y{k}", y) for k, y in enumerate(ys)] + [(f"dy{k}", dy) for k, dy in enumerate(dys)]
    out += [("penalty", penalty.reshape(1)), ("dx", x.grad)]
    out += [("grad/" + n, params[n].grad) for n, _ in c.params]
    return out


# ---------------------------------------------------------------------------
# 2. constraints
# ---------------------------------------------------------------------------

def norms(w, axis):
    return torch.sqrt((w * w).sum(dim=axis, keepdim=True))


def max_norm(w, max_value=2.0, axis=0):
    n = norms(w, axis)
    return w * torch.clamp(n, 0, max_value) / (EPSILON + n)


def unit_norm(w, axis=0):
    return w / (EPSILON + norms(w, axis))


def min_max_norm(w, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
    n = norms(w, axis)
    return w * (rate * torch.clamp(n, min_value, max_value) + (1 - rate) * n) / (EPSILON + n)


def non_neg(w):
    return torch.clamp(w, min=0.0)


@dataclass
class ConstraintCase:
    name: str
    constraint: str   # as a Keras user writes it
    shape: Tuple[int, ...]
    apply: object
    scale: float = 1.0  # of the weights, so that some norms are below and some above the bounds


CONSTRAINT_CASES = [
    ConstraintCase("max_norm", "max_norm(1.0)", (4, 3), lambda w: max_norm(w, 1.0, 0), 1.2),
    ConstraintCase("max_norm_default", "MaxNorm()", (5, 4), lambda w: max_norm(w), 2.0),
    ConstraintCase("max_norm_filters", "max_norm(1.5, axis=[0, 1, 2])", (2, 2, 3, 4),
                   lambda w: max_norm(w, 1.5, (0, 1, 2)), 1.0),
    ConstraintCase("max_norm_last_axis", "max_norm(0.8, axis=-1)", (3, 4),
                   lambda w: max_norm(w, 0.8, -1), 1.0),
    ConstraintCase("unit_norm", "unit_norm(axis=1)", (4, 3), lambda w: unit_norm(w, 1)),
    ConstraintCase("min_max_norm", "min_max_norm(0.5, 1.0, rate=0.5)", (4, 3),
                   lambda w: min_max_norm(w, 0.5, 1.0, 0.5, 0), 1.0),
    ConstraintCase("non_neg", "NonNeg()", (3, 4), non_neg),
]


def build_constraint(c: ConstraintCase) -> List[Tuple[str, torch.Tensor]]:
    g = case_generator("regularizer_constraint_" + c.name)
    w = seeded_uniform(g, c.shape, -c.scale, c.scale)
    return [("w", w), ("w_after", c.apply(w))]


# ---------------------------------------------------------------------------
# 3. fit with SGD
# ---------------------------------------------------------------------------

@dataclass
class FitCase:
    name: str
    args: str
    features: int
    units: int
    samples: int
    batch_size: int
    epochs: int
    learning_rate: float
    penalty: object     # (kernel, bias, y) -> scalar
    constrain: object   # kernel -> kernel
    what: str


FIT_CASES = [
    FitCase("fit_sgd",
            "2, kernel_regularizer=l2(0.1), bias_regularizer=l1(0.05), "
            "activity_regularizer=l2(0.01), kernel_constraint=max_norm(0.6)",
            4, 2, 8, 4, 2, 0.1,
            lambda W, b, y: l1_l2(W, l2=0.1) + l1_l2(b, l1=0.05) + activity([y], l2=0.01),
            lambda W: max_norm(W, 0.6, 0),
            "Dense(2) with three regularizers and max_norm(0.6) on its kernel, mse, SGD(0.1), "
            "batches of 4 in order, 2 epochs: the loss fit reports includes the terms, and the "
            "kernel is projected after each step."),
]


def build_fit(c: FitCase) -> List[Tuple[str, torch.Tensor]]:
    g = case_generator("regularizer_" + c.name)
    x = seeded_uniform(g, (c.samples, c.features), -1.5, 1.5)
    t = seeded_uniform(g, (c.samples, c.units), -1.0, 1.0)
    W0 = seeded_uniform(g, (c.features, c.units), -0.8, 0.8)
    b0 = seeded_uniform(g, (c.units,), -0.3, 0.3)
    W, b = W0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    epoch_loss = []
    for _ in range(c.epochs):
        total = 0.0
        for s in range(0, c.samples, c.batch_size):
            xb, tb = x[s:s + c.batch_size], t[s:s + c.batch_size]
            y = xb @ W + b
            loss = ((y - tb) ** 2).mean(dim=-1).mean() + c.penalty(W, b, y)
            W.grad = b.grad = None
            loss.backward()
            total += float(loss) * xb.shape[0]
            with torch.no_grad():
                W -= c.learning_rate * W.grad
                b -= c.learning_rate * b.grad
                W.copy_(c.constrain(W))
        epoch_loss.append(total / c.samples)
    with torch.no_grad():
        y = x @ W + b
        eval_loss = ((y - t) ** 2).mean(dim=-1).mean() + c.penalty(W, b, y)
    return [("x", x), ("y", t), ("dense/kernel", W0), ("dense/bias", b0),
            ("final/dense/kernel", W.detach()), ("final/dense/bias", b.detach()),
            ("epoch_loss", torch.tensor(epoch_loss)), ("eval_loss", eval_loss.reshape(1))]


def check_definitions() -> None:
    """The constraints' formulas against their meaning: norms after the projection."""
    g = torch.Generator().manual_seed(3)
    w = torch.rand(6, 5, generator=g) * 4 - 2
    assert torch.all(norms(max_norm(w, 1.0), 0) <= 1.0 + 1e-12)
    assert torch.allclose(norms(unit_norm(w, 0), 0), torch.ones(1, 5), atol=1e-6)
    n = norms(min_max_norm(w, 0.5, 1.0), 0)
    assert torch.all((n >= 0.5 - 1e-6) & (n <= 1.0 + 1e-12))


def main() -> int:
    check_definitions()
    for c in LAYER_CASES:
        write_fixture("regularizer_" + c.name, build_layer(c),
                      {"format": FORMAT, "layer": c.layer, "args": c.args, "what": c.what})
    for k in CONSTRAINT_CASES:
        write_fixture("regularizer_constraint_" + k.name, build_constraint(k),
                      {"format": FORMAT, "constraint": k.constraint,
                       "what": f"{k.constraint} on a weight of shape {k.shape}"})
    for f in FIT_CASES:
        write_fixture("regularizer_" + f.name, build_fit(f),
                      {"format": FORMAT, "layer": "Dense", "args": f.args,
                       "optimizer": f"SGD(learning_rate={f.learning_rate})",
                       "batch_size": str(f.batch_size), "epochs": str(f.epochs), "what": f.what})
    return 0


if __name__ == "__main__":
    sys.exit(main())
