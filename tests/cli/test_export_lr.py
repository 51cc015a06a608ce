"""`tui-dl export lr-range` and `tui-dl export schedule-race` from the outside."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math

import numpy as np
import pytest

from tui_dl.cli import main
from tui_dl.engine.experiments.lr_range import smooth_losses, sweep_rates
from tui_dl.engine.schedules import cosine_decay

FAST = ("--set", "hidden=16,16", "--set", "train_samples=40", "--set", "val_samples=40", "--set", "batch_size=20")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def export_json(capsys, target, *argv):
    code, out, err = run(capsys, "export", target, *argv, "--format", "json")
    assert code == 0, err
    return json.loads(out), err


# ------------------------------------------------------------------------------------ lr-range
def test_lr_range_csv_has_the_geometric_sweep_and_smoothed_loss(capsys):
    code, out, err = run(capsys, "export", "lr-range", "--iterations", "30", "--start-lr", "1e-6", "--end-lr", "1e-1",
                         "--set", "dtype=float64", *FAST)
    table = list(csv.reader(io.StringIO(out)))
    assert code == 0 and err == "" and table[0] == ["iteration", "lr", "loss", "smoothed"]
    values = np.array(table[1:], dtype=float)
    assert values[:, 0].tolist() == list(range(30))
    np.testing.assert_array_equal(values[:, 1], sweep_rates(1e-6, 1e-1, 30))
    np.testing.assert_allclose(values[:, 3], smooth_losses(values[:, 2], 0.05), rtol=1e-13)


def test_lr_range_json_has_suggestion_and_settings(capsys):
    document, _ = export_json(capsys, "lr-range", "--dataset", "moons", "--iterations", "40", "--seed", "3",
                              "--end-lr", "0.1", "--set", "smooth_f=0.1", "--set", "skip_start=5", *FAST)
    assert document["optimizer"] == "adam" and document["smooth_f"] == 0.1 and document["skip_start"] == 5
    assert len(document["lr"]) == len(document["loss"]) == len(document["smoothed"]) == 40
    index = document["suggestion_iteration"]
    assert 5 <= index < 35 and document["suggestion"] == document["lr"][index]
    assert document["diverged_iteration"] is None
    again, _ = export_json(capsys, "lr-range", "--dataset", "moons", "--iterations", "40", "--seed", "3",
                           "--end-lr", "0.1", "--set", "smooth_f=0.1", "--set", "skip_start=5", *FAST)
    assert again == document


def test_lr_range_divergence_ends_the_rows_with_a_note(capsys):
    code, out, err = run(capsys, "export", "lr-range", "--dataset", "sine", "--end-lr", "1e4", "--iterations", "60",
                         "--set", "optimizer=sgd", "--format", "json", *FAST)
    document = json.loads(out)
    stop = document["diverged_iteration"]
    assert code == 0 and stop is not None and len(document["lr"]) == stop + 1
    smoothed = document["smoothed"][-1]
    assert smoothed is None or smoothed > 5 * min(s for s in document["smoothed"] if s is not None)
    assert err.startswith(f"tui-dl: note: the loss diverged at iteration {stop}")


def test_lr_range_with_too_few_points_has_no_suggestion(capsys):
    document, err = export_json(capsys, "lr-range", "--iterations", "10", *FAST)
    assert document["suggestion"] is None and document["suggestion_iteration"] is None
    assert "too few points for a suggestion" in err


# ------------------------------------------------------------------------------- schedule-race
def test_schedule_race_json_runs_in_order_with_their_rates(capsys):
    document, err = export_json(capsys, "schedule-race", "--schedule", "constant",
                                "--schedule", "cosine_decay:alpha=0.1", "--schedule",
                                "constant:optimizer=adagrad,lr=0.05", "--epochs", "3", *FAST)
    assert err == "" and document["epochs"] == 3 and document["iterations_per_epoch"] == 2
    constant, cosine, adagrad = document["runs"]
    assert [r["name"] for r in document["runs"]] == ["constant", "cosine_decay:alpha=0.1",
                                                     "constant:optimizer=adagrad,lr=0.05"]
    assert constant["lr"] == [3e-3] * 6 and constant["optimizer"] == "adam"
    np.testing.assert_allclose(cosine["lr"], cosine_decay(np.arange(6), 3e-3, decay_steps=6, alpha=0.1), rtol=1e-15)
    assert cosine["schedule_params"] == {"alpha": 0.1, "decay_steps": 6}
    assert adagrad["optimizer"] == "adagrad" and adagrad["base_lr"] == 0.05
    for entry in document["runs"]:
        assert len(entry["batch_loss"]) == 6 and len(entry["train_loss"]) == 3 and entry["diverged_epoch"] is None
        assert all(math.isfinite(v) for v in entry["step_size"]["median"])
    assert adagrad["step_size"]["median"][2] < adagrad["step_size"]["median"][0]


def test_schedule_race_json_has_the_momentum_a_one_cycle_racer_sets(capsys):
    from tui_dl.engine.schedules import one_cycle_momentum

    document, _ = export_json(capsys, "schedule-race", "--schedule", "one_cycle_lr:epochs=3,steps_per_epoch=2",
                              "--schedule", "constant", "--epochs", "3", *FAST)
    cycled, constant = document["runs"]
    np.testing.assert_allclose(cycled["momentum"], one_cycle_momentum(np.arange(6), total_steps=None, epochs=3,
                                                                      steps_per_epoch=2), rtol=1e-15)
    assert cycled["momentum"][0] == 0.95 and "momentum" not in constant
    code, _, err = run(capsys, "export", "schedule-race", "--schedule", "cyclic_lr:optimizer=adagrad", "--epochs",
                       "1", *FAST)
    assert code != 0 and "cyclic_lr with cycle_momentum cannot drive adagrad" in err


def test_schedule_race_csv_rows_and_default_racers(capsys):
    code, out, _ = run(capsys, "export", "schedule-race", "--epochs", "2", "--format", "csv", *FAST)
    table = list(csv.reader(io.StringIO(out)))
    assert code == 0 and table[0][:3] == ["run", "epoch", "train_loss"] and table[0][-1] == "step_p90"
    assert [(r[0], int(r[1])) for r in table[1:]] == [
        (name, e) for name in ("constant", "step_lr", "cosine_decay", "one_cycle_lr") for e in range(2)]


def test_schedule_race_diverged_run_ends_early_with_a_note(capsys):
    document, err = export_json(capsys, "schedule-race", "--dataset", "sine", "--schedule", "constant",
                                "--schedule", "constant:lr=1e6", "--set", "optimizer=sgd", "--epochs", "4", *FAST)
    calm, wild = document["runs"]
    assert calm["diverged_epoch"] is None and len(calm["train_loss"]) == 4
    k = wild["diverged_epoch"]
    assert k is not None and len(wild["train_loss"]) == k + 1 and len(wild["lr"]) == 2 * (k + 1)
    assert err.startswith("tui-dl: note: constant:lr=1e6 diverged at epoch")


# -------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("argv", "message"), [
    (["lr-range", "--start-lr", "1", "--end-lr", "0.1"], "start_lr must be below end_lr"),
    (["lr-range", "--start-lr", "0"], "bad value '0' for start_lr"),
    (["lr-range", "--iterations", "1"], "iterations"),
    (["lr-range", "--iterations", "5", "--set", "iterations=6"], "give iterations once"),
    (["lr-range", "--set", "nope=1"], "or the lr range test's: diverge_th"),
    (["lr-range", "--set", "smooth_f=1"], "smooth_f"),
    (["lr-range", "--set", "schedule=step_lr"], "schedule must be constant"),
    (["lr-range", "--dataset", "moon"], "bad value 'moon' for --dataset"),
    (["lr-range", "--seed", "x"], "--seed"),
    (["schedule-race", "--schedule", "reduce_lr_on_plateau"], "cannot race"),
    (["schedule-race", "--schedule", "constant:hidden=3"], "shared by every racer"),
    (["schedule-race", "--schedule", "cosine:alpha=1"], "unknown schedule 'cosine'"),
    (["schedule-race", "--epochs", "2", "--set", "epochs=3"], "once"),
    (["schedule-race", "--schedule", "one_cycle_lr:total_steps=10"], "no valid rate at iteration 11"),
])
def test_errors_are_one_line_with_exit_status_2(capsys, argv, message):
    code, out, err = run(capsys, "export", *argv)
    assert code == 2 and out == ""
    assert err.startswith("tui-dl: error: ") and err.count("\n") == 1
    assert message in err


# ------------------------------------------------------------------------------------ lr-sweep
def test_lr_sweep_json_states_what_diverged_what_barely_moved_and_the_range_tests_rate():
    """The default sweep, SGD on the spiral, 13 rates from 1e-4 to 100 for 30 epochs: the same verdicts as the app."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["export", "lr-sweep", "--format", "json"]) == 0
    document = json.loads(out.getvalue())
    lrs = document["lrs"]
    assert len(lrs) == 13 and lrs[0] == pytest.approx(1e-4) and lrs[-1] == pytest.approx(100.0)
    assert document["diverged_rates"] == pytest.approx(lrs[-2:])
    assert document["barely_moved_rates"] == pytest.approx(lrs[:2])
    assert document["best_rate"] == pytest.approx(lrs[7])  # 0.316
    assert lrs[0] < document["suggestion"] < lrs[-1]
    runs = document["runs"]
    assert [run["diverged"] for run in runs] == [False] * 11 + [True] * 2
    assert all(len(run["loss"]) == 31 for run in runs) and runs[-1]["diverged_epoch"] == 1


def test_lr_sweep_csv_has_a_row_per_rate_and_epoch_from_epoch_0():
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["export", "lr-sweep", "--count", "3", "--epochs", "2", "--set", "hidden=4"]) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "lr,epoch,loss,diverged" and len(lines) == 1 + 3 * 3
    assert lines[1].startswith("0.0001,0,") and lines[-1].startswith("100.0,2,")
