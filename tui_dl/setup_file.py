"""Setup files: every pane's parameters and the seed as TOML, written and read back exactly.

The format is one flat table per pane, keyed by the rows the parameter panel shows (`"racer.0.lr"`
keys are quoted because a row `surface` and a row `surface.a` cannot both be TOML tables), plus
a top-level `seed`:

    seed = 0

    [optimizer_paths]
    surface = "quadratic"
    "racer.0.lr" = 0.95  # a float in (0, inf)

Values are checked by each row's ParamSpec, so a file takes exactly what the panel takes, and a
bad file gets one line naming the file, the line, the key and what is allowed. The writer is our
own (the standard library only reads TOML); this module imports no Textual: the models are passed
in, and anything with `settings`, `rows()` and `set(key, value)` will do.
"""

from __future__ import annotations

import copy
import json
import math
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from tui_dl.params import SEED, ParamError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# pane kind -> the table it is saved under (the pane's module name)
TABLES = {"lr": "learning_rate", "init": "initialization", "train": "overfitting", "paths": "optimizer_paths"}
# settings that are not rows but choose which rows exist (the learning-rate pane's view): set first
MODE_KEYS = ("view",)
SEED_HIGH = int(SEED.high)  # the range of --seed: a seed the app runs with can be written and loaded again
COMMENT_WIDTH = 90  # longer lists of names (every schedule) are left to the panel and the error message
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]")


class SetupError(ValueError):
    """A setup or preferences file that cannot be used; the message is one line `file:line: what`."""


class Model(Protocol):
    """What a setup file needs of a pane model (tui_dl.app.runner.PaneModel)."""

    kind: str
    settings: dict[str, Any]

    def rows(self) -> list[Any]: ...
    def set(self, key: str, value: Any) -> None: ...


# ---------------------------------------------------------------------- writing TOML
def dumps(document: Mapping[str, Any], comments: Mapping[tuple[str, str], str] | None = None,
          header: str = "") -> str:
    """TOML text of a document: scalars and lists at the top, then one `[table]` per dict value.

    Args:
        document: str -> scalar, list, or a table (str -> scalar or list; nested tables become `[a.b]`).
        comments: (table, key) -> a trailing comment (table "" is the top level).
        header: comment lines written first.
    """
    comments = comments or {}
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    _write_table(lines, "", document, comments)
    return "\n".join(lines).strip("\n") + "\n"


def _write_table(lines: list[str], name: str, table: Mapping[str, Any], comments: Mapping[tuple[str, str], str]
                 ) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
    tables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
    if name and (scalars or not tables):
        lines += ["", f"[{name}]"]
    for key, value in scalars.items():
        comment = comments.get((name, key))
        lines.append(f"{toml_key(key)} = {toml_value(value)}" + (f"  # {comment}" if comment else ""))
    for key, value in tables.items():
        _write_table(lines, f"{name}.{toml_key(key)}" if name else toml_key(key), value, comments)


def toml_key(key: str) -> str:
    """A bare key where TOML allows one, else a quoted one."""
    return key if _BARE_KEY.match(key) else json.dumps(key)


def toml_value(value: Any) -> str:
    """A scalar or a list as TOML; None is written as the string "none" (TOML has no null)."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, str)):  # a NumPy scalar
        value = value.item()
    if value is None:
        return '"none"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)  # the shortest text that reads back as the same float
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {value!r} ({type(value).__name__}) to TOML")


# ---------------------------------------------------------------------- reading TOML
def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """The parsed document and its text; SetupError `path:line: ...` for a file TOML cannot read."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SetupError(f"{path}: cannot read: {getattr(error, 'strerror', None) or error}") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        line = re.search(r"line (\d+)", message)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise SetupError(f"{path}:{line.group(1) if line else 1}: TOML syntax error: {reason}") from None


def locate(text: str, table: str, key: str | None = None) -> int:
    """The line (1-based) where key is set in table (the table's header if key is None, or if not found).

    tomllib keeps no positions, so the line is found again in the text: the `[table]` header (or a
    `[table.sub]` one), then the first line of that table whose key, unquoted, is key or ends it.
    """
    header_line, current = 0, ""
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header and not line.lstrip().startswith("[["):
            current = _unquote_dotted(header.group(1))
            if current == table and not header_line:
                header_line = number
            continue
        if key is None or "=" not in line or line.lstrip().startswith("#"):
            continue
        full = ".".join(part for part in (current, _unquote_dotted(line.split("=", 1)[0])) if part)
        if full == (f"{table}.{key}" if table else key):
            return number
    return header_line or 1


def _unquote_dotted(text: str) -> str:
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([^.\s"\']+)', text)
    return ".".join(a or b or c for a, b, c in parts)


def flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"racer": {"0": {"lr": 1}}}` -> `{"racer.0.lr": 1}`: dotted keys written unquoted read back the same."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


# ---------------------------------------------------------------------- setups
def setup_document(seed: int, models: Mapping[str, Model]) -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
    """The setup of seed and models as a TOML document, and a comment per key saying what is allowed."""
    document: dict[str, Any] = {"seed": seed}
    comments: dict[tuple[str, str], str] = {("", "seed"): f"an integer in [0, {SEED_HIGH}]"}
    for kind, model in models.items():
        table: dict[str, Any] = {key: model.settings[key] for key in MODE_KEYS if key in model.settings}
        for row in model.rows():
            table[row.key] = row.value
            allowed = row.spec.allowed()
            comments[(TABLES[kind], row.key)] = allowed if len(allowed) <= COMMENT_WIDTH else "a name: see the panel"
        document[TABLES[kind]] = table
    return document, comments


def save_setup(path: Path, seed: int, models: Mapping[str, Model]) -> Path:
    """Write the setup to path (replacing it); returns the path. OSError if it cannot be written."""
    document, comments = setup_document(seed, models)
    text = dumps(document, comments, header="tui-dl setup: tui-dl --config FILE loads it, w in the app writes it.\n"
                 "Every value is checked as the parameter panel checks it; the comments say what is allowed.")
    path = Path(path)
    path.write_text(text, encoding="utf-8")
    return path


def load_setup(path: Path, models: Mapping[str, Model]) -> int | None:
    """Load a setup file into models; returns its seed (None if it has none).

    All or nothing: on a SetupError every model keeps the settings it had.
    """
    document, text = read_toml(path)
    kinds = {table: kind for kind, table in TABLES.items() if kind in models}
    saved = {kind: copy.deepcopy(model.settings) for kind, model in models.items()}
    try:
        seed = None
        for name, value in document.items():
            if name == "seed":
                seed = _seed(path, text, value)
            elif isinstance(value, Mapping) and name in kinds:
                _load_table(path, text, name, flatten(value), models[kinds[name]])
            else:
                what = f"table [{name}]" if isinstance(value, Mapping) else f"key {name}"
                raise SetupError(f"{path}:{locate(text, name if isinstance(value, Mapping) else '', name)}: "
                                 f"unknown {what}: expected seed or a table of: {', '.join(kinds)}")
        return seed
    except SetupError:
        for kind, model in models.items():
            model.settings = saved[kind]
        raise


def _seed(path: Path, text: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= SEED_HIGH:
        raise SetupError(f"{path}:{locate(text, '', 'seed')}: seed = {_shown(value)}: "
                         f"expected an integer in [0, {SEED_HIGH}]")
    return value


def _load_table(path: Path, text: str, table: str, values: dict[str, Any], model: Model) -> None:
    """Set every key of the table on model, in the model's row order (a choice before what it shows)."""

    def fail(key: str, what: str) -> SetupError:
        return SetupError(f"{path}:{locate(text, table, key)}: {table}.{key}{what}")

    pending = dict(values)
    for key in MODE_KEYS:
        if key in pending and key in model.settings:
            value = pending.pop(key)
            try:
                model.set(key, value)
            except ParamError as error:
                raise fail(key, f" = {_shown(value)}: {error}") from None
    while pending:
        row = next((row for row in model.rows() if row.key in pending), None)
        if row is None:
            break
        value = pending.pop(row.key)
        try:
            checked = _check(row.spec, value)
        except ParamError:
            raise fail(row.key, f" = {_shown(value)}: expected {row.spec.allowed()}") from None
        if _same(checked, row.value):
            continue
        try:
            model.set(row.key, checked)
        except ParamError as error:
            raise fail(row.key, f" = {_shown(value)}: {error}") from None
    if pending:
        key = next(iter(pending))
        allowed = [*(k for k in MODE_KEYS if k in model.settings), *(row.key for row in model.rows())]
        raise fail(key, f": unknown parameter; allowed: {', '.join(allowed)}")


def _check(spec: Any, value: Any) -> Any:
    """The value as the row's spec takes it: strings are parsed as typed in the panel (`none`, `1e-3`)."""
    if isinstance(value, str) and not (spec.kind == "choice" and value in getattr(spec, "choices", ())):
        return spec.parse(value)
    validate = getattr(spec, "validate", None)  # app-side specs (a variant) take strings only
    if validate is not None:
        return validate(value)
    if isinstance(value, str):
        return value
    raise ParamError(f"bad value {value!r} for {spec.name}")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return tuple(a) == tuple(b)
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def _shown(value: Any) -> str:
    try:
        return toml_value(value)
    except TypeError:
        return str(value)
