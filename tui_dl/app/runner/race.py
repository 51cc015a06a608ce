"""The optimizer paths pane's model: a surface, a start point and up to six racing optimizers.

The job wraps `engine.experiments.optimizer_race` and adds what the pane draws besides the paths:
the surface sampled on a grid over its view box (computed once per run, in the worker), the basin
map of one racer, and in the `momentum` view the basin maps of that racer under each momentum of
MOMENTA, all in one batch (basins.sweep_init). In the `theory` view the race gains the two settings
quadratic_theory finds best for the surface's local quadratic (plain descent at 2 / (L + mu), heavy
ball at its optimal lr and momentum) beside the learner's racers, and a phase diagram runs along
(phase_diagram: steps to converge over a grid of lr x momentum, one batch). The view is a setting
(`v`, a preset or a setup file chooses it), so the sweep runs only while it is in sight; switching
the view restarts the race.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from tui_dl.app.model_types import ParamRow, Preset, Selection
from tui_dl.app.runner.cards import setting_selection
from tui_dl.app.runner.model import Job, PaneModel, component_rows, index_of, numbered, switch_params
from tui_dl.engine.experiments import basins, costs, optimizer_race, phase_diagram
from tui_dl.engine.experiments.quadratic_theory import QuadraticTheory, surface_theory
from tui_dl.engine.optimizers import OPTIMIZERS, surface_names
from tui_dl.engine.surfaces import SURFACES, get_surface
from tui_dl.params import ParamSpec

MAX_RACERS = 6
VIEWS = ("paths", "loss", "basins", "momentum", "theory")
BEST_GD, BEST_HB = "best GD", "best HB"  # the theory view's racers at the closed-form optima
MOMENTA = basins.MOMENTA
GRID = (120, 60)  # surface samples (x, y) over the view box; the pane picks one per character cell
# The textbook four, then two more that the racer count can add.
POOL = (
    *((r.label, r.optimizer, dict(r.params)) for r in optimizer_race.TEXTBOOK_RACERS),
    ("RMSprop", "rmsprop", {"lr": 0.1}),
    ("Nesterov", "sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
)
RATE_ALIASES = (("lr", "learning_rate"),)

SURFACE = ParamSpec("surface", "choice", "quadratic", choices=tuple(SURFACES.names()), help="the loss surface")
STEPS = ParamSpec("steps", "int", 100, low=1, high=100_000, scale="log", help="steps of the race")
RACERS = ParamSpec("racers", "int", 4, low=1, high=MAX_RACERS, help="how many optimizers race")
BASINS_OF = ParamSpec("basins_of", "int", 1, low=1, high=MAX_RACERS,
                      help="the racer whose basin map the basins view (v) draws: which minimum each start reaches")
OPTIMIZER = ParamSpec("optimizer", "choice", "sgd", choices=tuple(surface_names()),
                      help="torch names, or keras_* for Keras's update rules (no Muon here: it orthogonalizes "
                           "2-D weight matrices, and a point here is a vector of 2)")
BASIN_GRID = replace(basins.GRID, name="basin_grid")  # named as its row and setup key (export basins: --grid)


@dataclass(frozen=True)
class PathsFrame:
    """What the optimizer paths pane draws.

    Attributes:
        race: the optimizer race snapshot (paths, losses, diverged steps).
        grid: f at the centres of a GRID over the view box, shape (ny, nx), rows from ymin up.
        view: (xmin, xmax, ymin, ymax).
        minima: (K, 2) global minimizers.
        min_value: f at the minima (-inf for an unbounded surface).
        start: the start point.
        horizon: the last step.
        surface: the surface's one-line summary.
        basins: in the basins view, the basin map of one racer's optimizer from a grid of starts over the
            view, else None (250,000 starts slowed the paths view 40 times).
        basins_of: the label of that racer.
        showing: the pane view the model runs (paths, loss, basins, momentum); `view` is the box.
        sweep: in the momentum view, that racer's basin maps under each momentum of MOMENTA
            (basins.BasinSweep), else None.
        sweep_note: why there is no sweep in the momentum view (an optimizer without momentum).
        local_minima: (L, 2) the surface's named local minima.
        theory: in the theory view, the closed forms of the surface's local quadratic, else None.
        phase: in the theory view, the phase diagram (phase_diagram.PhaseDiagram), else None.
        theory_note: why the theory view has neither (no strict minimum).
    """

    race: Any
    grid: np.ndarray
    view: tuple[float, float, float, float]
    minima: np.ndarray
    min_value: float
    start: tuple[float, float]
    horizon: int
    surface: str
    basins: Any = None
    basins_of: str = ""
    showing: str = "paths"
    sweep: Any = None
    sweep_note: str = ""
    local_minima: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    theory: QuadraticTheory | None = None
    phase: Any = None
    theory_note: str = ""


def _racer(label: str, optimizer: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"label": label, "optimizer": optimizer, "params": OPTIMIZERS[optimizer].resolve(params)}


def textbook_settings(**changes: Any) -> dict[str, Any]:
    """The textbook race, with changes."""
    settings = {"view": VIEWS[0], "surface": "quadratic", "surface_params": {}, "start": None, "steps": STEPS.default,
                "racers": RACERS.default, "pool": [_racer(*entry) for entry in POOL],
                "basins_of": BASINS_OF.default, "basin_grid": BASIN_GRID.default}
    settings.update(changes)
    return settings


def momentum_ridge() -> dict[str, Any]:
    """two_wells from (-2.5, 1.5): SGD and heavy-ball momentum 0.9 at lr 0.05 for 300 steps.

    Plain SGD settles in the shallow well at (-1, 0); momentum's velocity carries it over the ridge
    at x = 0 into the global minimum at (2, 0). The basins view and the momentum view are of SGD.
    """
    pool = [_racer(*entry) for entry in POOL]
    return {"surface": "two_wells", "steps": 300, "racers": 2, "basins_of": 1, "pool": [
        _racer("SGD", "sgd", {"lr": 0.05}), _racer("Momentum", "sgd", {"lr": 0.05, "momentum": 0.9}), *pool[2:]]}


def theory_racers(theory: QuadraticTheory) -> tuple[optimizer_race.Racer, ...]:
    """Plain descent at 2 / (L + mu) and heavy ball at its optimal lr and momentum, as racers."""
    sgd = OPTIMIZERS["sgd"]
    return (optimizer_race.Racer(BEST_GD, "sgd", sgd.resolve({"lr": theory.gd_lr})),
            optimizer_race.Racer(BEST_HB, "sgd", sgd.resolve({"lr": theory.momentum_lr, "momentum": theory.momentum})))


def distill_quadratic() -> dict[str, Any]:
    """The textbook's SGD (lr 0.95) and Momentum (lr 0.1, momentum 0.9) on x^2/20 + y^2 for 300 steps.

    The theory view races them against the closed-form optima (2 / 2.1 = 0.952; lr 1.34 with
    momentum 0.40) and draws the phase diagram of heavy ball around them.
    """
    pool = [_racer(*entry) for entry in POOL]
    return {"surface": "quadratic", "steps": 300, "racers": 2, "pool": pool}


def momentum_rastrigin() -> dict[str, Any]:
    """Rastrigin at lr 0.005 on a 40 x 40 grid for 2000 steps: the issue's 16, 4 and 64 starts."""
    pool = [_racer(*entry) for entry in POOL]
    return {"surface": "rastrigin", "steps": 2000, "racers": 2, "basins_of": 1, "basin_grid": 40, "pool": [
        _racer("SGD", "sgd", {"lr": 0.005}), _racer("Momentum", "sgd", {"lr": 0.005, "momentum": 0.9}), *pool[2:]]}


class RaceModel(PaneModel):
    """SGD, Momentum, AdaGrad and Adam on x^2/20 + y^2 from (-7, 2) by default."""

    kind = "paths"
    unit = "step"
    default_speed = 1 / 2
    views = VIEWS

    def defaults(self) -> dict[str, Any]:
        return textbook_settings()

    @property
    def view(self) -> str:
        """The view whose experiment runs: paths, loss, basins or momentum (basin maps per momentum)."""
        return self.settings.get("view", VIEWS[0])

    # ------------------------------------------------------------------ reading
    @property
    def surface(self):
        """The surface with its parameters bound."""
        return get_surface(self.settings["surface"], **self.settings["surface_params"])

    def start(self) -> tuple[float, float]:
        """The start point (the surface's default until moved)."""
        start = self.settings["start"]
        return tuple(start) if start is not None else self.surface.start

    def racers(self) -> list[dict[str, Any]]:
        """The racing optimizers."""
        return self.settings["pool"][: self.settings["racers"]]

    def racer_label(self, index: int) -> str:
        """The pool label while the optimizer is the pool's own, else the optimizer's name."""
        racer = self.settings["pool"][index]
        default_label, default_optimizer, _ = POOL[index]
        return default_label if racer["optimizer"] == default_optimizer else f"{index + 1}:{racer['optimizer']}"

    def start_specs(self) -> tuple[ParamSpec, ParamSpec]:
        """x and y of the start, within the view box, stepping 1/40 of it."""
        xmin, xmax, ymin, ymax = self.surface.view
        return (ParamSpec("start_x", "float", self.start()[0], low=xmin, high=xmax, step=(xmax - xmin) / 40,
                          help="x of the start point (m: move it with the arrows)"),
                ParamSpec("start_y", "float", self.start()[1], low=ymin, high=ymax, step=(ymax - ymin) / 40,
                          help="y of the start point (m: move it with the arrows)"))

    def rows(self) -> list[ParamRow]:
        s = self.settings
        x_spec, y_spec = self.start_specs()
        rows = [ParamRow("surface", "surface", SURFACE, s["surface"], "race"),
                *component_rows("surface", SURFACES[s["surface"]], s["surface_params"], "race"),
                ParamRow("start_x", "start x", x_spec, self.start()[0], "race"),
                ParamRow("start_y", "start y", y_spec, self.start()[1], "race"),
                ParamRow("steps", "steps", STEPS, s["steps"], "race"),
                ParamRow("racers", "racers", RACERS, s["racers"], "race"),
                ParamRow("basins_of", "basins of", BASINS_OF, s["basins_of"], "race"),
                ParamRow("basin_grid", "basin grid", BASIN_GRID, s["basin_grid"], "race")]
        for i, racer in enumerate(self.racers()):
            group = self.racer_label(i)
            key = numbered("racer", i)
            rows.append(ParamRow(f"{key}.optimizer", "optimizer", OPTIMIZER, racer["optimizer"], group))
            rows += component_rows(key, OPTIMIZERS[racer["optimizer"]], racer["params"], group)
        return rows

    # ------------------------------------------------------------------ editing
    def _apply(self, settings: dict[str, Any], key: str, value: Any) -> None:
        if key == "surface":
            settings.update(surface=value, surface_params={}, start=None)
        elif key.startswith("surface."):
            settings["surface_params"][key.split(".", 1)[1]] = value
        elif key in ("start_x", "start_y"):
            start = list(self.start())
            start[key == "start_y"] = float(value)
            settings["start"] = tuple(start)
        elif key in ("steps", "racers", "basins_of", "basin_grid"):
            settings[key] = value
        else:
            _, index, name = key.split(".", 2)
            racer = settings["pool"][int(index) - 1]
            if name == "optimizer":
                racer["params"] = switch_params(racer["params"], OPTIMIZERS[value], RATE_ALIASES)
                racer["optimizer"] = value
            else:
                racer["params"][name] = value

    def move_start(self, dx: int, dy: int) -> None:
        """Move the start by whole steps of 1/40 of the view (start-point mode); clamped to the view."""
        x_spec, y_spec = self.start_specs()
        x, y = self.start()
        for _ in range(abs(dx)):
            x = x_spec.nudge(x, dx)
        for _ in range(abs(dy)):
            y = y_spec.nudge(y, dy)
        self.settings["start"] = (x, y)

    # ------------------------------------------------------------------ running
    def config(self) -> Any:
        """The optimizer race configuration of the current settings."""
        racers = tuple(optimizer_race.Racer(self.racer_label(i), r["optimizer"], r["params"])
                       for i, r in enumerate(self.racers()))
        return optimizer_race.RaceConfig(self.settings["surface"], dict(self.settings["surface_params"]), racers,
                                         (self.start(),))

    def sweep_note(self) -> str:
        """Why the momentum view has no sweep (the basins-of racer's optimizer has no momentum), or ""."""
        config = self.basin_config()
        if "momentum" in {spec.name for spec in OPTIMIZERS[config.optimizer].params}:
            return ""
        label = self.racer_label(min(self.settings["basins_of"], self.settings["racers"]) - 1)
        return (f"{label} ({config.optimizer}) has no momentum to vary: set basins of to an SGD racer, "
                "or its optimizer to sgd")

    def basin_config(self) -> Any:
        """The basin map of the racer chosen by basins_of, over the surface's view."""
        index = min(self.settings["basins_of"], self.settings["racers"]) - 1
        racer = self.settings["pool"][index]
        return basins.BasinConfig(self.settings["surface"], dict(self.settings["surface_params"]), racer["optimizer"],
                                  dict(racer["params"]), self.settings["basin_grid"])

    def job(self) -> Job:
        config = self.config()
        basin_config = self.basin_config()
        surface = self.surface  # raises ParamError on a bad surface parameter, before any worker starts
        horizon = self.settings["steps"]
        start = self.start()
        summary = SURFACES[config.surface].summary
        basins_of = self.racer_label(min(self.settings["basins_of"], self.settings["racers"]) - 1)
        view = self.view
        note = self.sweep_note() if view == "momentum" else ""
        sweeping = view == "momentum" and not note
        mapping = view == "basins"  # the basin map of grid x grid starts, computed only where it is drawn
        theory = surface_theory(surface) if view == "theory" else None
        theory_note = (f"{config.surface} has no strict minimum with a quadratic model: no optimum to compute"
                       if view == "theory" and theory is None else "")
        if theory is not None:
            config = replace(config, racers=(*config.racers, *theory_racers(theory)))
        phase_config = phase_diagram.PhaseConfig(config.surface, dict(config.surface_params), start)

        def init(rng: np.random.Generator) -> tuple[Any, np.ndarray, Any, Any]:
            landscape = optimizer_race.landscape(surface, None, *GRID).values
            sweep = basins.sweep_init(basin_config, "momentum", MOMENTA) if sweeping else None
            phase = phase_diagram.init(phase_config) if theory is not None else None
            basin_map = basins.init(basin_config, rng) if mapping else None
            return optimizer_race.init(config, rng), landscape, basin_map, sweep, phase

        def step(state: tuple[Any, ...], n: int) -> tuple[Any, ...]:
            sweep = basins.step(state[3], n) if state[3] is not None else None
            phase = phase_diagram.step(state[4], n) if state[4] is not None else None
            basin_map = basins.step(state[2], n) if state[2] is not None else None
            return optimizer_race.step(state[0], n), state[1], basin_map, sweep, phase

        def frame(state: tuple[Any, ...]) -> PathsFrame:
            sweep = basins.sweep_snapshot(state[3]) if state[3] is not None else None
            phase = phase_diagram.snapshot(state[4]) if state[4] is not None else None
            return PathsFrame(optimizer_race.snapshot(state[0]), state[1], surface.view, surface.minima,
                              surface.min_value, start, horizon, summary,
                              basins.snapshot(state[2]) if state[2] is not None else None, basins_of,
                              view, sweep, note, surface.local_minima, theory, phase, theory_note)

        if sweeping:  # checked here, before any worker: a momentum the optimizer refuses (nesterov at 0)
            basins.sweep_init(replace(basin_config, grid=2), "momentum", MOMENTA)
        racers = len(config.racers)
        maps = basin_config.grid**2 * (mapping + len(MOMENTA) * sweeping) + phase_config.grid**2 * (theory is not None)
        cost = costs.descent_cost(racers, horizon, ("steps", "basin_grid")).plus(
            costs.descent_cost(maps, horizon, (), recorded=0))
        return Job(init=init, step=step, frame=frame, position=lambda f: f.race.step, horizon=horizon,
                   done=lambda f: bool(np.all(f.race.diverged_step >= 0)), cost=cost, export="tui-dl export race")

    def selection(self, key: str | None, frame: Any = None) -> Selection:
        if key and key.startswith("racer."):
            index = index_of(key)
            racer = self.settings["pool"][index]
            return Selection("optimizer", racer["optimizer"], racer["params"], self.racer_label(index))
        if key in ("steps", "racers", "basins_of", "basin_grid"):  # the race's settings, not the surface's
            return setting_selection(self.row(key))
        surface = SURFACES[self.settings["surface"]]
        minima = ", ".join(f"({x:.4g}, {y:.4g})" for x, y in self.surface.minima) or "none (unbounded below)"
        name = self.settings["surface"]
        return Selection("surface", name, self.surface.params, name,
                         {"summary": surface.summary, "convention": f"minima: {minima}",
                          "keras": "# a test function, not a framework object",
                          "torch": f"# tui-dl export path --surface {name} --optimizer adam"})

    def presets(self) -> list[Preset]:
        def load(**changes: Any):
            """The preset's settings; the view stays as it is unless the preset names one."""
            return lambda: self.load(textbook_settings(**{"view": self.view, **changes}))

        pool = [_racer(*entry) for entry in POOL]
        fast = [dict(r, params=dict(r["params"])) for r in pool]
        fast[0] = _racer("SGD", "sgd", {"lr": 1.02})
        return [
            Preset("Paths: textbook race", "SGD, Momentum, AdaGrad, Adam on x^2/20 + y^2 from (-7, 2)", load()),
            Preset("Paths: Rosenbrock valley", "the same four in a curved, flat-bottomed valley",
                   load(surface="rosenbrock", steps=500, pool=[
                       _racer("SGD", "sgd", {"lr": 1e-3}), _racer("Momentum", "sgd", {"lr": 1e-3, "momentum": 0.9}),
                       _racer("AdaGrad", "adagrad", {"lr": 0.5}), _racer("Adam", "adam", {"lr": 0.05}),
                       *pool[4:]])),
            Preset("Paths: Himmelblau's four minima", "which minimum each optimizer reaches (v: basin map)",
                   load(surface="himmelblau", steps=200, pool=[
                       _racer("SGD", "sgd", {"lr": 0.01}), _racer("Momentum", "sgd", {"lr": 0.01, "momentum": 0.9}),
                       _racer("AdaGrad", "adagrad", {"lr": 1.0}), _racer("Adam", "adam", {"lr": 0.3}),
                       *pool[4:]])),
            Preset("Paths: saddle point", "plain SGD lingers near the saddle, momentum escapes",
                   load(surface="saddle", steps=60, pool=[
                       _racer("SGD", "sgd", {"lr": 0.05}), _racer("Momentum", "sgd", {"lr": 0.05, "momentum": 0.9}),
                       _racer("AdaGrad", "adagrad", {"lr": 0.2}), _racer("Adam", "adam", {"lr": 0.05}),
                       *pool[4:]])),
            Preset("Paths: a rate too large", "SGD at lr 1.02 on the textbook bowl: each y step overshoots more",
                   load(pool=fast, steps=300)),
            Preset("Paths: momentum over a ridge", "plain SGD stays in the shallow well, heavy-ball momentum 0.9"
                   " crosses to the deep one (v: basins per momentum)", load(view="paths", **momentum_ridge())),
            Preset("Paths: the best step and momentum", "the textbook's SGD and Momentum on x^2/20 + y^2 beside the"
                   " closed-form optima, 2/(L+mu) and heavy ball's (lr, momentum), and the phase diagram of"
                   " steps to converge over lr x momentum", load(view="theory", **distill_quadratic())),
            Preset("Paths: momentum on Rastrigin", "starts that reach the global minimum per momentum: 0.9 fewer"
                   " than none, 0.98 more, after 2000 steps", load(view="momentum", **momentum_rastrigin())),
        ]

