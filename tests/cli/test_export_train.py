"""`tui-dl export train` from the outside: json schema, csv rows, data files and every error path."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from tui_dl.cli import main

FAST = ("--set", "hidden=16,16", "--set", "train_samples=40", "--set", "val_samples=60", "--set", "batch_size=20")
KEYS = {"name", "variant", "seed_index", "train_loss", "val_loss", "train_acc", "val_acc", "train_data_loss",
        "val_data_loss", "best_epoch", "stopped_epoch", "diverged_epoch"}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def train_json(capsys, *argv):
    code, out, err = run(capsys, "export", "train", *argv)
    assert code == 0, err
    return json.loads(out), err


def test_json_has_one_run_per_variant_in_order_with_full_histories(capsys):
    document, err = train_json(capsys, "--dataset", "spiral", "--variant", "none", "l2=1e-3+dropout=0.2",
                               "--variant", "weight_decay=1e-2", "--epochs", "4", *FAST)
    assert err == "" and list(document) == ["seed", "runs", "variants"] and document["seed"] == 0
    runs = document["runs"]
    assert [r["name"] for r in runs] == ["none", "L2 1e-3 + dropout 0.2", "weight decay 0.01"]
    assert [r["variant"] for r in runs] == ["none", "l2=1e-3+dropout=0.2", "weight_decay=1e-2"]
    for entry in runs:
        assert set(entry) == KEYS
        for key in ("train_loss", "val_loss", "train_acc", "val_acc"):
            assert len(entry[key]) == 4 and all(isinstance(v, float) and math.isfinite(v) for v in entry[key])
        assert entry["stopped_epoch"] is None and entry["diverged_epoch"] is None
        assert isinstance(entry["best_epoch"], int) and 0 <= entry["best_epoch"] < 4
        assert all(0.0 <= a <= 1.0 for a in entry["train_acc"] + entry["val_acc"])
    none, regularized = runs[0], runs[1]
    assert none["val_loss"] == none["val_data_loss"]  # no penalty: Keras's val_loss is the data loss
    assert all(v > d for v, d in zip(regularized["val_loss"], regularized["val_data_loss"], strict=True))


def test_a_stopped_run_ends_at_its_stop_epoch_keras_style(capsys):
    document, _ = train_json(capsys, "--dataset", "spiral", "--variant", "none", "--variant", "patience=2",
                             "--epochs", "40", "--set", "lr=0.05", *FAST)
    none, stopped = document["runs"]
    assert len(none["train_loss"]) == 40 and none["stopped_epoch"] is None
    k = stopped["stopped_epoch"]
    assert k is not None and k == stopped["best_epoch"] + 2
    assert all(len(stopped[key]) == k + 1 for key in ("train_loss", "val_loss", "train_acc", "val_acc"))


def test_set_patience_stops_every_run(capsys):
    document, _ = train_json(capsys, "--dataset", "spiral", "--variant", "none", "l2=1e-4", "--epochs", "40",
                             "--set", "patience=1", "--set", "lr=0.05", *FAST)
    assert all(r["stopped_epoch"] is not None for r in document["runs"])


def test_seed_makes_it_reproducible_and_tui_dl_seed_is_the_default(capsys):
    args = ("--dataset", "moons", "--variant", "dropout=0.5", "--epochs", "3", *FAST)
    first, _ = train_json(capsys, *args, "--seed", "7")
    again, _ = train_json(capsys, *args, "--seed", "7")
    other, _ = train_json(capsys, *args, "--seed", "8")
    assert first == again and first != other
    code, out, _ = run(capsys, "--seed", "7", "export", "train", *args)
    assert code == 0 and json.loads(out) == first


def test_csv_has_one_row_per_run_and_epoch(capsys):
    code, out, _ = run(capsys, "export", "train", "--dataset", "xor", "--variant", "none", "l1=1e-4",
                       "--epochs", "3", "--format", "csv", *FAST)
    table = list(csv.reader(io.StringIO(out)))
    assert code == 0 and table[0] == ["run", "seed_index", "epoch", "train_loss", "val_loss", "train_acc", "val_acc"]
    assert [(r[0], int(r[1]), int(r[2])) for r in table[1:]] == [(n, 0, e) for n in ("none", "L1 1e-4")
                                                                for e in range(3)]
    assert all(math.isfinite(float(v)) for row in table[1:] for v in row[3:])


def test_variants_are_paired_unless_asked_and_seeds_give_a_spread(capsys):
    same, _ = train_json(capsys, "--dataset", "spiral", "--variant", "none", "none", "--epochs", "3", *FAST)
    assert same["runs"][0]["val_loss"] == same["runs"][1]["val_loss"]  # the same weights and batches
    apart, _ = train_json(capsys, "--dataset", "spiral", "--variant", "none", "none", "--epochs", "3",
                          "--set", "paired=false", *FAST)
    assert apart["runs"][0]["val_loss"] != apart["runs"][1]["val_loss"]
    document, _ = train_json(capsys, "--dataset", "spiral", "--variant", "none", "dropout=0.3", "--epochs", "3",
                             "--set", "seeds=3", *FAST)
    runs, variants = document["runs"], document["variants"]
    assert [(r["variant"], r["seed_index"]) for r in runs] == [(v, s) for v in ("none", "dropout=0.3")
                                                               for s in range(3)]
    assert [(v["name"], v["seeds"]) for v in variants] == [("none", 3), ("dropout 0.3", 3)]
    for index, variant in enumerate(variants):
        curves = np.array([r["val_loss"] for r in runs[3 * index: 3 * index + 3]])
        spread = variant["val_loss"]
        np.testing.assert_allclose(spread["median"], np.median(curves, axis=0))
        np.testing.assert_allclose(spread["low"], curves.min(axis=0))
        np.testing.assert_allclose(spread["high"], curves.max(axis=0))
        assert (curves.min(axis=0) < curves.max(axis=0)).all()  # three seeds, three curves


def test_regression_accuracy_is_null_and_default_variants_are_used(capsys):
    document, _ = train_json(capsys, "--dataset", "sine", "--epochs", "2", "--set", "hidden=8")
    assert [r["variant"] for r in document["runs"]] == ["none", "l2=1e-3", "dropout=0.3", "patience=20"]
    assert all(v is None for r in document["runs"] for v in r["train_acc"] + r["val_acc"])


def test_diverged_run_is_reported_with_a_note(capsys):
    code, out, err = run(capsys, "export", "train", "--dataset", "spiral", "--variant", "none", "lr=1e6",
                         "--epochs", "3", "--set", "optimizer=sgd", "--set", "lr=0.05", *FAST)
    runs = json.loads(out)["runs"]
    assert code == 0 and runs[0]["diverged_epoch"] is None
    k = runs[1]["diverged_epoch"]
    assert k is not None and len(runs[1]["train_loss"]) == k + 1
    assert err.startswith("tui-dl: note: lr 1e6 diverged at epoch")


@pytest.mark.parametrize("dataset", [[], ["--dataset", "file"]])
def test_data_file_with_target_column(capsys, tmp_path, dataset):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((80, 2))
    path = tmp_path / "points.csv"
    lines = ["label,a,b"] + [f"{int(a * b > 0)},{a},{b}" for a, b in x]
    path.write_text("\n".join(lines) + "\n")
    document, _ = train_json(capsys, *dataset, "--data", str(path), "--target", "label", "--variant", "none",
                             "--epochs", "2", "--set", "hidden=8")
    assert len(document["runs"][0]["val_acc"]) == 2


@pytest.mark.parametrize(("argv", "message"), [
    ([], "needs --dataset NAME or --data FILE"),
    (["--dataset", "moon"], "bad value 'moon' for --dataset"),
    (["--dataset", "spiral", "--variant", "l3=1"], "unknown key 'l3'"),
    (["--dataset", "spiral", "--variant", "dropout=1"], "bad variant 'dropout=1'"),
    (["--dataset", "spiral", "--set", "nope=1"], "unknown parameter 'nope'"),
    (["--dataset", "spiral", "--set", "lr=0"], "bad value '0' for lr"),
    (["--dataset", "spiral", "--set", "hidden=0"], "hidden"),
    (["--dataset", "spiral", "--set", "patience=soon"], "patience"),
    (["--dataset", "spiral", "--set", "dataset=xor"], "--dataset"),
    (["--dataset", "spiral", "--epochs", "0"], "epochs"),
    (["--dataset", "spiral", "--epochs", "2", "--set", "epochs=3"], "once"),
    (["--dataset", "spiral", "--seed", "-1"], "--seed"),
    (["--dataset", "spiral", "--target", "y"], "--target"),
    (["--dataset", "spiral", "--data", "x.csv"], "not both"),
    (["--data", "/nonexistent/points.csv"], "points.csv"),
    (["--dataset", "spiral", "--set", "schedule=one_cycle_lr", "--set", "total_steps=5"], "one_cycle_lr"),
    (["--dataset", "sine", "--set", "monitor=val_accuracy", "--set", "patience=3"],
     "bad value 'val_accuracy' for monitor: this training does not log it (a regression has no accuracy); "
     "expected one of: val_loss, loss"),
])
def test_errors_are_one_line_with_exit_status_2(capsys, argv, message):
    code, out, err = run(capsys, "export", "train", *argv)
    assert code == 2 and out == ""
    assert err.startswith("tui-dl: error: ") and err.count("\n") == 1
    assert message in err


@pytest.mark.parametrize("mode", ["min", "max"])
def test_an_unlogged_monitor_in_an_explicit_mode_never_stops_and_says_so_once(capsys, mode):
    """Keras with mode=min or max warns that val_accuracy is not available and neither improves nor stops."""
    document, err = train_json(capsys, "--dataset", "sine", "--set", "monitor=val_accuracy", "--set", f"mode={mode}",
                               "--set", "patience=3", "--set", "restore_best_weights=true", "--epochs", "8",
                               "--variant", "none", *FAST)
    (record,) = document["runs"]
    assert len(record["val_loss"]) == 8 and record["stopped_epoch"] is None and record["best_epoch"] is None
    assert err == (f"tui-dl: note: early stopping never stops: monitor 'val_accuracy' is not logged by this "
                   f"training (it logs val_loss, loss), as Keras warns with mode={mode}\n")


def test_a_data_file_of_one_class_says_it_is_trained_as_a_regression_and_task_chooses(capsys, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("x1,x2,label\n" + "".join(f"{i},{2 * i},1\n" for i in range(30)))
    _, err = train_json(capsys, "--data", str(path), "--epochs", "1", "--variant", "none", "--set", "hidden=8")
    assert err == ("tui-dl: note: data file 'one.csv' trained as regression: its labels are all 1, one value "
                   "(classes need at least 2); --task classification to change it\n")
    code, _, err = run(capsys, "export", "train", "--data", str(path), "--task", "classification")
    assert code == 2 and err == ("tui-dl: error: data file 'one.csv': classification needs at least 2 classes, "
                                 "the labels are all 1\n")
    path.write_text("x1,x2,label\n" + "".join(f"{i},{2 * i},{i % 3}\n" for i in range(30)))
    document, err = train_json(capsys, "--data", str(path), "--task", "regression", "--epochs", "1",
                               "--variant", "none", "--set", "hidden=8")
    assert err == "" and document["runs"][0]["val_acc"] == [None]  # a regression: no accuracy


@pytest.mark.parametrize("target", ["lr-range", "schedule-race"])
def test_data_alone_is_not_both_a_data_set_and_a_file(capsys, tmp_path, target):
    """These exports default to --dataset spiral, but only without --data."""
    path = tmp_path / "points.csv"
    path.write_text("x1,x2,label\n" + "".join(f"{i},{i % 5},{i % 2}\n" for i in range(40)))
    code, out, err = run(capsys, "export", target, "--data", str(path), "--set", "hidden=4", "--format", "csv")
    assert code == 0 and out.startswith(("iteration,", "run,"))
    assert "not both" not in err and "trained as classification: its labels are 2 whole numbers: 0, 1" in err


def test_the_json_names_the_root_seed_and_each_run_its_seed_index(capsys):
    """A run's `seed` said its index among the variant's seeds (0 under --seed 7): the file did not say
    which seed made it."""
    document, _ = train_json(capsys, "--dataset", "xor", "--epochs", "2", "--seed", "7", "--set", "seeds=2", *FAST)
    assert document["seed"] == 7 and [run["seed_index"] for run in document["runs"]][:2] == [0, 1]
