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
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tui_dl.params import SEED, ParamError, shortened
from tui_dl.setup.toml_io import SetupError, dumps, flatten, locate, read_toml, toml_value, write_atomically

# pane kind -> the table it is saved under (the pane's module name)
TABLES = {"lr": "learning_rate", "init": "initialization", "train": "overfitting", "paths": "optimizer_paths"}
# settings that are not rows but choose which rows exist (the learning-rate pane's view): set first
MODE_KEYS = ("view",)
SEED_HIGH = int(SEED.high)  # the range of --seed: a seed the app runs with can be written and loaded again
COMMENT_WIDTH = 90  # longer lists of names (every schedule) are left to the panel and the error message
MAX_COUNT = 64  # a count row up to this many (racers, slots) may show more rows: tried at its most


class Model(Protocol):
    """What a setup file needs of a pane model (tui_dl.app.runner.PaneModel)."""

    kind: str
    settings: dict[str, Any]

    def rows(self) -> list[Any]: ...
    def set(self, key: str, value: Any) -> None: ...


# ---------------------------------------------------------------------- setups
def setup_document(seed: int, models: Mapping[str, Model]) -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
    """The setup of seed and models as a TOML document, and a comment per key saying what is allowed."""
    document: dict[str, Any] = {"seed": seed}
    comments: dict[tuple[str, str], str] = {("", "seed"): f"an integer in [0, {SEED_HIGH}]"}
    for kind, model in models.items():
        table: dict[str, Any] = {key: model.settings[key] for key in MODE_KEYS if key in model.settings}
        for row in every_view_rows(model):
            table[row.key] = row.value
            allowed = row.spec.allowed()
            comments[(TABLES[kind], row.key)] = allowed if len(allowed) <= COMMENT_WIDTH else "a name: see the panel"
        document[TABLES[kind]] = table
    return document, comments


def every_view_rows(model: Model) -> list[Any]:
    """The rows of the view on screen, then those only another view shows (the schedule slots while the
    step-size view runs): a file written with `w` keeps every parameter, whatever the view."""
    rows = {row.key: row for row in model.rows()}
    views = getattr(model, "views", ())
    current = model.settings.get("view")
    for view in views:
        if view == current:
            continue
        trial = {**copy.deepcopy(model.settings), "view": view}  # that view's rows, without building its experiment
        shown, model.settings = model.settings, trial
        try:
            rows.update({row.key: row for row in model.rows() if row.key not in rows})
        finally:
            model.settings = shown
    return list(rows.values())


def save_setup(path: Path, seed: int, models: Mapping[str, Model]) -> Path:
    """Write the setup to path (replacing it); returns the path. OSError if it cannot be written."""
    document, comments = setup_document(seed, models)
    text = dumps(document, comments, header="tui-dl setup: tui-dl --config FILE loads it, w in the app writes it.\n"
                 "Every value is checked as the parameter panel checks it; the comments say what is allowed.")
    path = Path(path)
    write_atomically(path, text)
    return path


@dataclass(frozen=True)
class LoadedSetup:
    """What loading a setup file gave besides the models' settings.

    Attributes:
        seed: the file's seed, None if it has none.
        notes: values left out because the file's own choices no longer take them (one line each).
    """

    seed: int | None
    notes: tuple[str, ...] = ()


def load_setup(path: Path, models: Mapping[str, Model]) -> LoadedSetup:
    """Load a setup file into models; returns its seed and notes.

    All or nothing: on a SetupError every model keeps the settings it had.
    """
    document, text = read_toml(path)
    kinds = {table: kind for kind, table in TABLES.items() if kind in models}
    saved = {kind: copy.deepcopy(model.settings) for kind, model in models.items()}
    try:
        seed = None
        notes: list[str] = []
        for name, value in document.items():
            if name == "seed":
                seed = _seed(path, text, value)
            elif isinstance(value, Mapping) and name in kinds:
                _load_table(path, text, name, flatten(value), models[kinds[name]], notes)
            else:
                what = f"table [{name}]" if isinstance(value, Mapping) else f"key {name}"
                raise SetupError(f"{path}:{locate(text, name if isinstance(value, Mapping) else '', name)}: "
                                 f"unknown {what}: expected seed or a table of: {', '.join(kinds)}")
        return LoadedSetup(seed, tuple(notes))
    except SetupError:
        for kind, model in models.items():
            model.settings = saved[kind]
        raise


def _seed(path: Path, text: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= SEED_HIGH:
        raise SetupError(f"{path}:{locate(text, '', 'seed')}: seed = {_shown(value)}: "
                         f"expected an integer in [0, {SEED_HIGH}]")
    return value


def _load_table(path: Path, text: str, table: str, values: dict[str, Any], model: Model,
                notes: list[str]) -> None:
    """Set every key of the table on model, in the model's row order (a choice before what it shows).

    A file written by `w` stays loadable after any one edit of a value: a line that the edit hid (a
    slot's parameters after `schedule = "off"`, the racers beyond `racers`, another view's rows) is
    left unused, as the panel leaves them, and a value that no longer fits a switched component is
    dropped, as the panel's switch drops it (with a note in notes). A key that no value could show,
    or a bad value of a row whose choices this file did not change, is still an error.
    """
    written = _renumbered(values)  # key as the model numbers it -> key as written in the file
    values = {key: values[old] for key, old in written.items()}

    def fail(key: str, what: str) -> SetupError:
        return SetupError(f"{path}:{locate(text, table, written[key])}: {table}.{written[key]}{what}")

    pending = dict(values)
    for key in MODE_KEYS:
        if key in pending and key in model.settings:
            value = pending.pop(key)
            try:
                model.set(key, value)
            except ParamError as error:
                raise fail(key, f" = {_shown(value)}: {error}") from None
    accepted = {row.key: row.spec.allowed() for row in model.rows()}  # before this file's choices
    failed: dict[str, tuple[Any, str]] = {}  # key -> (value, what was wrong)
    while True:
        if not _set_rows(model, pending, failed, set(values)) or not failed:
            break
        pending.update({key: value for key, (value, _) in failed.items()})  # retry: they may fit what was set
        failed.clear()
    _set_other_views(model, pending, failed, set(values))
    unused = [key for key in pending if key not in failed]
    if unused:
        reachable = _reachable(model, unused)
        unknown = [key for key in unused if key not in reachable]
        if unknown:
            key = min(unknown, key=lambda k: locate(text, table, written[k]))
            allowed = [*(k for k in MODE_KEYS if k in model.settings), *_keys_of_every_view(model)]
            raise fail(key, f": unknown parameter; allowed: {', '.join(allowed)}")
    switched = _switchable_families(model) & {_family(key) for key in unused}
    shown = {row.key: row for row in model.rows()}
    errors = {}
    for key, (_, what) in failed.items():
        row = shown.get(key)  # None: a row of another view, checked there (its bad value is an error)
        if row is not None and (_family(key) in switched or accepted.get(key) != row.spec.allowed()):
            notes.append(f"{path}:{locate(text, table, written[key])}: {table}.{written[key]}{what} "
                         f"after this file's other choices; kept {_shown(shown[key].value)}")
        else:
            errors[key] = what
    if errors:
        key = min(errors, key=lambda k: locate(text, table, written[k]))
        raise fail(key, errors[key])


def _set_other_views(model: Model, pending: dict[str, Any], failed: dict[str, tuple[Any, str]],
                     said: set[str]) -> None:
    """Set the pending keys that another view shows (as `w` writes them), then come back to the file's view."""
    home = model.settings.get("view")
    views = [view for view in getattr(model, "views", ()) if view != home]
    if not views or not pending:
        return
    try:
        for view in views:
            model.set("view", view)
            _set_rows(model, pending, failed, said)
    except ParamError:  # a view that cannot run with these settings: its rows stay unused, as the panel's
        pass
    finally:
        model.set("view", home)


def _keys_of_every_view(model: Model) -> list[str]:
    """The row keys of the model's views, the current one's first (a file holds any view's: `w` writes them)."""
    saved = copy.deepcopy(model.settings)
    keys = {row.key: None for row in model.rows()}
    try:
        for view in getattr(model, "views", ()):
            model.settings["view"] = view  # the rows it shows, whatever running it would cost
            keys.update({row.key: None for row in model.rows()})
    finally:
        model.settings = saved
    return list(keys)


def _set_rows(model: Model, pending: dict[str, Any], failed: dict[str, tuple[Any, str]], said: set[str]) -> bool:
    """Set each pending key that is a row, as rows appear; a refused one moves to failed. Whether any was set."""
    changed = False
    while True:
        row = next((row for row in model.rows() if row.key in pending), None)
        if row is None:
            return changed
        value = pending.pop(row.key)
        try:
            checked = _check(row.spec, value)
        except ParamError:
            failed[row.key] = (value, f" = {_shown(value)}: expected {row.spec.allowed()}")
            continue
        if not _same(checked, row.value):
            try:
                model.set(row.key, checked)
            except ParamError as error:
                failed[row.key] = (value, f" = {_shown(value)}: {error}")
                continue
            changed = True
        if row.spec.kind == "choice":
            changed |= _defaults_of_unsaid(model, row.key, said)


def _defaults_of_unsaid(model: Model, choice: str, said: set[str]) -> bool:
    """The parameters of a component a file chooses that the file does not give take their defaults.

    So a file means the same whatever the model held before: the panel's switch carries values over
    from the component before, which for a file is the pane's default one, a value the file never
    said. A default that does not fit is left. Whether anything changed.
    """
    rows = [row for row in model.rows() if row.key not in said]
    family = [row for row in rows if _family(row.key) == choice]
    if not family and "." in _family(choice):  # `slot.1.schedule` chooses for `slot.1.*`
        family = [row for row in rows if _family(row.key) == _family(choice)]
    changed = False
    for row in family:
        default = getattr(row.spec, "default", row.value)
        if not _same(default, row.value):
            try:
                model.set(row.key, default)
            except ParamError:
                continue
            changed = True
    return changed


_NUMBERED = re.compile(r"^([A-Za-z_]+)\.(\d+)(\..*)?$")


def _renumbered(values: Mapping[str, Any]) -> dict[str, str]:
    """{key as the model numbers it: key as written}: tables of files written before keys numbered from 1.

    Those numbered from 0 (`slot.0`, the panel's slot 1), and every family in them started at 0, so
    a `.0` key says the whole table is in that numbering; its numbers are read one higher.
    """
    old = any((match := _NUMBERED.match(key)) and int(match[2]) == 0 for key in values)
    if not old:
        return {key: key for key in values}
    renamed = {}
    for key in values:
        match = _NUMBERED.match(key)
        renamed[f"{match[1]}.{int(match[2]) + 1}{match[3] or ''}" if match else key] = key
    return renamed


def _family(key: str) -> str:
    """What a key's component is: `slot.2` for `slot.2.gamma`, `surface` for `surface.a`, "" for `steps`."""
    return key.rsplit(".", 1)[0] if "." in key else ""


def _switchable_families(model: Model) -> set[str]:
    """Families whose component is chosen by a row: `surface` (row `surface`), `slot.1` (row `slot.1.schedule`)."""
    families = set()
    for row in model.rows():
        if row.spec.kind == "choice":
            families.add(row.key)
            families.add(_family(row.key))
    families.discard("")
    return families


def _reachable(model: Model, wanted: list[str]) -> set[str]:
    """Which of the wanted keys the model shows now or after one edit (another choice, view, or the most of
    a count, and then a choice that edit revealed). A file written before that edit holds only such keys.

    The edits nearest to the wanted keys (`slot.2.schedule` for `slot.2.gamma`) are tried first, and the
    search stops once every wanted key is found; the model is left as it was.
    """
    shown = {row.key for row in model.rows()}
    found = set(wanted) & shown

    def nearness(trial: tuple[str, Any]) -> int:
        return -max(_shared_parts(trial[0], key) for key in wanted)

    saved = copy.deepcopy(model.settings)
    trials = sorted(_trials(model.rows()), key=nearness) + [("view", view) for view in getattr(model, "views", ())]
    try:
        for key, value in trials:
            if len(found) == len(wanted):
                break
            try:
                model.set(key, value)
            except ParamError:
                continue
            else:
                keys = {row.key for row in model.rows()}
                revealed = [row for row in model.rows() if row.key not in shown]
                if not set(wanted) <= keys | found:  # a racer shown by `racers`, then its optimizer
                    keys |= _revealed_choices(model, revealed)
                found |= set(wanted) & keys
            finally:
                model.settings = copy.deepcopy(saved)
    finally:
        model.settings = saved
    return found


def _shared_parts(a: str, b: str) -> int:
    """How many leading dotted parts two keys share: 2 for `slot.2.schedule` and `slot.2.gamma`."""
    shared = 0
    for x, y in zip(a.split("."), b.split("."), strict=False):
        if x != y:
            break
        shared += 1
    return shared


def _trials(rows: list[Any]) -> list[tuple[str, Any]]:
    """The edits that may show other rows: each other choice, the other boolean, the most of a small count."""
    trials: list[tuple[str, Any]] = []
    for row in rows:
        spec = row.spec
        if spec.kind == "choice":
            trials += [(row.key, choice) for choice in getattr(spec, "choices", ()) if choice != row.value]
        elif spec.kind == "bool":
            trials.append((row.key, not row.value))
        elif spec.kind == "int" and getattr(spec, "high", None) is not None and spec.high <= MAX_COUNT:
            trials.append((row.key, int(spec.high)))
    return trials


def _revealed_choices(model: Model, revealed: list[Any]) -> set[str]:
    """Keys shown by the choices of rows that an edit just revealed (the model is put back after each)."""
    keys: set[str] = set()
    saved = copy.deepcopy(model.settings)
    for key, value in _trials([row for row in revealed if row.spec.kind == "choice"]):
        try:
            model.set(key, value)
            keys.update(row.key for row in model.rows())
        except ParamError:
            continue
        finally:
            model.settings = copy.deepcopy(saved)
    return keys


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
    """A value as the file wrote it (a TOML date, a nested list: as TOML would, not as Python's repr), a long
    one shortened."""
    return shortened(_toml_text(value))


def _toml_text(value: Any) -> str:
    try:
        return toml_value(value)
    except TypeError:
        if isinstance(value, (list, tuple)):
            return "[" + ", ".join(map(_toml_text, value)) + "]"
        if isinstance(value, Mapping):
            return "{" + ", ".join(f"{key} = {_toml_text(item)}" for key, item in value.items()) + "}"
        return str(value)
