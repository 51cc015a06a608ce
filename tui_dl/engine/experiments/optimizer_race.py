"""Optimizer race: several optimizers from several start points on a 2-D surface, step by step.

Runs are racers x starts (run r = racer r // n_starts, start r % n_starts). Racers that use the
same optimizer (SGD, Momentum and Nesterov are all `sgd`) share one vectorized update with their
hyperparameters stacked into per-run arrays, so a step costs one update per optimizer kind.
A run whose position or loss stops being finite is frozen at its last finite point, with its
optimizer state as it was there, and its `diverged_step` recorded; the others go on.

The stepping core (`Descent`: positions, optimizer groups, divergence) is shared with the basin
map, which runs one optimizer from a grid of starts without keeping the paths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tui_dl.engine.experiments.history import History
from tui_dl.engine.optimizers import OPTIMIZERS, Optimizer, check_on_surfaces
from tui_dl.engine.surfaces import Surface, View, get_surface
from tui_dl.params import ParamError

NOT_DIVERGED = -1


# =========================================================================== the shared core
@dataclass
class Group:
    """The runs of one optimizer kind, updated together.

    Attributes:
        optimizer: the optimizer with its (scalar or per-run) hyperparameters bound.
        runs: the run indices of the group, or slice(None) when it holds every run.
        state: the optimizer state of these runs.
        params: the hyperparameters, scalars or per-run arrays (which state fields are in use).
        closure: the optimizer evaluates the surface itself, several times a step (LBFGS's closure).
    """

    optimizer: Optimizer
    runs: np.ndarray | slice
    state: Any
    params: Mapping[str, Any] = field(default_factory=dict)
    closure: bool = False


@dataclass
class Descent:
    """Runs descending a surface together; `advance` moves them one step in place.

    Attributes:
        surface: the surface with its parameters bound.
        groups: one per optimizer kind; together they cover every run once.
        positions: (R, 2), the current points (a diverged run keeps its last finite point).
        loss: (R,), f at positions.
        gradient: (R, 2), the gradient at positions (what the next step uses).
        step: steps taken.
        diverged_step: (R,), the step at which each run diverged, NOT_DIVERGED (-1) while it has not.
    """

    surface: Surface
    groups: list[Group]
    positions: np.ndarray
    loss: np.ndarray
    gradient: np.ndarray
    step: int
    diverged_step: np.ndarray


GroupSpec = tuple[str, Mapping[str, Any], "np.ndarray | slice"]


def start_descent(surface: Surface, starts: np.ndarray, specs: Sequence[GroupSpec]) -> Descent:
    """Runs at starts (R, 2) in groups (optimizer name, checked params, runs); non-finite starts diverge at 0.

    A group's params may be scalars or per-run arrays over its runs; runs is an index array or slice(None).
    """
    positions = np.array(starts, dtype=np.float64)
    groups = [_group(name, params, runs, positions) for name, params, runs in specs]
    with np.errstate(all="ignore"):
        loss, gradient = surface.f(positions), surface.gradient(positions)
    diverged = np.where(_finite(positions, loss), NOT_DIVERGED, 0)
    return Descent(surface, groups, positions, loss, gradient, 0, diverged)


def _group(name: str, params: Mapping[str, Any], runs: np.ndarray | slice, positions: np.ndarray) -> Group:
    check_on_surfaces(name)
    optimizer = OPTIMIZERS[name].fn(**params)
    return Group(optimizer, runs, optimizer.init(positions[runs]), params, bool(OPTIMIZERS[name].meta.get("closure")))


def _finite(positions: np.ndarray, loss: np.ndarray) -> np.ndarray:
    return np.isfinite(loss) & np.isfinite(positions).all(axis=1)


def _keep(new: Any, old: Any, keep: np.ndarray) -> Any:
    """new where keep (R,) is set, old elsewhere, field by field of an optimizer state NamedTuple."""
    fields = []
    for a, b in zip(new, old, strict=True):
        mask = keep.reshape(keep.shape + (1,) * (np.ndim(a) - 1))
        fields.append(np.where(mask, a, b))
    return type(new)(*fields)


def advance(descent: Descent) -> np.ndarray:
    """One step of every run that has not diverged; returns the runs that diverged at this step."""
    d = descent
    moved = np.empty_like(d.positions)
    states = []
    with np.errstate(all="ignore"):
        for group in d.groups:
            runs = group.runs
            closure = {"objective": _objective(d.surface)} if group.closure else {}
            moved[runs], state = group.optimizer.update(d.gradient[runs], group.state, d.positions[runs], **closure)
            states.append(state)
        loss = d.surface.f(moved)
    d.step += 1
    active = d.diverged_step == NOT_DIVERGED
    blown = active & ~_finite(moved, loss)
    d.diverged_step[blown] = d.step
    keep = active & ~blown
    if keep.all():
        d.positions, d.loss = moved, loss
        for group, state in zip(d.groups, states, strict=True):
            group.state = state
    else:  # frozen runs keep their point, loss and optimizer state
        d.positions = np.where(keep[:, None], moved, d.positions)
        d.loss = np.where(keep, loss, d.loss)
        for group, state in zip(d.groups, states, strict=True):
            group.state = _keep(state, group.state, keep[group.runs])
    with np.errstate(all="ignore"):
        d.gradient = d.surface.gradient(d.positions)
    return blown


# fields of shape (R, K) that are not per coordinate even when K is 2 (LBFGS's 1 / y.s of each pair)
_PER_RUN_FIELDS = {"count", "ro"}


def _objective(surface: Surface):
    """points -> (f, gradient): what torch LBFGS's closure gives, at points of the optimizer's choosing."""
    return lambda points: (surface.f(points), surface.gradient(points))


# state fields that PyTorch and Keras only keep when a hyperparameter turns them on
_FIELD_SWITCH = {"momentum_buffer": "momentum", "max_exp_avg_sq": "amsgrad", "v_hat": "amsgrad",
                 "grad_avg": "centered", "average_gradient": "centered"}


def _in_use(name: str, params: Mapping[str, Any], value: np.ndarray) -> np.ndarray:
    """value, NaN for runs whose hyperparameters leave the field unused (SGD without momentum has no buffer)."""
    switch = params.get(_FIELD_SWITCH.get(name, ""))
    if switch is None:
        return value
    on = np.asarray(switch) != 0
    return np.where(on.reshape(on.shape + (1,) * (value.ndim - on.ndim)), value, np.nan)


def internals(descent: Descent) -> dict[str, np.ndarray]:
    """Each optimizer's per-coordinate state by field name, (R, 2), NaN for runs without the field.

    A field is NaN too where the run's hyperparameters leave it unused, as the frameworks keep no such
    state: momentum_buffer without momentum, max_exp_avg_sq / v_hat without amsgrad, the centered averages.

    `step_size` is the effective per-coordinate rate of the last update (lr for SGD, lr / (sqrt(v) + eps)
    for the adaptive methods), the "decay built into Adagrad/RMSprop/Adam". Arrays are fresh and read-only.
    """
    shape = descent.positions.shape
    fields: dict[str, np.ndarray] = {}
    with np.errstate(all="ignore"):
        for group in descent.groups:
            values = dict(group.state._asdict())
            values["step_size"] = group.optimizer.step_size(group.state)
            for name, value in values.items():
                # per-coordinate fields only (not Adafactor's row and column factors, which are empty here)
                if (name not in _PER_RUN_FIELDS and np.ndim(value) == 2 and np.shape(value)[-1] == shape[-1]):
                    fields.setdefault(name, np.full(shape, np.nan))[group.runs] = _in_use(name, group.params, value)
    for array in fields.values():
        array.flags.writeable = False
    return fields


@dataclass(frozen=True)
class Landscape:
    """f on a grid, for a contour or heat map behind the paths: values[i, j] = f(xs[j], ys[i])."""

    xs: np.ndarray
    ys: np.ndarray
    values: np.ndarray


def landscape(surface: Surface, box: View | None = None, columns: int = 80, rows: int = 40) -> Landscape:
    """f at the centres of a columns x rows grid over box (the surface's view by default)."""
    xmin, xmax, ymin, ymax = surface.view if box is None else box
    xs = xmin + (np.arange(columns) + 0.5) * ((xmax - xmin) / columns)
    ys = ymin + (np.arange(rows) + 0.5) * ((ymax - ymin) / rows)
    with np.errstate(all="ignore"):
        values = surface.f(np.stack(np.meshgrid(xs, ys), axis=-1))
    for array in (xs, ys, values):
        array.flags.writeable = False
    return Landscape(xs, ys, values)


# =========================================================================== the race
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
TEXTBOOK_STEPS = 30


@dataclass(frozen=True)
class RaceConfig:
    """What races where. starts=None uses the surface's default start."""

    surface: str = "quadratic"
    surface_params: Mapping[str, Any] = field(default_factory=dict)
    racers: tuple[Racer, ...] = TEXTBOOK_RACERS
    starts: tuple[tuple[float, float], ...] | None = None


@dataclass
class RaceState:
    """Mutable state of a race; `step` advances it in place."""

    config: RaceConfig
    descent: Descent
    starts: np.ndarray
    path: History
    loss: History
    distance: History

    @property
    def surface(self) -> Surface:
        """The bound surface."""
        return self.descent.surface

    @property
    def step(self) -> int:
        """Steps taken so far."""
        return self.descent.step


@dataclass(frozen=True)
class RaceSnapshot:
    """What the optimizer pane draws; arrays are read-only and never change afterwards.

    Attributes:
        surface: the surface's name.
        view: (xmin, xmax, ymin, ymax), the box to draw.
        minima: the surface's global minimizers, (K, 2) ((0, 2) for saddle).
        labels: the label of each run (racer label, with the start number when there are several).
        starts: the start points, (S, 2); run r starts at starts[r % S].
        step: steps taken so far.
        path: positions, shape (step + 1, R, 2); row 0 is the start. Frozen runs repeat their last point.
        loss: f at each path point, shape (step + 1, R).
        distance_history: distance to the nearest minimum at each path point, (step + 1, R) (inf without minima).
        gradient: the gradient at the current positions, (R, 2).
        distance: distance from each run to its nearest minimum now, (R,) (the last row of distance_history).
        diverged_step: the step at which each run diverged, -1 while it has not, (R,).
        internals: each optimizer's state arrays by field name (momentum_buffer, sum, exp_avg, exp_avg_sq, ...)
            and `step_size` (the effective per-coordinate rate), each (R, 2), NaN for runs without the field.
    """

    surface: str
    view: View
    minima: np.ndarray
    labels: tuple[str, ...]
    starts: np.ndarray
    step: int
    path: np.ndarray
    loss: np.ndarray
    distance_history: np.ndarray
    gradient: np.ndarray
    distance: np.ndarray
    diverged_step: np.ndarray
    internals: Mapping[str, np.ndarray]


def _stacked(racers: list[Racer], repeats: int) -> dict[str, Any]:
    """Per-run hyperparameter arrays (each racer's value repeated for each start)."""
    component = OPTIMIZERS[racers[0].optimizer]
    resolved = [component.resolve(racer.params) for racer in racers]
    return {key: np.repeat(np.asarray([r[key] for r in resolved]), repeats, axis=0) for key in resolved[0]}


def race_starts(config: RaceConfig, surface: Surface) -> np.ndarray:
    """The start points (S, 2) of a race, or a ParamError for none or a non-finite one."""
    starts = np.asarray(config.starts if config.starts is not None else [surface.start], dtype=np.float64)
    if starts.ndim != 2 or starts.shape[1] != 2 or len(starts) == 0 or not np.isfinite(starts).all():
        raise ParamError(f"bad starts {config.starts!r}: expected one or more finite (x, y) points")
    return starts


def init(config: RaceConfig, rng: np.random.Generator | None = None) -> RaceState:
    """Place every run at its start; rng is unused (the race is deterministic) but kept for the API."""
    if not config.racers:
        raise ParamError("a race needs at least one racer")
    surface = get_surface(config.surface, **dict(config.surface_params))
    starts = race_starts(config, surface)
    n_starts = len(starts)
    groups = []
    for name in dict.fromkeys(r.optimizer for r in config.racers):  # one group per optimizer kind
        members = [i for i, r in enumerate(config.racers) if r.optimizer == name]
        runs = (np.asarray(members)[:, None] * n_starts + np.arange(n_starts)).ravel()
        groups.append((name, _stacked([config.racers[i] for i in members], n_starts), runs))
    descent = start_descent(surface, np.tile(starts, (len(config.racers), 1)), groups)
    runs = len(descent.positions)
    state = RaceState(config, descent, starts, History((runs, 2)), History((runs,)), History((runs,)))
    _record(state)
    return state


def _record(state: RaceState) -> None:
    d = state.descent
    state.path.append(d.positions)
    state.loss.append(d.loss)
    state.distance.append(d.surface.nearest_minimum_distance(d.positions))


def step(state: RaceState, n: int = 1) -> RaceState:
    """Advance every run n steps (frozen runs stay where they are)."""
    for _ in range(n):  # a loop over time; the runs stay vectorized
        advance(state.descent)
        _record(state)
    return state


def run_labels(config: RaceConfig) -> tuple[str, ...]:
    """Racer labels, suffixed with the start number when there are several starts."""
    count = 1 if config.starts is None else len(config.starts)
    if count == 1:
        return tuple(r.label for r in config.racers)
    return tuple(f"{r.label} #{j + 1}" for r in config.racers for j in range(count))


def snapshot(state: RaceState) -> RaceSnapshot:
    """A read-only picture of the race now."""
    d = state.descent
    gradient, distance, starts = d.gradient.copy(), state.distance.last().copy(), state.starts.copy()
    diverged = d.diverged_step.copy()
    for array in (gradient, distance, starts, diverged):
        array.flags.writeable = False
    return RaceSnapshot(
        surface=state.config.surface,
        view=d.surface.view,
        minima=d.surface.minima,
        labels=run_labels(state.config),
        starts=starts,
        step=d.step,
        path=state.path.view(),
        loss=state.loss.view(),
        distance_history=state.distance.view(),
        gradient=gradient,
        distance=distance,
        diverged_step=diverged,
        internals=internals(d),
    )
