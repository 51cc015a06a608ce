"""Data sets for the overfitting pane: seeded synthetic sets, scikit-learn's digits, and user files.

Every set is a `Dataset` with a training and a validation split. The synthetic generators are
registered in `DATASETS` as `fn(rng, train_samples, val_samples, noise, ...)`: they draw the
training set and then, independently, the validation set from the same distribution, so the gap
between the two loss curves is overfitting and nothing else. Randomness comes only from the
Generator passed in (same seed, same arrays).

The defaults are deliberately small and noisy, as in the textbook's overfitting demo (300
samples, Deep Learning from Scratch ch. 6): an unregularized MLP with two hidden layers of ~100
units fits the noise of a couple of hundred training points within ~200 epochs, and its
validation loss turns up while the training loss keeps falling. The validation sets default to
1000 samples so the validation curve is smooth enough to show the turn.

2-D sets carry a `box` (the data plus a small margin) on which the pane draws decision regions.
"""

from __future__ import annotations

import csv
import functools
import gzip
import importlib.util
import math
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from tui_dl.params import Catalog, ParamError, ParamSpec, count

DATASETS = Catalog("dataset")

Box = tuple[float, float, float, float]
Sampler = Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]

CLASSIFICATION = "classification"
REGRESSION = "regression"
# margin of the drawing box on each side, as a fraction of the data's extent
BOX_MARGIN = 0.05
# length of a spiral arm in radians (CS231n and Deep Learning from Scratch 2: 4 radians per class)
SPIRAL_TURN = 4.0
# the plane regression target's weights: y = PLANE_WEIGHTS . x + noise
PLANE_WEIGHTS = (1.0, -0.5)
# radius of the circle the gauss blobs' centers sit on
GAUSS_RADIUS = 1.0
MAX_SAMPLES = 100_000
MAX_DATA_BYTES = 200_000_000  # 100 000 rows of 100 features as text is about 100 MB
# data files: fewest rows accepted, and most distinct integer labels still read as classes
MIN_ROWS = 10
MAX_INFERRED_CLASSES = 20
# scikit-learn's bundled digits, relative to the sklearn package
DIGITS_FILE = ("datasets", "data", "digits.csv.gz")
DIGITS_ROWS = 1797
DIGITS_EXTRA = "dataset 'digits' needs scikit-learn: pip install 'tui-dl[datasets]'"


@dataclass(frozen=True)
class Dataset:
    """A training and a validation split of one data set, ready for the MLP.

    Attributes:
        name: the generator's name, or the data file's name.
        task: "classification" or "regression".
        x_train, x_val: (N, D) float64 inputs.
        y_train, y_val: classification: (N,) int64 labels 0..C-1; regression: (N, K) float64 targets.
        classes: number of classes C; 0 for regression.
        feature_names: one name per input column.
        box: (xmin, xmax, ymin, ymax) covering both splits with a margin, for drawing; None if D != 2.
        class_names: what each label 0..C-1 stood for in a data file (its original values); () if the
            labels are just class indices.
        task_reason: why a data file's task was inferred (`its labels are 3 whole numbers: 0, 1, 2`);
            "" when it was given or the set is generated.
    """

    name: str
    task: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    classes: int
    feature_names: tuple[str, ...]
    box: Box | None
    class_names: tuple[str, ...] = ()
    task_reason: str = ""

    @property
    def input_dim(self) -> int:
        """D, the number of input features."""
        return int(self.x_train.shape[1])

    @property
    def output_dim(self) -> int:
        """The network's output width: C classes, or K regression targets."""
        return self.classes if self.task == CLASSIFICATION else int(self.y_train.shape[1])


def make_dataset(name: str, rng: np.random.Generator, **params: Any) -> Dataset:
    """The registered data set `name` drawn from rng; params are checked against its ParamSpecs."""
    return DATASETS[name](rng, **params)


# --------------------------------------------------------------------------- helpers
def data_box(*inputs: np.ndarray) -> Box | None:
    """(xmin, xmax, ymin, ymax) around every point of the 2-D inputs plus BOX_MARGIN; None unless D == 2."""
    points = np.concatenate(inputs, axis=0)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
        return None
    low, high = points.min(axis=0), points.max(axis=0)
    span = high - low
    pad = BOX_MARGIN * np.where(span > 0, span, 1.0)
    return (float(low[0] - pad[0]), float(high[0] + pad[0]), float(low[1] - pad[1]), float(high[1] + pad[1]))


def _build(name: str, task: str, train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray],
           classes: int, feature_names: tuple[str, ...], class_names: tuple[str, ...] = ()) -> Dataset:
    """A Dataset with the contract's dtypes and shapes, and its box."""
    x_train, x_val = (np.ascontiguousarray(x, dtype=np.float64) for x in (train[0], val[0]))
    if task == CLASSIFICATION:
        y_train, y_val = (np.asarray(y, dtype=np.int64) for y in (train[1], val[1]))
    else:
        y_train, y_val = (np.asarray(y, dtype=np.float64).reshape(len(y), -1) for y in (train[1], val[1]))
    return Dataset(name, task, x_train, y_train, x_val, y_val, classes, feature_names,
                   data_box(x_train, x_val), class_names)


def _synthetic(name: str, task: str, draw: Sampler, rng: np.random.Generator, train_samples: int,
               val_samples: int, *, classes: int = 0, feature_names: tuple[str, ...] = ("x1", "x2")) -> Dataset:
    """Draw the training set, then the validation set independently from the same sampler."""
    train = draw(rng, train_samples)
    val = draw(rng, val_samples)
    return _build(name, task, train, val, classes, feature_names)


def balanced_labels(rng: np.random.Generator, n: int, classes: int) -> np.ndarray:
    """n labels in random order, every class n // classes or n // classes + 1 times (no class starves)."""
    return rng.permutation(np.arange(n, dtype=np.int64) % classes)


def _polar(radius: np.ndarray, angle: np.ndarray) -> np.ndarray:
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)


# --------------------------------------------------------------------------- specs
def _train(default: int, *, low: int = 10, high: int = MAX_SAMPLES) -> ParamSpec:
    return ParamSpec("train_samples", "int", default, low=low, high=high, scale="log",
                     help="training points: few make overfitting easy to see")


_VAL_HELP = "validation points, drawn independently: many make the validation curve smooth"


def _val(default: int, *, high: int = MAX_SAMPLES, text: str = _VAL_HELP) -> ParamSpec:
    return ParamSpec("val_samples", "int", default, low=10, high=high, scale="log", help=text)


def _noise(default: float, text: str, high: float = 2.0) -> ParamSpec:
    return ParamSpec("noise", "float", default, low=0.0, high=high, step=0.05, help=text)


def _classes(default: int) -> ParamSpec:
    return ParamSpec("classes", "int", default, low=2, high=8, help="number of classes")


# ====================================================================== classification
@DATASETS.register(
    _train(150), _val(1000), _noise(0.5, "std of the angle around each arm, in radians"), _classes(3),
    family="classification",
)
def spiral(rng: np.random.Generator, train_samples: int = 150, val_samples: int = 1000, noise: float = 0.5,
           classes: int = 3) -> Dataset:
    """Interleaved spiral arms, one per class (CS231n's spiral); defaults 150 train, noise 0.5 rad.

    Arm j is angle = 2 pi j / classes + 4 radius + N(0, noise), radius ~ U(0, 1), point
    (r sin angle, r cos angle) as in CS231n and Deep Learning from Scratch 2 (which use 4 j for the
    offset: with 3 classes nearly the same spacing, and even spacing for any number of arms).
    All arms meet at the origin, so even noise 0 has a region no model can get right. The books
    use noise 0.2, which a 2 x 100 MLP learns almost perfectly (98% validation accuracy); with 0.5
    the arms overlap at their outer ends and 150 training points (50 an arm) are learned by heart
    (100% training, ~91% validation accuracy, validation loss rising after ~50 epochs of Adam 0.01).
    """

    def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        label = balanced_labels(rng, n, classes)
        radius = rng.uniform(0.0, 1.0, n)
        angle = 2.0 * math.pi * label / classes + SPIRAL_TURN * radius + noise * rng.standard_normal(n)
        return np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1), label

    return _synthetic("spiral", CLASSIFICATION, draw, rng, train_samples, val_samples, classes=classes)


@DATASETS.register(
    _train(150), _val(1000), _noise(0.25, "std of the gaussian jitter of each coordinate"),
    ParamSpec("factor", "float", 0.5, low=0.0, high=1.0, high_open=True, step=0.05,
              help="inner ring's radius relative to the outer one's (1)"),
    family="classification",
)
def circle(rng: np.random.Generator, train_samples: int = 150, val_samples: int = 1000, noise: float = 0.25,
           factor: float = 0.5) -> Dataset:
    """Two concentric rings (sklearn make_circles); defaults 150 train, noise 0.25, factor 0.5.

    Class 0 is the ring of radius 1, class 1 the ring of radius `factor`; each point then gets
    N(0, noise) added to both coordinates, so with the defaults the rings overlap a little.
    """

    def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        label = balanced_labels(rng, n, 2)
        angle = rng.uniform(0.0, 2.0 * math.pi, n)
        radius = np.where(label == 0, 1.0, factor)
        return _polar(radius, angle) + noise * rng.standard_normal((n, 2)), label

    return _synthetic("circle", CLASSIFICATION, draw, rng, train_samples, val_samples, classes=2)


@DATASETS.register(
    _train(150), _val(1000), _noise(0.2, "std of the gaussian jitter of each coordinate"),
    family="classification",
)
def xor(rng: np.random.Generator, train_samples: int = 150, val_samples: int = 1000,
        noise: float = 0.2) -> Dataset:
    """Four quadrants, opposite ones alike (XOR of the signs); defaults 150 train, noise 0.2.

    A clean point is uniform in a quadrant of [-1, 1]^2: class 0 where x1 and x2 have the same
    sign, class 1 where they differ. N(0, noise) is then added to each coordinate, which pushes
    points near the axes into the neighbouring quadrant.
    """

    def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        label = balanced_labels(rng, n, 2)
        first = rng.choice((-1.0, 1.0), n)
        signs = np.stack([first, np.where(label == 0, first, -first)], axis=1)
        clean = signs * rng.uniform(0.0, 1.0, (n, 2))
        return clean + noise * rng.standard_normal((n, 2)), label

    return _synthetic("xor", CLASSIFICATION, draw, rng, train_samples, val_samples, classes=2)


@DATASETS.register(
    _train(150), _val(1000), _noise(0.6, "std of each blob (the centers are 1 from the origin)", high=3.0),
    _classes(3),
    family="classification",
)
def gauss(rng: np.random.Generator, train_samples: int = 150, val_samples: int = 1000, noise: float = 0.6,
          classes: int = 3) -> Dataset:
    """Overlapping gaussian blobs, one per class; defaults 150 train, std 0.6, 3 classes.

    Blob j is N(center_j, noise^2 I) with center_j = (cos, sin)(2 pi j / classes) on the unit
    circle. The best boundary is a set of straight lines; with blobs this wide an MLP instead
    wraps curved regions around stray training points.
    """

    def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        label = balanced_labels(rng, n, classes)
        centers = _polar(np.full(n, GAUSS_RADIUS), 2.0 * math.pi * label / classes)
        return centers + noise * rng.standard_normal((n, 2)), label

    return _synthetic("gauss", CLASSIFICATION, draw, rng, train_samples, val_samples, classes=classes)


@DATASETS.register(
    _train(150), _val(1000), _noise(0.3, "std of the gaussian jitter of each coordinate"),
    family="classification",
)
def moons(rng: np.random.Generator, train_samples: int = 150, val_samples: int = 1000,
          noise: float = 0.3) -> Dataset:
    """Two interleaving half circles (sklearn make_moons); defaults 150 train, noise 0.3.

    Class 0 is (cos t, sin t), class 1 is (1 - cos t, 0.5 - sin t), t ~ U(0, pi), plus
    N(0, noise) on each coordinate (sklearn's examples use 0.3 for a noisy, overlapping pair).
    """

    def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        label = balanced_labels(rng, n, 2)
        t = rng.uniform(0.0, math.pi, n)
        upper = np.stack([np.cos(t), np.sin(t)], axis=1)
        lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
        clean = np.where((label == 0)[:, None], upper, lower)
        return clean + noise * rng.standard_normal((n, 2)), label

    return _synthetic("moons", CLASSIFICATION, draw, rng, train_samples, val_samples, classes=2)


# ========================================================================== regression
@DATASETS.register(
    _train(30, low=5), _val(1000), _noise(0.5, "std of the gaussian noise on the target"),
    family="regression",
)
def plane(rng: np.random.Generator, train_samples: int = 30, val_samples: int = 1000,
          noise: float = 0.5) -> Dataset:
    """A noisy plane y = x1 - 0.5 x2 + N(0, noise), x ~ U([-1, 1]^2); defaults 30 train, noise 0.5.

    The truth is linear, so any bend an MLP learns is fitted noise: with 30 points it bends a lot.
    """

    def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.uniform(-1.0, 1.0, (n, 2))
        return x, x @ np.asarray(PLANE_WEIGHTS) + noise * rng.standard_normal(n)

    return _synthetic("plane", REGRESSION, draw, rng, train_samples, val_samples)


@DATASETS.register(
    _train(10, low=5), _val(1000), _noise(0.3, "std of the gaussian noise on the target"),
    family="regression",
)
def sine(rng: np.random.Generator, train_samples: int = 10, val_samples: int = 1000,
         noise: float = 0.3) -> Dataset:
    """One period of y = sin(x) + N(0, noise), x ~ U(-pi, pi); defaults 10 train, noise 0.3.

    Bishop's curve-fitting example (PRML 1.1, 10 points) with an MLP for the polynomial: the fit
    wiggles through the 10 noisy points, its training loss falls far below noise^2 = 0.09.
    """

    def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.uniform(-math.pi, math.pi, (n, 1))
        return x, np.sin(x[:, 0]) + noise * rng.standard_normal(n)

    return _synthetic("sine", REGRESSION, draw, rng, train_samples, val_samples, feature_names=("x",))


# ============================================================================== digits
def _digits_path() -> Path:
    """scikit-learn's digits.csv.gz, found without importing scikit-learn (RULE 1), or ParamError."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ParamError(DIGITS_EXTRA)
    path = Path(next(iter(spec.submodule_search_locations)), *DIGITS_FILE)
    if not path.is_file():
        raise ParamError(f"dataset 'digits': scikit-learn is installed but {path} is missing")
    return path


@functools.lru_cache(maxsize=1)
def _read_digits(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(1797, 64) pixels in [0, 1] and (1797,) labels; read once, returned read-only."""
    with gzip.open(path, "rt") as stream:
        table = np.loadtxt(stream, delimiter=",")
    pixels = table[:, :-1] / 16.0
    labels = table[:, -1].astype(np.int64)
    pixels.flags.writeable = labels.flags.writeable = False
    return pixels, labels


def _check_digits(params: dict[str, Any]) -> None:
    total = params["train_samples"] + params["val_samples"]
    if total > DIGITS_ROWS:
        raise ParamError(f"dataset 'digits' has {DIGITS_ROWS} images: train_samples {params['train_samples']} + "
                         f"val_samples {params['val_samples']} = {total} is too many")


@DATASETS.register(
    _train(300, high=DIGITS_ROWS - 10),
    _val(1000, high=DIGITS_ROWS - 10, text="held-out images, none of them in training (train + val <= 1797)"),
    _noise(0.0, "std of gaussian noise added to every pixel (pixels are in [0, 1])"),
    family="classification", check=_check_digits,
)
def digits(rng: np.random.Generator, train_samples: int = 300, val_samples: int = 1000,
           noise: float = 0.0) -> Dataset:
    """scikit-learn's 8x8 handwritten digits (64 pixels, 10 classes); defaults 300 train, 1000 val.

    Needs the `datasets` extra (scikit-learn), whose bundled file is read with NumPy. Pixels are
    scaled from 0..16 to [0, 1]. The 1797 images are shuffled with rng and split into disjoint
    training and validation sets (train_samples + val_samples <= 1797). 300 training images, as in
    the textbook's MNIST overfitting demo, let a 2 x 100 MLP reach 100% training accuracy while
    the validation accuracy stalls below.
    """
    pixels, labels = _read_digits(_digits_path())
    _check_digits({"train_samples": train_samples, "val_samples": val_samples})
    order = rng.permutation(len(labels))
    parts = np.split(order[:train_samples + val_samples], [train_samples])
    if noise:
        pixels = pixels + noise * rng.standard_normal(pixels.shape)
    train, val = ((pixels[part], labels[part]) for part in parts)
    names = tuple(f"pixel_{row}_{col}" for row in range(8) for col in range(8))
    return _build("digits", CLASSIFICATION, train, val, 10, names, tuple(str(d) for d in range(10)))


# ========================================================================== data files
VAL_FRACTION = ParamSpec("val_fraction", "float", 0.25, low=0.0, high=1.0, low_open=True, high_open=True,
                         step=0.05, help="share of a data file's rows held out for validation")
TASK = ParamSpec("task", "choice", None, choices=(CLASSIFICATION, REGRESSION), optional=True,
                 help="none infers it: integer labels with at most 20 values are classes")


def load_data_file(path: str | Path, *, target: str | None = None, val_fraction: float = 0.25,
                   rng: np.random.Generator, task: str | None = None) -> Dataset:
    """A Dataset from a .csv file with a header row, or a .npz file with arrays X and y.

    In a .csv every cell is a number; the label is the last column, or the column named `target`,
    and the other columns are the features. A .npz holds X (N, D) and y (N,) or (N, K).

    task None infers it: a single column of integer values with 2 to 20 distinct values is a
    classification (the labels become 0..C-1 in sorted order and `class_names` keeps the original
    values), anything else a regression with y of shape (N, K). The rows are shuffled with rng and
    val_fraction of them held out. The features are standardized with the mean and std of the
    training split only (constant columns are left unscaled), so nothing of the validation rows
    leaks into training and the inputs suit the default initializers; regression targets are kept
    as they are.

    Raises:
        ParamError: one line naming the file and what is wrong (missing, unreadable, a bad cell with
            its line and column, ragged rows, unknown target, mismatched or non-finite arrays, fewer
            than MIN_ROWS rows).
    """
    val_fraction = VAL_FRACTION.validate(val_fraction)
    task = TASK.validate(task)
    path = Path(path)
    if not path.exists():
        raise ParamError(f"data file {str(path)!r} not found")
    if not path.is_file():  # a directory, /dev/zero, a pipe: read, it would never end or make no sense
        raise ParamError(f"data file {str(path)!r} is not a regular file: expected a .csv or .npz file")
    suffix = path.suffix.lower()
    if suffix not in _READERS:
        raise ParamError(f"data file {path.name!r}: unknown extension {suffix or '(none)'!r}, expected .csv or .npz")
    size = path.stat().st_size
    if size == 0:
        raise ParamError(f"data file {path.name!r} is empty")
    if size > MAX_DATA_BYTES:  # read whole, a 1 GB file took 2 GB before its first error
        raise ParamError(f"data file {path.name!r} has {size} bytes: at most {MAX_DATA_BYTES} "
                         f"(the data sets train on at most {MAX_SAMPLES} samples)")
    x, y, feature_names = _READERS[suffix](path, target)
    if len(x) < MIN_ROWS:
        raise ParamError(f"data file {path.name!r} has {count(len(x), 'row')}: need at least {MIN_ROWS}")
    reason = ""
    if task is None:
        task, reason = infer_task(y)
    classes, class_names = 0, ()
    if task == CLASSIFICATION:
        y, class_names = _class_labels(y, path.name)
        classes = len(class_names)
    n_val = min(max(round(len(x) * val_fraction), 1), len(x) - 1)
    order = rng.permutation(len(x))
    val, train = order[:n_val], order[n_val:]
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    x = (x - mean) / np.where(std > 0, std, 1.0)
    built = _build(path.name, task, (x[train], y[train]), (x[val], y[val]), classes, feature_names, class_names)
    return replace(built, task_reason=reason)


def _read_csv(path: Path, target: str | None) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(X, y, feature names) of a .csv with a header row, checking every cell."""
    name = path.name
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            reader = csv.reader(stream)
            rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except (UnicodeDecodeError, csv.Error) as error:
        raise ParamError(f"could not read data file {name!r}: {error}") from None
    if not rows:
        raise ParamError(f"data file {name!r} is empty")
    header = [cell.strip() for cell in rows[0][1]]
    if all(_is_number(cell) for cell in header):
        raise ParamError(f"data file {name!r}: line 1 holds numbers, expected a header row of column names")
    if len(header) < 2:
        raise ParamError(f"data file {name!r} has only the column {header[0]!r}: need features and a target")
    label = len(header) - 1 if target is None else _column(header, target, name)
    values = np.empty((len(rows) - 1, len(header)))
    for index, (line, row) in enumerate(rows[1:]):
        if len(row) != len(header):
            raise ParamError(f"data file {name!r}: line {line} has {count(len(row), 'cell')}, "
                             f"the header has {count(len(header), 'column')}")
        for col, cell in enumerate(row):
            try:
                values[index, col] = float(cell)
            except ValueError:
                raise ParamError(f"data file {name!r}: line {line}, column {header[col]!r}: "
                                 f"{cell.strip()!r} is not a number") from None
    bad = ~np.isfinite(values)
    if bad.any():
        index, col = np.argwhere(bad)[0]
        raise ParamError(f"data file {name!r}: line {rows[index + 1][0]}, column {header[col]!r}: "
                         f"{values[index, col]} is not a finite number")
    features = [col for col in range(len(header)) if col != label]
    return values[:, features], values[:, label], tuple(header[col] for col in features)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _column(header: list[str], target: str, name: str) -> int:
    if target not in header:
        raise ParamError(f"data file {name!r} has no column {target!r}; columns: {', '.join(header)}")
    return header.index(target)


def _read_npz(path: Path, target: str | None) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(X, y, feature names) of a .npz holding X (N, D) and y (N,) or (N, K)."""
    name = path.name
    if target is not None:
        raise ParamError(f"data file {name!r}: target names a .csv column; a .npz holds the arrays X and y")
    arrays = _npz_arrays(path)
    missing = [key for key in ("X", "y") if key not in arrays]
    if missing:
        found = ", ".join(arrays) or "(none)"
        raise ParamError(f"data file {name!r} has no array {missing[0]!r}; arrays: {found}")
    x, y = _numeric(arrays["X"], "X", name), _numeric(arrays["y"], "y", name)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] == 0 or y.ndim not in (1, 2) or (y.ndim == 2 and y.shape[1] == 0):
        raise ParamError(f"data file {name!r}: X must be (N, D) and y (N,) or (N, K), got {x.shape} and {y.shape}")
    if len(x) != len(y):
        raise ParamError(f"data file {name!r}: X has {count(len(x), 'row')} but y has {len(y)}")
    for key, array in (("X", x), ("y", y)):
        if not np.isfinite(array).all():
            row = int(np.argwhere(~np.isfinite(array))[0][0])
            raise ParamError(f"data file {name!r}: {key} has a nan or inf value in row {row}")
    return x, y, tuple(f"x{col + 1}" for col in range(x.shape[1]))


NPZ_EXPECTED = "expected a .npz archive with the arrays X and y (numpy.savez(path, X=X, y=y))"


def file_kind(path: Path) -> str:
    """What a file looks like from its first bytes: `a zip archive`, `a .npy array`, `a text file (first
    line 'x1,x2,y')`, `a binary file` (a .npz is a zip of .npy arrays)."""
    with path.open("rb") as stream:
        head = stream.read(512)
    if head.startswith(b"PK"):
        return "a zip archive"
    if head.startswith(b"\x93NUMPY"):
        return "a single .npy array"
    try:
        text: str | None = head.decode("utf-8")
    except UnicodeDecodeError as error:  # a multibyte character cut at 512 bytes is still text
        text = head[: error.start].decode("utf-8") if error.start >= len(head) - 3 else None
    if text is None or "\x00" in text:
        return "a binary file"
    first = text.splitlines()[0] if text.splitlines() else ""
    return f"a text file (first line {first[:40]!r})"


def _npz_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every array of a .npz archive by name (no pickles), or a ParamError if it is not one.

    numpy's own message for a file that is not one ("Cannot load file containing pickled data when
    allow_pickle=False" for a text file) is advice about pickles; the error says what the file is instead.
    """
    kind = file_kind(path)
    if kind != "a zip archive":
        raise ParamError(f"data file {path.name!r} is {kind}, not a .npz archive: {NPZ_EXPECTED}")
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single .npy array, not named arrays X and y")
        with loaded as archive:
            arrays = {key: archive[key] for key in archive.files}
    except ValueError as error:
        if "pickle" in str(error):  # an object array: never unpickled (it could run code)
            raise ParamError(f"data file {path.name!r} holds Python objects (pickled arrays), which are not "
                             f"loaded: {NPZ_EXPECTED}, of numbers") from None
        raise ParamError(f"could not read data file {path.name!r} as .npz: {error}") from None
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise ParamError(f"could not read data file {path.name!r} as .npz: {error}") from None
    for key, member in arrays.items():  # numpy hands back the bytes of a member that is not a .npy array
        if not isinstance(member, np.ndarray):
            raise ParamError(f"data file {path.name!r}: its member {key!r} is not a numpy array: {NPZ_EXPECTED}")
    return arrays


def _numeric(array: np.ndarray, key: str, name: str) -> np.ndarray:
    real = np.issubdtype(array.dtype, np.number) and not np.issubdtype(array.dtype, np.complexfloating)
    if not (real or array.dtype == np.bool_):  # complex: astype(float64) would drop the imaginary part
        raise ParamError(f"data file {name!r}: {key} has dtype {array.dtype}, expected real numbers")
    return array.astype(np.float64)


_READERS = {".csv": _read_csv, ".npz": _read_npz}


def infer_task(y: np.ndarray) -> tuple[str, str]:
    """(task, why): classification for one column of integers with 2..MAX_INFERRED_CLASSES values, else
    regression, and the reason in a few words (shown, since a file of one class is a regression here)."""
    if y.ndim == 2 and y.shape[1] != 1:
        return REGRESSION, f"its target has {count(y.shape[1], 'column')}"
    values = np.unique(y)
    fractional = values[values != np.round(values)]
    if len(fractional):
        return REGRESSION, f"its labels are not whole numbers (e.g. {fractional[0]:g})"
    if len(values) == 1:
        return REGRESSION, f"its labels are all {values[0]:g}, one value (classes need at least 2)"
    if len(values) > MAX_INFERRED_CLASSES:
        return REGRESSION, f"its labels are {len(values)} whole numbers (classes: at most {MAX_INFERRED_CLASSES})"
    shown = ", ".join(f"{v:g}" for v in values[:5]) + (", ..." if len(values) > 5 else "")
    return CLASSIFICATION, f"its labels are {len(values)} whole numbers: {shown}"


def _class_labels(y: np.ndarray, name: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Labels 0..C-1 (in the sorted order of the original values) and the original values as text."""
    if y.ndim == 2 and y.shape[1] != 1:
        raise ParamError(f"data file {name!r}: classification needs one label column, y has {y.shape[1]}")
    values, labels = np.unique(y.reshape(-1), return_inverse=True)
    fractional = values[values != np.round(values)]
    if len(fractional):
        raise ParamError(f"data file {name!r}: classification needs integer labels, found {fractional[0]:g}")
    if len(values) < 2:
        raise ParamError(f"data file {name!r}: classification needs at least 2 classes, the labels are all "
                         f"{values[0]:g}")
    return labels.reshape(-1), tuple(str(int(value)) for value in values)
