"""Rare features: logistic regression on sparse binary features, one run per optimizer, in one batch.

The claim (Duchi, Hazan and Singer 2011, and the study note): Adagrad gives a rarely seen feature a
larger rate. Its step for coordinate j is lr / (sqrt(sum of g_j^2) + eps), and a feature absent from
a sample has g_j = 0 there, so the sum grows with how often the feature occurs: frequent features get
small steps, rare ones keep large ones. RMSprop and Adam divide by a moving average instead, which
forgets: a rare feature's average decays between its occurrences, so their steps for it are large
too but swing; SGD's step is lr for every feature. The same sum is why Adagrad stalls: it only
grows, so every step shrinks (about as 1 / sqrt(t)) until the parameters hardly move.

Data: `features` binary features, feature j present with probability frequency[j], log-spaced from
`most` down to `least` (0.5 to 0.002: 250x); a label drawn from a logistic model with weights of
either sign on every feature. Every run trains the same model (weights and a bias, from zero) on the
same mini-batches (paired), so the runs differ only in the optimizer. A step is one mini-batch.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tui_dl.engine.experiments.history import History
from tui_dl.engine.optimizers import OPTIMIZERS, Optimizer
from tui_dl.params import ParamError, ParamSpec

FEATURES = ParamSpec("features", "int", 24, low=2, high=1000, scale="log", help="sparse binary features")
SAMPLES = ParamSpec("samples", "int", 4000, low=10, high=1_000_000, scale="log", help="training samples")
BATCH = ParamSpec("batch_size", "int", 32, low=1, high=100_000, scale="log", help="samples per step")
MOST = 0.5  # how often the most frequent feature occurs
LEAST = 0.002  # and the rarest: 250x less often
MOST_SPEC = ParamSpec("most", "float", MOST, low=0.0, low_open=True, high=1.0, scale="log",
                      help="the share of samples the commonest feature is in")
LEAST_SPEC = ParamSpec("least", "float", LEAST, low=0.0, low_open=True, high=1.0, scale="log",
                       help="the share of samples the rarest feature is in (below most)")
TRUE_SCALE = 2.0  # the label model's weights: +-TRUE_SCALE, alternating in sign


@dataclass(frozen=True)
class SparseRunner:
    """One run: a label and an optimizer with its (checked) hyperparameters."""

    label: str
    optimizer: str
    params: Mapping[str, Any] = field(default_factory=dict)


# the four, each at a rate that trains this model well in a few hundred steps
RUNNERS = (
    SparseRunner("SGD", "sgd", {"lr": 0.5}),
    SparseRunner("Adagrad", "adagrad", {"lr": 0.5}),
    SparseRunner("RMSprop", "rmsprop", {"lr": 0.01}),
    SparseRunner("Adam", "adam", {"lr": 0.01}),
)


@dataclass(frozen=True)
class SparseConfig:
    """The data set and the runs."""

    features: int = FEATURES.default
    samples: int = SAMPLES.default
    batch_size: int = BATCH.default
    runners: tuple[SparseRunner, ...] = RUNNERS
    most: float = MOST
    least: float = LEAST


@dataclass
class SparseState:
    """Mutable state; `step` advances it in place."""

    config: SparseConfig
    x: np.ndarray  # (N, D) 0/1
    y: np.ndarray  # (N,) 0/1
    frequency: np.ndarray  # (D,) the probability each feature was drawn with
    seen: np.ndarray  # (D,) the share of training samples it occurs in
    params: np.ndarray  # (R, D + 1): weights, then the bias
    groups: list[tuple[Optimizer, np.ndarray, Any]]
    order: np.ndarray
    rng: np.random.Generator
    step: int = 0
    cursor: int = 0
    update: History = field(default_factory=lambda: History(()))
    loss: History = field(default_factory=lambda: History(()))
    step_size: np.ndarray | None = None
    occurrences: np.ndarray | None = None  # (D,) how often each feature was in a batch so far


@dataclass(frozen=True)
class SparseSnapshot:
    """What the sparse-features view draws; arrays are read-only.

    Attributes:
        labels: each run's label; optimizers: its optimizer's name.
        frequency: (D,) the probability each feature is present; seen: the share of samples it occurs in.
        step: steps (mini-batches) taken.
        step_size: (R, D) each feature's effective step size now (lr for SGD, lr / (sqrt(v) + eps) for
            the adaptive ones); NaN for a feature no batch has held yet (it has had no step, and the
            adaptive formulas would read lr / eps), so NaN everywhere at step 0.
        update: (step, R) |delta theta| of each step (the update's Euclidean norm; row 0 is step 1).
        loss: (step + 1, R) the training loss (mean cross-entropy over all samples).
    """

    labels: tuple[str, ...]
    optimizers: tuple[str, ...]
    frequency: np.ndarray
    seen: np.ndarray
    step: int
    step_size: np.ndarray
    update: np.ndarray
    loss: np.ndarray


def frequencies(config: SparseConfig) -> np.ndarray:
    """Feature j's probability of being present: log-spaced from config.most down to config.least."""
    return np.geomspace(config.most, config.least, config.features)


def check(config: SparseConfig) -> None:
    """A ParamError for a bad size, a bad frequency, least not below most, or no runs; cheap (no data drawn)."""
    FEATURES.validate(config.features)
    SAMPLES.validate(config.samples)
    BATCH.validate(config.batch_size)
    MOST_SPEC.validate(config.most)
    LEAST_SPEC.validate(config.least)
    if not config.least < config.most:
        raise ParamError(f"bad least {config.least!r}: expected below most ({config.most!r})")
    if not config.runners:
        raise ParamError("no optimizers to compare")
    for runner in config.runners:
        OPTIMIZERS[runner.optimizer].resolve(dict(runner.params))


def draw(config: SparseConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, frequency): binary features and labels from the logistic model."""
    check(config)
    features, samples = config.features, config.samples
    frequency = frequencies(config)
    x = (rng.random((samples, features)) < frequency).astype(np.float64)
    weights = TRUE_SCALE * np.where(np.arange(features) % 2, -1.0, 1.0)
    logits = x @ weights - weights @ frequency  # centred, so both labels are common
    y = (rng.random(samples) < 1.0 / (1.0 + np.exp(-logits))).astype(np.float64)
    return x, y, frequency


def _loss(params: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean binary cross-entropy of every run, (R,)."""
    logits = params[:, :-1] @ x.T + params[:, -1:]  # (R, N)
    return np.mean(np.logaddexp(0.0, logits) - y * logits, axis=1)


def init(config: SparseConfig, rng: np.random.Generator) -> SparseState:
    """Draw the data; every run starts at zero with its optimizer's fresh state."""
    x, y, frequency = draw(config, rng)
    params = np.zeros((len(config.runners), x.shape[1] + 1))
    groups = []
    for name in dict.fromkeys(r.optimizer for r in config.runners):  # one vectorized update per optimizer kind
        members = np.asarray([i for i, r in enumerate(config.runners) if r.optimizer == name])
        resolved = [OPTIMIZERS[name].resolve(dict(config.runners[i].params)) for i in members]
        stacked = {key: np.asarray([r[key] for r in resolved]) for key in resolved[0]}
        hyper = {key: (value[0] if np.all(value == value[0]) else value) for key, value in stacked.items()}
        optimizer = OPTIMIZERS[name].fn(**hyper)
        groups.append((optimizer, members, optimizer.init(params[members])))
    state = SparseState(config, x, y, frequency, x.mean(axis=0), params, groups, rng.permutation(len(x)), rng,
                        update=History((len(params),)), loss=History((len(params),)))
    state.loss.append(_loss(params, x, y))
    return state


def step(state: SparseState, n: int = 1) -> SparseState:
    """n mini-batches, the same for every run; a new shuffle at the end of each pass over the data."""
    batch = state.config.batch_size
    for _ in range(n):
        if state.cursor + batch > len(state.order):
            state.order, state.cursor = state.rng.permutation(len(state.x)), 0
        rows = state.order[state.cursor:state.cursor + batch]
        state.cursor += batch
        x, y = state.x[rows], state.y[rows]
        state.occurrences = x.sum(axis=0) + (0.0 if state.occurrences is None else state.occurrences)
        with np.errstate(all="ignore"):
            error = 1.0 / (1.0 + np.exp(-(state.params[:, :-1] @ x.T + state.params[:, -1:]))) - y  # (R, B)
            grads = np.concatenate([error @ x, error.sum(axis=1, keepdims=True)], axis=1) / len(rows)
            new = state.params.copy()
            sizes = np.empty_like(new)
            for index, (optimizer, members, opt_state) in enumerate(state.groups):
                new[members], opt_state = optimizer.update(grads[members], opt_state, state.params[members])
                state.groups[index] = (optimizer, members, opt_state)
                sizes[members] = optimizer.step_size(opt_state)
        state.update.append(np.linalg.norm(new - state.params, axis=1))
        state.params, state.step_size = new, sizes
        state.loss.append(_loss(new, state.x, state.y))
        state.step += 1
    return state


def snapshot(state: SparseState) -> SparseSnapshot:
    """A read-only picture now."""
    step_size = np.full((len(state.params), state.x.shape[1]), np.nan)
    if state.step_size is not None:
        seen = state.occurrences > 0
        step_size[:, seen] = state.step_size[:, :-1][:, seen]  # the features' weights, not the bias
    frequency, seen = state.frequency.copy(), state.seen.copy()
    update, loss = state.update.view(), state.loss.view()
    for array in (step_size, frequency, seen):
        array.flags.writeable = False
    runners = state.config.runners
    return SparseSnapshot(tuple(r.label for r in runners), tuple(r.optimizer for r in runners), frequency, seen,
                          state.step, step_size, update, loss)


def rare_to_frequent(snapshot: SparseSnapshot, share: float = 0.25) -> dict[str, float]:
    """Run label -> its median effective step over the rarest `share` of the features divided by that over
    the most frequent `share`: 1 for SGD, well above 1 where the optimizer favours rare features."""
    order = np.argsort(snapshot.frequency)
    count = max(1, round(share * len(order)))
    rare, frequent = order[:count], order[-count:]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no feature seen yet: NaN, said without a warning
        ratio = (np.nanmedian(snapshot.step_size[:, rare], axis=1)
                 / np.nanmedian(snapshot.step_size[:, frequent], axis=1))
    return {label: float(r) for label, r in zip(snapshot.labels, ratio, strict=True)}


def stall(snapshot: SparseSnapshot, early: Sequence[int] = (10, 110), late: int = 100) -> dict[str, float]:
    """Run label -> its mean |delta theta| over the last `late` steps divided by that over steps early[0]..early[1]:
    how far its updates have shrunk (NaN before enough steps)."""
    update = snapshot.update
    if len(update) < early[1] + late:
        return {label: float("nan") for label in snapshot.labels}
    ratio = update[-late:].mean(axis=0) / update[early[0]:early[1]].mean(axis=0)
    return {label: float(r) for label, r in zip(snapshot.labels, ratio, strict=True)}
