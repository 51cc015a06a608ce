"""Variants of the training experiment: what one run changes, its command-line spec and its legend label.

A variant is a spec of `KEY=VALUE` parts joined with `+` ("none" for no change):

- regularization: `l1=1e-4`, `l2=1e-3` (Keras's kernel penalties), `dropout=0.3`, `weight_decay=1e-2`
  (decoupled, as torch's AdamW), `patience=10` (early stopping for this run);
- rate: `lr=0.1` (this run's base rate, which its schedule starts from);
- network: `init=NAME[:KEY=VALUE,...]` (any initializer with its parameters, `init=normal:std=0.01`),
  `activation=NAME[:...]` (`activation=leaky_relu:negative_slope=0.2`), `batch_norm` (BatchNormalization
  after every hidden dense layer);
- optimizer: `optimizer=NAME[:...]` with its parameters (`optimizer=adam:lr=1e-3,betas=0.89,0.999`); its
  rate (`lr`, `learning_rate`) becomes the variant's base rate.

Whatever a variant does not set is the experiment's (TrainConfig). Parameters of a named component
are kept as a sorted tuple of (key, value) pairs so a Variant stays hashable, and only the values
given are kept: the label then shows what was asked, not every default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tui_dl.engine.activations import ACTIVATIONS
from tui_dl.engine.initializers import INITIALIZERS
from tui_dl.engine.optimizers import OPTIMIZERS
from tui_dl.params import Catalog, Component, ParamError, ParamSpec, parse_named_assignments

# the names of an optimizer's rate parameter (torch: lr; Keras: learning_rate)
RATE_KEYS = ("lr", "learning_rate")

VARIANT_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("l1", "float", 0.0, low=0.0, scale="log", help="L1 penalty lambda * sum |w| on the kernels"),
    ParamSpec("l2", "float", 0.0, low=0.0, scale="log",
              help="L2 penalty lambda * sum w^2 on the kernels (Keras's l2: the squared norm, no 1/2)"),
    ParamSpec("dropout", "float", 0.0, low=0.0, high=1.0, high_open=True, step=0.05,
              help="inverted dropout rate after each hidden layer (Keras: keep 1 - rate, scale 1 / (1 - rate))"),
    ParamSpec("weight_decay", "float", 0.0, low=0.0, scale="log",
              help="decoupled decay: theta *= 1 - lr * weight_decay before each update (torch AdamW)"),
    ParamSpec("patience", "int", None, low=0, optional=True,
              help="early stopping for this variant with this patience (none: the experiment's setting)"),
    ParamSpec("lr", "float", None, low=0.0, low_open=True, optional=True, scale="log",
              help="this variant's base learning rate (none: the experiment's lr)"),
    ParamSpec("batch_norm", "bool", False,
              help="BatchNormalization after every hidden dense layer (Keras: momentum 0.99, epsilon 1e-3)"),
)
# keys whose value is a named component with parameters: NAME[:KEY=VALUE,...]
NAMED: dict[str, Catalog] = {"init": INITIALIZERS, "activation": ACTIVATIONS, "optimizer": OPTIMIZERS}
KEYS = (*(spec.name for spec in VARIANT_PARAMS), *NAMED)
_VARIANT = Component("variant", "variant", dict, VARIANT_PARAMS)
_LABELS = {"l1": "L1", "l2": "L2", "dropout": "dropout", "weight_decay": "weight decay"}

Params = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Variant:
    """One run of the training experiment: what it changes, and its legend label.

    None (and empty parameters) means the experiment's own setting.
    """

    label: str
    l1: float = 0.0
    l2: float = 0.0
    dropout: float = 0.0
    weight_decay: float = 0.0
    patience: int | None = None
    lr: float | None = None
    batch_norm: bool = False
    init: str | None = None
    init_params: Params = ()
    activation: str | None = None
    activation_params: Params = ()
    optimizer: str | None = None
    optimizer_params: Params = ()


def compact_number(value: float) -> str:
    """A short legend form: 0.2, 10, 1e-3, 2.5e-4."""
    if value == 0 or 1e-2 <= abs(value) < 1e4:
        return f"{value:g}"
    mantissa_text, exponent_text = f"{value:.2e}".split("e")  # 10**-324 is 0: no division (5e-324 is a float)
    exponent = int(exponent_text)
    mantissa = float(f"{float(mantissa_text):.3g}")
    if abs(mantissa) >= 10:  # 9.999e-4 rounds up to 10e-4
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:g}e{exponent}"


def _value_text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, float):
        return compact_number(value)
    if isinstance(value, tuple | list):
        return ",".join(_value_text(v) for v in value)
    return str(value)


def _named_label(name: str, params: Params) -> str:
    """`normal std=0.01`, `adam betas=0.89,0.999`, `sigmoid`."""
    return " ".join([name, *(f"{key}={_value_text(value)}" for key, value in params)])


def variant_label(l1: float = 0.0, l2: float = 0.0, dropout: float = 0.0, weight_decay: float = 0.0,
                  patience: int | None = None, lr: float | None = None, batch_norm: bool = False,
                  init: str | None = None, init_params: Params = (), activation: str | None = None,
                  activation_params: Params = (), optimizer: str | None = None, optimizer_params: Params = ()) -> str:
    """The legend label of a setting: "L2 1e-3 + dropout 0.2", "early stop (p=10)", "init he_normal", "none"."""
    parts = []
    if optimizer is not None:  # its rate reads as one of its parameters: "sgd momentum=0.9 lr=0.01"
        rate = (("lr", lr),) if lr is not None else ()
        parts.append(_named_label(optimizer, (*optimizer_params, *rate)))
        lr = None
    for key, name, params in (("init", init, init_params), ("activation", activation, activation_params)):
        if name is not None:
            parts.append(f"{key} {_named_label(name, params)}")
    if batch_norm:
        parts.append("BatchNorm")
    values = {"l1": l1, "l2": l2, "dropout": dropout, "weight_decay": weight_decay}
    parts += [f"{_LABELS[key]} {compact_number(value)}" for key, value in values.items() if value]
    if patience is not None:
        parts.append(f"early stop (p={patience})")
    if lr is not None:
        parts.append(f"lr {compact_number(lr)}")
    return " + ".join(parts) or "none"


def _named(key: str, name: str, params: Mapping[str, Any] | Params = ()) -> Params:
    """Checked parameters of the component `name` of NAMED[key], as a sorted tuple."""
    component = NAMED[key][name]
    given = dict(params)
    for name_, value in given.items():  # every key known, every value allowed; the cross-checks (nesterov
        component.spec(name_).validate(value)  # needs momentum) run in training, with what the variant inherits
    return tuple(sorted(given.items()))


def make_variant(**values: Any) -> Variant:
    """A Variant from checked values (the keys of VARIANT_PARAMS, init/activation/optimizer with their
    `*_params`) and its label. An optimizer's rate parameter becomes the variant's `lr`."""
    named: dict[str, Any] = {}
    for key in NAMED:
        name, params = values.pop(key, None), dict(values.pop(f"{key}_params", ()) or ())
        if name is None:
            if params:
                raise ParamError(f"{key}_params given without {key}")
            continue
        if key == "optimizer":
            rate = [k for k in RATE_KEYS if k in params]
            for k in rate:
                if values.get("lr") is not None:
                    raise ParamError(f"the rate of {name} is given twice: as {name}'s {k} and as the variant's lr")
                values["lr"] = params.pop(k)
        named[key], named[f"{key}_params"] = name, _named(key, name, params)
    resolved = _VARIANT.resolve(values)
    return Variant(variant_label(**resolved, **named), **resolved, **named)


def parse_variant(spec: str) -> Variant:
    """A Variant from its command-line spec (see the module docstring): "none", "l2=1e-3+dropout=0.2",
    "init=normal:std=0.01", "optimizer=adam:lr=1e-3,betas=0.89,0.999", "batch_norm"."""
    text = spec.strip()
    if text.lower() == "none":
        return make_variant()
    keys = ", ".join(KEYS)
    values: dict[str, Any] = {}
    for part in text.split("+"):
        key, sep, value = (piece.strip() for piece in part.partition("="))
        if not sep and key == "batch_norm":  # a bare flag
            sep, value = "=", "true"
        if not sep or not key:
            raise ParamError(f"bad variant {spec!r}: expected none or KEY=VALUE joined with +, keys: {keys}")
        if key not in KEYS:
            raise ParamError(f"bad variant {spec!r}: unknown key {key!r}; choose from: {keys}")
        if key in values:
            raise ParamError(f"bad variant {spec!r}: {key} is given twice")
        try:
            if key in NAMED:
                name, texts = parse_named_assignments(value, key)
                component = NAMED[key][name]
                values[key] = name
                values[f"{key}_params"] = {k: component.spec(k).parse(v) for k, v in texts.items()}
            else:
                values[key] = _VARIANT.spec(key).parse(value)
        except ParamError as error:
            raise ParamError(f"bad variant {spec!r}: {error}") from None
    try:
        return make_variant(**values)
    except ParamError as error:
        raise ParamError(f"bad variant {spec!r}: {error}") from None


# the default comparison: no regularization next to L2, dropout and early stopping
DEFAULT_VARIANT_SPECS = ("none", "l2=1e-3", "dropout=0.3", "patience=20")
DEFAULT_VARIANTS = tuple(parse_variant(spec) for spec in DEFAULT_VARIANT_SPECS)
