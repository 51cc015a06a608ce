"""A file written by `w` stays loadable after any one edit of a value that the panel allows.

For every pane in every view: write the setup as `w` does, then for each row and each value the
panel would take there (every other choice of a choice, `off` for a slot, the other boolean, `none`
where allowed, one step up and down of a number), edit that one line of the text, load the file into
fresh models, and compare with the same edit made in the panel: the same rows, the edited value,
and every other value either what the panel shows after the edit, what the file says, or (for a
component the edit switched, whose parameters the file does not give) the parameter's default.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from tui_dl.app.runner import make_models
from tui_dl.params import ParamError
from tui_dl.setup.file import TABLES, load_setup, save_setup
from tui_dl.setup.toml_io import toml_key, toml_value

CASES = [(kind, view) for kind, model in make_models().items() for view in (model.views or (None,))]


def changed(kind: str) -> Any:
    """The pane's model away from its defaults: slots off and switched, more racers, another surface ..."""
    models = make_models()
    edits = {"lr": [("slot.1.schedule", "off"), ("slot.5.schedule", "piecewise_constant_decay"),
                    ("slot.5.values", "0.1,0.05,0.001")],
             "init": [("activation", "relu"), ("run.4", "LeCun")],
             "train": [("variant.2", "l1=1e-4+dropout=0.2"), ("dataset", "moons"), ("schedule", "step_lr")],
             "paths": [("surface", "himmelblau"), ("racers", 6), ("racer.6.optimizer", "keras_adam")]}
    for key, value in edits[kind]:
        models[kind].set(key, value)
    return models[kind]


def panel_values(row: Any) -> list[Any]:
    """The values the panel offers for row besides its own."""
    spec, values = row.spec, []
    values += [choice for choice in getattr(spec, "choices", ()) if choice != row.value]
    if spec.kind == "bool":
        values.append(not row.value)
    if getattr(spec, "optional", False) and row.value is not None:
        values.append(None)
    if spec.kind not in ("choice", "bool"):
        for direction in (-1, 1):
            try:
                values.append(spec.nudge(row.value, direction))
            except (ParamError, TypeError, ValueError):
                continue
    return [value for value in values if value != row.value]


def edit_line(text: str, table: str, key: str, value: Any) -> str:
    """text with the line of table.key set to value, its comment kept, as a user would edit it."""
    lines, current = text.splitlines(keepends=True), None
    for number, line in enumerate(lines):
        header = re.match(r"^\[(.+)\]$", line.strip())
        if header:
            current = header[1]
        elif current == table and line.startswith(f"{toml_key(key)} = "):
            comment = line[line.index("  #"):] if "  #" in line else "\n"
            lines[number] = f"{toml_key(key)} = {toml_value(value)}{comment}"
            return "".join(lines)
    raise KeyError(f"{table}.{key}")


@pytest.mark.parametrize("start", ["defaults", "changed"])
@pytest.mark.parametrize(("kind", "view"), CASES, ids=[f"{kind}-{view}" for kind, view in CASES])
def test_every_single_edit_of_a_written_file_loads(tmp_path: Path, kind: str, view: str | None, start: str):
    model = make_models()[kind] if start == "defaults" else changed(kind)
    if view is not None:
        model.set("view", view)
    text = save_setup(tmp_path / "written.toml", 7, {kind: model}).read_text()
    written = {row.key: row.value for row in model.rows()}
    edits = 0
    for row in model.rows():
        for value in panel_values(row):
            panel = copy.deepcopy(model)
            try:
                panel.set(row.key, value)
            except ParamError:
                continue  # the panel refuses it too
            edits += 1
            path = tmp_path / "edited.toml"
            path.write_text(edit_line(text, TABLES[kind], row.key, value))
            models = make_models()
            assert load_setup(path, models).seed == 7, (row.key, value)
            loaded = {r.key: r.value for r in models[kind].rows()}
            defaults = {r.key: getattr(r.spec, "default", None) for r in models[kind].rows()}
            shown = {r.key: r.value for r in panel.rows()}
            what = f"{TABLES[kind]}.{row.key} = {toml_value(value)}"
            assert list(loaded) == list(shown), what
            assert toml_value(loaded[row.key]) == toml_value(shown[row.key]), what
            for key, got in loaded.items():
                assert toml_value(got) in {toml_value(shown[key]), toml_value(written.get(key)),
                                           toml_value(defaults[key])}, (what, key)
    assert edits >= 20
