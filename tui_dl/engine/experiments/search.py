"""Random search of hyperparameters: N samples trained as one batch.

Deep Learning from Scratch's `hyperparameter_optimization` draws a learning rate 10^U(-6, -2) and a
weight decay 10^U(-8, -4) a hundred times and trains a network per draw, one after another. Here the
N samples are the variants of one training experiment (training.py), so they train together in one
vectorized step (DESIGN.md rule 2), paired: every sample starts from the same initial weights and
sees the same mini-batches, so the spread of the results is the hyperparameters' doing.

Searchable are the numbers a run can have of its own: the variant keys `lr`, `weight_decay`, `l1`,
`l2`, `dropout`, and every numeric parameter of the experiment's optimizer (`momentum`, `eps`,
`rho` ...). Each is drawn from [low, high] log-uniformly (the default; low > 0) or uniformly.
Samples are ranked by their final validation accuracy (classification) or final validation loss
(regression); a diverged sample ranks last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from tui_dl.engine.experiments import training
from tui_dl.engine.experiments.variants import VARIANT_PARAMS, Variant, make_variant
from tui_dl.engine.mlp import CLASSIFICATION
from tui_dl.engine.optimizers import OPTIMIZERS
from tui_dl.params import ParamError, ParamSpec

# variant keys a sample may set: the per-run numbers of training.py
VARIANT_KEYS = ("lr", "weight_decay", "l1", "l2", "dropout")
# what many samples cost is the cost model's to say (engine/cost.py): the live view's limit, or the memory available
SAMPLES = ParamSpec("samples", "int", 64, low=1, high=100_000, scale="log", help="how many samples to train at once")
SCALES = ("log", "linear")


@dataclass(frozen=True)
class Range:
    """One searched parameter: drawn from [low, high], log-uniformly or uniformly."""

    name: str
    low: float
    high: float
    scale: str = "log"

    def draw(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """(count,) values drawn from the range."""
        u = rng.random(count)
        if self.scale == "log":
            return 10.0 ** (np.log10(self.low) + u * (np.log10(self.high) - np.log10(self.low)))
        return self.low + u * (self.high - self.low)


# the book's search: lr 10^U(-6, -2), weight decay 10^U(-8, -4)
DEFAULT_RANGES = (Range("lr", 1e-6, 1e-2), Range("weight_decay", 1e-8, 1e-4))


def searchable(train: training.TrainConfig) -> tuple[str, ...]:
    """The names a search over this experiment may draw: variant numbers and the optimizer's numbers."""
    numeric = [spec.name for spec in OPTIMIZERS[train.optimizer].params  # a variant key of the same name wins
               if spec.kind in ("float", "int") and spec.name not in (*training.BASE_RATE_KEYS, *VARIANT_KEYS)]
    return (*VARIANT_KEYS, *numeric)


def parse_range(text: str) -> Range:
    """A Range from `NAME=LOW:HIGH` or `NAME=LOW:HIGH:linear` (log-uniform unless it says linear)."""
    name, sep, bounds = (part.strip() for part in text.partition("="))
    pieces = bounds.split(":")
    if not sep or not name or len(pieces) not in (2, 3):
        raise ParamError(f"bad search range {text!r}: expected NAME=LOW:HIGH[:log|linear], e.g. lr=1e-6:1e-2")
    scale = pieces[2].strip() if len(pieces) == 3 else "log"
    if scale not in SCALES:
        raise ParamError(f"bad search range {text!r}: scale {scale!r}; choose from: {', '.join(SCALES)}")
    try:
        low, high = float(pieces[0]), float(pieces[1])
    except ValueError:
        raise ParamError(f"bad search range {text!r}: LOW and HIGH must be numbers") from None
    return Range(name, low, high, scale)


@dataclass(frozen=True)
class SearchConfig:
    """A search: the experiment every sample trains in, the ranges drawn, and how many samples."""

    train: training.TrainConfig = field(default_factory=training.TrainConfig)
    ranges: tuple[Range, ...] = DEFAULT_RANGES
    samples: int = 64


def check(config: SearchConfig) -> None:
    """ParamError naming the first bad range, an unknown name or a name given twice."""
    SAMPLES.validate(config.samples)
    if config.train.seeds != 1:
        raise ParamError(f"a search trains each sample once: seeds must be 1, not {config.train.seeds} "
                         "(more samples show the spread instead)")
    if not config.ranges:
        raise ParamError("nothing to search: give at least one range, e.g. lr=1e-6:1e-2")
    allowed = searchable(config.train)
    seen = set()
    for item in config.ranges:
        if item.name not in allowed:
            raise ParamError(f"cannot search {item.name!r}: a run of the batch can only have its own "
                             f"{', '.join(allowed)} (other settings change the shape of every run)")
        if item.name in seen:
            raise ParamError(f"{item.name} is searched twice")
        seen.add(item.name)
        if not (np.isfinite(item.low) and np.isfinite(item.high) and item.low < item.high):
            raise ParamError(f"bad range for {item.name}: {item.low:g}:{item.high:g}; low must be below high, "
                             "both finite")
        if item.scale == "log" and item.low <= 0:
            raise ParamError(f"bad range for {item.name}: a log-uniform range needs low > 0, not {item.low:g} "
                             "(or a linear scale)")
        if item.name in VARIANT_KEYS:
            spec = next(s for s in VARIANT_PARAMS if s.name == item.name)
        else:
            spec = OPTIMIZERS[config.train.optimizer].spec(item.name)
        for value in (item.low, item.high):
            spec.validate(int(value) if spec.kind == "int" else value)


def sample_variants(config: SearchConfig, values: np.ndarray) -> tuple[Variant, ...]:
    """One variant per row of values (N, K): the variant keys set directly, the optimizer's in its params."""
    variants = []
    optimizer = config.train.optimizer
    for row in values:
        own: dict[str, Any] = {}
        params: dict[str, Any] = dict(config.train.optimizer_params)
        for item, value in zip(config.ranges, row, strict=True):
            if item.name in VARIANT_KEYS:
                own[item.name] = float(value)
            else:
                spec = OPTIMIZERS[optimizer].spec(item.name)
                params[item.name] = int(np.rint(value)) if spec.kind == "int" else float(value)
        if params != dict(config.train.optimizer_params):
            own.update(optimizer=optimizer, optimizer_params=params)
        variants.append(make_variant(**own))
    return tuple(variants)


@dataclass
class SearchState:
    """The search: its samples' values and the training experiment they form."""

    config: SearchConfig
    values: np.ndarray  # (N, K)
    train: training.TrainState


@dataclass(frozen=True)
class SearchSnapshot:
    """What a search view draws.

    Attributes:
        names: the K searched parameters; scales: "log" or "linear" for each; bounds: (K, 2) each range's
            low and high.
        values: (N, K) each sample's drawn values.
        score: (N,) the ranking metric: final val accuracy (classification) or final val loss.
        metric: "val_acc" or "val_loss"; higher_is_better: for the metric.
        order: (N,) sample indices from best to worst (diverged last).
        train: the training snapshot (every sample's curves).
    """

    names: tuple[str, ...]
    scales: tuple[str, ...]
    bounds: np.ndarray
    values: np.ndarray
    score: np.ndarray
    metric: str
    higher_is_better: bool
    order: np.ndarray
    train: training.TrainSnapshot


def init(config: SearchConfig, rng: np.random.Generator) -> SearchState:
    """Draw every sample's values (from a child of rng), then the experiment training them all."""
    check(config)
    draw = rng.spawn(1)[0]
    values = np.column_stack([item.draw(draw, config.samples) for item in config.ranges])
    train = replace(config.train, variants=sample_variants(config, values), seeds=1)
    return SearchState(config, values, training.init(train, rng))


def step(state: SearchState, n: int = 1) -> SearchState:
    """Train n more epochs of every sample (training.step)."""
    training.step(state.train, n)
    return state


def finished(state: SearchState) -> bool:
    """Whether every sample is done."""
    return training.finished(state.train)


def final_values(history: np.ndarray) -> np.ndarray:
    """(N,) each row's last finite value (NaN where none)."""
    if not history.shape[1]:
        return np.full(len(history), np.nan)
    known = np.isfinite(history)
    last = history.shape[1] - 1 - np.argmax(known[:, ::-1], axis=1)
    return np.where(known.any(axis=1), history[np.arange(len(history)), last], np.nan)


def snapshot(state: SearchState) -> SearchSnapshot:
    """A read-only picture of the search now."""
    train = training.snapshot(state.train, regions=False)  # the search view draws no decision regions
    classification = train.task == CLASSIFICATION
    metric = "val_acc" if classification else "val_loss"
    score = final_values(getattr(train, metric))
    score[train.diverged_epoch >= 0] = np.nan
    key = np.where(np.isfinite(score), -score if classification else score, np.inf)
    order = np.argsort(key, kind="stable")
    values = state.values.view()
    values.flags.writeable = False
    for array in (score, order):
        array.flags.writeable = False
    config = state.config
    bounds = np.array([(r.low, r.high) for r in config.ranges], dtype=np.float64)
    return SearchSnapshot(tuple(r.name for r in config.ranges), tuple(r.scale for r in config.ranges), bounds,
                          values, score, metric, classification, order, train)


def ranges_of(texts: Sequence[str]) -> tuple[Range, ...]:
    """Ranges from `NAME=LOW:HIGH[:scale]` texts (the default ranges when there are none)."""
    return tuple(parse_range(text) for text in texts) if texts else DEFAULT_RANGES
