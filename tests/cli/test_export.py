"""`tui-dl export ...` from the outside: formats, values, and every error path."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest

from tui_dl.cli import main
from tui_dl.engine.schedules import cosine_decay_restarts


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def rows(text):
    return list(csv.reader(io.StringIO(text)))


# ------------------------------------------------------------------------------------ schedule
def test_schedule_csv_has_one_row_per_step(capsys):
    code, out, err = run(capsys, "export", "schedule", "cosine_decay_restarts", "--set",
                         "initial_learning_rate=0.5", "--set", "first_decay_steps=10", "--steps", "50")
    assert code == 0 and err == ""
    table = rows(out)
    assert table[0] == ["step", "lr"]
    assert [int(r[0]) for r in table[1:]] == list(range(50))
    expected = cosine_decay_restarts(np.arange(50), 0.5, 10)
    np.testing.assert_array_equal([float(r[1]) for r in table[1:]], expected)  # exact: repr round-trips


def test_schedule_default_is_1000_steps_and_json(capsys):
    code, out, _ = run(capsys, "export", "schedule", "step_lr", "--format", "json")
    document = json.loads(out)
    assert code == 0
    assert len(document["lr"]) == 1000 and document["step"][-1] == 999
    assert document["params"] == {"lr": 0.1, "step_size": 300, "gamma": 0.1}
    assert document["lr"][300] == pytest.approx(0.01)


def test_schedule_lists_and_booleans(capsys):
    code, out, _ = run(capsys, "export", "schedule", "piecewise_constant_decay", "--set", "boundaries=2,4",
                       "--set", "values=0.1,0.01,0.001", "--steps", "6")
    assert code == 0
    assert [float(r[1]) for r in rows(out)[1:]] == [0.1, 0.1, 0.1, 0.01, 0.01, 0.001]
    code, out, _ = run(capsys, "export", "schedule", "exponential_decay", "--set", "staircase=true",
                       "--set", "decay_steps=2", "--set", "decay_rate=0.5", "--set", "initial_learning_rate=1",
                       "--steps", "4")
    assert [float(r[1]) for r in rows(out)[1:]] == [1.0, 1.0, 0.5, 0.5]


def test_one_cycle_past_its_end_is_nan_with_a_note(capsys):
    code, out, err = run(capsys, "export", "schedule", "one_cycle_lr", "--set", "total_steps=10", "--steps", "13")
    assert code == 0
    assert [r[1] for r in rows(out)[-2:]] == ["nan", "nan"]
    assert "undefined from step 11" in err
    code, out, _ = run(capsys, "export", "schedule", "one_cycle_lr", "--set", "total_steps=10", "--steps", "13",
                       "--format", "json")
    assert json.loads(out)["lr"][-1] is None


def test_a_rate_past_the_largest_float_is_inf_with_a_note(capsys):
    """decay_rate=1e308 overflowed to inf (null in json) without a word; an undefined rate had its note."""
    code, out, err = run(capsys, "export", "schedule", "exponential_decay", "--set", "decay_rate=1e308",
                         "--set", "decay_steps=1", "--steps", "4")
    assert code == 0 and [r[1] for r in rows(out)[1:]] == ["0.1", "1.0000000000000001e+307", "inf", "inf"]
    assert err == ("tui-dl: note: exponential_decay's rate is past the largest float from step 2 on: written as "
                   "inf (null in json)\n")


# ------------------------------------------------------------------------------------ path
def test_path_rows_start_at_the_start_point(capsys):
    code, out, _ = run(capsys, "export", "path", "--surface", "quadratic", "--optimizer", "sgd",
                       "--set", "lr=0.95", "--steps", "30")
    table = rows(out)
    assert code == 0
    assert table[0] == ["step", "x", "y", "loss"]
    assert len(table) == 32
    assert [float(v) for v in table[1][1:3]] == [-7.0, 2.0]
    # plain SGD on x^2/20 + y^2: x shrinks by (1 - 0.95/10) each step, y flips by (1 - 1.9)
    x30, y30 = float(table[-1][1]), float(table[-1][2])
    assert x30 == pytest.approx(-7.0 * 0.905**30, rel=1e-12)
    assert y30 == pytest.approx(2.0 * (-0.9) ** 30, rel=1e-12)


def test_path_with_betas_start_and_json(capsys):
    code, out, _ = run(capsys, "export", "path", "--surface", "rosenbrock", "--optimizer", "adam",
                       "--set", "lr=0.05", "--set", "betas=0.8,0.99", "--start", "-1.5,2", "--steps", "200",
                       "--format", "json")
    document = json.loads(out)
    assert code == 0
    assert document["params"]["betas"] == [0.8, 0.99]
    assert document["start"] == [-1.5, 2.0]
    assert len(document["x"]) == 201 and document["diverged_step"] is None
    assert document["loss"][-1] < document["loss"][0]


def test_path_divergence_is_reported_not_raised(capsys):
    code, out, err = run(capsys, "export", "path", "--surface", "quadratic", "--optimizer", "sgd",
                         "--set", "lr=5", "--steps", "2000")
    assert code == 0
    assert "diverged at step" in err
    assert rows(out)[-1][1] == "nan"


def test_a_start_whose_loss_overflows_is_row_0_as_given(capsys):
    """--start 1e308,1e308 wrote row 0, documented as the start, as nan."""
    code, out, err = run(capsys, "export", "path", "--surface", "himmelblau", "--optimizer", "sgd",
                         "--start", "1e308,1e308", "--steps", "2")
    assert code == 0 and rows(out)[1:] == [["0", "1e+308", "1e+308", "inf"], ["1", "nan", "nan", "nan"],
                                           ["2", "nan", "nan", "nan"]]
    assert err == "tui-dl: note: the loss at the start is inf: sgd cannot step from there; later rows are nan\n"


# ------------------------------------------------------------------------------------ init
def test_init_statistics_past_the_float_range_have_a_note(capsys):
    code, out, err = run(capsys, "export", "init", "--init", "normal", "--set", "std=1e200", "--activation", "relu",
                         "--layers", "2", "--width", "20", "--samples", "50")
    document = json.loads(out)
    assert code == 0 and [layer["std"] for layer in document["layers"]] == [None, None]
    assert err == ("tui-dl: note: layers 1, 2: the outputs or their squares pass the largest float (1.8e308), so "
                   "their mean or std is inf or nan (null in json)\n")
    code, out, err = run(capsys, "export", "init", "--init", "normal", "--set", "std=1", "--activation", "relu",
                         "--layers", "2", "--width", "20", "--samples", "50")
    assert code == 0 and err == ""


def test_init_json_layers(capsys):
    code, out, _ = run(capsys, "export", "init", "--init", "normal", "--set", "std=1", "--activation", "sigmoid")
    document = json.loads(out)
    assert code == 0
    layers = document["layers"]
    assert [layer["index"] for layer in layers] == [1, 2, 3, 4, 5]
    for layer in layers:
        assert len(layer["hist"]["edges"]) == 31 and len(layer["hist"]["counts"]) == 30
        assert sum(layer["hist"]["counts"]) == 1000 * 100
        assert layer["dead"] is None
    # N(0, 1) weights saturate the sigmoid: most outputs near 0 or 1
    assert layers[-1]["saturated"] > 0.5


def test_init_relu_dead_share_and_csv(capsys):
    code, out, _ = run(capsys, "export", "init", "--init", "he_normal", "--activation", "relu", "--layers", "3",
                       "--width", "50", "--samples", "200", "--bins", "10", "--format", "csv")
    table = rows(out)
    assert code == 0
    assert table[0] == ["layer", "mean", "std", "saturated", "dead", "bin_low", "bin_high", "count"]
    assert len(table) == 1 + 3 * 10
    dead = float(table[1][4])
    assert 0.3 < dead < 0.7  # about half the ReLU outputs are exactly zero
    assert table[1][3] == ""  # saturated is not defined for relu


def test_init_is_seeded(capsys):
    _, first, _ = run(capsys, "export", "init", "--init", "glorot_uniform", "--activation", "tanh", "--seed", "3")
    _, again, _ = run(capsys, "export", "init", "--init", "glorot_uniform", "--activation", "tanh", "--seed", "3")
    _, other, _ = run(capsys, "export", "init", "--init", "glorot_uniform", "--activation", "tanh", "--seed", "4")
    assert first == again and first != other


# ------------------------------------------------------------------------------------ list
def test_list_names_every_component_with_parameters(capsys):
    code, out, _ = run(capsys, "export", "--list")
    assert code == 0
    for heading in ("schedules", "optimizers", "initializers", "activations", "surfaces"):
        assert f"\n{heading} (" in "\n" + out
    assert "cosine_decay_restarts [keras]" in out
    assert "t_mul = 2  (a float in [1, inf))" in out
    code, out, _ = run(capsys, "export", "--list", "--format", "json")
    document = json.loads(out)
    assert {p["name"] for p in next(c for c in document["optimizer"] if c["name"] == "adam")["params"]} == {
        "lr", "betas", "eps", "weight_decay", "amsgrad", "decoupled_weight_decay"}


# ------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("argv, message", [
    (["export", "schedule", "cosine"], "unknown schedule 'cosine'; choose from: constant, legacy_decay,"),
    (["export", "schedule", "step_lr", "--set", "gamma=2"], "bad value '2' for gamma: expected a float in (0, 1]"),
    (["export", "schedule", "step_lr", "--set", "speed=2"], "unknown parameter 'speed' for schedule 'step_lr'"),
    (["export", "schedule", "step_lr", "--set", "gamma"], "bad --set 'gamma': expected KEY=VALUE"),
    (["export", "schedule", "step_lr", "--steps", "0"], "bad value '0' for --steps: expected an integer in [1,"),
    (["export", "schedule", "cyclic_lr", "--set", "mode=sine"], "expected one of: triangular, triangular2"),
    (["export", "path", "--surface", "moon", "--optimizer", "sgd"], "unknown surface 'moon'; choose from:"),
    (["export", "path", "--surface", "quadratic", "--optimizer", "lion"], "unknown optimizer 'lion'"),
    (["export", "path", "--surface", "quadratic", "--optimizer", "sgd", "--start", "1"],
     "bad value '1' for --start: expected X,Y"),
    (["export", "path", "--surface", "quadratic", "--optimizer", "adam", "--set", "betas=0.9"],
     "bad value '0.9' for betas"),
    (["export", "init", "--init", "he", "--activation", "relu"], "unknown initializer 'he'"),
    (["export", "init", "--init", "he_normal", "--activation", "relu", "--layers", "50"],
     "bad value '50' for --layers: expected an integer in [1, 20]"),
    (["export", "init", "--init", "normal", "--activation", "relu", "--set", "std=-1"], "bad value '-1' for std"),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("tui-dl: error: ") and err.count("\n") == 1
    assert message in err


@pytest.mark.parametrize("argv", [["export", "schedule"], ["export", "path", "--surface", "quadratic"],
                                  ["export", "bogus"], ["export"], ["--nope"]])
def test_usage_errors_exit_2_without_traceback(argv):
    result = subprocess.run([sys.executable, "-m", "tui_dl", *argv], capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr


def test_version_and_help_from_the_outside():
    from tui_dl import __version__

    result = subprocess.run([sys.executable, "-m", "tui_dl", "--version"], capture_output=True, text=True)
    assert result.stdout.strip() == f"tui-dl {__version__}"
    result = subprocess.run([sys.executable, "-m", "tui_dl", "export", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "schedule" in result.stdout and "path" in result.stdout


@pytest.mark.parametrize("argv", [
    ["schedule", "exponential_decay", "--set", "initial_learning_rate=1e300", "--set", "decay_rate=1e10",
     "--set", "decay_steps=1", "--steps", "4"],
    ["path", "--surface", "rosenbrock", "--optimizer", "sgd", "--set", "lr=10", "--steps", "30"],
])
def test_numpy_warnings_never_reach_the_terminal(argv):
    """Overflow is in the numbers (inf) and the notes, not a RuntimeWarning naming a line in site-packages."""
    result = subprocess.run([sys.executable, "-m", "tui_dl", "export", *argv], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0 and ("inf" in result.stdout or "nan" in result.stdout)
    assert "Warning" not in result.stderr and ".py:" not in result.stderr, result.stderr


def test_main_restores_the_callers_warning_filters(capsys):
    import warnings

    before = (list(warnings.filters), np.geterr())
    main(["export", "schedule", "exponential_decay", "--set", "initial_learning_rate=1e300", "--steps", "3"])
    assert (list(warnings.filters), np.geterr()) == before
