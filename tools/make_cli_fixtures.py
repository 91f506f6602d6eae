#!/usr/bin/python3
"""Write the fixtures that tests/check_cli.c gives to build/shapelab: weights, inputs, expected outputs.

Run it from the repository root with the Debian system Python (python3-torch, python3-numpy),
AFTER `make` (it runs build/shapelab init):

    make -s all && tools/make_cli_fixtures.py

The weights go the round trip a user's would: `shapelab init` writes them, this script reads them
with its own safetensors reader, edits them in NumPy and writes them back (F32, the same Keras names),
so a test that predicts with them checks that weights changed outside shapelab come back in.

Output, in tests/fixtures/cli/:

    file                               dtype  shape        what
    regression_weights.safetensors     F32    -            15_regression.py: init --seed 3, then
                                                           kernels * 1.5 and seeded biases
    regression_x.npy                   <f4    (10, 13)     seeded normal inputs
    regression_expected.npy            <f8    (10, 1)      relu(x @ k0 + b0) @ k1 + b1, in float64
    multi_weights.safetensors          F32    -            14_multi_output.py: init --seed 4, edited
    multi_x.npy                        <f4    (4, 32)      seeded normal inputs
    multi_expected.npy                 <f8    (4, 16, 7)   softmax over the last axis of
                                                           reshape(x @ k + b, (-1, 16, 7))
    regression_train_x.npy             <f4    (64, 13)     seeded normal inputs
    regression_train_y.npy             <f8    (64, 1)      x @ w + 0.5 with seeded w (exact rule)
    variable_weights.safetensors       F32    -            05_variable_length.py: init --seed 5, edited
    variable_x10.npy, variable_x37.npy <f4    (3, 10, 5), (2, 37, 5): seeded normal inputs
    variable_expected10.npy, ...37.npy <f8    LSTM -> LSTM -> TimeDistributed(Dense(2, sigmoid)),
                                                           the same weights at both lengths

The predictions are computed with PyTorch in float64 from the float32 values actually stored, with
Keras layouts converted explicitly (F.linear(x, kernel.T, bias)). The edited weights are rounded to
5 decimals before they are stored, so an ulp of difference in what `init` writes on another machine
does not change the fixtures. The script is deterministic (fixed seeds, fixed JSON order, np.save
writes no timestamps): running it again gives byte-identical files. It reads back everything it wrote
and checks it.
"""

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

import numpy as np
import torch
import torch.nn.functional as F
from safetensors_io import read_safetensors, write_safetensors

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "tests" / "fixtures" / "cli"
BINARY = ROOT / "build" / "shapelab"
MODELS = "../shared/models"  # relative to ROOT, as the tests use it


# ---------------------------------------------------------------------------
# The two models, in PyTorch with Keras layouts
# ---------------------------------------------------------------------------


def t64(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def regression_forward(w: Dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """15_regression.py: Dense(64, relu) then Dense(1) (linear)."""
    h = F.relu(F.linear(t64(x), t64(w["dense/kernel"]).T, t64(w["dense/bias"])))
    return F.linear(h, t64(w["dense_1/kernel"]).T, t64(w["dense_1/bias"])).numpy()


def multi_forward(w: Dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """14_multi_output.py: Dense(112), Reshape((16, 7)), softmax over the last axis."""
    z = F.linear(t64(x), t64(w["dense/kernel"]).T, t64(w["dense/bias"]))
    return torch.softmax(z.reshape(-1, 16, 7), dim=-1).numpy()


# ---------------------------------------------------------------------------
# Making the files
# ---------------------------------------------------------------------------


def variable_forward(w: Dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """05_variable_length.py: LSTM(32, rs) -> LSTM(8, rs) -> TimeDistributed(Dense(2, sigmoid)), with
    tools/make_rnn_fixtures.py's LSTM (Keras layout, checked there against nn.LSTM)."""
    from make_rnn_fixtures import RnnCase, run_layer
    h = t64(x)
    for name, units in (("lstm", 32), ("lstm_1", 8)):
        p = {k.split("/", 1)[1]: t64(v) for k, v in w.items() if k.startswith(name + "/")}
        case = RnnCase("", "LSTM", "", units, tuple(h.shape), return_sequences=True)
        h = run_layer(case, h, p, [])[0]
    z = h @ t64(w["time_distributed/dense/kernel"]) + t64(w["time_distributed/dense/bias"])
    return torch.sigmoid(z).numpy()


def shapelab_init(script: str, seed: int, tmp: Path) -> Dict[str, np.ndarray]:
    """Run `build/shapelab init SCRIPT --seed S -o TMP/w.safetensors` and read what it wrote."""
    out = tmp / f"init_{seed}.safetensors"
    cmd = [str(BINARY), "init", f"{MODELS}/{script}", "--seed", str(seed), "-o", str(out)]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:  # (its notices on stderr are expected; show them only on failure)
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    _meta, w = read_safetensors(out)
    for name, a in w.items():
        assert a.dtype == np.dtype("<f4"), f"shapelab init wrote {name} as {a.dtype}, expected F32"
    return w


def edit_weights(w: Dict[str, np.ndarray], seed: int) -> Dict[str, np.ndarray]:
    """Kernels * 1.5 and small seeded biases (init's biases are zeros), rounded to 5 decimals."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, a in w.items():
        if name.endswith("/kernel"):
            v = a.astype(np.float64) * 1.5
        else:
            v = rng.uniform(-0.2, 0.2, size=a.shape)
        out[name] = np.round(v, 5).astype(np.float32)
    return out


def save_npy(name: str, a: np.ndarray) -> None:
    np.save(OUT_DIR / name, a)
    back = np.load(OUT_DIR / name)
    assert back.dtype == a.dtype and back.shape == a.shape and np.array_equal(back, a), name


def save_weights(name: str, w: Dict[str, np.ndarray], names: List[str], what: str) -> None:
    assert list(w) == names, f"{name}: shapelab wrote {list(w)}, expected {names}"
    write_safetensors(OUT_DIR / name, [(k, w[k]) for k in names], {"format": "shapelab-cli-fixture-1", "what": what},
                      dtype="F32", sort_keys=False)
    _meta, back = read_safetensors(OUT_DIR / name)
    assert list(back) == names, name
    for k in names:
        assert back[k].dtype == np.float32 and np.array_equal(back[k], w[k]), f"{name}: {k} did not read back"


VARIABLE_NAMES = [f"{l}/lstm_cell/{k}" for l in ("lstm", "lstm_1") for k in ("kernel", "recurrent_kernel", "bias")] \
    + ["time_distributed/dense/kernel", "time_distributed/dense/bias"]


def make_variable(tmp: Path) -> None:
    """05_variable_length.py's weights, and inputs of 10 and 37 steps predicted with the same weights."""
    init = shapelab_init("05_variable_length.py", 5, tmp)
    w = edit_weights(init, 5)
    save_weights("variable_weights.safetensors", w, VARIABLE_NAMES,
                 "05_variable_length.py: shapelab init --seed 5, kernels * 1.5, other weights seeded, 5 decimals")
    rng = np.random.default_rng(105)
    for n, steps in ((3, 10), (2, 37)):
        x = rng.standard_normal((n, steps, 5)).astype(np.float32)
        save_npy(f"variable_x{steps}.npy", x)
        y = variable_forward(w, x)
        assert y.shape == (n, steps, 2) and np.all(np.isfinite(y))
        save_npy(f"variable_expected{steps}.npy", y)


def make_model(prefix: str, script: str, seed: int, n_samples: int, n_features: int, forward, tmp: Path) -> None:
    names = ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"] if prefix == "regression" \
        else ["dense/kernel", "dense/bias"]
    init = shapelab_init(script, seed, tmp)
    w = edit_weights(init, seed)
    for k in names:
        assert not np.array_equal(w[k], init[k]), f"{prefix}: editing left {k} as init wrote it"
    save_weights(f"{prefix}_weights.safetensors", w, names,
                 f"{script}: shapelab init --seed {seed}, kernels * 1.5, seeded biases, rounded to 5 decimals")
    rng = np.random.default_rng(100 + seed)
    x = rng.standard_normal((n_samples, n_features)).astype(np.float32)
    save_npy(f"{prefix}_x.npy", x)
    y = forward(w, x)
    assert y.dtype == np.float64 and np.all(np.isfinite(y))
    save_npy(f"{prefix}_expected.npy", y)


def check_forwards() -> None:
    """The torch forwards against plain NumPy on random weights (a check of the layouts used)."""
    rng = np.random.default_rng(7)
    w = {"dense/kernel": rng.standard_normal((13, 64)), "dense/bias": rng.standard_normal(64),
         "dense_1/kernel": rng.standard_normal((64, 1)), "dense_1/bias": rng.standard_normal(1)}
    x = rng.standard_normal((5, 13))
    want = np.maximum(x @ w["dense/kernel"] + w["dense/bias"], 0) @ w["dense_1/kernel"] + w["dense_1/bias"]
    assert np.allclose(regression_forward(w, x), want, rtol=1e-12, atol=1e-12)
    w = {"dense/kernel": rng.standard_normal((32, 112)), "dense/bias": rng.standard_normal(112)}
    x = rng.standard_normal((3, 32))
    z = (x @ w["dense/kernel"] + w["dense/bias"]).reshape(3, 16, 7)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    assert np.allclose(multi_forward(w, x), e / e.sum(axis=-1, keepdims=True), rtol=1e-12, atol=1e-12)


def make_train_data() -> None:
    """(64, 13) float32 inputs and (64, 1) float64 targets of the linear rule x @ w + 0.5."""
    rng = np.random.default_rng(15)
    x = rng.standard_normal((64, 13)).astype(np.float32)
    w = np.round(rng.uniform(-1, 1, size=(13, 1)), 3)
    y = x.astype(np.float64) @ w + 0.5
    save_npy("regression_train_x.npy", x)
    save_npy("regression_train_y.npy", y)


def main() -> int:
    if not BINARY.exists():
        print(f"{BINARY} is missing: run `make` first", file=sys.stderr)
        return 1
    torch.set_default_dtype(torch.float64)
    check_forwards()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        make_model("regression", "15_regression.py", 3, 10, 13, regression_forward, Path(tmp))
        make_model("multi", "14_multi_output.py", 4, 4, 32, multi_forward, Path(tmp))
        make_variable(Path(tmp))
    make_train_data()
    for p in sorted(OUT_DIR.iterdir()):
        print(f"{p.relative_to(ROOT)}  {p.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
