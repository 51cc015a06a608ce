"""Optimizer race: several optimizers from several start points on a 2-D surface, step by step.

Runs are racers x starts (run r = racer r // n_starts, start r % n_starts). Racers that use the
same optimizer (SGD, Momentum and Nesterov are all `sgd`) share one vectorized update with their
hyperparameters stacked into per-run arrays, so a step costs one update per optimizer kind.
A run whose position or loss stops being finite is frozen at its last finite point and its
`diverged_step` recorded; the others go on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tui_dl.engine.experiments.history import History
from tui_dl.engine.optimizers import OPTIMIZERS, Optimizer
from tui_dl.engine.surfaces import Surface, get_surface


@dataclass(frozen=True)
class Racer:
    """One optimizer setting in the race; params are its (checked) hyperparameters."""

    label: str
    optimizer: str
    params: Mapping[str, Any] = field(default_factory=dict)


# Deep Learning from Scratch, ch. 6 (optimizer_compare_naive.py): 30 steps on x^2/20 + y^2 from (-7, 2).
TEXTBOOK_RACERS = (
    Racer("SGD", "sgd", {"lr": 0.95}),
    Racer("Momentum", "sgd", {"lr": 0.1, "momentum": 0.9}),
    Racer("AdaGrad", "adagrad", {"lr": 1.5}),
    Racer("Adam", "adam", {"lr": 0.3}),
)


@dataclass(frozen=True)
class RaceConfig:
    """What races where. starts=None uses the surface's default start."""

    surface: str = "quadratic"
    surface_params: Mapping[str, Any] = field(default_factory=dict)
    racers: tuple[Racer, ...] = TEXTBOOK_RACERS
    starts: tuple[tuple[float, float], ...] | None = None


@dataclass
class _Group:
    """The runs of one optimizer kind, updated together."""

    optimizer: Optimizer
    runs: np.ndarray
    state: Any


@dataclass
class RaceState:
    """Mutable state of a race; `step` advances it in place."""

    config: RaceConfig
    surface: Surface
    groups: list[_Group]
    positions: np.ndarray
    step: int
    path: History
    loss: History
    diverged_step: np.ndarray


@dataclass(frozen=True)
class RaceSnapshot:
    """What the optimizer pane draws; arrays are read-only and never change afterwards.

    Attributes:
        labels: the label of each run (racer label, with the start index when there are several).
        step: steps taken so far.
        path: positions, shape (step + 1, R, 2); row 0 is the start. Frozen runs repeat their last point.
        loss: f at each path point, shape (step + 1, R).
        gradient: the gradient at the current positions, (R, 2).
        distance: distance from each run to its nearest minimum, (R,) (inf when the surface has none).
        diverged_step: the step at which each run diverged, -1 while it has not, (R,).
        internals: each optimizer's state arrays by field name, (R, 2), NaN for runs without the field.
    """

    surface: str
    labels: tuple[str, ...]
    step: int
    path: np.ndarray
    loss: np.ndarray
    gradient: np.ndarray
    distance: np.ndarray
    diverged_step: np.ndarray
    internals: Mapping[str, np.ndarray]


def _stacked(racers: list[Racer], repeats: int) -> dict[str, Any]:
    """Per-run hyperparameter arrays (each racer's value repeated for each start)."""
    component = OPTIMIZERS[racers[0].optimizer]
    resolved = [component.resolve(racer.params) for racer in racers]
    return {key: np.repeat(np.asarray([r[key] for r in resolved]), repeats, axis=0) for key in resolved[0]}


def init(config: RaceConfig, rng: np.random.Generator | None = None) -> RaceState:
    """Place every run at its start; rng is unused (the race is deterministic) but kept for the API."""
    surface = get_surface(config.surface, **dict(config.surface_params))
    starts = np.asarray(config.starts if config.starts is not None else [surface.start], dtype=np.float64)
    n_starts = len(starts)
    positions = np.tile(starts, (len(config.racers), 1))
    groups = []
    for name in dict.fromkeys(r.optimizer for r in config.racers):  # one group per optimizer kind
        members = [i for i, r in enumerate(config.racers) if r.optimizer == name]
        runs = (np.asarray(members)[:, None] * n_starts + np.arange(n_starts)).ravel()
        optimizer = OPTIMIZERS[name].fn(**_stacked([config.racers[i] for i in members], n_starts))
        groups.append(_Group(optimizer, runs, optimizer.init(positions[runs])))
    loss = History((len(positions),))
    path = History(positions.shape)
    with np.errstate(all="ignore"):
        loss.append(surface.f(positions))
    path.append(positions)
    diverged = np.where(np.isfinite(loss.last()), -1, 0)
    return RaceState(config, surface, groups, positions, 0, path, loss, diverged)


def step(state: RaceState, n: int = 1) -> RaceState:
    """Advance every run n steps (frozen runs stay where they are)."""
    for _ in range(n):  # a loop over time; the runs stay vectorized
        with np.errstate(all="ignore"):
            gradient = state.surface.gradient(state.positions)
            moved = state.positions.copy()
            for group in state.groups:
                params = state.positions[group.runs]
                moved[group.runs], group.state = group.optimizer.update(gradient[group.runs], group.state, params)
            loss = state.surface.f(moved)
        state.step += 1
        active = state.diverged_step < 0
        blown = active & ~(np.isfinite(loss) & np.isfinite(moved).all(axis=1))
        state.diverged_step[blown] = state.step
        keep = active & ~blown
        state.positions = np.where(keep[:, None], moved, state.positions)
        state.path.append(state.positions)
        state.loss.append(np.where(keep, loss, state.loss.last()))
    return state


def run_labels(config: RaceConfig) -> tuple[str, ...]:
    """Racer labels, suffixed with the start number when there are several starts."""
    count = 1 if config.starts is None else len(config.starts)
    if count == 1:
        return tuple(r.label for r in config.racers)
    return tuple(f"{r.label} #{j + 1}" for r in config.racers for j in range(count))


def snapshot(state: RaceState) -> RaceSnapshot:
    """A read-only picture of the race now."""
    with np.errstate(all="ignore"):
        gradient = state.surface.gradient(state.positions)
        distance = state.surface.nearest_minimum_distance(state.positions)
    internals: dict[str, np.ndarray] = {}
    for group in state.groups:
        for name, value in group.state._asdict().items():
            if name == "count" or np.ndim(value) != 2:
                continue
            internals.setdefault(name, np.full(state.positions.shape, np.nan))[group.runs] = value
    for array in (gradient, distance, *internals.values()):
        array.flags.writeable = False
    return RaceSnapshot(
        surface=state.config.surface,
        labels=run_labels(state.config),
        step=state.step,
        path=state.path.view(),
        loss=state.loss.view(),
        gradient=gradient,
        distance=distance,
        diverged_step=state.diverged_step.copy(),
        internals=internals,
    )
