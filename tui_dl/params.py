"""Parameter declarations: one ParamSpec per tunable value, read by the CLI, config files and UI.

A ParamSpec knows its type, default, allowed range and scale, so that `--set key=value`, a config
file entry and the parameter panel all parse, check and explain a value the same way. Components
(a schedule, an optimizer, an initializer ...) are registered in a Catalog together with their
ParamSpecs. This module uses the standard library only, so the engine may import it.
"""

from __future__ import annotations

import inspect
import math
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["float", "int", "bool", "choice", "floats", "ints", "text"]
Scale = Literal["linear", "log"]

_TRUE = ("true",)
_FALSE = ("false",)
_NONE = ("none", "null")


class ParamError(ValueError):
    """A value, name or combination that is not allowed; the message is one line for the user.

    A quoted value longer than LONG_QUOTE characters is shortened (`'99999999…' (5000 characters)`): a
    value pasted by mistake made a 5000-character "line" that pushed the rule it broke off the screen.
    """

    def __init__(self, message: str) -> None:
        super().__init__(_LONG_QUOTED.sub(_shortened, message))


LONG_QUOTE = 80
# a quoted value: the quote opens after a space, `(` or `=` (or the start) and closes before a space or
# punctuation (or the end), so an apostrophe (`test's`) neither opens nor closes one
_LONG_QUOTED = re.compile(r"""(?<![^\s(=])'([^'\n]{N,}?)'(?=$|[\s),:;.])|(?<![^\s(=])"([^"\n]{N,}?)"(?=$|[\s),:;.])"""
                          .replace("N", str(LONG_QUOTE + 1)))


def _shortened(match: re.Match[str]) -> str:
    text = match[1] if match[1] is not None else match[2]
    return f"'{text[:LONG_QUOTE // 2]}…' ({len(text)} characters)"


def shortened(text: str) -> str:
    """text, or its start and its length when it is longer than LONG_QUOTE (`9999…` (400 characters)): a
    value shown unquoted in a one-line error (a setup file's `key = value`)."""
    return text if len(text) <= LONG_QUOTE else f"{text[:LONG_QUOTE // 2]}… ({len(text)} characters)"


def _is_boolean(value: Any) -> bool:
    """True, False, or numpy's booleans (which are not Python's bool, and not numbers to a user either)."""
    kind = type(value)
    return isinstance(value, bool) or (kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_"))


def _plain(value: Any) -> str:
    """Any value as a comma-separated text, lists within brackets: for a message about a value of another kind."""
    if isinstance(value, (list, tuple)):
        return ",".join(f"[{_plain(item)}]" if isinstance(item, (list, tuple)) else _plain(item) for item in value)
    try:
        return str(value)
    except ValueError:  # an int of more digits than Python writes (sys.get_int_max_str_digits)
        return f"an integer of about {int(value.bit_length() * math.log10(2))} digits"


def count(number: Any, noun: str, plural: str | None = None) -> str:
    """`1 row`, `2 rows`, `0 rows`: a number and its noun in the right number (plural: for irregular nouns)."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def _number(text: str, kind: str) -> float | int:
    """The number a text says, or ValueError: ASCII digits only (int() and float() also read `٣` and `1_0`),
    and an integer exactly (through a float, 9007199254740993 would become ...992; `1e3` is an integer too)."""
    text = text.strip()
    if not text.isascii() or "_" in text:  # Python also reads `1_0` as 10: no one means that in a value
        raise ValueError(text)
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            number = float(text)
            if not number.is_integer():
                raise ValueError(text) from None
            return int(number)
    return float(text)


def format_number(value: float) -> str:
    """A number as a user reads and types it: 6 significant digits (`0.001`, `1e+06`), a subnormal float
    exactly (`1e-320`, which 6 digits write as 9.99989e-321), true/false, inf."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if value == math.inf:
        return "inf"
    if value == -math.inf:
        return "-inf"
    if value and abs(value) < sys.float_info.min:  # below the smallest normal float: 6 digits do not read back
        return repr(value)
    return f"{value:.6g}"


@dataclass(frozen=True)
class ParamSpec:
    """One tunable parameter.

    Attributes:
        name: the framework's parameter name (`initial_learning_rate`, `betas`, `T_max` ...).
        kind: float, int, bool, choice (one of `choices`), floats or ints (comma-separated lists), or text
            (a string `text_check` checks, e.g. torch LambdaLR's factor as an expression in epoch).
        default: the value used when nothing is set (the framework default where it has one).
        low, high: the allowed range for numbers (and list elements); None means unbounded.
        low_open, high_open: exclude the bound itself (`(0, 1]` is low_open=True).
        scale: how the UI steps the value: `log` multiplies (rates, lambdas, epsilons), `linear` adds.
        choices: allowed values of a choice.
        optional: None is allowed (`none` on the command line), e.g. Keras's `warmup_target`.
        none_items: an element of a list may be None (`none`), e.g. torch Adafactor's `eps=(None, 1e-3)`.
        length: exact length of a list (betas has 2), None for any non-empty length.
        step: the linear step of the UI; defaults to 1 for ints and a twentieth of the range.
        help: one line for --list, the help screen and the parameter panel.
        finite: numbers must be finite (nan, +-inf and 1e309 are refused, so `(0, inf)` does not admit inf);
            False where the framework takes them with a meaning (a NaN metric is a bad epoch).
        text_allowed: what a text value may be, as `allowed()` says it.
        text_check: raises ParamError (one line naming the value and what is allowed) for a bad text.
    """

    name: str
    kind: Kind
    default: Any
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    scale: Scale = "linear"
    choices: tuple[Any, ...] = ()
    optional: bool = False
    none_items: bool = False
    length: int | None = None
    step: float | None = None
    help: str = ""
    finite: bool = True
    text_allowed: str = "text"
    text_check: Callable[[str], Any] | None = None

    # ----------------------------------------------------------------- describing
    def allowed(self) -> str:
        """What values are allowed, as a phrase: `a float in (0, inf)`, `one of: a, b`."""
        if self.kind == "bool":
            text = "true or false"
        elif self.kind == "text":
            text = self.text_allowed
        elif self.kind == "choice":
            text = "one of: " + ", ".join("none" if c is None else str(c) for c in self.choices)
        else:
            element = "a float" if self.kind in ("float", "floats") else "an integer"
            if self.low is not None or self.high is not None:
                low = "-inf" if self.low is None else format_number(self.low)
                high = "inf" if self.high is None else format_number(self.high)
                left = "(" if self.low_open or self.low is None else "["
                right = ")" if self.high_open or self.high is None else "]"
                element += f" in {left}{low}, {high}{right}"
            if self.kind in ("floats", "ints"):
                count = f"{self.length} " if self.length else ""
                plural = "floats" if self.kind == "floats" else "integers"
                text = f"a comma-separated list of {count}{plural}"
                if self.low is not None or self.high is not None:
                    text += ", each " + element.split(" ", 2)[-1]
                if self.none_items:
                    text += (" or none" if self.low is not None or self.high is not None else ", each may be none")
                if not self.finite:
                    text += ", nan and inf allowed"
            else:
                text = element
            if self.finite and self.low is None and self.high is None:
                text = text.replace("a float", "a finite float").replace("floats", "finite floats")
        if self.optional and None not in self.choices:
            text += " (or none)"
        return text

    def format(self, value: Any) -> str:
        """The value as the command line and config file write it."""
        if value is None:
            return "none"
        if isinstance(value, (list, tuple)):
            return ",".join("none" if v is None else format_number(v) for v in value)
        if isinstance(value, (bool, int, float)):
            return format_number(value)
        return str(value)

    # ------------------------------------------------------------------- parsing
    def parse(self, text: str) -> Any:
        """Parse a command-line string into a checked value, or raise ParamError."""
        raw = text.strip()
        if self.optional and raw.lower() in _NONE:
            return None
        if self.kind == "text":
            return self.validate(raw)
        if self.kind in ("floats", "ints"):
            parts = [p.strip() for p in raw.split(",")]
            if not raw or any(not p for p in parts):
                raise self._error(text)
            value = [None if self.none_items and p.lower() in _NONE else self._parse_scalar(p, text) for p in parts]
        else:
            value = self._parse_scalar(raw, text)
        if self.kind in ("float", "int", "floats", "ints"):
            try:
                return self.validate(value)
            except ParamError:  # the error shows what was typed (1e309), not what it became (inf)
                raise self._error(text) from None
        return self.validate(value)

    def _parse_scalar(self, raw: str, text: str) -> Any:
        kind = {"floats": "float", "ints": "int"}.get(self.kind, self.kind)
        try:
            if kind in ("float", "int"):
                return _number(raw, kind)
        except ValueError:
            raise self._error(text) from None
        if kind == "bool":
            if raw.lower() in _TRUE:
                return True
            if raw.lower() in _FALSE:
                return False
            raise self._error(text)
        return raw  # choice: checked by validate

    def validate(self, value: Any) -> Any:
        """Check (and normalize the type of) an already-typed value, or raise ParamError."""
        if value is None:
            if self.optional:
                return None
            raise self._error(value)
        if self.kind in ("floats", "ints"):
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                value = [value]
            items = [None if v is None and self.none_items else self._validate_number(v, value, self.kind[:-1])
                     for v in value]
            if not items or (self.length is not None and len(items) != self.length):
                raise self._error(value)
            return tuple(items)
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            raise self._error(value)
        if self.kind == "text":
            if not isinstance(value, str) or not value.strip():
                raise self._error(value)
            if self.text_check is not None:
                self.text_check(value.strip())
            return value.strip()
        if self.kind == "choice":
            if value in self.choices:
                return value
            raise self._error(value)
        return self._validate_number(value, value, self.kind)

    def _validate_number(self, value: Any, shown: Any, kind: str) -> float | int:
        if isinstance(value, str):
            try:
                value = _number(value, kind)
            except ValueError:
                raise self._error(shown) from None
        if _is_boolean(value):  # float(True) is 1.0: `batch_size = true` in a file trained with batches of 1
            raise self._error(shown)
        if not isinstance(value, (int, float)):
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise self._error(shown) from None
        if kind == "int":
            if isinstance(value, float) and not value.is_integer():  # also inf and nan
                raise self._error(shown)
            value = int(value)  # exact: an int past 1.8e308 is never made a float (OverflowError)
        else:
            try:
                value = float(value) + 0.0  # -0 is 0 (the panel showed `noise -0`)
            except OverflowError:  # an integer of more than 309 digits
                raise self._error(shown) from None
            if self.finite and not math.isfinite(value):
                raise self._error(shown)
        if not (isinstance(value, float) and math.isnan(value)) and not self._in_range(value):
            raise self._error(shown)
        return value

    def _in_range(self, value: float) -> bool:
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return not (self.high is not None and (value > self.high or (self.high_open and value == self.high)))

    def _error(self, value: Any) -> ParamError:
        try:
            shown = value if isinstance(value, str) else self.format(value)
        except (TypeError, ValueError):  # not a value of this kind at all (`[[8], 8]`, `[8, "x"]` from a file)
            shown = _plain(value)
        return ParamError(f"bad value {shown!r} for {self.name}: expected {self.allowed()}")

    # --------------------------------------------------------------- UI stepping
    def nudge(self, value: Any, direction: int) -> Any:
        """The next value up (direction > 0) or down: a 1-2-5 log step, a linear step, the next choice.

        The result is clamped to the allowed range; lists and None are returned unchanged.
        """
        if self.kind == "bool":
            return not value
        if self.kind == "choice":
            index = self.choices.index(value) if value in self.choices else 0
            return self.choices[(index + (1 if direction > 0 else -1)) % len(self.choices)]
        if value is None or self.kind in ("floats", "ints", "text"):
            return value
        if self.scale == "log" and value > 0:
            candidate = _log_step(float(value), direction)
        else:
            candidate = value + (1 if direction > 0 else -1) * self._linear_step()
            if self.kind == "float":
                candidate = round(candidate, 12)
        if self.kind == "int":
            candidate = round(candidate)
            if candidate == value:
                candidate = value + (1 if direction > 0 else -1)
        return self._clamp(candidate, value)

    def _linear_step(self) -> float:
        if self.step is not None:
            return self.step
        if self.kind == "int":
            return 1
        if self.low is not None and self.high is not None:
            return (self.high - self.low) / 20
        return 0.1

    def _clamp(self, candidate: float, current: Any) -> Any:
        if self._in_range(candidate):
            return candidate
        return current


_MANTISSAS = (1.0, 2.0, 5.0)


def _log_step(value: float, direction: int) -> float:
    """Next value of the 1-2-5 sequence above (or below) value: 1e-3 -> 2e-3 -> 5e-3 -> 1e-2."""
    exponent = math.floor(math.log10(value))
    grid = [m * 10.0**e for e in (exponent - 1, exponent, exponent + 1) for m in _MANTISSAS]
    tolerance = value * 1e-9
    if direction > 0:
        nxt = min(g for g in grid if g > value + tolerance)
    else:
        nxt = max(g for g in grid if g < value - tolerance)
    return float(f"{nxt:.12g}")


# ---------------------------------------------------------------------- components
@dataclass(frozen=True)
class Component:
    """A named, parameterized piece of the engine: a schedule, an optimizer, an initializer ...

    `fn` takes the component's data first where its kind has some (steps, a generator, points)
    and its parameters as keywords; `params` declares every keyword. `check` raises ParamError for combinations that
    are wrong even though each value is allowed (a piecewise schedule's lengths). `meta` holds what
    else a kind needs (an activation's derivative, a surface's gradient and minima).
    """

    kind: str
    name: str
    fn: Callable[..., Any]
    params: tuple[ParamSpec, ...]
    family: str = ""
    summary: str = ""
    check: Callable[[dict[str, Any]], None] | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def spec(self, name: str) -> ParamSpec:
        """The ParamSpec called name, or a ParamError naming the allowed keys."""
        for spec in self.params:
            if spec.name == name:
                return spec
        allowed = ", ".join(s.name for s in self.params) or "(none)"
        raise ParamError(f"unknown parameter {name!r} for {self.kind} {self.name!r}; choose from: {allowed}")

    def defaults(self) -> dict[str, Any]:
        """Every parameter at its default."""
        return {spec.name: spec.default for spec in self.params}

    def resolve(self, values: Mapping[str, Any] | None = None, *, text: bool = False) -> dict[str, Any]:
        """Defaults overridden by values, each parsed (text=True) or validated, then cross-checked."""
        resolved = self.defaults()
        for key, value in (values or {}).items():
            spec = self.spec(key)
            resolved[key] = spec.parse(value) if text else spec.validate(value)
        if self.check is not None:
            self.check(resolved)
        return resolved

    def __call__(self, *data: Any, **values: Any) -> Any:
        """Run fn on data (if its kind takes any) with checked parameters, defaults for the rest."""
        return self.fn(*data, **self.resolve(values))


class Catalog:
    """The components of one kind, by name, in registration order."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, Component] = {}

    def register(
        self,
        *params: ParamSpec,
        family: str = "",
        check: Callable[[dict[str, Any]], None] | None = None,
        name: str | None = None,
        **meta: Any,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: declare fn as a component with these parameters; fn itself is returned.

        Extra keywords become the component's `meta`.
        """

        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            key = name or fn.__name__
            if key in self._items:
                raise ValueError(f"{self.kind} {key!r} registered twice")
            summary = (inspect.getdoc(fn) or "").split("\n", 1)[0]
            self._items[key] = Component(self.kind, key, fn, tuple(params), family, summary, check, meta)
            return fn

        return decorate

    def __getitem__(self, name: str) -> Component:
        try:
            return self._items[name]
        except KeyError:
            raise ParamError(f"unknown {self.kind} {name!r}; choose from: {', '.join(self._items)}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[Component]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def names(self) -> list[str]:
        """Registered names in order."""
        return list(self._items)


def parse_assignments(pairs: list[str] | None) -> dict[str, str]:
    """Split `key=value` strings (from repeated --set options) into a dict, or raise ParamError."""
    result: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ParamError(f"bad --set {pair!r}: expected KEY=VALUE")
        result[key.strip()] = value
    return result


def split_top_level(text: str, separator: str) -> list[str]:
    """text split at separator where no parenthesis or bracket is open (`f(a, b), c` -> `f(a, b)`, ` c`)."""
    pieces, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == separator and depth == 0:
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    return pieces


def starts_assignment(piece: str) -> bool:
    """Whether a comma-separated piece begins `KEY=` or `GROUP.KEY=` (`schedule.mode=max`), not `epoch <= 5` inside
    an expression, nor `==`."""
    key, sep, value = piece.partition("=")
    return bool(sep) and all(part.isidentifier() for part in key.strip().split(".")) and not value.startswith("=")


def parse_named_assignments(text: str, what: str) -> tuple[str, dict[str, str]]:
    """Split `NAME[:KEY=VALUE,...]` (e.g. `adam:lr=0.3,betas=0.9,0.999`) into the name and its values.

    Commas inside parentheses do not split (`schedulers=linear_lr(start_factor=0.1, total_iters=5) + ...`),
    and a piece that does not begin `KEY=` continues the previous value, so list values (and expressions
    such as `lr_lambda=1 if epoch <= 5 else 0.5`) keep their commas. what names
    the kind of thing in error messages (`optimizer`, `racer`).
    """
    name, _, rest = text.partition(":")
    pairs: list[str] = []
    for piece in split_top_level(rest, ",") if rest else []:
        if starts_assignment(piece):
            pairs.append(piece)
        elif pairs:
            pairs[-1] += "," + piece
        else:
            raise ParamError(f"bad {what} {text!r}: expected NAME[:KEY=VALUE,...]")
    values: dict[str, str] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if key.strip() in values:
            raise ParamError(f"bad {what} {text!r}: {key.strip()} is given twice")
        values[key.strip()] = value
    return name.strip(), values


SEED = ParamSpec("seed", "int", 0, low=0, high=2**63 - 1,
                 help="random seed of every experiment (the app's --seed, export's --seed, a setup file's seed)")
