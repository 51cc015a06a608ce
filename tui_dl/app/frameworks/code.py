"""The pieces every framework description uses: the Description and code formatting."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

LINE = 72  # longer calls are written one argument per line


@dataclass(frozen=True)
class Description:
    """The content of the formula panel."""

    title: str
    formula: tuple[str, ...]
    convention: str
    keras: str
    torch: str
    notes: tuple[str, ...] = field(default_factory=tuple)


def num(value: Any) -> str:
    """A number as code writes it: 0.001, 1e-08, 300, True, (0.9, 0.999), None."""
    if value is None or isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value == math.inf:
            return "math.inf"
        text = f"{value:.12g}"  # copyable code: enough digits to be exact to ~1e-12, no float noise
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(value, (tuple, list)):
        inner = ", ".join(num(v) for v in value)
        return f"({inner},)" if len(value) == 1 and isinstance(value, tuple) else (
            f"({inner})" if isinstance(value, tuple) else f"[{inner}]")
    return repr(value)


def call(name: str, *args: str, **kwargs: Any) -> str:
    """`name(arg, key=value, ...)`, on one line if it fits, else one argument per line."""
    parts = list(args) + [f"{k}={num(v)}" for k, v in kwargs.items()]
    one_line = f"{name}({', '.join(parts)})"
    if len(one_line) <= LINE:
        return one_line
    return f"{name}(\n" + "".join(f"    {p},\n" for p in parts) + ")"


def compact(value: Any) -> str:
    """A value inside a formula: compact."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(compact(v) for v in value) + "]"
    return str(value)
