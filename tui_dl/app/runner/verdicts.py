"""The numbers a lesson's verdict line states, as plain functions of a pane's frame.

A lesson step says what the running experiment shows ("momentum 0.9 reached the global minimum
from 1700 of 2500 starts; plain SGD from 1350"); these functions compute those numbers from the
frame the pane draws, so the caption, the pane's legend and the tests read one source. Nothing
here draws or formats for a language: callers word the result.

Optimizer paths (PathsFrame):
- `racer_minima`: where each racer is now: the global minimum, a named local one, or neither.
- `crossed_barrier`: the racers that are at a global minimum while a named local minimum exists.
- `global_by_momentum`: per momentum of the sweep, how many starts are at the global minimum.
- `momentum_verdicts`: per momentum, helps / hurts / undecided against no momentum.

Theory on the quadratic (PathsFrame in the `theory` view):
- `optimal_settings`: the closed forms: kappa, the best plain step and heavy ball's lr and momentum, their rates.
- `measured_rates`: each racer's contraction per step, measured from its distances to the minimum.
- `phase_optimum`: the phase diagram's fastest (lr, momentum) and its steps to converge.
- `theory_offsets`: how far that cell is from the closed form, in grid cells along each axis.

Rare features (the learning-rate pane's SparseFrame):
- `rare_feature_steps`: per optimizer, the rarest quarter's median effective step over the most frequent quarter's.
- `update_shrinkage`: per optimizer, |delta theta| of the last 100 steps over that of steps 10..110.

Learning-rate sweep (the learning-rate pane's SweepFrame): `diverged_rates`, `barely_moved_rates`,
`best_rate`, `suggested_rate` (engine/experiments/rate_sweep.py computes them from the snapshot).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tui_dl.engine.experiments import phase_diagram, rate_sweep, sparse_features

GLOBAL, LOCAL, ELSEWHERE = "global", "local", "elsewhere"
HELPS, HURTS, UNDECIDED, SAME = "helps", "hurts", "undecided", "same"


def racer_minima(frame: Any, tolerance: float = 1e-3) -> dict[str, str]:
    """Racer label -> `global`, `local` (a named local minimum) or `elsewhere`, where its run is now."""
    race = frame.race
    where = {}
    for run, label in enumerate(race.labels):
        point = race.path[-1, run]
        where[label] = ELSEWHERE
        for kind, minima in ((GLOBAL, frame.minima), (LOCAL, frame.local_minima)):
            if len(minima) and np.hypot(*(minima - point).T).min() <= tolerance:
                where[label] = kind
    return where


def crossed_barrier(frame: Any, tolerance: float = 1e-3) -> tuple[str, ...]:
    """The racers at a global minimum of a surface that names a local one (they crossed or avoided it)."""
    if not len(frame.local_minima):
        return ()
    return tuple(label for label, kind in racer_minima(frame, tolerance).items() if kind == GLOBAL)


def global_by_momentum(frame: Any) -> dict[float, int]:
    """Momentum -> starts of the grid at a global minimum now (momentum view); {} without a sweep."""
    sweep = frame.sweep
    if sweep is None:
        return {}
    return {float(m): int(n) for m, n in zip(sweep.values, sweep.reached_global, strict=True)}


def momentum_verdicts(sweep: Any) -> dict[float, str]:
    """Momentum -> helps, hurts, same or undecided, against the sweep's first value (no momentum).

    helps: more starts at the global minimum than without; hurts: fewer, even if every start that
    is still moving arrived there; undecided: fewer now, but enough still moving to change that
    (runs caught in minima the surface does not name, rastrigin's ripples, do not move).
    """
    base = int(sweep.reached_global[0])
    verdicts = {}
    for value, reached, moving in zip(sweep.values[1:], sweep.reached_global[1:], sweep.moving[1:],
                                      strict=True):
        if reached > base:
            verdict = HELPS
        elif reached == base:
            verdict = SAME
        else:
            verdict = HURTS if reached + moving < base else UNDECIDED
        verdicts[float(value)] = verdict
    return verdicts


def optimal_settings(frame: Any) -> dict[str, float]:
    """The closed forms for the surface's local quadratic ({} without a strict minimum): kappa, gd_lr
    (2 / (L + mu)), gd_rate, momentum_lr, momentum and momentum_rate (heavy ball's best)."""
    theory = frame.theory
    if theory is None:
        return {}
    return {key: float(getattr(theory, key))
            for key in ("mu", "L", "kappa", "gd_lr", "gd_rate", "momentum_lr", "momentum", "momentum_rate")}


def measured_rates(frame: Any) -> dict[str, float]:
    """Racer label -> its distance to the minimum's contraction per step over the later half of its steps
    before rounding takes over (phase_diagram.measured_rate; NaN before 2 steps or at the minimum from the start)."""
    race = frame.race
    return {label: phase_diagram.measured_rate(race.distance_history[:, r])
            for r, label in enumerate(race.labels)}


def phase_optimum(frame: Any) -> tuple[float, float, int] | None:
    """The phase diagram's fastest cell: (lr, momentum, steps to converge); None before any converged."""
    return frame.phase.best() if frame.phase is not None else None


def theory_offsets(frame: Any) -> tuple[float, float] | None:
    """(lr, momentum) of the fastest cell minus the closed form's, in grid cells; None without both."""
    best = phase_optimum(frame)
    if best is None or frame.theory is None:
        return None
    phase, theory = frame.phase, frame.theory
    return ((best[0] - theory.momentum_lr) / phase.lrs[0],
            (best[1] - theory.momentum) / (phase.momenta[1] - phase.momenta[0]))


def rare_feature_steps(frame: Any) -> dict[str, float]:
    """Optimizer label -> median effective step of the rarest quarter of the features over that of the most
    frequent quarter: 1 for SGD, above 1 where rare features get larger steps (NaN before a step)."""
    return sparse_features.rare_to_frequent(frame.sparse)


def update_shrinkage(frame: Any) -> dict[str, float]:
    """Optimizer label -> mean |delta theta| of the last 100 steps over that of steps 10..110 (NaN before 210
    steps): Adagrad's falls furthest, as its sum of squared gradients only grows."""
    return sparse_features.stall(frame.sparse)


def diverged_rates(frame: Any) -> tuple[float, ...]:
    """The sweep's rates whose runs diverged, smallest first."""
    return rate_sweep.diverged_rates(frame.sweep)


def barely_moved_rates(frame: Any, fraction: float = rate_sweep.BARELY) -> tuple[float, ...]:
    """The sweep's rates whose loss is still within fraction (5%) of where it started."""
    return rate_sweep.barely_moved_rates(frame.sweep, fraction)


def best_rate(frame: Any) -> float:
    """The sweep's rate with the lowest loss now among those that did not diverge (NaN before epoch 1)."""
    return rate_sweep.best_rate(frame.sweep)


def suggested_rate(frame: Any) -> float:
    """The LR range test's suggested rate, on the sweep's network and data."""
    return rate_sweep.suggested_rate(frame.sweep)


__all__ = ["barely_moved_rates", "best_rate", "crossed_barrier", "diverged_rates", "global_by_momentum",
           "measured_rates", "momentum_verdicts", "optimal_settings", "phase_optimum", "racer_minima",
           "rare_feature_steps", "suggested_rate", "theory_offsets", "update_shrinkage"]
