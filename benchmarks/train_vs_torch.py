"""tui-dl's batched training next to the usual PyTorch loop, and the engine's GFLOP/s.

1. The 8-variant experiment of benchmarks/train.py (64-128-128-10 MLP, batch 128, Adam, float32,
   validation after every epoch) trained by tui-dl's batched engine, and the same 8 variants
   written the usual PyTorch way on the CPU: one nn.Sequential per variant (with nn.Dropout,
   the L1/L2 penalty added to the loss, AdamW for decoupled weight decay), trained one after
   another with `zero_grad / backward / step`. Skipped with a message when torch is missing:
   it is never a dependency of tui-dl.
2. The engine's GFLOP/s on one batched training step (forward, backward and the Adam update) of
   8 runs of a 512-512-512-10 network at batch 512, next to numpy's float32 and float64 matmul
   peak on this machine (2048 x 2048 products).

Runs from a checkout with any Python that has numpy (and optionally torch), for example
    /work/scratch/goldenv/bin/python benchmarks/train_vs_torch.py
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tui_dl from this checkout, no install
sys.path.insert(0, str(Path(__file__).resolve().parent))

import itertools

from train import BATCH, CLASSES, HIDDEN, INPUTS, TRAIN, VAL, VARIANTS, digits_like, experiment, seconds

from tui_dl.engine.experiments.variants import parse_variant
from tui_dl.engine.mlp import make_mlp
from tui_dl.engine.optimizers import OPTIMIZERS

WIDE, WIDE_RUNS, PEAK_SIZE = 512, 8, 2048


def best(fn, repeats: int) -> float:
    """The smallest of `repeats` timings of fn() (the machine is shared)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


# ------------------------------------------------------------------------------ PyTorch
def torch_variant_seconds(torch, spec: str, data, epochs: int) -> float:
    """Train one variant the usual PyTorch way for 1 + epochs epochs; seconds of the last `epochs`."""
    nn, functional = torch.nn, torch.nn.functional
    variant = parse_variant(spec)
    torch.manual_seed(0)
    layers: list = []
    widths = (INPUTS, *HIDDEN)
    for fan_in, fan_out in itertools.pairwise(widths):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
        if variant.dropout:
            layers.append(nn.Dropout(variant.dropout))
    layers.append(nn.Linear(widths[-1], CLASSES))
    model = nn.Sequential(*layers)
    kernels = [m.weight for m in model if isinstance(m, nn.Linear)]
    if variant.weight_decay:
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=variant.weight_decay)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x_train, y_train = torch.tensor(data.x_train, dtype=torch.float32), torch.tensor(data.y_train)
    x_val, y_val = torch.tensor(data.x_val, dtype=torch.float32), torch.tensor(data.y_val)

    def epoch() -> None:
        model.train()
        order = torch.randperm(len(x_train))
        for start in range(0, len(x_train), BATCH):
            index = order[start:start + BATCH]
            loss = functional.cross_entropy(model(x_train[index]), y_train[index])
            if variant.l2:
                loss = loss + variant.l2 * sum((w * w).sum() for w in kernels)
            if variant.l1:
                loss = loss + variant.l1 * sum(w.abs().sum() for w in kernels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(x_val)
            functional.cross_entropy(logits, y_val).item()
            (logits.argmax(1) == y_val).float().mean().item()

    epoch()  # warm-up
    start = time.perf_counter()
    for _ in range(epochs):
        epoch()
    return time.perf_counter() - start


def compare_with_torch(epochs: int, repeats: int) -> None:
    try:
        import torch
    except ImportError as error:
        print(f"PyTorch comparison skipped: torch is not importable with this Python ({error})")
        return
    data = digits_like(np.random.default_rng(1))
    steps = len(VARIANTS) * (TRAIN // BATCH) * epochs
    ours = min(seconds(experiment(VARIANTS, data, epochs, "float32"), epochs) for _ in range(repeats))
    theirs = min(sum(torch_variant_seconds(torch, spec, data, epochs) for spec in VARIANTS) for _ in range(repeats))
    print(f"{INPUTS}-{HIDDEN[0]}-{HIDDEN[1]}-{CLASSES} MLP, batch {BATCH}, {len(VARIANTS)} variants, Adam, float32, "
          f"{TRAIN // BATCH} steps per epoch + validation on {VAL}, best of {repeats}")
    print(f"  tui-dl batched (numpy {np.__version__})         {steps / ours:7.0f} steps/s  "
          f"{ours / epochs * 1e3:6.1f} ms per epoch of 8 runs")
    print(f"  PyTorch {torch.__version__}, 8 models one by one ({torch.get_num_threads()} threads) "
          f"{steps / theirs:7.0f} steps/s  {theirs / epochs * 1e3:6.1f} ms per epoch of 8 runs")
    print(f"  tui-dl is {theirs / ours:.2f}x {'faster' if theirs > ours else 'slower'}")


# ------------------------------------------------------------------------------ GFLOP/s
def training_step_flops(sizes: tuple[int, ...], batch: int, runs: int) -> float:
    """Multiply-adds x 2 of forward, weight gradients and input gradients (not for the first layer)."""
    products = [batch * a * b for a, b in itertools.pairwise(sizes)]
    return 2.0 * runs * (2 * sum(products) + sum(products[1:]))


def engine_gflops(repeats: int, steps: int = 10) -> tuple[float, float]:
    """(GFLOP/s of the whole step, GFLOP/s of forward + backward alone) at 512 wide, float32."""
    model = make_mlp(WIDE, (WIDE, WIDE), 10)
    rngs = np.random.default_rng(0).spawn(WIDE_RUNS)
    params = model.init_params(rngs, "he_normal", dtype=np.float32)
    rng = np.random.default_rng(1)
    x = rng.random((WIDE_RUNS, WIDE, WIDE), dtype=np.float32)
    y = rng.integers(0, 10, (WIDE_RUNS, WIDE))
    optimizer = OPTIMIZERS["adam"].fn(lr=1e-3)
    state = optimizer.init(params)
    flops = training_step_flops(model.sizes, WIDE, WIDE_RUNS)

    def train() -> None:
        nonlocal params, state
        for _ in range(steps):
            grads = model.loss_and_grad(params, x, y, reuse=True).grads
            params, state = optimizer.update(grads, state, params, 1e-3)

    def backprop() -> None:
        for _ in range(steps):
            model.loss_and_grad(params, x, y, reuse=True)

    train()
    whole = best(train, repeats) / steps
    network = best(backprop, repeats) / steps
    return flops / whole / 1e9, flops / network / 1e9


def matmul_peak(dtype, repeats: int) -> float:
    a = np.random.default_rng(0).random((PEAK_SIZE, PEAK_SIZE)).astype(dtype)
    a @ a
    return 2.0 * PEAK_SIZE**3 / best(lambda: a @ a, repeats) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    compare_with_torch(args.epochs, args.repeats)
    step, network = engine_gflops(args.repeats)
    print(f"engine, {WIDE_RUNS} runs of {WIDE}-{WIDE}-{WIDE}-10 at batch {WIDE}, float32: "
          f"{step:.0f} GFLOP/s per training step (forward, backward, Adam), {network:.0f} GFLOP/s without Adam")
    print(f"numpy matmul peak ({PEAK_SIZE}x{PEAK_SIZE}): {matmul_peak(np.float32, args.repeats):.0f} GFLOP/s float32, "
          f"{matmul_peak(np.float64, args.repeats):.0f} GFLOP/s float64")


if __name__ == "__main__":
    main()
