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

Learning-rate sweep (SweepFrame): `diverged_rates`, `barely_moved_rates`, `best_rate`,
`suggested_rate` (rate_sweep.py computes them; re-exported here for one import).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tui_dl.app.runner.rate_sweep import barely_moved_rates, best_rate, diverged_rates, suggested_rate

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
    is still moving arrived there; undecided: fewer now, but enough still moving to change that.
    """
    base = int(sweep.reached_global[0])
    verdicts = {}
    for value, reached, moving in zip(sweep.values[1:], sweep.reached_global[1:], sweep.not_converged[1:],
                                      strict=True):
        if reached > base:
            verdict = HELPS
        elif reached == base:
            verdict = SAME
        else:
            verdict = HURTS if reached + moving < base else UNDECIDED
        verdicts[float(value)] = verdict
    return verdicts


__all__ = ["barely_moved_rates", "best_rate", "crossed_barrier", "diverged_rates", "global_by_momentum",
           "momentum_verdicts", "racer_minima", "suggested_rate"]
