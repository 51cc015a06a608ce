"""Setup files and preferences without the app: the TOML writer, exact round trips, every bad-file path."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from tui_dl.app.runner import make_models
from tui_dl.preferences import (
    Preferences,
    forget_preferences,
    load_preferences,
    preferences_path,
    save_preferences,
    update_preferences,
)
from tui_dl.setup_file import SetupError, dumps, load_setup, save_setup, toml_value, tomllib


# ------------------------------------------------------------------------------------ the writer
@pytest.mark.parametrize("value", [0.1, 1e-10, 1 / 3, 2.0**-1074, 1e300, -7.0, 0.0, 3, -2, 2**40, True, False,
                                   "plain", 'with "quotes" and \\ and\nnewline\t', "ünïcode · ∞", [1, 2.5, 3],
                                   ["a", "b"], []])
def test_every_scalar_and_list_reads_back_identically(value):
    back = tomllib.loads(f"x = {toml_value(value)}")["x"]
    assert back == (list(value) if isinstance(value, (list, tuple)) else value)
    assert type(back) is type(value)


def test_non_finite_floats_and_none():
    assert tomllib.loads(f"a = {toml_value(math.inf)}\nb = {toml_value(-math.inf)}") == {"a": math.inf, "b": -math.inf}
    assert math.isnan(tomllib.loads(f"a = {toml_value(math.nan)}")["a"])
    assert toml_value(None) == '"none"'  # TOML has no null: the panel's word for it


def test_dumps_writes_nested_tables_and_comments():
    document = {"seed": 3, "pane": {"a": 1.5, "dotted.key": "x", "sub": {"b": [1, 2]}}, "empty": {}}
    text = dumps(document, {("pane", "a"): "a float"}, header="first\nsecond")
    assert text.startswith("# first\n# second\n")
    assert 'a = 1.5  # a float\n"dotted.key" = "x"' in text
    assert tomllib.loads(text) == document


# ------------------------------------------------------------------------------------ round trips
def edited_models():
    """Every pane changed in a way that changes its rows (a switched component, more racers, a none)."""
    models = make_models()
    models["lr"].set("slot.4.schedule", "piecewise_constant_decay")
    models["lr"].set("slot.4.values", "0.1,0.05,0.001")
    models["init"].set("activation", "relu")
    models["init"].set("run.3", "LeCun")
    models["train"].set("variant.1", "l1=1e-4+dropout=0.2")
    models["train"].set("patience", "7")
    models["train"].set("lr", "0.0123456789")
    models["paths"].set("surface", "himmelblau")
    models["paths"].set("racers", 6)
    models["paths"].set("racer.5.optimizer", "keras_adam")
    models["paths"].set("start_x", 1.25)
    return models


def test_round_trip_restores_every_setting_and_the_seed(tmp_path):
    models = edited_models()
    path = save_setup(tmp_path / "setup.toml", 12345, models)
    loaded = make_models()
    assert load_setup(path, loaded) == 12345
    for kind, model in models.items():
        assert loaded[kind].settings == model.settings, kind
        assert [(r.key, r.value) for r in loaded[kind].rows()] == [(r.key, r.value) for r in model.rows()]
    assert save_setup(tmp_path / "again.toml", 12345, loaded).read_text() == path.read_text()


def test_every_preset_round_trips(tmp_path):
    models = make_models()
    for kind, model in models.items():
        for preset in model.presets():
            preset.apply()
            path = save_setup(tmp_path / "preset.toml", 0, {kind: model})
            loaded = make_models()
            load_setup(path, loaded)
            assert loaded[kind].settings == model.settings, preset.name


def test_the_learning_rate_view_is_saved_and_chooses_the_rows(tmp_path):
    models = make_models()
    view = "race"  # the schedule race: rows of its own before the slots
    models["lr"].set("view", view)
    path = save_setup(tmp_path / "setup.toml", 0, models)
    assert f'[learning_rate]\nview = "{view}"\n' in path.read_text()
    loaded = make_models()
    load_setup(path, loaded)
    assert loaded["lr"].settings == models["lr"].settings


def test_keys_load_in_any_order_and_as_dotted_tables(tmp_path):
    path = tmp_path / "setup.toml"
    path.write_text('[optimizer_paths.racer.5]\nlr = 0.25\n\n[optimizer_paths]\nracers = 6\n')
    models = make_models()
    assert load_setup(path, models) is None  # no seed in the file
    assert models["paths"].settings["racers"] == 6
    assert models["paths"].settings["pool"][5]["params"]["lr"] == 0.25


def test_strings_are_read_as_the_panel_reads_them(tmp_path):
    path = tmp_path / "setup.toml"
    path.write_text('[overfitting]\nlr = "1e-3"\npatience = 5\nhidden = "64,32"\n')
    models = make_models()
    load_setup(path, models)
    settings = models["train"].settings
    assert (settings["lr"], settings["patience"], tuple(settings["hidden"])) == (1e-3, 5, (64, 32))


# ------------------------------------------------------------------------------------ bad files
def bad(tmp_path, text):
    """The one-line error of a setup file with this text, and the models after it (unchanged)."""
    path = tmp_path / "setup.toml"
    path.write_text(text)
    models = make_models()
    with pytest.raises(SetupError) as error:
        load_setup(path, models)
    message = str(error.value)
    assert "\n" not in message
    return message.replace(str(path), "setup.toml"), models


def test_toml_syntax_error_names_the_line(tmp_path):
    message, _ = bad(tmp_path, "seed = 1\n\n[overfitting]\nlr = = 3\n")
    assert message.startswith("setup.toml:4: TOML syntax error: ")


def test_unknown_table_lists_the_panes(tmp_path):
    message, _ = bad(tmp_path, "seed = 1\n[overfiting]\nlr = 0.1\n")
    assert message == ("setup.toml:2: unknown table [overfiting]: expected seed or a table of: "
                       "learning_rate, initialization, overfitting, optimizer_paths")


def test_unknown_top_level_key(tmp_path):
    message, _ = bad(tmp_path, "seed = 1\nsede = 2\n")
    assert message.startswith("setup.toml:2: unknown key sede: expected seed or a table of: learning_rate")


def test_unknown_key_lists_the_allowed(tmp_path):
    message, _ = bad(tmp_path, "[overfitting]\nlr = 0.1\nlearning_rate = 0.1\n")
    assert message.startswith("setup.toml:3: overfitting.learning_rate: unknown parameter; allowed: view, dataset, ")
    assert ", lr, batch_size, " in message


def test_bad_value_names_the_allowed_range(tmp_path):
    message, models = bad(tmp_path, "seed = 1\n\n[optimizer_paths]\nsteps = 50\n\n[overfitting]\nepochs = 5\nlr = -1\n")
    assert message == "setup.toml:8: overfitting.lr = -1: expected a float in (0, inf)"
    defaults = make_models()
    for kind, model in models.items():  # all or nothing: the keys before the bad one are not kept either
        assert model.settings == defaults[kind].settings


@pytest.mark.parametrize(("line", "expected"), [
    ('epochs = "many"', 'overfitting.epochs = "many": expected an integer in [1, 1000000]'),
    ("epochs = 2.5", "overfitting.epochs = 2.5: expected an integer in [1, 1000000]"),
    ("epochs = [1, 2]", "overfitting.epochs = [1, 2]: expected an integer in [1, 1000000]"),
    ("restore_best_weights = 1", "overfitting.restore_best_weights = 1: expected true or false"),
    ('dataset = "mnist"', 'overfitting.dataset = "mnist": expected one of: spiral, circle, xor, gauss, moons, '
                          'plane, sine, digits'),
    ('"variant.0" = 3', 'overfitting.variant.0 = 3: expected off, none, or KEY=VALUE joined with +'
                        ' (keys: l1, l2, dropout, weight_decay, patience, lr, init=NAME[:K=V,...], '
                        'activation=NAME[:...], optimizer=NAME[:...], batch_norm)'),
    ("hidden = 3.5", "overfitting.hidden = 3.5: expected a comma-separated list of integers, each in [1, 4096]"),
])
def test_wrong_types(tmp_path, line, expected):
    message, _ = bad(tmp_path, f"[overfitting]\n{line}\n")
    assert message == f"setup.toml:2: {expected}"


def test_bad_seed(tmp_path):
    message, _ = bad(tmp_path, "seed = -3\n")
    assert message == "setup.toml:1: seed = -3: expected an integer in [0, 9223372036854775807]"


def test_a_value_in_a_dotted_table_is_located(tmp_path):
    message, _ = bad(tmp_path, "[optimizer_paths]\nsteps = 10\n\n[optimizer_paths.racer.1]\nlr = 0\n")
    assert message == "setup.toml:5: optimizer_paths.racer.1.lr = 0: expected a float in (0, inf)"


def test_a_missing_file_and_an_empty_one(tmp_path):
    with pytest.raises(SetupError, match=r"nowhere\.toml: cannot read: No such file"):
        load_setup(tmp_path / "nowhere.toml", make_models())
    (tmp_path / "empty.toml").write_text("")
    assert load_setup(tmp_path / "empty.toml", make_models()) is None  # nothing set: the defaults


# ------------------------------------------------------------------------------------ preferences
def test_preferences_path_follows_xdg(tmp_path):
    assert preferences_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "tui-dl" / "preferences.toml"
    home = Path.home() / ".config" / "tui-dl" / "preferences.toml"
    assert preferences_path({"XDG_CONFIG_HOME": "relative/dir"}) == home  # the XDG spec ignores relative paths
    assert preferences_path({}) == home


def test_preferences_save_update_and_forget(tmp_path):
    path = tmp_path / "cfg" / "tui-dl" / "preferences.toml"
    assert load_preferences(path) == Preferences()
    save_preferences(path, Preferences(theme="nord", fps=12.0))
    assert update_preferences(path, last_setup=tmp_path / "s.toml") == Preferences("nord", 12.0, tmp_path / "s.toml")
    assert load_preferences(path) == Preferences("nord", 12.0, tmp_path / "s.toml")
    assert forget_preferences(path) and not path.exists()
    assert not forget_preferences(path)


def test_preferences_of_the_wrong_type_are_ignored(tmp_path):
    path = tmp_path / "preferences.toml"
    path.write_text('theme = 3\nfps = -1\nlast_setup = ""\n')
    assert load_preferences(path) == Preferences()
    path.write_text("theme = \n")
    with pytest.raises(SetupError, match=r"preferences\.toml:1: TOML syntax error"):
        load_preferences(path)
    assert update_preferences(path, theme="nord") == Preferences(theme="nord")  # a broken file is replaced


def test_setup_files_and_preferences_do_not_import_textual():
    code = "import sys, tui_dl.setup_file, tui_dl.preferences; print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
