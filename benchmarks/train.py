"""Training throughput: 8 regularization variants of a 64-128-128-10 MLP, batched vs one after another.

Prints mini-batch steps per second, summed over the 8 runs, for the batched engine (all 8 runs
in one (R, P) parameter buffer, one optimizer update per step) and for the same 8 runs trained
one after another with the same engine; then the time of one `step` (one epoch) and one
`snapshot` of the training experiment at its default size. Each figure is the best of a few
repeats (the machine is shared). The data is random, of the digits' shape: 64 features, 10
classes, 1280 training samples (10 mini-batches of 128 per epoch) and 320 validation samples,
evaluated after every epoch as `fit` does.

    python benchmarks/train.py [--epochs 5] [--repeats 3] [--dtype float32]

Also, at the app's default network (spiral, 2-100-100-3, batch 32): 4 variants x 8 seeds and a
64-sample random search, each batched and one run after another.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from tui_dl.engine.datasets import Dataset
from tui_dl.engine.experiments import search, training
from tui_dl.engine.experiments.variants import parse_variant
from tui_dl.engine.streams import Streams, root_of

VARIANTS = ("none", "l2=1e-4", "l2=1e-3", "l1=1e-5", "dropout=0.2", "dropout=0.5", "weight_decay=1e-2",
            "l2=1e-4+dropout=0.2")
INPUTS, HIDDEN, CLASSES, BATCH = 64, (128, 128), 10, 128
TRAIN, VAL = 1280, 320


def digits_like(rng: np.random.Generator) -> Dataset:
    """Random data of the digits' shape: 64 features in [0, 1], 10 classes."""
    x = rng.random((TRAIN + VAL, INPUTS))
    y = rng.integers(0, CLASSES, TRAIN + VAL)
    names = tuple(f"x{i}" for i in range(INPUTS))
    return Dataset("random", "classification", x[:TRAIN], y[:TRAIN], x[TRAIN:], y[TRAIN:], CLASSES, names, None)


def experiment(variants: tuple[str, ...], data: Dataset, epochs: int, dtype: str) -> training.TrainConfig:
    """The benchmark's configuration: Adam 1e-3, batch 128, validation after each epoch."""
    return training.TrainConfig(data=data, hidden=HIDDEN, batch_size=BATCH, epochs=epochs + 1, dtype=dtype, lr=1e-3,
                                eval_train=False, variants=tuple(parse_variant(v) for v in variants))


def seconds(config: training.TrainConfig, epochs: int, streams: Streams | None = None) -> float:
    """Wall time of `epochs` epochs after one warm-up epoch."""
    state = training.init(config, np.random.default_rng(0), streams)
    training.step(state, 1)
    start = time.perf_counter()
    training.step(state, epochs)
    return time.perf_counter() - start


def batched_and_one_by_one(data: Dataset | None, epochs: int, dtype: str) -> tuple[float, float]:
    """(seconds for the 8 variants together, seconds for the 8 trained one after another).

    data None: the app's default experiment (small spiral, 2-100-100-3, batch 32) instead of the digits-like one.
    """
    def config(variants: tuple[str, ...]) -> training.TrainConfig:
        if data is not None:
            return experiment(variants, data, epochs, dtype)
        return replace(training.TrainConfig(), epochs=epochs + 1, dtype=dtype, eval_train=False,
                       variants=tuple(parse_variant(v) for v in variants))

    together = seconds(config(VARIANTS), epochs)
    root = root_of(np.random.default_rng(0))
    alone = sum(seconds(config((v,)), epochs, Streams(root, [0])) for v in VARIANTS)
    return together, alone


def seeds_batched_and_one_by_one(epochs: int, dtype: str, seeds: int = 8) -> tuple[float, float, int]:
    """(seconds for 4 variants x seeds together, for the same runs one after another, runs) at the app's size."""
    base = replace(training.TrainConfig(), epochs=epochs + 1, dtype=dtype, eval_train=False)
    together = seconds(replace(base, seeds=seeds), epochs)
    root = root_of(np.random.default_rng(0))
    alone = sum(seconds(replace(base, variants=(variant,)), epochs, Streams(root, [seed]))
                for variant in base.variants for seed in range(seeds))
    return together, alone, len(base.variants) * seeds


def search_batched_and_one_by_one(epochs: int, dtype: str, samples: int = 64) -> tuple[float, float]:
    """(seconds for a random search of samples together, for its samples one after another) at the app's size."""
    train = replace(training.TrainConfig(), epochs=epochs + 1, dtype=dtype, eval_train=False)
    state = search.init(search.SearchConfig(train, samples=samples), np.random.default_rng(0))
    search.step(state, 1)
    start = time.perf_counter()
    search.step(state, epochs)
    together = time.perf_counter() - start
    alone = sum(seconds(replace(train, variants=(variant,)), epochs, Streams(root_of(np.random.default_rng(0)), [0]))
                for variant in state.train.config.variants)
    return together, alone


def default_step_ms(repeats: int, count: int = 40) -> tuple[float, float, training.TrainState]:
    """(ms per step of one epoch, ms per snapshot with a fresh decision grid) at the default size."""
    best_step = best_snapshot = float("inf")
    for _ in range(repeats):
        state = training.init(replace(training.TrainConfig(), epochs=10 * count), np.random.default_rng(0))
        training.step(state, 2)
        start = time.perf_counter()
        training.step(state, count)
        best_step = min(best_step, (time.perf_counter() - start) / count)
        start = time.perf_counter()
        for _ in range(count):
            state.grid_cache = None  # force the grid's forward pass
            training.snapshot(state)
        best_snapshot = min(best_snapshot, (time.perf_counter() - start) / count)
    return best_step * 1e3, best_snapshot * 1e3, state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    args = parser.parse_args()
    data = digits_like(np.random.default_rng(1))
    steps = len(VARIANTS) * (TRAIN // BATCH) * args.epochs
    results = [batched_and_one_by_one(data, args.epochs, args.dtype) for _ in range(args.repeats)]
    together, alone = min(r[0] for r in results), min(r[1] for r in results)
    print(f"{INPUTS}-{HIDDEN[0]}-{HIDDEN[1]}-{CLASSES} MLP, batch {BATCH}, {len(VARIANTS)} variants "
          f"({', '.join(VARIANTS)}), Adam, {args.dtype}, {TRAIN // BATCH} steps per epoch + validation on {VAL}; "
          f"best of {args.repeats}")
    print(f"  batched     {steps / together:8.0f} steps/s   {together / args.epochs * 1e3:6.1f} ms per epoch of 8 runs")
    print(f"  one by one  {steps / alone:8.0f} steps/s   {alone / args.epochs * 1e3:6.1f} ms per epoch of 8 runs")
    print(f"  batched is {alone / together:.2f}x faster")
    small = [batched_and_one_by_one(None, args.epochs, args.dtype) for _ in range(args.repeats)]
    small_together, small_alone = min(r[0] for r in small), min(r[1] for r in small)
    print(f"the same 8 variants on the app's default spiral (2-100-100-3, batch 32): batched "
          f"{small_together / args.epochs * 1e3:.1f} ms per epoch, one by one "
          f"{small_alone / args.epochs * 1e3:.1f} ms: "
          f"{small_alone / small_together:.2f}x")
    batches = 150 // 32 + 1  # the default spiral: 150 training points in batches of 32
    seeded = [seeds_batched_and_one_by_one(args.epochs, args.dtype) for _ in range(args.repeats)]
    runs = seeded[0][2]
    seeded_together, seeded_alone = min(r[0] for r in seeded), min(r[1] for r in seeded)
    print(f"4 variants x 8 seeds ({runs} runs) on the app's default spiral: batched "
          f"{runs * batches * args.epochs / seeded_together:.0f} steps/s "
          f"({seeded_together / args.epochs * 1e3:.1f} ms per epoch), one by one "
          f"{runs * batches * args.epochs / seeded_alone:.0f} steps/s: {seeded_alone / seeded_together:.2f}x")
    searched = [search_batched_and_one_by_one(args.epochs, args.dtype) for _ in range(args.repeats)]
    search_together, search_alone = min(r[0] for r in searched), min(r[1] for r in searched)
    print(f"random search of 64 samples (lr, weight_decay) on the app's default spiral: batched "
          f"{64 * batches * args.epochs / search_together:.0f} steps/s "
          f"({search_together / args.epochs * 1e3:.1f} ms per epoch), one by one "
          f"{64 * batches * args.epochs / search_alone:.0f} steps/s: {search_alone / search_together:.2f}x")
    step_ms, snapshot_ms, state = default_step_ms(args.repeats)
    config = state.config
    print(f"default experiment ({len(config.variants)} variants, {config.dataset} {len(state.x_train)} train / "
          f"{len(state.x_val)} val, hidden {config.hidden}, batch {config.batch_size}, {config.dtype}): "
          f"step (1 epoch) {step_ms:.2f} ms, snapshot with a {config.grid}x{config.grid} grid {snapshot_ms:.2f} ms")


if __name__ == "__main__":
    main()
