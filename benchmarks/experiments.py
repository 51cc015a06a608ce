"""Time one `step` (and one `snapshot`) of the race, basin-map and initialization experiments.

Run: python benchmarks/experiments.py [--quick]

Each figure is the median over repeats, in milliseconds, so a busy machine's outliers do not
count; the UI animates at 30 fps when a step plus a snapshot stays well under a frame (16 ms).
The initialization experiment's steps are layers: one forward step per layer over all samples,
then one backward step per layer on a mini-batch; its whole pass is reported too.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from statistics import median

import numpy as np

from tui_dl.engine.experiments import basins, initialization, optimizer_race
from tui_dl.engine.experiments.optimizer_race import Racer


def _ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def _stepping(module, state, steps: int) -> tuple[float, float]:
    """Median ms of one step and of one snapshot over `steps` consecutive steps."""
    step_times, snapshot_times = [], []
    for _ in range(steps):
        step_times.append(_ms(lambda: module.step(state, 1)))
        snapshot_times.append(_ms(lambda: module.snapshot(state)))
    return median(step_times), median(snapshot_times)


def bench_race(steps: int) -> None:
    configs = {
        "textbook (4 racers x 1 start)": optimizer_race.RaceConfig(),
        "8 racers x 8 starts on rosenbrock": optimizer_race.RaceConfig(
            "rosenbrock",
            racers=(*optimizer_race.TEXTBOOK_RACERS, Racer("RMSprop", "rmsprop", {"lr": 0.01}),
                    Racer("NAdam", "nadam", {"lr": 0.01}), Racer("AdamW", "adamw", {"lr": 0.01}),
                    Racer("Keras Adam", "keras_adam", {"learning_rate": 0.01})),
            starts=tuple((x, 2.5) for x in np.linspace(-1.9, 1.9, 8)),
        ),
    }
    for name, config in configs.items():
        step, snap = _stepping(optimizer_race, optimizer_race.init(config), steps)
        print(f"race    {name:38s} step {step:7.3f} ms   snapshot {snap:6.3f} ms")


def bench_basins(steps: int) -> None:
    for grid in (50, 100):
        config = basins.BasinConfig(grid=grid)  # himmelblau, sgd lr 0.01
        step, snap = _stepping(basins, basins.init(config), steps)
        label = f"himmelblau G={grid} ({grid * grid} runs)"
        print(f"basins  {label:38s} step {step:7.3f} ms   snapshot {snap:6.3f} ms")


def bench_initialization(repeats: int) -> None:
    big_runs = tuple(
        initialization.InitRun(f"{init}/{act}", init, act, convention="keras")
        for init, act in (("normal_1", "sigmoid"), ("xavier", "sigmoid"), ("xavier", "tanh"), ("he", "relu"),
                          ("xavier", "relu"), ("orthogonal", "linear"))
    )
    configs = {
        "default (3 runs, 5 x 100, 1000 samples)": initialization.InitConfig(),
        "6 runs, 10 x 500, 2000 samples": initialization.InitConfig(runs=big_runs, layers=10, width=500, samples=2000),
    }
    for name, config in configs.items():
        forward, backward, draw, whole = [], [], [], []
        layers = config.layers
        for seed in range(repeats):
            start = time.perf_counter()
            state = initialization.init(config, np.random.default_rng(seed))
            draw.append((time.perf_counter() - start) * 1e3)
            times = [_ms(lambda s=state: initialization.step(s, 1)) for _ in range(2 * layers)]
            forward += times[:layers]
            backward += times[layers:]
            whole.append((time.perf_counter() - start) * 1e3)
        print(f"init    {name:38s} step {median(forward):7.2f} ms forward, {median(backward):7.2f} ms backward; "
              f"init {median(draw):6.1f} ms, whole pass {median(whole):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    print(f"numpy {np.__version__}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"{platform.machine()}; medians of repeats")
    bench_race(100 if args.quick else 500)
    bench_basins(50 if args.quick else 300)
    bench_initialization(2 if args.quick else 7)


if __name__ == "__main__":
    main()
