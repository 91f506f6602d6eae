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

import numpy as np
import torch
import torch.nn.functional as F

from make_fixtures import ACTIVATIONS, OUT_DIR, SplitMix64, case_generator, seeded_uniform, write_fixture

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
    masked: Tuple[Tuple[int, int], ...] = ()  # (sample, step) pairs set to 0 and masked by Masking()
    zero_output: bool = False  # zero_output_for_mask=True: a masked step outputs zeros
    dropout: float = 0.0       # in training, with masks from splitmix64(seed) (dropout_masks)
    recurrent_dropout: float = 0.0
    implementation: int = 2
    seed: int = 0

    def n_state(self) -> int:
        return 2 if self.layer == "LSTM" else 1

    def n_masks(self) -> Tuple[int, int]:
        """Keras's DropoutRNNCell: input masks and recurrent masks per sample. One input mask for
        every gate block, or (LSTM and GRU in implementation 1, which recurrent_dropout > 0
        chooses) one per block; one recurrent mask per block."""
        G = CELLS[self.layer][1]
        per_gate = self.layer != "SimpleRNN" and (self.implementation == 1 or self.recurrent_dropout > 0)
        nx = (G if per_gate else 1) if self.dropout > 0 else 0
        return nx, (G if self.recurrent_dropout > 0 else 0)


def dropout_masks(c: RnnCase, B: int, features: int):
    """The masks shapelab's layer draws in training from splitmix64(c.seed): first the input masks
    (B, nx, features), then the recurrent ones (B, nh, units), one uniform draw per value in that
    order; a value is kept, as 1/(1 - rate), where the draw is at least rate (else 0)."""
    nx, nh = c.n_masks()
    rng = SplitMix64(c.seed)

    def draw(shape, rate):
        n = int(np.prod(shape))
        keep = [1.0 / (1.0 - rate) if rng.uniform() >= rate else 0.0 for _ in range(n)]
        return torch.tensor(keep).reshape(shape) if n else None
    return draw((B, nx, features), c.dropout), draw((B, nh, c.units), c.recurrent_dropout)


# ---------------------------------------------------------------------------
# The cells, in Keras's layout
# ---------------------------------------------------------------------------

def blocks_dropped(c: RnnCase, xt, h, W, U, mx, mh):
    """Keras's cells with dropout masks: block k of x W reads x * mx[:, k] (or the one mask all
    blocks share), block k of h U reads h * mh[:, k]. Returns x W, and h U block by block."""
    u, G = c.units, CELLS[c.layer][1]
    xs = [xt * mx[:, k if mx.shape[1] > 1 else 0] if mx is not None else xt for k in range(G)]
    hs = [h * mh[:, k] if mh is not None else h for k in range(G)]
    xw = torch.cat([xs[k] @ W[:, k * u:(k + 1) * u] for k in range(G)], dim=1)
    return xw, hs, [hs[k] @ U[:, k * u:(k + 1) * u] for k in range(G)]


def step_dropped(c: RnnCase, xt, h, cs, W, U, b, act, rec, mx, mh):
    """One step of the cell with dropout masks (Keras's implementation 1, which is also
    implementation 2's arithmetic when one input mask serves every block)."""
    u = c.units
    xw, hs, hu = blocks_dropped(c, xt, h, W, U, mx, mh)
    if c.layer == "SimpleRNN":
        return act(xw + hu[0] + (b if b is not None else 0)), cs
    if c.layer == "LSTM":
        z = xw + torch.cat(hu, dim=1) + (b if b is not None else 0)
        i, f, g, o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
        cs = rec(f) * cs + rec(i) * act(g)
        return rec(o) * act(cs), cs
    if c.reset_after:
        bx = b[0] if b is not None else 0
        bh = b[1] if b is not None else 0
        xz, rz = xw + bx, torch.cat(hu, dim=1) + bh
        z = rec(xz[:, :u] + rz[:, :u])
        r = rec(xz[:, u:2 * u] + rz[:, u:2 * u])
        n = act(xz[:, 2 * u:] + r * rz[:, 2 * u:])
    else:
        xz = xw + (b if b is not None else 0)
        z = rec(xz[:, :u] + hu[0])
        r = rec(xz[:, u:2 * u] + hu[1])
        n = act(xz[:, 2 * u:] + (r * hs[2]) @ U[:, 2 * u:])
    return z * h + (1 - z) * n, cs  # the blend keeps the unmasked h


def run_layer(c: RnnCase, x, p: Dict[str, torch.Tensor], states: List[torch.Tensor], mask=None,
              dropout=(None, None)):
    """Keras's RNN loop: returns [output, *final states] as Keras's layer would. mask (B, T) of
    0/1: a masked step keeps h and c and repeats the previous output (zeros before the first; or
    always zeros with zero_output_for_mask). dropout: the masks (mx, mh) of dropout_masks, or
    None each."""
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
    out = torch.zeros(B, u)
    for t in steps:
        xt = x[:, t, :]
        h_prev, c_prev = h, cs
        if dropout[0] is not None or dropout[1] is not None:
            h, cs = step_dropped(c, xt, h, cs, W, U, b, act, rec, *dropout)
        elif c.layer == "SimpleRNN":
            h = act(xt @ W + h @ U + (b if b is not None else 0))
        elif c.layer == "LSTM":
            z = xt @ W + h @ U + (b if b is not None else 0)
            i, f, g, o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
            cs = rec(f) * cs + rec(i) * act(g)
            h = rec(o) * act(cs)
        else:
            h = gru_step(c, xt, h, W, U, b, act, rec)
        if mask is not None:  # Keras: where(mask, new, old) for the states and the output
            m = mask[:, t:t + 1]
            h = m * h + (1 - m) * h_prev
            cs = m * cs + (1 - m) * c_prev
            out = m * h + (1 - m) * (torch.zeros_like(out) if c.zero_output else out)
        else:
            out = h
        outs.append(out)
    y = torch.stack(outs, dim=1) if c.return_sequences else outs[-1]
    # (with go_backwards the sequence comes out last step first, as Keras returns it)
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


def check_dropped_cells() -> None:
    """step_dropped with masks of ones is the checked cell itself, for every layer and option."""
    g = torch.Generator().manual_seed(2)
    B, T, In, u = 2, 3, 4, 3
    x = torch.rand(B, T, In, generator=g) * 2 - 1
    for layer, reset_after in (("SimpleRNN", True), ("LSTM", True), ("GRU", True), ("GRU", False)):
        cell, G = CELLS[layer]
        p = {f"{cell}/kernel": torch.rand(In, G * u, generator=g) - 0.5,
             f"{cell}/recurrent_kernel": torch.rand(u, G * u, generator=g) - 0.5,
             f"{cell}/bias": torch.rand(*((2, G * u) if layer == "GRU" and reset_after else (G * u,)),
                                        generator=g) - 0.5}
        c = RnnCase("check", layer, "", u, (B, T, In), reset_after=reset_after,
                    return_sequences=True, return_state=True)
        ones = (torch.ones(B, G, In), torch.ones(B, G, u))
        for a, b in zip(run_layer(c, x, p, []), run_layer(c, x, p, [], None, ones)):
            assert torch.allclose(a, b, rtol=1e-12, atol=1e-13), f"{layer}: the dropped cell differs"


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
    case("lstm_masked_seq", "LSTM", "3, return_sequences=True", 3, (2, 6, 2), return_sequences=True,
         masked=((0, 4), (0, 5), (1, 0), (1, 1), (1, 3))),
    case("lstm_masked_last_backwards", "LSTM", "3, go_backwards=True", 3, (2, 5, 3), go_backwards=True,
         masked=((0, 0), (0, 1), (1, 2))),
    case("gru_masked_seq", "GRU", "3, return_sequences=True", 3, (2, 6, 2), return_sequences=True,
         masked=((0, 4), (0, 5), (1, 0), (1, 3))),
    case("gru_masked_reset_before_state", "GRU", "2, reset_after=False, return_state=True", 2, (3, 4, 2),
         reset_after=False, return_state=True, masked=((0, 3), (1, 0), (2, 1), (2, 2))),
    case("simple_rnn_masked_seq", "SimpleRNN", "3, return_sequences=True", 3, (2, 5, 2),
         return_sequences=True, masked=((0, 0), (1, 2), (1, 4))),
    case("simple_rnn_relu_state", "SimpleRNN", "4, activation='relu', go_backwards=True, return_state=True", 4,
         (2, 3, 3), activation="relu", go_backwards=True, return_state=True, initial_state=True),
    # zero_output_for_mask: masked steps output zeros (and so does a last step that is masked)
    case("lstm_masked_zero_output_seq", "LSTM", "3, return_sequences=True, zero_output_for_mask=True", 3,
         (2, 6, 2), return_sequences=True, zero_output=True, masked=((0, 4), (0, 5), (1, 0), (1, 3))),
    case("gru_masked_zero_output_last", "GRU", "3, zero_output_for_mask=True", 3, (2, 5, 2),
         zero_output=True, masked=((0, 4), (1, 1))),
    # dropout in training: the masks drawn from splitmix64(seed), stored as mask_x and mask_h
    case("simple_rnn_dropout", "SimpleRNN", "3, dropout=0.3, recurrent_dropout=0.4, return_sequences=True",
         3, (3, 4, 4), return_sequences=True, dropout=0.3, recurrent_dropout=0.4, seed=11),
    case("lstm_dropout", "LSTM", "3, dropout=0.25, return_sequences=True", 3, (3, 4, 5),
         return_sequences=True, dropout=0.25, seed=12),
    case("lstm_dropout_recurrent", "LSTM", "3, dropout=0.3, recurrent_dropout=0.2, return_state=True", 3,
         (3, 4, 4), return_state=True, dropout=0.3, recurrent_dropout=0.2, seed=13),
    case("lstm_recurrent_dropout_only", "LSTM", "2, recurrent_dropout=0.5, return_sequences=True", 2,
         (2, 5, 3), return_sequences=True, recurrent_dropout=0.5, seed=14),
    case("lstm_dropout_implementation1", "LSTM", "3, dropout=0.4, implementation=1", 3, (3, 4, 4),
         dropout=0.4, implementation=1, seed=15),
    case("gru_dropout", "GRU", "3, dropout=0.3, return_sequences=True", 3, (3, 4, 4),
         return_sequences=True, dropout=0.3, seed=16),
    case("gru_dropout_recurrent", "GRU", "3, dropout=0.2, recurrent_dropout=0.3, return_state=True", 3,
         (3, 4, 4), return_state=True, dropout=0.2, recurrent_dropout=0.3, seed=17),
    case("gru_reset_before_recurrent_dropout", "GRU",
         "3, recurrent_dropout=0.4, reset_after=False, return_sequences=True", 3, (3, 4, 3),
         reset_after=False, return_sequences=True, recurrent_dropout=0.4, seed=18),
    case("lstm_dropout_masked_backwards", "LSTM",
         "3, dropout=0.3, recurrent_dropout=0.3, go_backwards=True, return_sequences=True", 3, (2, 5, 3),
         go_backwards=True, return_sequences=True, dropout=0.3, recurrent_dropout=0.3, seed=19,
         masked=((0, 0), (1, 3), (1, 4))),
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
    x = seeded_uniform(g, c.x_shape, -1.5, 1.5)
    mask = None
    if c.masked:  # the padded steps hold mask_value 0 in every feature; Masking() finds them
        mask = torch.ones(c.x_shape[0], c.x_shape[1])
        for bi, ti in c.masked:
            x[bi, ti, :] = 0.0
            mask[bi, ti] = 0.0
    x.requires_grad_(True)
    params = {n: seeded_uniform(g, s, -0.6, 0.6).requires_grad_(True) for n, s in param_shapes(c, features)}
    states = []
    if c.initial_state:
        states = [seeded_uniform(g, (B, c.units), -0.8, 0.8).requires_grad_(True) for _ in range(c.n_state())]
    # Masking zeroes the masked steps' features (they are 0 already) and passes no gradient there
    xm = x * mask.unsqueeze(-1) if mask is not None else x
    drop = dropout_masks(c, B, features)
    ys = run_layer(c, xm, params, states, mask, drop)
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
    out += [(n, t) for n, t in zip(("mask_x", "mask_h"), drop) if t is not None]
    return out


def metadata(c: RnnCase) -> Dict[str, str]:
    dropping = c.dropout > 0 or c.recurrent_dropout > 0
    what = (f"{c.layer}({c.args}) on x {c.x_shape}"
            + (", with initial_state" if c.initial_state else "")
            + (f", after Masking(0.0) with steps {list(c.masked)} padded" if c.masked else "")
            + (f", in training with the dropout masks of splitmix64({c.seed}) (mask_x, mask_h)"
               if dropping else "")
            + "; Keras layout and semantics, float64")
    meta = {"format": FORMAT, "layer": c.layer, "args": c.args, "what": what}
    if c.masked:
        meta["masking"] = "0.0"
    if dropping:
        meta["training"] = "1"
        meta["seed"] = str(c.seed)
    return meta


# ---------------------------------------------------------------------------
# Wrappers: Bidirectional and TimeDistributed, on the cells above
# ---------------------------------------------------------------------------

@dataclass
class WrapCase:
    name: str
    wrapper: str               # Bidirectional or TimeDistributed
    wrapper_args: str          # merge_mode=...
    inner: RnnCase             # the wrapped layer (layer="Dense" for TimeDistributed(Dense))
    merge: Optional[str] = "concat"
    initial_state: bool = False  # Bidirectional: the forward copy's states, then the backward's
    backward: Optional[RnnCase] = None  # Bidirectional's backward_layer=, named backward.name


def merge(mode, f, b):
    if mode == "concat":
        return [torch.cat([f, b], dim=-1)]
    if mode == "sum":
        return [f + b]
    if mode == "mul":
        return [f * b]
    if mode == "ave":
        return [(f + b) / 2]
    return [f, b]


def run_bidirectional(w: WrapCase, x, p, states=()):
    """Keras: forward copy, backward copy with go_backwards=True (its sequence put back in time
    order), merged; then the forward states and the backward states. initial states: the
    forward copy's, then the backward copy's."""
    c = w.inner
    ns = c.n_state()
    outs = []
    for k, direction in enumerate(("forward", "backward")):
        cc = RnnCase(**{**c.__dict__, "go_backwards": direction == "backward"})
        if direction == "backward" and w.backward is not None:
            cc = w.backward  # backward_layer=: its own layer, reading from the end
        sub = {kk.split("/", 1)[1]: v for kk, v in p.items() if kk.startswith(direction_name(w, k) + "/")}
        outs.append(run_layer(cc, x, sub, list(states[k * ns:(k + 1) * ns])))
    f, b = outs
    yb = b[0].flip(1) if c.return_sequences else b[0]
    return merge(w.merge, f[0], yb) + f[1:] + b[1:]


def direction_name(w: WrapCase, k: int) -> str:
    """The name of Bidirectional's copy k: forward_<layer>, then backward_<layer> or the given
    backward layer's own name."""
    name = {"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "simple_rnn"}[w.inner.layer]
    if k == 1 and w.backward is not None:
        return w.backward.name
    return ("forward_" if k == 0 else "backward_") + name


def run_time_distributed(w: WrapCase, x, p):
    """Keras: the inner layer on (batch * steps, ...), reshaped back to (batch, steps, ...)."""
    B, T = x.shape[0], x.shape[1]
    folded = x.reshape((B * T,) + tuple(x.shape[2:]))
    c = w.inner
    if c.layer == "Dense":
        y = ACTIVATIONS[c.activation](folded @ p["dense/kernel"] + p["dense/bias"])
    elif c.layer == "Conv1D":  # causal, dilation 2: Keras kernel (k, in, filters) -> torch (filters, in, k)
        k, d = p["conv1d/kernel"].shape[0], 2
        xc = F.pad(folded.permute(0, 2, 1), ((k - 1) * d, 0))
        z = F.conv1d(xc, p["conv1d/kernel"].permute(2, 1, 0), p["conv1d/bias"], dilation=d)
        y = ACTIVATIONS[c.activation](z.permute(0, 2, 1))
    else:
        cell, _ = CELLS[c.layer]
        sub = {k.split("/", 1)[1]: v for k, v in p.items()}
        y = run_layer(c, folded, sub, [])[0]
    return [y.reshape((B, T) + tuple(y.shape[1:]))]


def wrap_params(w: WrapCase, features: int):
    c = w.inner
    if c.layer == "Dense":
        return [("dense/kernel", (features, c.units)), ("dense/bias", (c.units,))]
    if c.layer == "Conv1D":
        return [("conv1d/kernel", (3, features, c.units)), ("conv1d/bias", (c.units,))]
    name = {"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "simple_rnn"}[c.layer]
    if w.wrapper != "Bidirectional":
        return [(f"{name}/{n}", s) for n, s in param_shapes(c, features)]
    cases = [c, w.backward if w.backward is not None else c]
    return [(f"{direction_name(w, k)}/{n}", s) for k in range(2) for n, s in param_shapes(cases[k], features)]


WRAP_CASES: List[WrapCase] = [
    WrapCase("bi_lstm_concat_seq", "Bidirectional", "",
             case("", "LSTM", "3, return_sequences=True", 3, (2, 4, 3), return_sequences=True)),
    WrapCase("bi_gru_sum_last", "Bidirectional", "merge_mode='sum'",
             case("", "GRU", "2", 2, (2, 3, 2)), merge="sum"),
    WrapCase("bi_lstm_mul_states", "Bidirectional", "merge_mode='mul'",
             case("", "LSTM", "2, return_sequences=True, return_state=True", 2, (2, 4, 2),
                  return_sequences=True, return_state=True), merge="mul"),
    WrapCase("bi_simple_rnn_ave", "Bidirectional", "merge_mode='ave'",
             case("", "SimpleRNN", "3, return_sequences=True", 3, (2, 4, 2), return_sequences=True),
             merge="ave"),
    WrapCase("bi_gru_none", "Bidirectional", "merge_mode=None",
             case("", "GRU", "2, return_sequences=True", 2, (2, 3, 3), return_sequences=True),
             merge=None),
    WrapCase("bi_lstm_initial_state", "Bidirectional", "",
             case("", "LSTM", "2, return_sequences=True", 2, (2, 4, 3), return_sequences=True),
             initial_state=True),
    WrapCase("bi_gru_initial_state_sum", "Bidirectional", "merge_mode='sum'",
             case("", "GRU", "3, return_state=True", 3, (2, 3, 2), return_state=True), merge="sum",
             initial_state=True),
    # backward_layer=: a layer of its own (another type and size), keeping its name
    WrapCase("bi_backward_layer_gru", "Bidirectional", "",
             case("", "LSTM", "3, return_sequences=True", 3, (2, 4, 3), return_sequences=True),
             backward=case("gru", "GRU", "2, return_sequences=True, go_backwards=True", 2, (2, 4, 3),
                           return_sequences=True, go_backwards=True)),
    WrapCase("bi_backward_layer_sum_last", "Bidirectional", "merge_mode='sum'",
             case("", "LSTM", "2", 2, (2, 4, 3)), merge="sum",
             backward=case("lstm_1", "LSTM", "2, go_backwards=True, activation='relu'", 2, (2, 4, 3),
                           go_backwards=True, activation="relu")),
    WrapCase("td_dense_3d", "TimeDistributed", "",
             case("", "Dense", "3, activation='tanh'", 3, (2, 4, 5), activation="tanh")),
    WrapCase("td_lstm_4d", "TimeDistributed", "", case("", "LSTM", "2", 2, (2, 3, 4, 2))),
    WrapCase("td_conv1d_causal_4d", "TimeDistributed", "",
             case("", "Conv1D", "3, 3, padding='causal', dilation_rate=2, activation='tanh'", 3, (2, 3, 6, 2),
                  activation="tanh")),
]


def build_wrap(w: WrapCase) -> List[Tuple[str, torch.Tensor]]:
    g = case_generator(w.name)
    x = seeded_uniform(g, w.inner.x_shape, -1.5, 1.5).requires_grad_(True)
    shapes = wrap_params(w, w.inner.x_shape[-1])
    params = {n: seeded_uniform(g, s, -0.6, 0.6).requires_grad_(True) for n, s in shapes}
    states = []
    if w.initial_state:
        B = w.inner.x_shape[0]
        states = [seeded_uniform(g, (B, w.inner.units), -0.8, 0.8).requires_grad_(True)
                  for _ in range(2 * w.inner.n_state())]
    if w.wrapper == "Bidirectional":
        ys = run_bidirectional(w, x, params, states)
    else:
        ys = run_time_distributed(w, x, params)
    dys = [seeded_uniform(g, y.shape, -1.0, 1.0) for y in ys]
    sum((y * d).sum() for y, d in zip(ys, dys)).backward()
    out = [("x", x)] + [(f"s{k}", t) for k, t in enumerate(states)]
    out += [(f"y{k}", y) for k, y in enumerate(ys)] + [(f"dy{k}", d) for k, d in enumerate(dys)]
    out += [("dx", x.grad)] + [(f"ds{k}", t.grad) for k, t in enumerate(states)]
    out += [(n, params[n]) for n, _ in shapes] + [("grad/" + n, params[n].grad) for n, _ in shapes]
    return out


def wrap_metadata(w: WrapCase) -> Dict[str, str]:
    what = f"{w.wrapper}({w.inner.layer}({w.inner.args}){', ' + w.wrapper_args if w.wrapper_args else ''}) on x {w.inner.x_shape}"
    meta = {"format": FORMAT, "layer": w.wrapper, "args": w.wrapper_args, "inner": w.inner.layer,
            "inner_args": w.inner.args, "what": what}
    if w.backward is not None:
        meta["backward"] = w.backward.layer
        meta["backward_args"] = w.backward.args
        meta["what"] += f", backward_layer={w.backward.layer}({w.backward.args})"
    return meta


# ---------------------------------------------------------------------------
# Embedding: in the layer fixtures' format (x, y, dy, dx, weights, grad/...)
# ---------------------------------------------------------------------------

EMBEDDING_CASES = [
    # name, args, input_dim, output_dim, x shape
    ("embedding_2d", "10, 4", 10, 4, (3, 5)),
    ("embedding_3d_repeats", "input_dim=6, output_dim=3", 6, 3, (2, 3, 4)),
]


def build_embedding(name, input_dim, output_dim, x_shape) -> List[Tuple[str, torch.Tensor]]:
    g = case_generator(name)
    codes = torch.randint(0, input_dim, x_shape, generator=g)
    table = seeded_uniform(g, (input_dim, output_dim), -0.5, 0.5).requires_grad_(True)
    y = F.embedding(codes, table)  # Keras's Embedding is the same lookup
    dy = seeded_uniform(g, y.shape, -1.0, 1.0)
    (y * dy).sum().backward()
    x = codes.to(torch.float64)  # codes travel as numbers; they get no gradient
    return [("x", x), ("y", y), ("dy", dy), ("dx", torch.zeros_like(x)),
            ("embeddings", table), ("grad/embeddings", table.grad)]


def main() -> int:
    check_against_torch_nn()
    check_dropped_cells()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for c in CASES:
        write_fixture("rnn_" + c.name, build(c), metadata(c))
    for w in WRAP_CASES:
        write_fixture("rnn_" + w.name, build_wrap(w), wrap_metadata(w))
    for name, args, input_dim, output_dim, x_shape in EMBEDDING_CASES:
        meta = {"format": "shapelab-fixture-1", "layer": "Embedding", "args": args, "training": "0",
                "seed": "0", "what": f"Embedding({args}) looking up codes of shape {x_shape}"}
        write_fixture(name, build_embedding(name, input_dim, output_dim, x_shape), meta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
