"""Where a loss axis ends when a run diverged, so the runs that did not stay readable.

A diverging loss climbs to 1e35 or 1e180 before it overflows; an axis up to there presses every
other curve onto its floor (on a log axis, into a few rows). With a diverged run the axis ends a
little above the highest starting loss (where every run begins, before any blow-up); the diverged
run's line leaves the plot at the top edge, and its ✖ is drawn there. Without a diverged run the
axis shows all the data.
"""

from __future__ import annotations

import numpy as np

LINEAR_ROOM = 2.0  # a linear axis ends this many times above the highest starting loss
LOG_ROOM = 1e3  # a log axis: three decades above it


def divergence_top(losses: np.ndarray, diverged: np.ndarray, log: bool = False) -> float | None:
    """The top of the loss axis, or None for no cap.

    Args:
        losses: (runs, steps) losses, the first column where each run starts; NaN and inf allowed.
        diverged: (runs,) bool, which runs diverged.
        log: the axis is logarithmic (the room above the start is LOG_ROOM, else LINEAR_ROOM).
    """
    losses = np.asarray(losses, dtype=np.float64)
    if not np.any(diverged) or losses.ndim != 2 or not losses.shape[1]:
        return None
    first = losses[:, 0]
    first = first[np.isfinite(first) & ((first > 0) if log else True)]
    finite = losses[np.isfinite(losses)]
    if not first.size or not finite.size:
        return None
    top = float(first.max()) * (LOG_ROOM if log else LINEAR_ROOM)
    return top if finite.max() > top else None


def last_finite(values: np.ndarray, end: int) -> tuple[int, float] | None:
    """(index, value) of the last finite value up to index end (included), or None."""
    finite = np.flatnonzero(np.isfinite(values[: end + 1]))
    return (int(finite[-1]), float(values[finite[-1]])) if finite.size else None


def marker_y(value: float, top: float | None) -> float:
    """Where a run's ✖ is drawn: at its value, or at the top edge when the value is above the axis."""
    return value if top is None else min(value, top)
