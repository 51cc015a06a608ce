"""The base of every pane model: editable settings as rows, checked edits, and the job they build.

A model owns a pane's settings (plain Python values), lists them as `ParamRow`s, applies an edit
only if the whole setting still builds (so a bad combination is refused with a ParamError and the
old value kept), and turns the settings into a `Job`: the experiment's init/step/frame functions
that the runner calls in a thread worker.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from tui_dl.app.model_types import ParamRow, Preset, Selection
from tui_dl.engine.cost import Cost, check_live
from tui_dl.params import Component, ParamError


@dataclass(frozen=True)
class Job:
    """One experiment run as the runner drives it.

    Attributes:
        init: rng -> state (runs in a worker thread).
        step: (state, n) -> state, n steps or epochs (in a worker thread).
        frame: state -> the read-only dataclass the pane draws (in a worker thread).
        position: frame -> steps or epochs done.
        done: frame -> whether nothing is left to do (all runs stopped or diverged), besides the horizon.
        horizon: the last step or epoch; 0 for a single-pass experiment.
        cost: the experiment's estimated memory and work (engine/cost.py), checked against the live
            view's limit before it starts; None for one too small to matter.
        export: the command that runs the same experiment headless (the way out of a refusal).
    """

    init: Callable[[np.random.Generator], Any]
    step: Callable[[Any, int], Any]
    frame: Callable[[Any], Any]
    position: Callable[[Any], int]
    horizon: int
    done: Callable[[Any], bool] = lambda frame: False
    cost: Cost | None = None
    export: str = "tui-dl export"


class PaneModel(ABC):
    """Settings of one pane; subclasses declare rows, apply edits and build the job."""

    kind: ClassVar[str]
    """Short id of the pane: lr, init, train, paths."""
    unit: ClassVar[str] = "step"
    """What one step of the experiment is called on screen."""
    default_speed: ClassVar[float] = 1.0
    """Steps (or epochs) per frame at start."""
    views: ClassVar[tuple[str, ...]] = ()
    """The experiments the pane's v key switches between (its `view` setting), if it has several."""

    def __init__(self) -> None:
        self.settings: dict[str, Any] = self.defaults()

    @abstractmethod
    def defaults(self) -> dict[str, Any]:
        """The settings at start (the preset that reproduces the textbook figure)."""

    @abstractmethod
    def rows(self) -> list[ParamRow]:
        """Every editable value, in panel order."""

    @abstractmethod
    def _apply(self, settings: dict[str, Any], key: str, value: Any) -> None:
        """Store a (checked) value under key into settings, adjusting what depends on it."""

    @abstractmethod
    def job(self) -> Job:
        """The experiment for the current settings; raises ParamError for a bad combination."""

    def checked_job(self) -> Job:
        """job(), refused with a ParamError (the estimate and the way out) when it is over the live limit."""
        job = self.job()
        if job.cost is not None:
            check_live(job.cost, job.export)
        return job

    @abstractmethod
    def selection(self, key: str | None, frame: Any = None) -> Selection:
        """The component behind the row key (or the pane's main one when None); frame adds current values."""

    def presets(self) -> list[Preset]:
        """Named settings for the command palette."""
        return []

    # ------------------------------------------------------------------ editing
    def row(self, key: str) -> ParamRow:
        """The row called key, or a ParamError."""
        for row in self.rows():
            if row.key == key:
                return row
        raise ParamError(f"unknown parameter {key!r}")

    def set(self, key: str, value: Any) -> None:
        """Set key to value if it is allowed and the whole setting still builds; else ParamError, no change.

        `view` of a model with `views` is always allowed here: it picks the experiment that runs, and a setup
        file sets each view's rows in that view before its own (switch_view checks the cost, for the v key).
        """
        if key == "view" and self.views:
            if value not in self.views:
                raise ParamError(f"bad view {value!r}: expected one of {', '.join(self.views)}")
            self.settings["view"] = value
            return
        spec = self.row(key).spec
        if isinstance(value, str) and not (spec.kind == "choice" and value in getattr(spec, "choices", ())):
            value = spec.parse(value)
        trial = copy.deepcopy(self.settings)
        self._apply(trial, key, value)
        previous, self.settings = self.settings, trial
        try:
            self.checked_job()
        except ParamError:
            self.settings = previous
            raise

    def switch_view(self, view: str) -> None:
        """set("view", view), refused and undone like a value when that view's experiment is over the live limit
        (the v key: a network the curves run may be too heavy for the search's 16 samples)."""
        previous = self.settings.get("view")
        self.set("view", view)
        try:
            self.checked_job()
        except ParamError:
            self.settings["view"] = previous
            raise

    def load(self, settings: Mapping[str, Any]) -> None:
        """Replace all settings (a preset); they must build."""
        previous, self.settings = self.settings, copy.deepcopy(dict(settings))
        try:
            self.checked_job()
        except ParamError:
            self.settings = previous
            raise


# ---------------------------------------------------------------------- helpers
def numbered(family: str, index: int) -> str:
    """The key of the index-th (0-based) member of a numbered family: `numbered("slot", 0)` is `slot.1`.

    Keys number from 1, as the panel does ("slot 1"), so the setup file says what the panel says;
    the lists behind them count from 0 (`index_of` turns a key back).
    """
    return f"{family}.{index + 1}"


def index_of(key: str) -> int:
    """The 0-based list index of a numbered key: `slot.1.lr` -> 0."""
    return int(key.split(".")[1]) - 1


def component_rows(prefix: str, component: Component, params: Mapping[str, Any], group: str) -> list[ParamRow]:
    """One row per parameter of a catalog component, keyed `prefix.name`."""
    return [ParamRow(f"{prefix}.{spec.name}", spec.name, spec, params.get(spec.name, spec.default), group)
            for spec in component.params]


def switch_params(old: Mapping[str, Any], new: Component, aliases: tuple[tuple[str, ...], ...] = ()) -> dict[str, Any]:
    """Parameters for a newly chosen component: its defaults, keeping old values of the same name.

    A value also carries over between names listed together in aliases (`lr` and
    `learning_rate`), so switching from a PyTorch to a Keras component keeps the rate.
    """
    params = new.defaults()
    names = {spec.name for spec in new.params}
    for name, value in old.items():
        targets = [name] + [alias for group in aliases if name in group for alias in group]
        for target in targets:
            if target in names:
                try:
                    params[target] = new.spec(target).validate(value)
                except ParamError:
                    continue
                break
    try:
        new.resolve(params)
    except ParamError:  # kept values that clash with each other: start from the defaults
        return new.defaults()
    return params
