"""What a pane's model tells the parameter panel and the formula panel: plain data, no engine, no Textual.

The runner's models (app/runner/) describe their editable values as `ParamRow`s, each carrying the
ParamSpec that parses, checks and nudges it, and describe the component behind a row as a
`Selection` that the formula panel turns into a formula and Keras / PyTorch code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class SpecLike(Protocol):
    """What the panel needs of a parameter declaration (a ParamSpec, or an app-side stand-in)."""

    name: str
    kind: str
    help: str
    optional: bool

    def parse(self, text: str) -> Any: ...
    def format(self, value: Any) -> str: ...
    def allowed(self) -> str: ...
    def nudge(self, value: Any, direction: int) -> Any: ...


@dataclass(frozen=True)
class ParamRow:
    """One editable value of a pane.

    Attributes:
        key: unique within the pane, e.g. `racer.2.lr`; what `PaneModel.set` takes.
        label: what the panel shows (the framework's parameter name).
        spec: parses, checks, formats and nudges the value.
        value: the current value.
        group: header the row is listed under (`surface`, `Adam`, `slot 1` ...).
    """

    key: str
    label: str
    spec: SpecLike
    value: Any
    group: str = ""


@dataclass(frozen=True)
class Selection:
    """The component a selected row belongs to, for the formula and code panel.

    Attributes:
        kind: schedule, optimizer, initializer, surface, early_stopping, regularizer, dataset, network.
        name: the catalog name (`cosine_decay_restarts`, `adam` ...), or a variant spec.
        params: its current parameters.
        label: how the pane labels it.
        extra: whatever else the formula needs (the activation, the fans, the current step ...).
    """

    kind: str
    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Preset:
    """A named setting of one pane, offered by the command palette."""

    name: str
    help: str
    apply: Callable[[], None]
