"""What each experiment costs, from its configuration alone (see cost.py for the mechanism).

Memory counts the arrays an experiment holds at its peak; each estimate is checked against
tracemalloc's peak of the real experiment in tests/engine/test_cost.py (within a factor of two,
on the side of too much). Work counts multiply-adds: a dense layer of fan_in x fan_out costs
fan_in * fan_out per sample forward and twice that backward.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

import numpy as np

from tui_dl.engine.cost import FLOAT64, Cost, array_bytes
from tui_dl.engine.datasets import Dataset
from tui_dl.engine.experiments import (
    initialization,
    lr_range,
    rate_sweep,
    schedule_race,
    search,
    sparse_features,
    training,
)
from tui_dl.engine.optimizers import OPTIMIZERS

# training.py's evaluation goes through the data in chunks of this many samples (MLP.evaluate)
EVAL_CHUNK = 1024
# an append-only History holds up to twice its rows, and three times while it grows
HISTORY_GROWTH = 3
# arrays of the parameters' size an optimizer update holds besides params, grads and its state:
# the new parameters and its temporaries (measured: 2 for SGD to 7.5 for Rprop, test_cost.py)
UPDATE_TEMPORARIES = 8
# a Python float in a list: the object and its pointer (a JSON export's document holds every value so)
PYTHON_FLOAT = 32
# one optimizer step at one point of a 2-D surface, in multiply-adds of a matrix product that take as long: about
# 50 elementwise operations, each some 3 ns a point against 0.1 ns a multiply-add (measured: 150 ns a point-step
# for a grid of 500 x 500 starts, 0.06-0.11 ns per multiply-add of a training epoch)
SURFACE_WORK = 1500
# what each step of a descent costs whatever its size (Python and NumPy calls: about 0.25 ms), in the same units
DESCENT_STEP_WORK = 2.5e6
# float64 values a descent holds per point: position, gradient, optimizer state, codes and the step's temporaries
# (measured: a basin sweep of 1.25 million starts peaks at 190 bytes a start)
POINT_VALUES = 24
# elementwise operations per parameter of an optimizer update (counted as multiply-adds)
UPDATE_WORK = 10


@dataclass(frozen=True)
class NetworkShape:
    """The sizes the training experiments' costs depend on, from the config and its data set."""

    sizes: tuple[int, ...]  # (input, hidden..., output)
    n_train: int
    n_val: int
    grid_points: int  # decision grid points drawn per variant (0 without a 2-D box)

    @property
    def n_kernel(self) -> int:
        """Kernel parameters: sum of fan_in * fan_out, also the multiply-adds of one sample's forward pass."""
        return sum(a * b for a, b in itertools.pairwise(self.sizes))

    @property
    def n_params(self) -> int:
        """Kernels, biases and (with batch normalization) a gamma and beta per hidden unit."""
        return self.n_kernel + sum(self.sizes[1:])

    @property
    def hidden_units(self) -> int:
        return sum(self.sizes[1:-1])

    @property
    def units(self) -> int:
        return sum(self.sizes[1:])


def network_shape(config: training.TrainConfig, dataset: Dataset | None = None) -> NetworkShape:
    """The network and data sizes of config (its data set is drawn, cheaply, when not given)."""
    data = dataset if dataset is not None else training.draw_dataset(config, np.random.default_rng(0))
    sizes = (data.input_dim, *config.hidden, data.output_dim)
    grid = config.grid**2 if data.box is not None and data.input_dim == 2 else 0
    return NetworkShape(tuple(int(n) for n in sizes), len(data.x_train), len(data.x_val), grid)


def optimizer_slots(config: training.TrainConfig) -> int:
    """Arrays of the parameters' size in the optimizer's state (the largest over the variants' optimizers)."""
    names = {training.component_setting(config, variant, "optimizer") for variant in config.variants}
    probe = np.zeros((1, 3))
    slots = 0
    for name, params in names:
        state = OPTIMIZERS[name].fn(**dict(OPTIMIZERS[name].resolve(dict(params)))).init(probe)
        slots = max(slots, sum(1 for part in state if isinstance(part, np.ndarray) and part.shape == probe.shape))
    return slots


def _workspace_bytes(shape: NetworkShape, runs: int, batch: int, itemsize: int, *, backward: bool,
                     dropout: bool, batch_norm: bool) -> float:
    """One MLP Workspace (mlp.py): forward buffers, and the backward pass's when it trains."""
    hidden, per_sample = shape.hidden_units, shape.units + shape.hidden_units  # z of every layer, h of hidden ones
    if backward:
        per_sample += hidden * (1 + dropout) + shape.sizes[-1]  # back (and a), dout
    size = runs * batch * per_sample * itemsize + (runs * batch * hidden if backward else 0)  # bool flags
    if batch_norm:
        size += runs * (2 * batch + 5) * hidden * itemsize
    if backward:
        size += runs * (shape.n_params + shape.n_kernel) * itemsize  # grads, penalty scratch
    return size


def _chunks(n: int, chunk: int) -> set[int]:
    """The distinct batch sizes of n samples in chunks of chunk."""
    return {size for size in (min(n, chunk), n % chunk if n > chunk else 0) if size}


def training_cost(config: training.TrainConfig, dataset: Dataset | None = None, *, runs: int | None = None,
                  steps: int | None = None, unit: str = "epoch",
                  knobs: tuple[str, ...] = ("hidden", "seeds", "val_samples")) -> Cost:
    """Peak memory and the work of one epoch of training.py's experiment.

    runs: the number of runs when it is not config.runs (a search's samples, a sweep's rates);
    steps, unit: the experiment's horizon in its own unit (default: config.epochs epochs).
    """
    shape = network_shape(config, dataset)
    runs = config.runs if runs is None else runs
    variants = max(1, runs // max(config.seeds, 1))
    itemsize = np.dtype(training.DTYPES[config.dtype]).itemsize
    dropout = any(variant.dropout for variant in config.variants)
    batch_norm = any(variant.batch_norm for variant in config.variants)
    params = runs * shape.n_params * itemsize
    restore = config.restore_best_weights
    decay = any(variant.weight_decay for variant in config.variants)
    held = params * (1 + optimizer_slots(config) + UPDATE_TEMPORARIES + restore + decay)

    batches = _chunks(shape.n_train, config.batch_size)
    held += sum(_workspace_bytes(shape, runs, b, itemsize, backward=True, dropout=dropout, batch_norm=batch_norm)
                for b in batches)
    for n in (shape.n_val, shape.n_train if config.eval_train else 0):
        held += sum(_workspace_bytes(shape, runs, b, itemsize, backward=False, dropout=False, batch_norm=batch_norm)
                    for b in _chunks(n, EVAL_CHUNK))
    if shape.grid_points:
        held += _workspace_bytes(shape, variants, shape.grid_points, itemsize, backward=False, dropout=False,
                                 batch_norm=batch_norm)
        held += 2 * array_bytes(variants, shape.grid_points, shape.sizes[-1], itemsize=itemsize)
    batch = min(config.batch_size, shape.n_train)
    held += runs * batch * (shape.sizes[0] + 1 + (2 * shape.hidden_units if dropout else 0)) * itemsize
    held += array_bytes(shape.n_train + shape.n_val, shape.sizes[0] + 1) * 2  # the data, and its cast
    epochs = config.epochs
    held += HISTORY_GROWTH * array_bytes(epochs, runs, len(training.HISTORY_KEYS) + 2)

    forward = shape.n_kernel * runs
    work = 3 * forward * shape.n_train + forward * (shape.n_val + shape.n_train * config.eval_train)
    work += shape.n_kernel * variants * shape.grid_points
    work += UPDATE_WORK * runs * shape.n_params * math.ceil(shape.n_train / config.batch_size)
    return Cost(held, work, epochs if steps is None else steps, unit, knobs)


def search_cost(config: search.SearchConfig, dataset: Dataset | None = None) -> Cost:
    """search.py: one training run per sample, in one batch."""
    return training_cost(config.train, dataset, runs=config.samples,
                         knobs=("samples", "hidden", "val_samples"))


def schedule_race_cost(config: schedule_race.ScheduleRaceConfig, dataset: Dataset | None = None) -> Cost:
    """schedule_race.py: one training run per racer, with a table of every iteration's rate per run."""
    train = config.train
    cost = training_cost(train, dataset, runs=len(config.racers), knobs=("hidden", "val_samples"))
    iterations = train.epochs * math.ceil(network_shape(train, dataset).n_train / train.batch_size)
    return replace(cost, bytes=cost.bytes + array_bytes(iterations, len(config.racers), 2))


def lr_range_cost(config: lr_range.LRRangeConfig, dataset: Dataset | None = None) -> Cost:
    """lr_range.py's range test: one training run per sweep, a mini-batch per iteration (no evaluation)."""
    train = config.train
    shape = network_shape(train, dataset)
    epoch = training_cost(train, dataset, runs=len(lr_range.sweep_members(config)))
    batch_share = min(train.batch_size, shape.n_train) / shape.n_train
    return replace(epoch, step_work=epoch.step_work * batch_share, steps=config.iterations, unit="iteration",
                   knobs=("hidden",))


def rate_sweep_cost(config: rate_sweep.RateSweepConfig, dataset: Dataset | None = None) -> Cost:
    """rate_sweep.py: one training run per rate, and the range test beside it (one run, freed after init)."""
    sweep = config.sweep
    cost = training_cost(sweep.train, dataset, runs=sweep.count, knobs=("count", "hidden", "val_samples"))
    test = lr_range_cost(rate_sweep.range_config(config), dataset)
    return replace(cost, bytes=cost.bytes + test.bytes)


def initialization_cost(config: initialization.InitConfig) -> Cost:
    """initialization.py: the kernels, the input, two layers of outputs, every layer's mini-batch
    pre-activations (kept for the backward pass) and one layer's weight gradient; a step is a layer."""
    runs, layers, width, samples = len(config.runs), config.layers, config.width, config.samples
    batch = min(samples, initialization.GRADIENT_SAMPLES)
    held = (2 * array_bytes(runs, layers, width, width) + array_bytes(samples, width)
            + 2 * array_bytes(runs, samples, width) + array_bytes(layers + 4, runs, batch, width)
            + array_bytes(runs, width, width))
    work = max(runs * samples, 2 * runs * batch) * width**2
    return Cost(held, work, initialization.total_steps(config), "layer", ("samples", "width", "layers"))


def descent_cost(runs: int, steps: int, knobs: tuple[str, ...], *, recorded: int = 4) -> Cost:
    """A descent on a 2-D surface (optimizer_race.py, basins.py): `runs` points, each step recording
    `recorded` float64 values per run (a path: x, y, loss, distance; a basin map: none)."""
    held = HISTORY_GROWTH * array_bytes(steps + 1, runs, recorded) + array_bytes(runs, POINT_VALUES)
    return Cost(held, SURFACE_WORK * runs + DESCENT_STEP_WORK, steps, "step", knobs)


def sparse_features_cost(config: sparse_features.SparseConfig, steps: int) -> Cost:
    """sparse_features.py: the data (x as float64, and its (R, N) logits while the loss is taken every step),
    each run's parameters with the optimizer's state and temporaries, and two values per run per step."""
    runs, params = len(config.runners), config.features + 1
    held = (array_bytes(config.samples, config.features) + 3 * array_bytes(runs, config.samples)
            + array_bytes(runs, params) * (3 + UPDATE_TEMPORARIES) + HISTORY_GROWTH * array_bytes(steps + 1, runs, 2))
    work = runs * (config.samples + 2 * config.batch_size) * config.features + UPDATE_WORK * runs * params
    return Cost(held, work, steps, "step", ("samples", "features", "steps"))


def series_cost(steps: int, values: int, knobs: tuple[str, ...]) -> Cost:
    """A table of `values` float64 numbers per step computed at once (a schedule's rates)."""
    return Cost(array_bytes(steps, values) * HISTORY_GROWTH, values, steps, "step", knobs)


def exported(cost: Cost, values: float, fmt: str) -> Cost:
    """cost plus what writing `values` numbers holds: as Python floats in a JSON document, or the csv rows' lists."""
    per_value = PYTHON_FLOAT if fmt == "json" else FLOAT64
    return replace(cost, bytes=cost.bytes + values * per_value)
