#!/usr/bin/python3
"""Reference fixtures for shapelab's recurrent layers (SimpleRNN, LSTM, GRU).

Each case runs one Keras-style recurrent layer, written here with torch
operations in Keras's own layout and semantics (kernel (in, G*units), gate
blocks LSTM i,f,c,o and GRU z,r,h, GRU's bias (2, 3*units) with
reset_after=True), in float64, and takes the gradients of
sum_k sum(y_k * dy_k) with autograd.

These cells are checked first against PyTorch's own nn.LSTM, nn.GRU and nn.RNN
on the options those share with Keras, after converting the layouts
explicitly (weights transposed; PyTorch's second bias; GRU gates reordered from
Keras's z, r, h to PyTorch's r, z, n). Options nn.* lacks (hard_sigmoid, GRU
reset_after=False, go_backwards, other activations) then come from the same
checked cells.

Written to tests/fixtures/rnn_<case>.safetensors:
  x, and h0 / c0 when the case passes initial_state;
  y0, y1, y2 (the layer's outputs), dy0, dy1, dy2 (the upstream gradients);
  dx, dh0, dc0 (input gradients);
  the weights by their Keras names below the layer ("lstm_cell/kernel") and
  their gradients as "grad/<name>".
Metadata: format, layer, args, what.

Run from the repository root:  tools/make_rnn_fixtures.py
"""

import sys
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F

from make_fixtures import ACTIVATIONS, OUT_DIR, case_generator, seeded_uniform, write_fixture

torch.set_default_dtype(torch.float64)
FORMAT = "shapelab-rnn-fixture-1"
CELLS = {"SimpleRNN": ("simple_rnn_cell", 1), "LSTM": ("lstm_cell", 4), "GRU": ("gru_cell", 3)}


@dataclass
class RnnCase:
    name: str
    layer: str                 # SimpleRNN, LSTM or GRU
    args: str                  # as a Keras user writes them
    units: int
    x_shape: Tuple[int, int, int]
    activation: str = "tanh"
    recurrent_activation: str = "sigmoid"
    use_bias: bool = True
    return_sequences: bool = False
    return_state: bool = False
    go_backwards: bool = False
    reset_after: bool = True   # GRU only
    initial_state: bool = False

    def n_state(self) -> int:
        return 2 if self.layer == "LSTM" else 1


# ---------------------------------------------------------------------------
# The cells, in Keras's layout
# ---------------------------------------------------------------------------

def run_layer(c: RnnCase, x, p: Dict[str, torch.Tensor], states: List[torch.Tensor]):
    """Keras's RNN loop: returns [output, *final states] as Keras's layer would."""
    cell, G = CELLS[c.layer]
    act, rec = ACTIVATIONS[c.activation], ACTIVATIONS[c.recurrent_activation]
    W, U = p[f"{cell}/kernel"], p[f"{cell}/recurrent_kernel"]
    b = p.get(f"{cell}/bias")
    B, T, _ = x.shape
    u = c.units
    h = states[0] if states else torch.zeros(B, u)
    cs = states[1] if len(states) > 1 else torch.zeros(B, u)
    steps = range(T - 1, -1, -1) if c.go_backwards else range(T)
    outs = []
    for t in steps:
        xt = x[:, t, :]
        if c.layer == "SimpleRNN":
            h = act(xt @ W + h @ U + (b if b is not None else 0))
        elif c.layer == "LSTM":
            z = xt @ W + h @ U + (b if b is not None else 0)
            i, f, g, o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
            cs = rec(f) * cs + rec(i) * act(g)
            h = rec(o) * act(cs)
        else:
            h = gru_step(c, xt, h, W, U, b, act, rec)
        outs.append(h)
    y = torch.stack(outs, dim=1) if c.return_sequences else outs[-1]
    result = [y]
    if c.return_state:
        result += [h, cs] if c.layer == "LSTM" else [h]
    return result


def gru_step(c, xt, h, W, U, b, act, rec):
    u = c.units
    if c.reset_after:
        bx = b[0] if b is not None else 0
        bh = b[1] if b is not None else 0
        xz = xt @ W + bx
        rz = h @ U + bh
        z = rec(xz[:, :u] + rz[:, :u])
        r = rec(xz[:, u:2 * u] + rz[:, u:2 * u])
        n = act(xz[:, 2 * u:] + r * rz[:, 2 * u:])
    else:
        xz = xt @ W + (b if b is not None else 0)
        z = rec(xz[:, :u] + h @ U[:, :u])
        r = rec(xz[:, u:2 * u] + h @ U[:, u:2 * u])
        n = act(xz[:, 2 * u:] + (r * h) @ U[:, 2 * u:])
    return z * h + (1 - z) * n


# ---------------------------------------------------------------------------
# The cells above against nn.LSTM / nn.GRU / nn.RNN, layouts converted
# ---------------------------------------------------------------------------

def keras_to_torch_gru(m: torch.Tensor, u: int) -> torch.Tensor:
    """Reorder the last axis from Keras's z, r, h blocks to PyTorch's r, z, n."""
    return torch.cat([m[..., u:2 * u], m[..., :u], m[..., 2 * u:]], dim=-1)


def check_against_torch_nn() -> None:
    g = torch.Generator().manual_seed(1)
    B, T, In, u = 3, 6, 4, 5
    x = torch.rand(B, T, In, generator=g) * 2 - 1
    h0 = torch.rand(B, u, generator=g) - 0.5
    c0 = torch.rand(B, u, generator=g) - 0.5
    for layer in ("SimpleRNN", "LSTM", "GRU"):
        cell, G = CELLS[layer]
        W = torch.rand(In, G * u, generator=g) - 0.5
        U = torch.rand(u, G * u, generator=g) - 0.5
        bshape = (2, G * u) if layer == "GRU" else (G * u,)
        b = torch.rand(*bshape, generator=g) - 0.5
        p = {f"{cell}/kernel": W, f"{cell}/recurrent_kernel": U, f"{cell}/bias": b}
        c = RnnCase("check", layer, "", u, (B, T, In), return_sequences=True, return_state=True)
        states = [h0, c0] if layer == "LSTM" else [h0]
        ours = run_layer(c, x, p, states)
        if layer == "SimpleRNN":
            ref = torch.nn.RNN(In, u, batch_first=True)
            ih, hh, bih, bhh = W.T, U.T, b, torch.zeros(u)
        elif layer == "LSTM":
            ref = torch.nn.LSTM(In, u, batch_first=True)
            ih, hh, bih, bhh = W.T, U.T, b, torch.zeros(4 * u)  # i, f, g, o in both
        else:
            ref = torch.nn.GRU(In, u, batch_first=True)
            ih = keras_to_torch_gru(W, u).T
            hh = keras_to_torch_gru(U, u).T
            bih, bhh = keras_to_torch_gru(b[0], u), keras_to_torch_gru(b[1], u)
        with torch.no_grad():
            ref.weight_ih_l0.copy_(ih)
            ref.weight_hh_l0.copy_(hh)
            ref.bias_ih_l0.copy_(bih)
            ref.bias_hh_l0.copy_(bhh)
            if layer == "LSTM":
                seq, (hT, cT) = ref(x, (h0.unsqueeze(0), c0.unsqueeze(0)))
                theirs = [seq, hT[0], cT[0]]
            else:
                seq, hT = ref(x, h0.unsqueeze(0))
                theirs = [seq, hT[0]]
        for a, t in zip(ours, theirs):
            assert torch.allclose(a, t, rtol=1e-12, atol=1e-13), f"{layer}: cell differs from nn.{ref.__class__.__name__}"
    print("cells agree with nn.RNN, nn.LSTM and nn.GRU")


# ---------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------

def case(name, layer, args, units, x_shape, **kw) -> RnnCase:
    return RnnCase(name, layer, args, units, x_shape, **kw)


CASES: List[RnnCase] = [
    case("lstm_seq", "LSTM", "3, return_sequences=True", 3, (2, 4, 5), return_sequences=True),
    case("lstm_last", "LSTM", "4", 4, (3, 5, 2)),
    case("lstm_state_init", "LSTM", "3, return_sequences=True, return_state=True", 3, (2, 4, 3),
         return_sequences=True, return_state=True, initial_state=True),
    case("lstm_hard_sigmoid_backwards", "LSTM",
         "3, recurrent_activation='hard_sigmoid', go_backwards=True, return_sequences=True", 3, (2, 5, 2),
         recurrent_activation="hard_sigmoid", go_backwards=True, return_sequences=True),
    case("lstm_relu_nobias", "LSTM", "2, activation='relu', use_bias=False", 2, (2, 3, 4),
         activation="relu", use_bias=False),
    case("gru_seq", "GRU", "3, return_sequences=True", 3, (2, 4, 5), return_sequences=True),
    case("gru_reset_before", "GRU", "3, reset_after=False, return_sequences=True", 3, (2, 4, 3),
         reset_after=False, return_sequences=True),
    case("gru_state_backwards", "GRU", "4, return_state=True, go_backwards=True", 4, (2, 3, 3),
         return_state=True, go_backwards=True, initial_state=True),
    case("gru_nobias_reset_before", "GRU", "2, use_bias=False, reset_after=False, return_state=True", 2,
         (3, 4, 2), use_bias=False, reset_after=False, return_state=True, initial_state=True),
    case("gru_hard_sigmoid", "GRU", "3, recurrent_activation='hard_sigmoid'", 3, (2, 4, 2),
         recurrent_activation="hard_sigmoid"),
    case("simple_rnn_seq", "SimpleRNN", "3, return_sequences=True", 3, (2, 4, 5), return_sequences=True),
    case("simple_rnn_relu_state", "SimpleRNN", "4, activation='relu', go_backwards=True, return_state=True", 4,
         (2, 3, 3), activation="relu", go_backwards=True, return_state=True, initial_state=True),
]


def param_shapes(c: RnnCase, features: int) -> List[Tuple[str, Tuple[int, ...]]]:
    cell, G = CELLS[c.layer]
    shapes = [(f"{cell}/kernel", (features, G * c.units)), (f"{cell}/recurrent_kernel", (c.units, G * c.units))]
    if c.use_bias:
        two = c.layer == "GRU" and c.reset_after
        shapes.append((f"{cell}/bias", (2, G * c.units) if two else (G * c.units,)))
    return shapes


def build(c: RnnCase) -> List[Tuple[str, torch.Tensor]]:
    g = case_generator(c.name)
    B, _, features = c.x_shape
    x = seeded_uniform(g, c.x_shape, -1.5, 1.5).requires_grad_(True)
    params = {n: seeded_uniform(g, s, -0.6, 0.6).requires_grad_(True) for n, s in param_shapes(c, features)}
    states = []
    if c.initial_state:
        states = [seeded_uniform(g, (B, c.units), -0.8, 0.8).requires_grad_(True) for _ in range(c.n_state())]
    ys = run_layer(c, x, params, states)
    dys = [seeded_uniform(g, y.shape, -1.0, 1.0) for y in ys]
    sum((y * d).sum() for y, d in zip(ys, dys)).backward()
    out = [("x", x)]
    out += [(n, s) for n, s in zip(["h0", "c0"], states)]
    out += [(f"y{k}", y) for k, y in enumerate(ys)]
    out += [(f"dy{k}", d) for k, d in enumerate(dys)]
    out += [("dx", x.grad)]
    out += [(f"d{n}", s.grad) for n, s in zip(["h0", "c0"], states)]
    out += [(n, params[n]) for n, _ in param_shapes(c, features)]
    out += [("grad/" + n, params[n].grad) for n, _ in param_shapes(c, features)]
    return out


def metadata(c: RnnCase) -> Dict[str, str]:
    what = (f"{c.layer}({c.args}) on x {c.x_shape}"
            + (", with initial_state" if c.initial_state else "")
            + "; Keras layout and semantics, float64")
    return {"format": FORMAT, "layer": c.layer, "args": c.args, "what": what}


def main() -> int:
    check_against_torch_nn()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for c in CASES:
        write_fixture("rnn_" + c.name, build(c), metadata(c))
    return 0


if __name__ == "__main__":
    sys.exit(main())
