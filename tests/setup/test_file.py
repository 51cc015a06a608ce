"""Setup files without the app: the TOML writer, exact round trips, every bad-file path, old numbering."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui_dl.app.runner import make_models
from tui_dl.setup.file import LoadedSetup, SetupError, load_setup, save_setup
from tui_dl.setup.toml_io import dumps, toml_value, tomllib


# ------------------------------------------------------------------------------------ the writer
@pytest.mark.parametrize("value", [0.1, 1e-10, 1 / 3, 2.0**-1074, 1e300, -7.0, 0.0, 3, -2, 2**40, True, False,
                                   "plain", 'with "quotes" and \\ and\nnewline\t', "ünïcode · ∞", [1, 2.5, 3],
                                   ["a", "b"], [], "del\x7f", "bidi\u202eoverride", "tag\U000E0001"])
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
    models["lr"].set("slot.5.schedule", "piecewise_constant_decay")
    models["lr"].set("slot.5.values", "0.1,0.05,0.001")
    models["init"].set("activation", "relu")
    models["init"].set("run.4", "LeCun")
    models["train"].set("variant.2", "l1=1e-4+dropout=0.2")
    models["train"].set("patience", "7")
    models["train"].set("lr", "0.0123456789")
    models["paths"].set("surface", "himmelblau")
    models["paths"].set("racers", 6)
    models["paths"].set("racer.6.optimizer", "keras_adam")
    models["paths"].set("start_x", 1.25)
    return models


def test_round_trip_restores_every_setting_and_the_seed(tmp_path):
    models = edited_models()
    path = save_setup(tmp_path / "setup.toml", 12345, models)
    loaded = make_models()
    assert load_setup(path, loaded) == LoadedSetup(12345)
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
    path.write_text('[optimizer_paths.racer.6]\nlr = 0.25\n\n[optimizer_paths]\nracers = 6\n')
    models = make_models()
    assert load_setup(path, models) == LoadedSetup(None)  # no seed in the file
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


def test_unknown_key_lists_the_keys_of_every_view(tmp_path):
    """A file written by `w` holds every view's rows; the list named only the schedules view's (eighth tester)."""
    message, _ = bad(tmp_path, '[learning_rate]\nsteps = 100\n"adaptive.1.lrr" = 0.1\n')
    assert message.startswith("setup.toml:3: learning_rate.adaptive.1.lrr: unknown parameter; allowed: view, steps, "
                              "slot.1.schedule, ")
    for key in ("adaptive.1.lr", "range.start_lr", "sweep.1.optimizer", "rates.low", "sparse.adam_lr"):
        assert f", {key}," in message or message.endswith(f", {key}")


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
    ("batch_size = true", "overfitting.batch_size = true: expected an integer in [1, 1000000]"),  # was 1
    ("lr = false", "overfitting.lr = false: expected a float in (0, inf)"),
    ("hidden = [8, true]", "overfitting.hidden = [8, true]: expected a comma-separated list of integers, each in "
                           "[1, 4096]"),
    ('dataset = "mnist"', 'overfitting.dataset = "mnist": expected one of: spiral, circle, xor, gauss, moons, '
                          'plane, sine, digits'),
    ('"variant.1" = 3', 'overfitting.variant.1 = 3: expected off, none, or KEY=VALUE joined with +'
                        ' (keys: l1, l2, dropout, weight_decay, patience, lr, init=NAME[:K=V,...], '
                        'activation=NAME[:...], optimizer=NAME[:...], batch_norm)'),
    ("hidden = 3.5", "overfitting.hidden = 3.5: expected a comma-separated list of integers, each in [1, 4096]"),
    # items of another kind were a TypeError with a traceback (formatting [8] as a number)
    ("hidden = [[8], 8]", "overfitting.hidden = [[8], 8]: expected a comma-separated list of integers, each in "
                          "[1, 4096]"),
    ("hidden = [{a = 1}]", "overfitting.hidden = [{a = 1}]: expected a comma-separated list of integers, each in "
                           "[1, 4096]"),
    ('hidden = [8, "x"]', 'overfitting.hidden = [8, "x"]: expected a comma-separated list of integers, each in '
                          '[1, 4096]'),
    ("hidden = [1979-05-27]", "overfitting.hidden = [1979-05-27]: expected a comma-separated list of integers, "
                              "each in [1, 4096]"),  # was [datetime.date(1979, 5, 27)]
])
def test_wrong_types(tmp_path, line, expected):
    message, _ = bad(tmp_path, f"[overfitting]\n{line}\n")
    assert message == f"setup.toml:2: {expected}"


def test_a_character_that_does_not_print_is_escaped_in_the_error(tmp_path):
    """A right-to-left override in a value was printed raw and turned the error line around."""
    message, _ = bad(tmp_path, '[overfitting]\nmonitor = "val_loss\u202e"\n')
    assert message.startswith('setup.toml:2: overfitting.monitor = "val_loss\\u202E": expected ')
    assert message.isprintable()


def test_bad_seed(tmp_path):
    message, _ = bad(tmp_path, "seed = -3\n")
    assert message == "setup.toml:1: seed = -3: expected an integer in [0, 9223372036854775807]"


def test_a_value_in_a_dotted_table_is_located(tmp_path):
    message, _ = bad(tmp_path, "[optimizer_paths]\nsteps = 10\n\n[optimizer_paths.racer.2]\nlr = -1\n")
    assert message == "setup.toml:5: optimizer_paths.racer.2.lr = -1: expected a float in [0, inf)"


def test_a_missing_file_and_an_empty_one(tmp_path):
    with pytest.raises(SetupError, match=r"nowhere\.toml: not found: expected a setup file"):
        load_setup(tmp_path / "nowhere.toml", make_models())
    with pytest.raises(SetupError, match=r"^/dev/zero: not a regular file: expected a setup file"):
        load_setup(Path("/dev/zero"), make_models())  # read, it would never end
    (tmp_path / "huge.toml").write_text("# " + "x" * 1_000_000)
    with pytest.raises(SetupError, match=r"huge\.toml: 1000002 bytes is too large for a setup file"):
        load_setup(tmp_path / "huge.toml", make_models())
    (tmp_path / "empty.toml").write_text("")
    assert load_setup(tmp_path / "empty.toml", make_models()) == LoadedSetup(None)  # nothing set: the defaults


def test_setup_files_and_preferences_do_not_import_textual():
    code = ("import sys, tui_dl.setup.file, tui_dl.setup.preferences, tui_dl.setup.presets, tui_dl.setup.toml_io; "
            "print('textual' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# ------------------------------------------------------------------------------------ one numbering
def test_numbered_rows_count_from_1_in_the_panel_and_the_file(tmp_path):
    models = make_models()
    groups = {row.key: row.group for row in models["lr"].rows() if row.key.endswith(".schedule")}
    assert list(groups.items())[:2] == [("slot.1.schedule", "slot 1"), ("slot.2.schedule", "slot 2")]
    labels = {row.key: row.label for row in models["train"].rows() if row.key.startswith("variant.")}
    assert labels["variant.1"] == "variant 1" and "variant.0" not in labels
    text = save_setup(tmp_path / "setup.toml", 0, models).read_text()
    assert '"slot.1.schedule" = "cosine_decay_restarts"' in text and '"racer.1.optimizer" = "sgd"' in text
    assert '"variant.1" = "none"' in text and '"run.1" = ' in text
    assert ".0." not in text and '.0"' not in text


def test_a_file_numbered_from_0_by_an_older_version_is_read_in_its_numbering(tmp_path):
    path = tmp_path / "old.toml"
    path.write_text('[learning_rate]\n"slot.0.schedule" = "step_lr"\n"slot.0.gamma" = 0.25\n"slot.1.schedule" = "off"\n'
                    '\n[optimizer_paths.racer.0]\nlr = 0.5\n')
    models = make_models()
    load_setup(path, models)
    slots = models["lr"].settings["slots"]
    assert (slots[0]["name"], slots[0]["params"]["gamma"], slots[1]["name"]) == ("step_lr", 0.25, "off")
    assert models["paths"].settings["pool"][0]["params"]["lr"] == 0.5


def test_an_error_in_an_old_file_names_the_key_as_written(tmp_path):
    message, _ = bad(tmp_path, '[optimizer_paths]\n"racer.0.lr" = -1\n')
    assert message == "setup.toml:2: optimizer_paths.racer.0.lr = -1: expected a float in [0, inf)"


# ------------------------------------------------------------------------------------ lines an edit hid
def test_a_slot_set_to_off_leaves_its_parameter_lines_unused(tmp_path):
    path = save_setup(tmp_path / "setup.toml", 0, make_models())
    text = path.read_text().replace('"slot.1.schedule" = "cosine_decay_restarts"', '"slot.1.schedule" = "off"')
    assert '"slot.1.first_decay_steps" = 100' in text
    path.write_text(text)
    models = make_models()
    assert load_setup(path, models) == LoadedSetup(0)
    assert models["lr"].settings["slots"][0] == {"name": "off", "params": {}}


def test_a_key_no_edit_could_show_is_still_unknown(tmp_path):
    message, _ = bad(tmp_path, '[learning_rate]\n"slot.1.schedule" = "off"\n"slot.1.decay_stepz" = 3\n')
    assert message.startswith("setup.toml:3: learning_rate.slot.1.decay_stepz: unknown parameter; allowed: view, ")


def test_a_value_a_switched_choice_no_longer_takes_is_dropped_with_a_note(tmp_path):
    path = tmp_path / "setup.toml"
    path.write_text('[optimizer_paths]\nsurface = "rosenbrock"\nstart_x = -7.0\nstart_y = 1.5\n')
    models = make_models()
    loaded = load_setup(path, models)
    start = models["paths"].start()
    assert start[1] == 1.5 and -2 <= start[0] <= 2
    assert loaded.notes == (f"{path}:3: optimizer_paths.start_x = -7.0: expected a float in [-2, 2] after this "
                            f"file's other choices; kept {start[0]!r}",)


def test_a_bad_value_of_an_unchanged_row_is_still_an_error(tmp_path):
    message, _ = bad(tmp_path, '[optimizer_paths]\nstart_x = -70.0\n')
    assert message == "setup.toml:2: optimizer_paths.start_x = -70.0: expected a float in [-10, 10]"


# ------------------------------------------------------------------------------------ writing
def test_a_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = save_setup(tmp_path / "setup.toml", 3, make_models())
    before = path.read_text()

    def full_disk(fd, *args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        save_setup(path, 4, make_models())
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["setup.toml"]  # no temporary file left behind


def test_a_write_keeps_the_files_mode_and_replaces_the_file_a_link_points_to(tmp_path):
    path = save_setup(tmp_path / "setup.toml", 3, make_models())
    path.chmod(0o600)
    link = tmp_path / "link.toml"
    link.symlink_to(path)
    save_setup(link, 4, make_models())
    assert link.is_symlink() and (path.stat().st_mode & 0o777) == 0o600
    assert load_setup(path, make_models()).seed == 4


def test_w_keeps_the_parameters_of_every_view_not_only_the_one_on_screen(tmp_path):
    models = make_models()
    models["lr"].set("steps", 2000)  # a schedules-view row
    models["lr"].set("view", "step")  # the view on screen when w is pressed
    models["train"].set("view", "search")
    models["train"].set("search.samples", 32)
    models["train"].set("view", "curves")
    text = save_setup(tmp_path / "setup.toml", 0, models).read_text()
    assert "steps = 2000" in text and '"search.samples" = 32' in text
    fresh = make_models()
    load_setup(tmp_path / "setup.toml", fresh)
    assert fresh["lr"].settings["view"] == "step" and fresh["lr"].settings["steps"] == 2000
    assert fresh["train"].settings["search"]["samples"] == 32 and fresh["train"].settings["view"] == "curves"


@pytest.mark.parametrize(("key", "value"), [("rates.count", "1"), ("adaptive.1.lr", "inf"), ("batch_size", "0")])
def test_a_bad_value_of_another_view_s_row_is_one_line_not_a_traceback(tmp_path, key, value):
    models = make_models()
    path = save_setup(tmp_path / "setup.toml", 0, models)
    lines = path.read_text().splitlines()
    table = lines.index("[learning_rate]")
    number = next(i for i, line in enumerate(lines) if i > table and line.split(" = ")[0].strip('"') == key)
    lines[number] = f'"{key}" = {value}' if "." in key else f"{key} = {value}"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SetupError, match=rf"setup\.toml:{number + 1}: learning_rate\.{key} = "):
        load_setup(path, make_models())


def test_a_key_set_by_an_inline_table_is_found_on_its_line(tmp_path):
    """`epochs = {a = 1}` sets epochs.a: the error named the table's header line."""
    message, _ = bad(tmp_path, '[overfitting]\ndataset = "spiral"\nepochs = {a = 1}\n')
    assert message.startswith("setup.toml:3: overfitting.epochs.a: unknown parameter; allowed: ")


def test_an_integer_of_hundreds_or_thousands_of_digits_is_one_line(tmp_path):
    """400 digits overflowed float() with a traceback; 5000 are more than Python reads into an int."""
    message, _ = bad(tmp_path, f"[overfitting]\nepochs = 3\nlr = {'9' * 400}\n")
    assert message == f"setup.toml:3: overfitting.lr = {'9' * 40}… (400 characters): expected a float in (0, inf)"
    message, _ = bad(tmp_path, f"[overfitting]\nepochs = 3\n\nbatch_size = {'9' * 5000}\n")
    assert message == ("setup.toml:4: an integer of 5000 digits: expected a value of at most 4300 digits "
                       "(and within the parameter's range)")


def test_a_byte_order_mark_is_read_past(tmp_path):
    path = tmp_path / "setup.toml"
    path.write_text("\ufeffseed = 4\n[overfitting]\nepochs = 7\n", encoding="utf-8")  # as Notepad writes it
    models = make_models()
    assert load_setup(path, models).seed == 4
    assert models["train"].settings["epochs"] == 7
