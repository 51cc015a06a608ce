"""Data sets: determinism, shapes, noise against closed forms, boxes, digits, and data files with every error."""

from __future__ import annotations

import importlib.util
import io
import math
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from tui_dl.engine.datasets import (
    BOX_MARGIN,
    DATASETS,
    DIGITS_ROWS,
    GAUSS_RADIUS,
    PLANE_WEIGHTS,
    SPIRAL_TURN,
    data_box,
    load_data_file,
    make_dataset,
)
from tui_dl.params import ParamError

SYNTHETIC = [name for name in DATASETS.names() if name != "digits"]
HAS_SKLEARN = importlib.util.find_spec("sklearn") is not None


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _all_arrays(ds):
    return ds.x_train, ds.y_train, ds.x_val, ds.y_val


def _wrap(angle: np.ndarray) -> np.ndarray:
    """Angle in [-pi, pi)."""
    return (angle + math.pi) % (2 * math.pi) - math.pi


# ------------------------------------------------------------------------ catalog
def test_catalog_holds_every_set_in_order():
    assert DATASETS.names() == ["spiral", "circle", "xor", "gauss", "moons", "plane", "sine", "digits"]
    for component in DATASETS:
        names = [spec.name for spec in component.params]
        assert names[:3] == ["train_samples", "val_samples", "noise"], component.name


def test_listing_shows_the_datasets():
    from tui_dl.export.listing import write_listing

    stream = io.StringIO()
    write_listing("text", stream)
    text = stream.getvalue()
    assert "datasets (8):" in text
    assert "  spiral [classification]: Interleaved spiral arms" in text
    assert "      noise = 0.5  (a float in [0, 2])  std of the angle around each arm, in radians" in text


# ------------------------------------------------------------------ shapes, dtypes
@pytest.mark.parametrize("name", SYNTHETIC)
def test_shapes_dtypes_and_labels_at_the_defaults(name):
    ds = make_dataset(name, _rng())
    defaults = DATASETS[name].defaults()
    n_train, n_val = defaults["train_samples"], defaults["val_samples"]
    dim = 1 if name == "sine" else 2
    assert ds.name == name
    assert ds.x_train.shape == (n_train, dim) and ds.x_val.shape == (n_val, dim)
    assert ds.x_train.dtype == ds.x_val.dtype == np.float64
    assert ds.input_dim == dim and len(ds.feature_names) == dim
    if name in ("plane", "sine"):
        assert ds.task == "regression" and ds.classes == 0 and ds.output_dim == 1
        assert ds.y_train.shape == (n_train, 1) and ds.y_val.shape == (n_val, 1)
        assert ds.y_train.dtype == np.float64
    else:
        classes = defaults.get("classes", 2)
        assert ds.task == "classification" and ds.classes == ds.output_dim == classes
        assert ds.y_train.shape == (n_train,) and ds.y_val.shape == (n_val,)
        assert ds.y_train.dtype == ds.y_val.dtype == np.int64
        assert set(np.unique(ds.y_train)) == set(np.unique(ds.y_val)) == set(range(classes))
    assert (ds.box is None) == (dim != 2)
    assert all(np.isfinite(a).all() for a in _all_arrays(ds))


@pytest.mark.parametrize("name", ["spiral", "gauss"])
def test_classes_knob(name):
    ds = make_dataset(name, _rng(), classes=5, train_samples=52)
    assert ds.classes == ds.output_dim == 5
    assert np.bincount(ds.y_train).tolist() == [11, 11, 10, 10, 10]


@pytest.mark.parametrize("name", [n for n in SYNTHETIC if n not in ("plane", "sine")])
def test_classes_are_balanced_in_both_splits(name):
    ds = make_dataset(name, _rng(3), train_samples=101, val_samples=1000)
    for labels, n in ((ds.y_train, 101), (ds.y_val, 1000)):
        counts = np.bincount(labels, minlength=ds.classes)
        assert counts.sum() == n and counts.max() - counts.min() <= 1
    # shuffled, not sorted by class (the first ten are not one class)
    assert len(set(ds.y_train[:10].tolist())) > 1


# ------------------------------------------------------------------- determinism
@pytest.mark.parametrize("name", SYNTHETIC)
def test_same_seed_same_arrays_other_seed_other_arrays(name):
    first, again, other = (make_dataset(name, _rng(seed)) for seed in (11, 11, 12))
    for a, b in zip(_all_arrays(first), _all_arrays(again), strict=True):
        np.testing.assert_array_equal(a, b)
    assert first.box == again.box
    assert not np.array_equal(first.x_train, other.x_train)
    assert not np.array_equal(first.x_val, other.x_val)


@pytest.mark.parametrize("name", SYNTHETIC)
def test_validation_set_is_an_independent_draw(name):
    ds = make_dataset(name, _rng(), train_samples=50, val_samples=50)
    assert not np.array_equal(ds.x_train, ds.x_val)
    # the two splits have no point in common
    common = (ds.x_train[:, None, :] == ds.x_val[None, :, :]).all(axis=2)
    assert not common.any()


# ------------------------------------------------------------ noise: closed forms
def _spiral_residual(ds, classes: int) -> np.ndarray:
    x, y = ds.x_train[:, 0], ds.x_train[:, 1]
    radius, angle = np.hypot(x, y), np.arctan2(x, y)  # the point is (r sin a, r cos a)
    clean = 2 * math.pi * ds.y_train / classes + SPIRAL_TURN * radius
    return _wrap(angle - clean)


def _ring_residual(ds, centers: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Signed distance of each point from its class's circle."""
    offset = ds.x_train - centers[ds.y_train]
    return np.hypot(offset[:, 0], offset[:, 1]) - radii[ds.y_train]


def _residual(name: str, ds, params: dict) -> np.ndarray:
    """What the noise added: zero for noise 0, std `noise` otherwise (to first order for rings)."""
    if name == "spiral":
        return _spiral_residual(ds, params.get("classes", 3))
    if name == "circle":
        return _ring_residual(ds, np.zeros((2, 2)), np.array([1.0, params.get("factor", 0.5)]))
    if name == "moons":
        return _ring_residual(ds, np.array([[0.0, 0.0], [1.0, 0.5]]), np.ones(2))
    if name == "gauss":
        classes = params.get("classes", 3)
        angles = 2 * math.pi * np.arange(classes) / classes
        centers = GAUSS_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        return (ds.x_train - centers[ds.y_train]).ravel()
    if name == "plane":
        return ds.y_train[:, 0] - ds.x_train @ np.array(PLANE_WEIGHTS)
    assert name == "sine"
    return ds.y_train[:, 0] - np.sin(ds.x_train[:, 0])


NOISE_CASES = [("spiral", 0.3), ("circle", 0.03), ("moons", 0.03), ("gauss", 0.7), ("plane", 0.4), ("sine", 0.2)]


@pytest.mark.parametrize("name, noise", NOISE_CASES)
def test_noise_is_the_std_of_what_it_adds(name, noise):
    params = {"train_samples": 4000, "val_samples": 10}
    clean = make_dataset(name, _rng(), noise=0.0, **params)
    np.testing.assert_allclose(_residual(name, clean, params), 0.0, atol=1e-12)
    noisy = make_dataset(name, _rng(), noise=noise, **params)
    residual = _residual(name, noisy, params)
    assert residual.std() == pytest.approx(noise, rel=0.05)
    assert residual.mean() == pytest.approx(0.0, abs=4 * noise / math.sqrt(len(residual)) + noise**2)


def test_moons_and_circle_lie_on_their_arcs_without_noise():
    moons = make_dataset("moons", _rng(), noise=0.0, train_samples=500)
    upper, lower = moons.x_train[moons.y_train == 0], moons.x_train[moons.y_train == 1]
    assert (upper[:, 1] >= 0).all() and (lower[:, 1] <= 0.5).all()
    circle = make_dataset("circle", _rng(), noise=0.0, factor=0.3, train_samples=500)
    radius = np.hypot(*circle.x_train.T)
    np.testing.assert_allclose(radius, np.where(circle.y_train == 0, 1.0, 0.3))


def _xor_flip_share(noise: float) -> float:
    """Chance a point ends in the other class's quadrants: one coordinate crosses its axis, not both.

    A coordinate |u| ~ U(0, 1) crosses when N(0, noise) < -u: q = noise * int_0^(1/noise) Phi(-t) dt,
    whose antiderivative is t Phi(-t) - phi(t).
    """

    def phi(t: float) -> float:
        return math.exp(-t * t / 2) / math.sqrt(2 * math.pi)

    def tail(t: float) -> float:
        return 0.5 * math.erfc(t / math.sqrt(2))

    a = 1.0 / noise
    q = noise * (a * tail(a) - phi(a) + phi(0.0))
    return 2 * q * (1 - q)


@pytest.mark.parametrize("noise", [0.0, 0.1, 0.3])
def test_xor_noise_moves_the_closed_form_share_of_points_across_the_axes(noise):
    ds = make_dataset("xor", _rng(5), noise=noise, train_samples=20000, val_samples=10)
    other_side = (ds.x_train[:, 0] * ds.x_train[:, 1] < 0).astype(np.int64) != ds.y_train
    if noise == 0.0:
        assert not other_side.any() and (np.abs(ds.x_train) <= 1.0).all()
    else:
        assert other_side.mean() == pytest.approx(_xor_flip_share(noise), abs=0.01)


def test_regression_inputs_cover_their_intervals():
    plane = make_dataset("plane", _rng(), train_samples=2000)
    assert plane.x_train.min() >= -1.0 and plane.x_train.max() <= 1.0
    assert plane.x_train.min() < -0.99 and plane.x_train.max() > 0.99
    sine = make_dataset("sine", _rng(), train_samples=2000)
    assert sine.x_train.min() >= -math.pi and sine.x_train.max() <= math.pi
    assert sine.x_train.min() < -3.1 and sine.x_train.max() > 3.1
    assert sine.feature_names == ("x",)


# ------------------------------------------------------------------------- box
@pytest.mark.parametrize("name", [n for n in SYNTHETIC if n != "sine"])
def test_box_covers_both_splits_with_the_margin(name):
    ds = make_dataset(name, _rng())
    points = np.concatenate([ds.x_train, ds.x_val])
    low, high = points.min(axis=0), points.max(axis=0)
    pad = BOX_MARGIN * (high - low)
    np.testing.assert_allclose(ds.box, [low[0] - pad[0], high[0] + pad[0], low[1] - pad[1], high[1] + pad[1]])
    xmin, xmax, ymin, ymax = ds.box
    assert ((points[:, 0] > xmin) & (points[:, 0] < xmax) & (points[:, 1] > ymin) & (points[:, 1] < ymax)).all()


def test_box_of_a_flat_axis_still_has_a_margin_and_other_dims_have_none():
    assert data_box(np.array([[0.0, 2.0], [1.0, 2.0]])) == pytest.approx((-0.05, 1.05, 2.0 - 0.05, 2.0 + 0.05))
    assert data_box(np.zeros((3, 3))) is None
    assert make_dataset("sine", _rng()).box is None


# --------------------------------------------------------------------- bad params
@pytest.mark.parametrize(
    "name, params, message",
    [
        ("spiral", {"noise": -0.1}, "bad value '-0.1' for noise: expected a float in [0, 2]"),
        ("spiral", {"train_samples": 5}, "bad value '5' for train_samples: expected an integer in [10, 100000]"),
        ("gauss", {"classes": 1}, "bad value '1' for classes: expected an integer in [2, 8]"),
        ("circle", {"factor": 1.0}, "bad value '1' for factor: expected a float in [0, 1)"),
        ("moons", {"classes": 3}, "unknown parameter 'classes' for dataset 'moons'; choose from: train_samples"),
        ("blobs", {}, "unknown dataset 'blobs'; choose from: spiral, circle, xor, gauss, moons, plane, sine, digits"),
    ],
)
def test_bad_parameters_raise_one_line(name, params, message):
    with pytest.raises(ParamError) as error:
        make_dataset(name, _rng(), **params)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


# ------------------------------------------------------------------------ digits
def test_digits_without_scikit_learn_names_the_extra(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, package=None: None)
    with pytest.raises(ParamError) as error:
        make_dataset("digits", _rng())
    assert str(error.value) == "dataset 'digits' needs scikit-learn: pip install 'tui-dl[datasets]'"


def test_digits_split_beyond_the_data_is_refused():
    with pytest.raises(ParamError) as error:
        make_dataset("digits", _rng(), train_samples=1000, val_samples=1000)
    assert str(error.value) == (
        "dataset 'digits' has 1797 images: train_samples 1000 + val_samples 1000 = 2000 is too many")


def test_digits_match_scikit_learn():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    reference = sklearn_datasets.load_digits()
    ds = make_dataset("digits", _rng(4), train_samples=300, val_samples=1000)
    order = _rng(4).permutation(DIGITS_ROWS)  # digits shuffles with the Generator first
    np.testing.assert_array_equal(ds.x_train, reference.data[order[:300]] / 16.0)
    np.testing.assert_array_equal(ds.y_train, reference.target[order[:300]])
    np.testing.assert_array_equal(ds.x_val, reference.data[order[300:1300]] / 16.0)
    np.testing.assert_array_equal(ds.y_val, reference.target[order[300:1300]])
    assert ds.x_train.shape == (300, 64) and ds.y_train.dtype == np.int64
    assert ds.x_train.min() == 0.0 and ds.x_train.max() == 1.0
    assert ds.classes == ds.output_dim == 10 and ds.input_dim == 64 and ds.box is None
    assert ds.class_names == tuple("0123456789")
    assert ds.feature_names[:2] == ("pixel_0_0", "pixel_0_1") and ds.feature_names[-1] == "pixel_7_7"
    noisy = make_dataset("digits", _rng(4), noise=0.1)
    assert (noisy.x_train - ds.x_train).std() == pytest.approx(0.1, rel=0.05)
    whole = make_dataset("digits", _rng(4), train_samples=1000, val_samples=797)
    assert sorted(np.concatenate([whole.y_train, whole.y_val]).tolist()) == sorted(reference.target.tolist())


@pytest.mark.skipif(not HAS_SKLEARN, reason="needs scikit-learn")
def test_digits_do_not_import_scikit_learn():
    code = (
        "import sys, numpy as np\n"
        "from tui_dl.engine.datasets import make_dataset\n"
        "make_dataset('digits', np.random.default_rng(0))\n"
        "print('sklearn' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# -------------------------------------------------------------------- data files
def _write_csv(path, header: str, rows: list[str]):
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def _table(n: int = 40) -> list[str]:
    """Rows id,b,label: id is the row number, b = 2 id + 1, label 3 or 7 by parity."""
    return [f"{i},{2 * i + 1},{3 if i % 2 else 7}" for i in range(n)]


def test_csv_classification_with_the_last_column_as_label(tmp_path):
    path = _write_csv(tmp_path / "toy.csv", "id,b,label", _table(40))
    ds = load_data_file(path, rng=_rng())
    assert ds.name == "toy.csv" and ds.task == "classification"
    assert ds.classes == 2 and ds.class_names == ("3", "7") and ds.feature_names == ("id", "b")
    assert ds.x_train.shape == (30, 2) and ds.x_val.shape == (10, 2)
    assert ds.y_train.dtype == np.int64
    # standardized with the training split's statistics
    np.testing.assert_allclose(ds.x_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(ds.x_train.std(axis=0), 1.0)
    # one affine map for both splits: all 40 standardized ids are evenly spaced, spacing 1 / std(train ids)
    everything = np.sort(np.concatenate([ds.x_train[:, 0], ds.x_val[:, 0]]))
    spacing = np.diff(everything)
    np.testing.assert_allclose(spacing, spacing[0])
    train_ids = np.rint((ds.x_train[:, 0] - everything[0]) / spacing[0])
    assert spacing[0] == pytest.approx(1.0 / train_ids.std())
    # id and b = 2 id + 1 standardize to the same values; labels follow the id's parity (odd -> 3 -> 0)
    np.testing.assert_allclose(ds.x_train[:, 0], ds.x_train[:, 1])
    np.testing.assert_allclose(ds.x_val[:, 0], ds.x_val[:, 1])
    for x, y in ((ds.x_train, ds.y_train), (ds.x_val, ds.y_val)):
        row_ids = np.rint((x[:, 0] - everything[0]) / spacing[0]).astype(int)
        np.testing.assert_array_equal(y, np.where(row_ids % 2, 0, 1))
    assert ds.box == data_box(ds.x_train, ds.x_val)


def test_csv_split_is_seeded(tmp_path):
    path = _write_csv(tmp_path / "toy.csv", "id,b,label", _table(40))
    first, again, other = (load_data_file(path, rng=_rng(seed)) for seed in (1, 1, 2))
    np.testing.assert_array_equal(first.x_val, again.x_val)
    assert not np.array_equal(first.x_val, other.x_val)
    assert load_data_file(path, rng=_rng(), val_fraction=0.5).x_val.shape == (20, 2)


def test_csv_target_column_and_regression_inference(tmp_path):
    rows = [f"{i * 0.5},{i % 3},{i * 1.5}" for i in range(20)]
    path = _write_csv(tmp_path / "r.csv", "a,group,out", rows)
    regression = load_data_file(path, rng=_rng())
    assert regression.task == "regression" and regression.classes == 0 and regression.output_dim == 1
    # the targets are not standardized
    assert sorted(np.concatenate([regression.y_train, regression.y_val])[:, 0]) == [i * 1.5 for i in range(20)]
    chosen = load_data_file(path, rng=_rng(), target="group")
    assert chosen.task == "classification" and chosen.class_names == ("0", "1", "2")
    assert chosen.feature_names == ("a", "out")
    forced = load_data_file(path, rng=_rng(), target="group", task="regression")
    assert forced.task == "regression" and forced.y_train.shape == (15, 1)


def test_many_integer_values_are_a_regression(tmp_path):
    rows = [f"{i},{i}" for i in range(21)]
    assert load_data_file(_write_csv(tmp_path / "n.csv", "x,y", rows), rng=_rng()).task == "regression"
    rows = [f"{i},{i}" for i in range(20)]
    assert load_data_file(_write_csv(tmp_path / "c.csv", "x,y", rows), rng=_rng()).classes == 20


def test_csv_blank_lines_spaces_and_a_constant_column(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("x, const ,y\n\n" + "\n".join(f" {i}, 5 ,{i % 2}" for i in range(12)) + "\n\n")
    ds = load_data_file(path, rng=_rng())
    assert ds.feature_names == ("x", "const")
    np.testing.assert_array_equal(ds.x_train[:, 1], 0.0)  # a constant column is centered, not divided by 0
    assert len(ds.x_train) + len(ds.x_val) == 12


def test_npz_classification_and_multi_output_regression(tmp_path):
    rng = _rng()
    x = rng.normal(size=(50, 3))
    np.savez(tmp_path / "c.npz", X=x, y=np.arange(50) % 4)
    ds = load_data_file(tmp_path / "c.npz", rng=_rng())
    assert ds.task == "classification" and ds.classes == 4 and ds.feature_names == ("x1", "x2", "x3")
    assert ds.box is None and ds.x_train.shape == (38, 3)
    np.savez(tmp_path / "r.npz", X=x[:, 0], y=x[:, 1:])
    ds = load_data_file(tmp_path / "r.npz", rng=_rng())
    assert ds.task == "regression" and ds.output_dim == 2 and ds.input_dim == 1
    assert ds.y_train.shape == (38, 2)


def _error(path, **kwargs) -> str:
    with pytest.raises(ParamError) as error:
        load_data_file(path, rng=_rng(), **kwargs)
    text = str(error.value)
    assert "\n" not in text
    return text


def test_csv_errors(tmp_path):
    good = _write_csv(tmp_path / "good.csv", "id,b,label", _table(12))
    assert _error(tmp_path / "nope.csv") == f"data file {str(tmp_path / 'nope.csv')!r} not found"
    (tmp_path / "data.txt").write_text("a,b\n1,2\n")
    assert _error(tmp_path / "data.txt") == "data file 'data.txt': unknown extension '.txt', expected .csv or .npz"
    (tmp_path / "empty.csv").write_text("")
    assert _error(tmp_path / "empty.csv") == "data file 'empty.csv' is empty"
    (tmp_path / "blank.csv").write_text("\n\n")
    assert _error(tmp_path / "blank.csv") == "data file 'blank.csv' is empty"
    rows = _table(12)
    rows[1] = "1,abc,3"
    assert _error(_write_csv(tmp_path / "text.csv", "id,b,label", rows)) == (
        "data file 'text.csv': line 3, column 'b': 'abc' is not a number")
    rows[1] = "1,,3"
    assert _error(_write_csv(tmp_path / "hole.csv", "id,b,label", rows)) == (
        "data file 'hole.csv': line 3, column 'b': '' is not a number")
    rows[1] = "1,3"
    assert _error(_write_csv(tmp_path / "ragged.csv", "id,b,label", rows)) == (
        "data file 'ragged.csv': line 3 has 2 cells, the header has 3 columns")
    rows[1] = "nan,3,3"
    assert _error(_write_csv(tmp_path / "nan.csv", "id,b,label", rows)) == (
        "data file 'nan.csv': line 3, column 'id': nan is not a finite number")
    assert _error(good, target="z") == "data file 'good.csv' has no column 'z'; columns: id, b, label"
    assert _error(_write_csv(tmp_path / "noheader.csv", "1,2,3", _table(12))) == (
        "data file 'noheader.csv': line 1 holds numbers, expected a header row of column names")
    assert _error(_write_csv(tmp_path / "one.csv", "y", ["1"] * 12)) == (
        "data file 'one.csv' has only the column 'y': need features and a target")
    assert _error(_write_csv(tmp_path / "short.csv", "id,b,label", _table(9))) == (
        "data file 'short.csv' has 9 rows: need at least 10")
    assert _error(_write_csv(tmp_path / "header.csv", "id,b,label", [])) == (
        "data file 'header.csv' has 0 rows: need at least 10")
    assert _error(_write_csv(tmp_path / "single.csv", "id,b,label", _table(1))) == (
        "data file 'single.csv' has 1 row: need at least 10")  # one row, not "1 rows"
    rows = _table(12)
    rows[1] = "1"
    assert _error(_write_csv(tmp_path / "lone.csv", "id,b,label", rows)) == (
        "data file 'lone.csv': line 3 has 1 cell, the header has 3 columns")


def test_task_and_fraction_errors(tmp_path):
    good = _write_csv(tmp_path / "good.csv", "id,b,label", _table(12))
    assert _error(good, val_fraction=1.0) == "bad value '1' for val_fraction: expected a float in (0, 1)"
    assert _error(good, task="clustering").startswith("bad value 'clustering' for task: expected one of: ")
    frac = _write_csv(tmp_path / "frac.csv", "x,y", [f"{i},{i / 4}" for i in range(12)])
    assert _error(frac, task="classification") == (
        "data file 'frac.csv': classification needs integer labels, found 0.25")
    same = _write_csv(tmp_path / "same.csv", "x,y", [f"{i},1" for i in range(12)])
    assert _error(same, task="classification") == (
        "data file 'same.csv': classification needs at least 2 classes, the labels are all 1")
    np.savez(tmp_path / "wide.npz", X=np.zeros((12, 2)), y=np.zeros((12, 2)))
    assert _error(tmp_path / "wide.npz", task="classification") == (
        "data file 'wide.npz': classification needs one label column, y has 2")


def test_npz_errors(tmp_path):
    x, y = np.zeros((12, 2)), np.arange(12) % 2
    np.savez(tmp_path / "noX.npz", y=y)
    assert _error(tmp_path / "noX.npz") == "data file 'noX.npz' has no array 'X'; arrays: y"
    np.savez(tmp_path / "noy.npz", X=x, labels=y)
    assert _error(tmp_path / "noy.npz") == "data file 'noy.npz' has no array 'y'; arrays: X, labels"
    np.savez(tmp_path / "len.npz", X=x, y=y[:11])
    assert _error(tmp_path / "len.npz") == "data file 'len.npz': X has 12 rows but y has 11"
    bad = x.copy()
    bad[5, 1] = np.inf
    np.savez(tmp_path / "inf.npz", X=bad, y=y)
    assert _error(tmp_path / "inf.npz") == "data file 'inf.npz': X has a nan or inf value in row 5"
    np.savez(tmp_path / "short.npz", X=x[:9], y=y[:9])
    assert _error(tmp_path / "short.npz") == "data file 'short.npz' has 9 rows: need at least 10"
    np.savez(tmp_path / "cube.npz", X=np.zeros((12, 2, 2)), y=y)
    assert _error(tmp_path / "cube.npz") == (
        "data file 'cube.npz': X must be (N, D) and y (N,) or (N, K), got (12, 2, 2) and (12,)")
    np.savez(tmp_path / "no_target.npz", X=x, y=np.zeros((12, 0)))  # was "bad layer sizes [2, 100, 100, 0]"
    assert _error(tmp_path / "no_target.npz") == (
        "data file 'no_target.npz': X must be (N, D) and y (N,) or (N, K), got (12, 2) and (12, 0)")
    np.savez(tmp_path / "text.npz", X=np.array([["a", "b"]] * 12), y=y)
    assert _error(tmp_path / "text.npz") == "data file 'text.npz': X has dtype <U1, expected real numbers"
    np.savez(tmp_path / "complex.npz", X=np.ones((12, 2)) * 1j, y=y)  # float64 of it drops the imaginary part
    assert _error(tmp_path / "complex.npz") == ("data file 'complex.npz': X has dtype complex128, expected real "
                                                "numbers")
    np.savez(tmp_path / "good.npz", X=x, y=y)
    assert _error(tmp_path / "good.npz", target="y") == (
        "data file 'good.npz': target names a .csv column; a .npz holds the arrays X and y")
    (tmp_path / "empty.npz").write_bytes(b"")
    assert _error(tmp_path / "empty.npz") == "data file 'empty.npz' is empty"
    expected = "expected a .npz archive with the arrays X and y (numpy.savez(path, X=X, y=y))"
    (tmp_path / "junk.npz").write_bytes(b"not a zip archive at all")
    assert _error(tmp_path / "junk.npz") == (
        f"data file 'junk.npz' is a text file (first line 'not a zip archive at all'), not a .npz archive: {expected}")
    (tmp_path / "table.npz").write_text("x1,x2,label\n" + "\n".join(_table(12)))  # a csv named .npz
    assert _error(tmp_path / "table.npz") == (
        f"data file 'table.npz' is a text file (first line 'x1,x2,label'), not a .npz archive: {expected}")
    assert "pickle" not in _error(tmp_path / "table.npz")  # numpy's advice about allow_pickle is not ours to give
    (tmp_path / "bytes.npz").write_bytes(bytes(range(256)))
    assert _error(tmp_path / "bytes.npz") == f"data file 'bytes.npz' is a binary file, not a .npz archive: {expected}"
    np.save(tmp_path / "single.npy", x)
    (tmp_path / "single.npy").rename(tmp_path / "single.npz")
    assert _error(tmp_path / "single.npz") == (
        f"data file 'single.npz' is a single .npy array, not a .npz archive: {expected}")
    np.savez(tmp_path / "objects.npz", X=np.array([{"a": 1}] * 12, dtype=object), y=y)
    assert _error(tmp_path / "objects.npz") == (
        f"data file 'objects.npz' holds Python objects (pickled arrays), which are not loaded: {expected}, of numbers")
    with zipfile.ZipFile(tmp_path / "members.npz", "w") as archive:  # members named .npy that are not arrays
        archive.writestr("X.npy", b"notnpy")
        archive.writestr("y.npy", b"bad")
    assert _error(tmp_path / "members.npz") == (
        f"data file 'members.npz': its member 'X' is not a numpy array: {expected}")


@pytest.mark.parametrize(("labels", "task", "reason"), [
    ([1] * 12, "regression", "its labels are all 1, one value (classes need at least 2)"),
    ([i % 3 for i in range(12)], "classification", "its labels are 3 whole numbers: 0, 1, 2"),
    ([i / 4 for i in range(12)], "regression", "its labels are not whole numbers (e.g. 0.25)"),
    ([i * 7 for i in range(30)], "regression", "its labels are 30 whole numbers (classes: at most 20)"),
])
def test_an_inferred_task_says_why(tmp_path, labels, task, reason):
    path = _write_csv(tmp_path / "data.csv", "x,y", [f"{i},{label}" for i, label in enumerate(labels)])
    data = load_data_file(path, rng=np.random.default_rng(0))
    assert (data.task, data.task_reason) == (task, reason)
    given = load_data_file(path, rng=np.random.default_rng(0), task="regression")
    assert given.task == "regression" and given.task_reason == ""


def test_a_data_file_too_large_is_refused_before_it_is_read(tmp_path):
    from tui_dl.engine.datasets import MAX_DATA_BYTES

    big = tmp_path / "big.csv"
    with open(big, "wb") as file:
        file.truncate(MAX_DATA_BYTES + 1)  # sparse: no disk used
    with pytest.raises(ParamError, match=rf"data file 'big.csv' has {MAX_DATA_BYTES + 1} bytes: at most"):
        load_data_file(big, rng=np.random.default_rng(0))
