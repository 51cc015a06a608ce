"""`tui-dl export race`, `export basins` and the convention options of `export init`, from the outside."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from tui_dl.cli import main
from tui_dl.engine import optimizers as O
from tui_dl.engine.experiments import basins
from tui_dl.engine.surfaces import get_surface


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def rows(text):
    return list(csv.reader(io.StringIO(text)))


# ------------------------------------------------------------------------------------ race
def test_race_csv_defaults_to_the_textbook_racers(capsys):
    code, out, err = run(capsys, "export", "race", "--surface", "quadratic", "--steps", "30")
    table = rows(out)
    assert code == 0 and err == ""
    assert table[0] == ["step", "run", "x", "y", "loss"]
    assert len(table) == 1 + 31 * 4
    assert [r[:2] for r in table[1:6]] == [["0", "0"], ["0", "1"], ["0", "2"], ["0", "3"], ["1", "0"]]
    sgd = np.array([[float(v) for v in r[2:]] for r in table[1:] if r[1] == "0"])
    k = np.arange(31)
    np.testing.assert_allclose(sgd[:, 0], -7.0 * 0.905**k, rtol=1e-12)
    np.testing.assert_allclose(sgd[:, 1], 2.0 * (-0.9) ** k, rtol=1e-12)
    np.testing.assert_array_equal(sgd[:, 2], sgd[:, 0] ** 2 / 20 + sgd[:, 1] ** 2)


def test_race_json_with_specs_starts_and_lists_in_specs(capsys):
    code, out, _ = run(capsys, "export", "race", "--surface", "rosenbrock", "--set", "b=20",
                       "--optimizer", "adam:lr=0.05,betas=0.8,0.99", "--optimizer", "sgd:lr=0.001,momentum=0.9",
                       "--start", "-1.2,1", "--start", "-0.5,2.5", "--steps", "50", "--format", "json")
    document = json.loads(out)
    assert code == 0
    assert document["surface_params"] == {"a": 1.0, "b": 20.0}
    assert document["starts"] == [[-1.2, 1.0], [-0.5, 2.5]]
    labels = [r["label"] for r in document["runs"]]
    assert labels == ["adam:lr=0.05,betas=0.8,0.99 #1", "adam:lr=0.05,betas=0.8,0.99 #2",
                      "sgd:lr=0.001,momentum=0.9 #1", "sgd:lr=0.001,momentum=0.9 #2"]
    adam = document["runs"][1]
    assert adam["params"]["betas"] == [0.8, 0.99] and adam["start"] == [-0.5, 2.5]
    surface = get_surface("rosenbrock", b=20.0)
    expected = O.trajectory(O.adam(lr=0.05, betas=(0.8, 0.99)), np.array([[-0.5, 2.5]]), surface.gradient, 50)[:, 0]
    np.testing.assert_array_equal(adam["path"], expected)
    np.testing.assert_array_equal(adam["loss"], surface.f(expected))
    assert adam["diverged_step"] is None
    assert adam["distance"] == pytest.approx(math.hypot(expected[-1, 0] - 1, expected[-1, 1] - 1), rel=1e-15)


def test_race_divergence_of_one_run_is_a_note_and_nan_rows(capsys):
    code, out, err = run(capsys, "export", "race", "--surface", "quadratic", "--optimizer", "sgd:lr=0.1",
                         "--optimizer", "sgd:lr=1000", "--steps", "60")
    table = rows(out)
    assert code == 0
    assert err.count("\n") == 1 and "sgd:lr=1000 diverged at step 47" in err
    wild = [r for r in table[1:] if r[1] == "1"]
    assert wild[46][2] != "nan" and all(r[2:] == ["nan", "nan", "nan"] for r in wild[47:])
    assert all(r[2] != "nan" for r in table[1:] if r[1] == "0")
    _, out, _ = run(capsys, "export", "race", "--surface", "quadratic", "--optimizer", "sgd:lr=1000", "--steps", "60",
                    "--format", "json")
    document = json.loads(out)["runs"][0]
    assert document["diverged_step"] == 47 and document["path"][47] == [None, None] and document["distance"] is None


# ------------------------------------------------------------------------------------ basins
def test_basins_csv_matches_the_engine(capsys):
    code, out, err = run(capsys, "export", "basins", "--surface", "himmelblau", "--optimizer", "sgd",
                         "--set", "lr=0.01", "--grid", "8", "--steps", "150")
    table = rows(out)
    assert code == 0 and err == ""
    assert table[0] == ["x", "y", "minimum", "diverged_step"]
    assert len(table) == 1 + 64
    snap = basins.snapshot(basins.step(basins.init(basins.BasinConfig(grid=8, params={"lr": 0.01})), 150))
    assert [float(v) for v in table[1][:2]] == [snap.xs[0], snap.ys[0]]
    assert [float(v) for v in table[2][:2]] == [snap.xs[1], snap.ys[0]]  # x varies fastest
    np.testing.assert_array_equal([int(r[2]) for r in table[1:]], snap.minimum.ravel())
    assert {int(r[2]) for r in table[1:]} == {0, 1, 2, 3} and all(r[3] == "" for r in table[1:])


def test_basins_json_with_a_box_and_divergence(capsys):
    code, out, err = run(capsys, "export", "basins", "--surface", "himmelblau", "--optimizer", "sgd", "--set", "lr=0.5",
                         "--grid", "3", "--box", "-1,1,-2,2", "--steps", "30", "--format", "json")
    document = json.loads(out)
    assert code == 0 and "9 of 9 starts diverged" in err
    assert document["box"] == [-1.0, 1.0, -2.0, 2.0]
    np.testing.assert_allclose(document["x"], [-2 / 3, 0, 2 / 3], atol=1e-15)
    assert document["minimum"] == [[-2] * 3] * 3 and document["diverged"] == 9
    assert all(isinstance(step, int) and step > 0 for row in document["diverged_step"] for step in row)
    assert document["counts"] == [0, 0, 0, 0] and len(document["minima"]) == 4


def test_a_box_wider_than_the_largest_float_is_refused(capsys):
    """-1e308,1e308 passed as finite, and every start of the grid was at x = inf."""
    code, out, err = run(capsys, "export", "basins", "--surface", "himmelblau", "--optimizer", "sgd", "--grid", "3",
                         "--box=-1e308,1e308,0,1")
    assert code == 2 and out == ""
    assert err == ("tui-dl: error: bad box '-1e+308,1e+308,0,1': expected finite xmin < xmax and ymin < ymax, "
                   "each width below the largest float (1.8e308)\n")


def test_basins_surface_parameters_and_tolerance(capsys):
    code, out, _ = run(capsys, "export", "basins", "--surface", "rosenbrock", "--optimizer", "sgd", "--set", "a=0.5",
                       "--set", "lr=0.002", "--grid", "2", "--box", "0.4,0.6,0.15,0.35", "--steps", "3000",
                       "--tolerance", "0.01", "--format", "json")
    document = json.loads(out)
    assert code == 0
    assert document["minima"] == [[0.5, 0.25]] and document["tolerance"] == 0.01
    assert document["counts"] == [4] and document["minimum"] == [[0, 0], [0, 0]]
    # the two starts off the valley floor drop into it at once; the two on it crawl along it
    assert sorted(step for row in document["arrival_step"] for step in row)[:2] == [2, 2]


# ------------------------------------------------------------------------------------ init conventions
def test_init_convention_picks_the_frameworks_draw(capsys):
    documents = {}
    for convention in ("keras", "pytorch"):
        code, out, _ = run(capsys, "export", "init", "--init", "he", "--convention", convention, "--activation", "relu",
                           "--layers", "2", "--width", "400", "--samples", "50")
        assert code == 0
        documents[convention] = json.loads(out)
    assert documents["keras"]["initializer"] == "he_normal" and documents["pytorch"]["initializer"] == "kaiming_normal"
    for document in documents.values():
        assert document["layers"][0]["weight_std"] == pytest.approx(math.sqrt(2 / 400), rel=0.01)
    # an engine name keeps its own framework, and the default output is unchanged
    code, out, _ = run(capsys, "export", "init", "--init", "kaiming_uniform", "--activation", "relu")
    assert json.loads(out)["convention"] == "pytorch" and json.loads(out)["bias"] is False


def test_init_textbook_name_with_an_override_and_biases(capsys):
    code, out, _ = run(capsys, "export", "init", "--init", "normal_0.01", "--convention", "keras", "--set", "mean=0.5",
                       "--activation", "linear", "--layers", "1")
    document = json.loads(out)
    assert code == 0 and document["init_params"] == {"mean": 0.5, "stddev": 0.01}
    _, plain, _ = run(capsys, "export", "init", "--init", "zeros", "--activation", "linear", "--bias")
    _, torch, _ = run(capsys, "export", "init", "--init", "zeros", "--activation", "linear", "--bias",
                      "--convention", "pytorch")
    assert json.loads(plain)["layers"][0]["std"] == 0.0  # Keras biases start at zero
    assert json.loads(torch)["layers"][0]["std"] == pytest.approx(1 / math.sqrt(3 * 100), rel=0.1)


# ------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("argv, message", [
    (["export", "race", "--surface", "quadratic", "--optimizer", "lion"], "unknown optimizer 'lion'"),
    (["export", "race", "--surface", "quadratic", "--optimizer", "adam:lr"],
     "bad --optimizer 'adam:lr': expected NAME"),
    (["export", "race", "--surface", "quadratic", "--optimizer", "adam:speed=2"],
     "unknown parameter 'speed' for optimizer 'adam'"),
    (["export", "race", "--surface", "quadratic", "--optimizer", "adam:betas=0.9"], "bad value '0.9' for betas"),
    (["export", "race", "--surface", "quadratic", "--start", "1"], "bad value '1' for --start: expected X,Y"),
    (["export", "race", "--surface", "quadratic", "--set", "lr=0.1"], "unknown parameter 'lr' for surface 'quadratic'"),
    (["export", "race", "--surface", "moon"], "unknown surface 'moon'"),
    (["export", "race", "--surface", "quadratic", "--steps", "-3"], "bad value '-3' for --steps"),
    (["export", "basins", "--surface", "himmelblau", "--optimizer", "sgd", "--grid", "1"],
     "bad value '1' for --grid: expected an integer in [2, 500]"),
    (["export", "basins", "--surface", "himmelblau", "--optimizer", "sgd", "--box", "1,2,3"],
     "bad value '1,2,3' for --box: expected a comma-separated list of 4 finite floats"),
    (["export", "basins", "--surface", "himmelblau", "--optimizer", "sgd", "--box", "2,1,0,1"], "bad box '2,1,0,1'"),
    (["export", "basins", "--surface", "himmelblau", "--optimizer", "sgd", "--tolerance", "0"],
     "bad value '0' for --tolerance"),
    (["export", "basins", "--surface", "himmelblau", "--optimizer", "sgd", "--set", "momentum=-0.5"],
     "bad value '-0.5' for momentum"),
    (["export", "init", "--init", "he", "--activation", "relu"], "'he' is a textbook name: give a convention"),
    (["export", "init", "--init", "xavier", "--convention", "keras", "--set", "gain=2", "--activation", "relu"],
     "unknown parameter 'gain' for initializer 'glorot_normal'"),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("tui-dl: error: ") and err.count("\n") == 1
    assert message in err


def test_usage_errors_exit_2(capsys):
    for argv in (["export", "basins", "--surface", "himmelblau"], ["export", "init", "--init", "he", "--convention",
                                                                  "jax", "--activation", "relu"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "error:" in err
