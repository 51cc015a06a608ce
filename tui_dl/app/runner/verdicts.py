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

Learning-rate sweep (the learning-rate pane's SweepFrame): `diverged_rates`, `barely_moved_rates`,
`best_rate`, `suggested_rate` (engine/experiments/rate_sweep.py computes them from the snapshot).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tui_dl.engine.experiments import rate_sweep

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
           "momentum_verdicts", "racer_minima", "suggested_rate"]
