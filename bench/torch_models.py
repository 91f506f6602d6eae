#!/usr/bin/python3
"""The models of bench/bench_models.c in PyTorch: the time of one training step (forward, loss,
backward, RMSprop's step) in float32, for bench/run.sh to print beside shapelab's.

    torch_models.py WORKLOAD [--threads N] [--steps N] [--cpu]   one line, as bench_models prints
    torch_models.py --blas                                        the BLAS library PyTorch loaded

A workload's line: name, milliseconds per step (the best of --steps steps after 3 of warm-up),
GFLOP per step (bench_models.c counts them; run.sh uses its count), GFLOP/s, and the peak memory
in MB (the most the process held, less what it held before building the model). The layers are
PyTorch's own (nn.LSTM, nn.GRU, nn.Conv2d, nn.Conv1d), in PyTorch's layouts; the data and the
targets are random, as in bench_models.c. The input needs no gradient, as a batch of data does
not.
"""
import resource
import sys
import time

import torch
from torch import nn


def max_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Recurrent(nn.Module):
    """RNN(32) -> RNN(8) -> Linear(2) at every step, sigmoid: bench_models.c's build_lstm."""

    def __init__(self, cell, features):
        super().__init__()
        self.r1 = cell(features, 32, batch_first=True)
        self.r2 = cell(32, 8, batch_first=True)
        self.out = nn.Linear(8, 2)

    def forward(self, x):
        return torch.sigmoid(self.out(self.r2(self.r1(x)[0])[0]))


class CausalStack(nn.Module):
    """Five causal dilated Conv1d(32, 3) with elu, then Linear(1) at every step, on (N, C, T)."""

    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(1 if i == 0 else 32, 32, 3, dilation=2**i) for i in range(5))
        self.out = nn.Linear(32, 1)

    def forward(self, x):
        for i, conv in enumerate(self.convs):
            x = nn.functional.elu(conv(nn.functional.pad(x, (2 * 2**i, 0))))
        return self.out(x.transpose(1, 2))


def classifier():
    return nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 5, padding=2), nn.Flatten(),
                         nn.Linear(14 * 14 * 64, 10))


def bce(p, y):
    return nn.functional.binary_cross_entropy(p, y)


def cce(logits, y):  # softmax and categorical crossentropy, as Dense(10, 'softmax') with CCE
    return nn.functional.cross_entropy(logits, y)


# name: (model maker, input shape, target maker, loss)
WORKLOADS = {
    "lstm": (lambda: Recurrent(nn.LSTM, 5), (1000, 55, 5),
             lambda g: torch.rand(1000, 55, 2, generator=g), bce),
    "conv2d": (classifier, (64, 1, 28, 28),
               lambda g: torch.randint(0, 10, (64,), generator=g), cce),
    "conv1d": (CausalStack, (16, 1, 1000),
               lambda g: torch.rand(16, 1000, 1, generator=g), nn.functional.mse_loss),
    "lstm-small": (lambda: Recurrent(nn.LSTM, 5), (32, 100, 5),
                   lambda g: torch.rand(32, 100, 2, generator=g), bce),
    "gru-small": (lambda: Recurrent(nn.GRU, 5), (32, 100, 5),
                  lambda g: torch.rand(32, 100, 2, generator=g), bce),
}


def loaded_blas():
    """The BLAS library mapped into this process (libblas.so.3 is whichever Debian's alternatives
    point to), after one matrix product has surely loaded it."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    names = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if any(k in path for k in ("blas", "blis", "mkl", "atlas")):
                names.add(path)
    return sorted(names)


def run(name, steps, clock):
    make, shape, target, loss_fn = WORKLOADS[name]
    rss0 = max_rss_mb()
    torch.manual_seed(1)
    g = torch.Generator().manual_seed(7)
    model = make()
    x = torch.rand(shape, generator=g) * 2 - 1
    y = target(g)
    opt = torch.optim.RMSprop(model.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
    best = float("inf")
    for s in range(3 + steps):
        t0 = clock()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        t = clock() - t0
        if s >= 3:
            best = min(best, t)
    print(f"{name} {best * 1e3:.3f} 0 0 {max_rss_mb() - rss0:.1f}")


def main():
    args = sys.argv[1:]
    if args == ["--blas"]:
        print("\n".join(loaded_blas()) or "none")
        return 0
    threads, steps, clock, name = 1, 10, time.perf_counter, None
    while args:
        a = args.pop(0)
        if a == "--threads" and args:
            threads = int(args.pop(0))
        elif a == "--steps" and args:
            steps = int(args.pop(0))
        elif a == "--cpu":
            clock = time.process_time
        elif a in WORKLOADS and name is None:
            name = a
        else:
            print("usage: torch_models.py WORKLOAD [--threads N] [--steps N] [--cpu] | --blas",
                  file=sys.stderr)
            return 2
    if name is None:
        print("torch_models.py: name a workload: " + " ".join(WORKLOADS), file=sys.stderr)
        return 2
    torch.set_num_threads(threads)
    run(name, max(steps, 1), clock)
    return 0


if __name__ == "__main__":
    sys.exit(main())
