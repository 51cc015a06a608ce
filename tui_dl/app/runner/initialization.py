"""The initialization pane's model: a deep MLP and up to four weight-initialization schemes compared.

A scheme is named the way learners meet it (N(0,1), Xavier, He ...); the experiment resolves it to
the Keras or PyTorch initializer of the chosen convention (Keras truncates its normals, PyTorch
does not). `Xavier (book)` is the textbook's randn / sqrt(n), which is really LeCun, untruncated.
The experiment steps one layer at a time (forward, then backward), so the pane fills in live.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui_dl.app.model_types import ParamRow, Preset, Selection
from tui_dl.app.runner.cards import activation_selection, setting_selection
from tui_dl.app.runner.model import Job, PaneModel, component_rows, index_of, numbered
from tui_dl.engine.activations import ACTIVATIONS
from tui_dl.engine.experiments import costs, initialization
from tui_dl.engine.initializers import INITIALIZERS
from tui_dl.params import ParamError, ParamSpec

RUN_SLOTS = 4
OFF = "off"
# scheme label -> the experiment's initializer name (a textbook name resolved by the convention)
SCHEMES = {"N(0,1)": "normal_1", "N(0,0.01)": "normal_0.01", "Xavier": "xavier", "He": "he", "LeCun": "lecun",
           "orthogonal": "orthogonal", "default": "default", "Xavier (book)": "xavier_simple"}
# multiply-adds of one layer step (runs x samples x width^2) allowed in the live view: about a second

SCHEME = ParamSpec("scheme", "choice", OFF, choices=(*SCHEMES, OFF),
                   help="default: the framework's Dense/Linear default; Xavier (book): randn / sqrt(n)")
CONVENTION = initialization.CONVENTION
ACTIVATION = ParamSpec("activation", "choice", "sigmoid", choices=tuple(ACTIVATIONS.names()),
                       help="the nonlinearity of every layer")
NETWORK = (initialization.LAYERS, initialization.WIDTH, initialization.SAMPLES, initialization.BINS,
           initialization.BIAS)


@dataclass(frozen=True)
class InitFrame:
    """What the initialization pane draws: the experiment's snapshot and its number of steps."""

    stats: Any
    horizon: int


def init_settings(activation: str = "sigmoid", runs: tuple[str, ...] = ("N(0,1)", "Xavier", "He"),
                  convention: str = "keras", **network: Any) -> dict[str, Any]:
    """A setting of the pane: the network, the activation, the convention and the compared schemes."""
    settings = {spec.name: spec.default for spec in NETWORK}
    settings.update(network)
    settings.update(activation=activation, activation_params={}, convention=convention,
                    runs=[*runs, *([OFF] * (RUN_SLOTS - len(runs)))])
    return settings


class InitModel(PaneModel):
    """Sigmoid under N(0,1) vs Xavier vs He by default."""

    kind = "init"
    unit = "step"
    default_speed = 1 / 4

    def defaults(self) -> dict[str, Any]:
        return init_settings()

    def runs(self) -> list[tuple[int, str]]:
        """(slot, scheme) of every slot that is not off."""
        return [(i, scheme) for i, scheme in enumerate(self.settings["runs"]) if scheme != OFF]

    def resolved(self, scheme: str) -> Any:
        """The engine initializer a scheme means under the current convention."""
        return initialization.resolve_initializer(SCHEMES[scheme], {}, self.settings["convention"])

    def rows(self) -> list[ParamRow]:
        s = self.settings
        rows = [ParamRow(spec.name, spec.name, spec, s[spec.name], "network") for spec in NETWORK]
        rows.append(ParamRow("activation", "activation", ACTIVATION, s["activation"], "network"))
        rows += component_rows("activation", ACTIVATIONS[s["activation"]], s["activation_params"], "network")
        rows.append(ParamRow("convention", "convention", CONVENTION, s["convention"], "network"))
        rows += [ParamRow(numbered("run", i), f"run {i + 1}", SCHEME, scheme, "compared")
                 for i, scheme in enumerate(s["runs"])]
        return rows

    def _apply(self, settings: dict[str, Any], key: str, value: Any) -> None:
        if key == "activation":
            settings.update(activation=value, activation_params={})
        elif key.startswith("activation."):
            settings["activation_params"][key.split(".", 1)[1]] = value
        elif key.startswith("run."):
            settings["runs"][index_of(key)] = value
        else:
            settings[key] = value

    def config(self) -> Any:
        """The experiment's configuration of the current settings."""
        s = self.settings
        runs = tuple(initialization.InitRun(scheme, SCHEMES[scheme], s["activation"], {}, dict(s["activation_params"]),
                                            s["convention"]) for _, scheme in self.runs())
        if not runs:
            raise ParamError("bad value 'off': at least one run must compare a scheme")
        return initialization.InitConfig(runs=runs, **{spec.name: s[spec.name] for spec in NETWORK})

    def job(self) -> Job:
        config = self.config()
        ACTIVATIONS[self.settings["activation"]].resolve(self.settings["activation_params"])
        horizon = initialization.total_steps(config)

        def frame(state: Any) -> InitFrame:
            return InitFrame(initialization.snapshot(state), horizon)

        return Job(init=lambda rng: initialization.init(config, rng), step=initialization.step, frame=frame,
                   position=lambda f: f.stats.step, horizon=horizon, cost=costs.initialization_cost(config),
                   export="tui-dl export init")

    def selection(self, key: str | None, frame: Any = None) -> Selection:
        s = self.settings
        if key == "activation" or (key or "").startswith("activation."):
            return activation_selection(s["activation"], s["activation_params"])
        if key in ("layers", "samples", "bins", "bias"):  # the experiment's settings, not an initializer's
            return setting_selection(self.row(key))
        runs = self.runs()
        slot = index_of(key) if key and key.startswith("run.") else (runs[0][0] if runs else 0)
        scheme = s["runs"][slot]
        if scheme == OFF:
            return Selection("note", OFF, {}, f"run {slot + 1}", {"summary": "this run is off: pick a scheme"})
        resolved = self.resolved(scheme)
        family = INITIALIZERS[resolved.initializer].family
        return Selection("initializer", resolved.initializer, resolved.params, f"{scheme} = {resolved.initializer}",
                         {"fan_in": s["width"], "fan_out": s["width"], "family": family})

    def presets(self) -> list[Preset]:
        def load(**kw: Any):
            return lambda: self.load(init_settings(**kw))

        return [
            Preset("Init: sigmoid, N(0,1) vs Xavier vs He", "the default comparison", load()),
            Preset("Init: the textbook figure", "sigmoid under N(0,1), N(0,0.01) and the book's Xavier",
                   load(runs=("N(0,1)", "N(0,0.01)", "Xavier (book)"))),
            Preset("Init: ReLU, Xavier vs He", "He keeps ReLU activations alive through the layers",
                   load(activation="relu", runs=("N(0,0.01)", "Xavier", "He"))),
            Preset("Init: tanh, PyTorch convention", "torch's untruncated xavier_normal_ and kaiming_normal_",
                   load(activation="tanh", runs=("N(0,1)", "Xavier", "He"), convention="pytorch")),
            Preset("Init: 20 ReLU layers", "vanishing and exploding through a deep ReLU stack",
                   load(activation="relu", runs=("Xavier", "He", "default"), convention="pytorch", layers=20)),
        ]

