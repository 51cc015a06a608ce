"""Basin map: one optimizer from every point of a G x G grid of starts, all advanced in one vectorized run.

Which of the surface's minima does each start end in? On himmelblau (four equal minima) the map
shows the four basins of attraction and how the optimizer and its rate reshape them: plain descent
follows the gradient into the nearest valley, momentum and large rates overshoot into another one,
and too large a rate diverges.

Starts are the centres of a G x G grid of cells over the box (the surface's view by default):
run r = i * G + j starts at (xs[j], ys[i]), so the snapshot's (G, G) maps have rows along y and
columns along x, like an image whose first row is the bottom of the box. At every step each run is
classified: the index of the minimum within `tolerance` of it, NOT_CONVERGED (-1), or DIVERGED (-2)
with the step it diverged at. The minima are the surface's global ones, then the local minima it
names (two_wells' shallow well), so a run caught in a local minimum is told from one still moving.
A run counts as having arrived at the step since which it has stayed within tolerance of the same minimum.

Sweep: the same grid once per value of one hyperparameter (momentum 0, 0.5, 0.9, 0.98), all
values in one batch (the hyperparameter is a per-run array), so "how many starts reach the global
minimum per momentum" is one vectorized run. The answer is conditional: on two_wells momentum 0.9
carries starts over the ridge that plain descent cannot cross; on rastrigin at lr 0.005 after 2000
steps 16 of 1600 starts reach the global minimum without momentum, 4 with 0.9 and 64 with 0.98.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
MOMENTA = (0.0, 0.5, 0.9, 0.98)  # the sweep's default values: none, light, the usual, heavy

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
    sweep: tuple[str, np.ndarray] | None = None
    last_move: np.ndarray | None = None  # (R,) how far each run moved in its last step (0 before any)

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
        minima: the surface's global minima, then its named local minima, (K, 2); `minimum` indexes them.
        global_minima: how many of the minima are global (the first ones).
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
    global_minima: int = 0


def all_minima(surface: Surface) -> np.ndarray:
    """The surface's global minima followed by its named local minima, (K, 2), read-only."""
    minima = np.concatenate([surface.minima, surface.local_minima])
    minima.flags.writeable = False
    return minima


def grid_axes(box: View, grid: int) -> tuple[np.ndarray, np.ndarray]:
    """The centres of grid cells along x and along y of box."""
    xmin, xmax, ymin, ymax = box
    centres = (np.arange(grid) + 0.5) / grid
    return xmin + centres * (xmax - xmin), ymin + centres * (ymax - ymin)


def _checked_box(config: BasinConfig, surface: Surface) -> View:
    if config.box is None:
        return surface.view
    xmin, xmax, ymin, ymax = BOX.validate(config.box)
    widths = np.array([xmax, ymax], dtype=np.float64) - np.array([xmin, ymin], dtype=np.float64)
    if not (np.isfinite(config.box).all() and np.isfinite(widths).all() and xmin < xmax and ymin < ymax):
        raise ParamError(f"bad box {BOX.format(config.box)!r}: expected finite xmin < xmax and ymin < ymax, "
                         "each width below the largest float (1.8e308)")
    return xmin, xmax, ymin, ymax


def classify(surface: Surface, positions: np.ndarray, diverged_step: np.ndarray, tolerance: float) -> np.ndarray:
    """Per run, the index of the minimum within tolerance of it, NOT_CONVERGED, or DIVERGED."""
    result = np.full(len(positions), NOT_CONVERGED, dtype=np.int64)
    minima = all_minima(surface)
    if len(minima):
        with np.errstate(all="ignore"):
            offsets = positions[:, None, :] - minima[None, :, :]
            distances = np.hypot(offsets[..., 0], offsets[..., 1])
        nearest = distances.argmin(axis=1)
        close = distances[np.arange(len(positions)), nearest] <= tolerance
        result[close] = nearest[close]
    result[diverged_step != NOT_DIVERGED] = DIVERGED
    return result


def init(config: BasinConfig, rng: np.random.Generator | None = None) -> BasinState:
    """Place a run at every grid point; rng is unused (the map is deterministic) but kept for the API."""
    params = OPTIMIZERS[config.optimizer].resolve(config.params)
    return _start(config, params)


def _start(config: BasinConfig, params: Mapping[str, Any], copies: int = 1,
           sweep: tuple[str, np.ndarray] | None = None) -> BasinState:
    """Runs at every grid point, copies times over (a sweep's values, the slowest-varying index)."""
    surface = get_surface(config.surface, **dict(config.surface_params))
    grid = GRID.validate(config.grid)
    TOLERANCE.validate(config.tolerance)
    box = _checked_box(config, surface)
    xs, ys = grid_axes(box, grid)
    starts = np.tile(np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2), (copies, 1))
    descent = start_descent(surface, starts, [(config.optimizer, params, slice(None))])
    minimum = classify(surface, descent.positions, descent.diverged_step, config.tolerance)
    arrival = np.where(minimum >= 0, 0, NOT_ARRIVED)
    return BasinState(config, descent, box, xs, ys, minimum, arrival, sweep)


def sweep_init(config: BasinConfig, name: str = "momentum", values: Sequence[float] = MOMENTA,
               rng: np.random.Generator | None = None) -> BasinState:
    """The grid once per value of the optimizer's hyperparameter name, all in one batch.

    Run r = v * G^2 + i * G + j starts at (xs[j], ys[i]) with name = values[v]; every other
    hyperparameter is config.params'. Each value is checked as the panel checks it (a ParamError
    names the bad one); the optimizer must have the hyperparameter.
    """
    component = OPTIMIZERS[config.optimizer]
    if name not in {spec.name for spec in component.params}:
        raise ParamError(f"{config.optimizer} has no {name} to compare: choose an optimizer with one (sgd)")
    if not len(values):
        raise ParamError(f"no values of {name} to compare")
    checked = [component.resolve({**config.params, name: value})[name] for value in values]
    table = np.asarray(checked, dtype=np.float64)
    grid = GRID.validate(config.grid)
    params = {**component.resolve({**config.params, name: checked[0]}), name: np.repeat(table, grid * grid)}
    table.flags.writeable = False
    return _start(config, params, len(table), (name, table))


def step(state: BasinState, n: int = 1) -> BasinState:
    """Advance every run n steps and reclassify it after each."""
    tolerance = TOLERANCE.validate(state.config.tolerance)
    for _ in range(n):  # a loop over time; the runs stay vectorized
        before = state.descent.positions
        advance(state.descent)
        d = state.descent
        with np.errstate(all="ignore"):
            state.last_move = np.hypot(*(d.positions - before).T)
        minimum = classify(d.surface, d.positions, d.diverged_step, tolerance)
        changed = minimum != state.minimum
        state.arrival_step[changed] = np.where(minimum[changed] >= 0, d.step, NOT_ARRIVED)
        state.minimum = minimum
    return state


def snapshot(state: BasinState) -> BasinSnapshot:
    """A read-only picture of the map now (of a sweep's: sweep_snapshot)."""
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
    minima = all_minima(d.surface)
    counts = np.bincount(state.minimum[state.minimum >= 0], minlength=len(minima))
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
        minima=minima,
        step=d.step,
        counts=counts,
        not_converged=int((state.minimum == NOT_CONVERGED).sum()),
        diverged=int((state.minimum == DIVERGED).sum()),
        global_minima=len(d.surface.minima),
        **maps,
    )


@dataclass(frozen=True)
class BasinSweep:
    """What a sweep's basin maps show, one map per value; arrays are read-only.

    Attributes:
        surface, optimizer: names; name: the hyperparameter swept; values: (V,) its values.
        params: the other hyperparameters (name's entry is values[0]).
        box, xs, ys, minima, global_minima, step: as in BasinSnapshot.
        minimum: (V, G, G) the code of each start under each value (minimum index, -1 none yet, -2 diverged).
        counts: (V, K) how many starts are at each minimum under each value.
        reached_global: (V,) how many starts are at a global minimum.
        local: (V,) how many are at a named local minimum (caught there).
        not_converged, diverged: (V,) how many are at none yet, and how many diverged.
        moving: (V,) of those at none yet, how many still move (their last step longer than tolerance / 10):
            runs that may yet arrive, as opposed to runs caught in a minimum the surface does not name.
    """

    surface: str
    optimizer: str
    name: str
    values: np.ndarray
    params: Mapping[str, Any]
    box: View
    xs: np.ndarray
    ys: np.ndarray
    minima: np.ndarray
    global_minima: int
    step: int
    minimum: np.ndarray
    counts: np.ndarray
    reached_global: np.ndarray
    local: np.ndarray
    not_converged: np.ndarray
    diverged: np.ndarray
    moving: np.ndarray

    @property
    def starts(self) -> int:
        """Starts per value: G * G."""
        return int(self.minimum[0].size)


def sweep_counts(minimum: np.ndarray, global_minima: int, minima: int) -> dict[str, np.ndarray]:
    """Per value (first axis of minimum, codes of any shape after it): the counts a sweep reports.

    Plain functions of the codes, so a caption (or a test) recomputes them from any map.
    """
    codes = minimum.reshape(len(minimum), -1)
    counts = np.stack([np.bincount(row[row >= 0], minlength=minima) for row in codes]).reshape(len(codes), minima)
    return {"counts": counts, "reached_global": counts[:, :global_minima].sum(axis=1),
            "local": counts[:, global_minima:].sum(axis=1), "not_converged": (codes == NOT_CONVERGED).sum(axis=1),
            "diverged": (codes == DIVERGED).sum(axis=1)}


def sweep_snapshot(state: BasinState) -> BasinSweep:
    """A read-only picture of a sweep's maps now."""
    if state.sweep is None:
        raise ValueError("not a sweep: use snapshot")
    name, values = state.sweep
    d = state.descent
    grid = len(state.xs)
    minimum = state.minimum.reshape(len(values), grid, grid).copy()
    minima = all_minima(d.surface)
    numbers = sweep_counts(minimum, len(d.surface.minima), len(minima))
    moves = np.zeros(len(state.minimum)) if state.last_move is None else state.last_move
    still = (state.minimum == NOT_CONVERGED) & (moves > state.config.tolerance / 10)
    numbers["moving"] = still.reshape(len(values), -1).sum(axis=1)
    xs, ys = state.xs.copy(), state.ys.copy()
    for array in (minimum, xs, ys, *numbers.values()):
        array.flags.writeable = False
    group = d.groups[0].params
    params = {key: (values[0] if key == name else value) for key, value in group.items()}
    return BasinSweep(state.config.surface, state.config.optimizer, name, values, params, state.box, xs, ys,
                      minima, len(d.surface.minima), d.step, minimum, **numbers)
