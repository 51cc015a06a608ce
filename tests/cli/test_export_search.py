"""`tui-dl export search` from the outside: csv and json, ranking, defaults and errors."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from tui_dl.cli import main

FAST = ("--set", "hidden=16", "--set", "train_samples=40", "--set", "val_samples=60", "--set", "batch_size=20",
        "--epochs", "3")


def run(capsys, *argv):
    code = main(["export", "search", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_csv_has_one_row_per_sample_best_first_with_the_book_ranges_by_default(capsys):
    code, out, err = run(capsys, "--dataset", "spiral", "--samples", "6", "--format", "csv", *FAST)
    table = list(csv.reader(io.StringIO(out)))
    assert code == 0 and err == ""
    assert table[0] == ["rank", "sample", "lr", "weight_decay", "score", "best_epoch", "diverged_epoch"]
    rows = table[1:]
    assert [int(r[0]) for r in rows] == list(range(1, 7)) and sorted(int(r[1]) for r in rows) == list(range(6))
    assert all(1e-6 <= float(r[2]) <= 1e-2 and 1e-8 <= float(r[3]) <= 1e-4 for r in rows)
    scores = [float(r[4]) for r in rows]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)


def test_json_gives_each_sample_its_values_score_and_curves(capsys):
    code, out, _ = run(capsys, "--dataset", "spiral", "--samples", "4", "--search", "lr=1e-3:1e-1",
                       "--search", "momentum=0.5:0.95:linear", "--set", "optimizer=sgd", *FAST)
    document = json.loads(out)
    assert code == 0 and document["names"] == ["lr", "momentum"] and document["scales"] == ["log", "linear"]
    assert document["metric"] == "val_acc" and len(document["samples"]) == 4
    for entry in document["samples"]:
        assert 1e-3 <= entry["lr"] <= 1e-1 and 0.5 <= entry["momentum"] <= 0.95
        assert len(entry["val_acc"]) == 3 and math.isclose(entry["score"], entry["val_acc"][-1])


@pytest.mark.parametrize(("argv", "message"), [
    (("--search", "batch_size=1:10"), "cannot search 'batch_size'"),
    (("--search", "lr=0:1"), "needs low > 0"),
    (("--samples", "0"), "--samples"),
    (("--search", "lr"), "expected NAME=LOW:HIGH"),
])
def test_errors_are_one_line_with_exit_status_2(capsys, argv, message):
    code, out, err = run(capsys, "--dataset", "spiral", *argv, *FAST)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1
