"""Phase diagram of heavy-ball momentum: steps to converge over a grid of (lr, momentum), in one batch.

Distill's "Why momentum really works" (Goh 2017) draws, for a quadratic with curvatures in [mu, L],
how fast heavy ball converges at each step size and momentum: a valley of fast settings whose floor
is the optimum of quadratic_theory (lr = 4 / (sqrt(L) + sqrt(mu))^2, momentum = ((sqrt(kappa) - 1) /
(sqrt(kappa) + 1))^2), walled in by divergence at lr > 2 (1 + momentum) / L. Here every cell of the
grid is one run of torch's SGD (momentum m, no dampening) from the same start, all advanced as one
Descent with lr and momentum as per-run arrays; a cell's number is the step since which the run has
stayed within `factor` of its start's distance to the minimum.

The axes come from the surface's local quadratic (quadratic_theory.surface_theory): lr over
(0, 4 / L], the whole region where some momentum is stable, and momentum over [0, 1). A surface
without a strict minimum has no theory, and no phase diagram.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tui_dl.engine.experiments.optimizer_race import NOT_DIVERGED, Descent, advance, start_descent
from tui_dl.engine.experiments.quadratic_theory import QuadraticTheory, surface_theory
from tui_dl.engine.optimizers import OPTIMIZERS
from tui_dl.engine.surfaces import get_surface
from tui_dl.params import ParamError, ParamSpec

GRID = ParamSpec("phase_grid", "int", 40, low=4, high=200,
                 help="cells per side of the phase diagram: grid x grid runs of (lr, momentum)")
FACTOR = 1e-4  # converged: within this fraction of the start's distance to the minimum, and staying there
NOT_YET = -1
BLOWN = 1e6  # diverging: further than this many times the start's distance (3^300 is finite, not inf)


@dataclass(frozen=True)
class PhaseConfig:
    """Heavy ball from one start over a grid of (lr, momentum) on a surface."""

    surface: str = "quadratic"
    surface_params: Mapping[str, Any] = field(default_factory=dict)
    start: tuple[float, float] | None = None
    grid: int = GRID.default
    factor: float = FACTOR


@dataclass
class PhaseState:
    """Mutable state of a phase diagram; `step` advances it in place."""

    config: PhaseConfig
    theory: QuadraticTheory
    descent: Descent
    lrs: np.ndarray
    momenta: np.ndarray
    minimum: np.ndarray
    tolerance: float
    arrival: np.ndarray


@dataclass(frozen=True)
class PhaseDiagram:
    """What the phase diagram draws; maps are (momenta, lrs): row i is momenta[i], column j lrs[j].

    Attributes:
        theory: the closed forms of the surface's local quadratic.
        lrs, momenta: the grid's values (cell centres).
        step: steps taken.
        steps: the step since which each run has stayed converged, NOT_YET (-1) if it is not.
        diverged: whether each run diverged (non-finite, or BLOWN x its start's distance away).
        factor: the convergence criterion (fraction of the start's distance).
    """

    theory: QuadraticTheory
    lrs: np.ndarray
    momenta: np.ndarray
    step: int
    steps: np.ndarray
    diverged: np.ndarray
    factor: float

    def best(self) -> tuple[float, float, int] | None:
        """(lr, momentum, steps) of the cell that converged first, None while none has."""
        done = np.where(self.steps >= 0, self.steps, np.iinfo(np.int64).max)
        if not (self.steps >= 0).any():
            return None
        i, j = np.unravel_index(int(done.argmin()), done.shape)
        return float(self.lrs[j]), float(self.momenta[i]), int(self.steps[i, j])


def axes(theory: QuadraticTheory, grid: int) -> tuple[np.ndarray, np.ndarray]:
    """The grid's rates (lr_max / grid .. lr_max = 4 / L) and momenta (0 .. 1 - 1 / grid)."""
    lrs = (np.arange(grid) + 1.0) * (4.0 / theory.L / grid)
    return lrs, np.arange(grid) / grid


def init(config: PhaseConfig, rng: np.random.Generator | None = None) -> PhaseState:
    """Every (lr, momentum) of the grid as a run from the start; a ParamError without a theory."""
    surface = get_surface(config.surface, **dict(config.surface_params))
    theory = surface_theory(surface)
    if theory is None:
        raise ParamError(f"{config.surface} has no strict minimum with a quadratic model: no phase diagram")
    grid = GRID.validate(config.grid)
    lrs, momenta = axes(theory, grid)
    start = np.asarray(surface.start if config.start is None else config.start, dtype=np.float64)
    minimum = np.asarray(surface.minima[0], dtype=np.float64)
    tolerance = config.factor * float(np.hypot(*(start - minimum)))
    params = dict(OPTIMIZERS["sgd"].resolve({"lr": 0.1, "momentum": 0.5}))
    params["lr"] = np.tile(lrs, grid)  # run i * G + j: momenta[i], lrs[j]
    params["momentum"] = np.repeat(momenta, grid)
    descent = start_descent(surface, np.tile(start, (grid * grid, 1)), [("sgd", params, slice(None))])
    arrival = np.where(_close(descent.positions, minimum, tolerance), 0, NOT_YET)
    return PhaseState(config, theory, descent, lrs, momenta, minimum, tolerance, arrival)


def _close(positions: np.ndarray, minimum: np.ndarray, tolerance: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.hypot(*(positions - minimum).T) <= tolerance


def step(state: PhaseState, n: int = 1) -> PhaseState:
    """Advance every run n steps; a run's arrival is reset whenever it leaves the tolerance again."""
    for _ in range(n):  # a loop over time; the runs stay vectorized
        advance(state.descent)
        d = state.descent
        close = _close(d.positions, state.minimum, state.tolerance) & (d.diverged_step == NOT_DIVERGED)
        state.arrival = np.where(close, np.where(state.arrival >= 0, state.arrival, d.step), NOT_YET)
    return state


def snapshot(state: PhaseState) -> PhaseDiagram:
    """A read-only picture of the diagram now."""
    grid = len(state.lrs)
    steps = state.arrival.reshape(grid, grid).copy()
    d = state.descent
    with np.errstate(all="ignore"):
        away = np.hypot(*(d.positions - state.minimum).T) > BLOWN * state.tolerance / state.config.factor
    diverged = ((d.diverged_step != NOT_DIVERGED) | away).reshape(grid, grid)
    lrs, momenta = state.lrs.copy(), state.momenta.copy()
    for array in (steps, diverged, lrs, momenta):
        array.flags.writeable = False
    return PhaseDiagram(state.theory, lrs, momenta, d.step, steps, diverged, state.config.factor)


def measured_rate(distances: np.ndarray, window: int | None = None, floor: float = 1e-10) -> float:
    """A run's contraction per step, (d_k / d_(k - window))^(1 / window) at its last k with d_k above
    floor x d_0 (below it rounding, not the iteration, sets the distance); NaN if too few steps.

    window defaults to k // 2: long enough to average over the turns of a complex mode (momentum 0.9
    turns by 0.09 rad a step on the textbook bowl, so a 20-step window reads 0.955 for sqrt(0.9) = 0.949).
    Heavy ball at its optimum has a double root, so d_k ~ k rate^k and this reads a little above the
    rate (by (k / (k - window))^(1 / window)).
    """
    d = np.asarray(distances, dtype=np.float64)
    above = np.flatnonzero(np.isfinite(d) & (d > floor * d[0]))
    k = int(above[-1]) if len(above) else 0
    window = k // 2 if window is None else window
    if window < 1 or k < window or d[k - window] <= 0:
        return float("nan")
    return float((d[k] / d[k - window]) ** (1.0 / window))


def heavy_ball_rate(lr: Any, momentum: Any, mu: float, L: float) -> np.ndarray:  # noqa: N803 - the usual name
    """The asymptotic contraction per step of heavy ball on curvatures mu and L (the worst of the two):
    the largest |z| of z^2 - (1 + m - lr lambda) z + m = 0 over lambda in {mu, L}; >= 1 diverges or stalls."""
    lr, momentum = np.broadcast_arrays(np.asarray(lr, dtype=np.float64), np.asarray(momentum, dtype=np.float64))
    worst = np.zeros(lr.shape)
    for curvature in (mu, L):
        b = 1.0 + momentum - lr * curvature
        disc = (b * b - 4.0 * momentum).astype(np.complex128)
        root = np.sqrt(disc)
        worst = np.maximum(worst, np.maximum(np.abs((b + root) / 2.0), np.abs((b - root) / 2.0)))
    return worst
