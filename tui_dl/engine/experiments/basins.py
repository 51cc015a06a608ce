"""Basin map: one optimizer from every point of a G x G grid of starts, all advanced in one vectorized run.

Which of the surface's minima does each start end in? On himmelblau (four equal minima) the map
shows the four basins of attraction and how the optimizer and its rate reshape them: plain descent
follows the gradient into the nearest valley, momentum and large rates overshoot into another one,
and too large a rate diverges.

Starts are the centres of a G x G grid of cells over the box (the surface's view by default):
run r = i * G + j starts at (xs[j], ys[i]), so the snapshot's (G, G) maps have rows along y and
columns along x, like an image whose first row is the bottom of the box. At every step each run is
classified: the index of the minimum (into `surface.minima`) within `tolerance` of it, NOT_CONVERGED
(-1), or DIVERGED (-2) with the step it diverged at. A run counts as having arrived at the step since
which it has stayed within tolerance of the same minimum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tui_dl.engine.experiments.optimizer_race import NOT_DIVERGED, Descent, advance, start_descent
from tui_dl.engine.optimizers import OPTIMIZERS
from tui_dl.engine.surfaces import Surface, View, get_surface
from tui_dl.params import ParamError, ParamSpec

NOT_CONVERGED = -1
DIVERGED = -2
NOT_ARRIVED = -1

GRID = ParamSpec("grid", "int", 50, low=2, high=500, help="start points per side: grid x grid runs")
TOLERANCE = ParamSpec("tolerance", "float", 1e-3, low=0.0, low_open=True, scale="log",
                      help="distance to a minimum within which a run counts as converged to it")
BOX = ParamSpec("box", "floats", None, optional=True, length=4,
                help="xmin,xmax,ymin,ymax of the grid of starts (default: the surface's view)")


@dataclass(frozen=True)
class BasinConfig:
    """One optimizer on one surface from a grid of starts. box=None uses the surface's view."""

    surface: str = "himmelblau"
    surface_params: Mapping[str, Any] = field(default_factory=dict)
    optimizer: str = "sgd"
    params: Mapping[str, Any] = field(default_factory=lambda: {"lr": 0.01})
    grid: int = GRID.default
    box: View | None = None
    tolerance: float = TOLERANCE.default


@dataclass
class BasinState:
    """Mutable state of a basin map; `step` advances it in place."""

    config: BasinConfig
    descent: Descent
    box: View
    xs: np.ndarray
    ys: np.ndarray
    minimum: np.ndarray
    arrival_step: np.ndarray

    @property
    def surface(self) -> Surface:
        """The bound surface."""
        return self.descent.surface

    @property
    def step(self) -> int:
        """Steps taken so far."""
        return self.descent.step


@dataclass(frozen=True)
class BasinSnapshot:
    """What the basin map draws; (G, G) maps are indexed [i, j] for the start (xs[j], ys[i]); read-only.

    Attributes:
        surface, optimizer: names.
        params: the optimizer's checked hyperparameters.
        box: (xmin, xmax, ymin, ymax) of the grid.
        xs, ys: the start coordinates, (G,) each.
        minima: the surface's minima, (K, 2); `minimum` indexes them.
        step: steps taken so far.
        positions: where each run is now, (G, G, 2).
        loss: f there, (G, G).
        minimum: the minimum each run is within tolerance of, or NOT_CONVERGED (-1) or DIVERGED (-2), (G, G).
        diverged_step: the step at which each run diverged, -1 while it has not, (G, G).
        arrival_step: the step since which the run has stayed at its minimum, -1 if it is at none, (G, G).
        counts: how many starts are at each minimum, (K,).
        not_converged, diverged: how many starts are at no minimum, and how many diverged.
    """

    surface: str
    optimizer: str
    params: Mapping[str, Any]
    box: View
    xs: np.ndarray
    ys: np.ndarray
    minima: np.ndarray
    step: int
    positions: np.ndarray
    loss: np.ndarray
    minimum: np.ndarray
    diverged_step: np.ndarray
    arrival_step: np.ndarray
    counts: np.ndarray
    not_converged: int
    diverged: int


def grid_axes(box: View, grid: int) -> tuple[np.ndarray, np.ndarray]:
    """The centres of grid cells along x and along y of box."""
    xmin, xmax, ymin, ymax = box
    centres = (np.arange(grid) + 0.5) / grid
    return xmin + centres * (xmax - xmin), ymin + centres * (ymax - ymin)


def _checked_box(config: BasinConfig, surface: Surface) -> View:
    if config.box is None:
        return surface.view
    xmin, xmax, ymin, ymax = BOX.validate(config.box)
    if not (np.isfinite(config.box).all() and xmin < xmax and ymin < ymax):
        raise ParamError(f"bad box {BOX.format(config.box)!r}: expected finite xmin < xmax and ymin < ymax")
    return xmin, xmax, ymin, ymax


def classify(surface: Surface, positions: np.ndarray, diverged_step: np.ndarray, tolerance: float) -> np.ndarray:
    """Per run, the index of the minimum within tolerance of it, NOT_CONVERGED, or DIVERGED."""
    result = np.full(len(positions), NOT_CONVERGED, dtype=np.int64)
    if len(surface.minima):
        with np.errstate(all="ignore"):
            offsets = positions[:, None, :] - surface.minima[None, :, :]
            distances = np.hypot(offsets[..., 0], offsets[..., 1])
        nearest = distances.argmin(axis=1)
        close = distances[np.arange(len(positions)), nearest] <= tolerance
        result[close] = nearest[close]
    result[diverged_step != NOT_DIVERGED] = DIVERGED
    return result


def init(config: BasinConfig, rng: np.random.Generator | None = None) -> BasinState:
    """Place a run at every grid point; rng is unused (the map is deterministic) but kept for the API."""
    surface = get_surface(config.surface, **dict(config.surface_params))
    grid = GRID.validate(config.grid)
    tolerance = TOLERANCE.validate(config.tolerance)
    params = OPTIMIZERS[config.optimizer].resolve(config.params)
    box = _checked_box(config, surface)
    xs, ys = grid_axes(box, grid)
    starts = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    descent = start_descent(surface, starts, [(config.optimizer, params, slice(None))])
    minimum = classify(surface, descent.positions, descent.diverged_step, tolerance)
    arrival = np.where(minimum >= 0, 0, NOT_ARRIVED)
    return BasinState(config, descent, box, xs, ys, minimum, arrival)


def step(state: BasinState, n: int = 1) -> BasinState:
    """Advance every run n steps and reclassify it after each."""
    tolerance = TOLERANCE.validate(state.config.tolerance)
    for _ in range(n):  # a loop over time; the runs stay vectorized
        advance(state.descent)
        d = state.descent
        minimum = classify(d.surface, d.positions, d.diverged_step, tolerance)
        changed = minimum != state.minimum
        state.arrival_step[changed] = np.where(minimum[changed] >= 0, d.step, NOT_ARRIVED)
        state.minimum = minimum
    return state


def snapshot(state: BasinState) -> BasinSnapshot:
    """A read-only picture of the map now."""
    d = state.descent
    grid = len(state.xs)
    maps = {
        "positions": d.positions.reshape(grid, grid, 2),
        "loss": d.loss.reshape(grid, grid),
        "minimum": state.minimum.reshape(grid, grid),
        "diverged_step": d.diverged_step.reshape(grid, grid),
        "arrival_step": state.arrival_step.reshape(grid, grid),
    }
    maps = {key: value.copy() for key, value in maps.items()}
    counts = np.bincount(state.minimum[state.minimum >= 0], minlength=len(d.surface.minima))
    xs, ys = state.xs.copy(), state.ys.copy()
    for array in (*maps.values(), counts, xs, ys):
        array.flags.writeable = False
    return BasinSnapshot(
        surface=state.config.surface,
        optimizer=state.config.optimizer,
        params=dict(d.groups[0].params),
        box=state.box,
        xs=xs,
        ys=ys,
        minima=d.surface.minima,
        step=d.step,
        counts=counts,
        not_converged=int((state.minimum == NOT_CONVERGED).sum()),
        diverged=int((state.minimum == DIVERGED).sum()),
        **maps,
    )
