"""Formula-panel (`f`) cards more than one pane shows: an activation function, and a plain setting (a row
with no formula or framework object of its own: what it is, its value and what is allowed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tui_dl.app.model_types import ParamRow, Selection
from tui_dl.engine.activations import ACTIVATIONS

TORCH_ACTIVATIONS = {"linear": "Identity", "sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU",
                     "leaky_relu": "LeakyReLU", "elu": "ELU", "selu": "SELU", "gelu": "GELU",
                     "softplus": "Softplus", "swish": "SiLU"}


def activation_selection(name: str, params: Mapping[str, Any]) -> Selection:
    """The activation called name (engine/activations.py) with its parameters, as Keras and PyTorch name it."""
    return Selection("activation", name, dict(params), name,
                     {"summary": ACTIVATIONS[name].summary, "convention": "the same in Keras and PyTorch",
                      "keras": f"keras.layers.Dense(units, activation=\"{name}\")",
                      "torch": f"torch.nn.{TORCH_ACTIVATIONS.get(name, name)}()"})


def setting_selection(row: ParamRow) -> Selection:
    """A setting's own card: its help, value and allowed values (not another component's card: `f` on
    `hidden` showed the data set's)."""
    spec = row.spec
    return Selection("note", row.label, {row.label: spec.format(row.value)}, row.label,
                     {"summary": f"{spec.help} ({spec.allowed()})" if spec.help else spec.allowed()})
