"""2-D test surfaces for the optimizer race: f, its analytic gradient, global minima and a view box.

Each registered function is `f(xy, **params)` with xy of shape (..., 2) (the runs axis and any
others in front) returning shape (...), in xy's floating dtype (float64 for integers). The
component's `meta` holds:

- `gradient(xy, **params) -> (..., 2)`: the analytic gradient (no finite differences: the race
  takes thousands of steps and the gradient is what the optimizers see).
- `minima(**params) -> (K, 2)` float64: every global minimizer (himmelblau has four, saddle none).
- `local_minima(**params) -> (L, 2)` float64 (optional, default none): the local minimizers that are not
  global and that a demo needs by name (two_wells' shallow well); rastrigin's many are not listed.
- `min_value`: f at the minima, 0.0; -inf for saddle, which is unbounded below.
- `view`: (xmin, xmax, ymin, ymax), the default plot box; it contains the minima and the start.
- `start`: (x, y), the default start: not a minimum and not a stationary point.

A diverging optimizer sends positions to 1e200 and beyond; f and its gradient then become inf or
nan silently (overflow is data here, the race marks the run as diverged), never a warning.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from tui_dl.params import Catalog, ParamSpec

SURFACES = Catalog("surface")

View = tuple[float, float, float, float]

# Himmelblau's four minima, from Newton's method on x^2 + y - 11 = x + y^2 - 7 = 0 in 60-digit decimals,
# rounded to the nearest double (the first is exact).
HIMMELBLAU_MINIMA = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.2831859912861696),
    (3.5844283403304917, -1.8481265269644036),
)


# --------------------------------------------------------------------------- helpers
def _quiet(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """fn with overflow, invalid and underflow silenced: a diverged run's inf or nan is data."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            return fn(*args, **kwargs)

    return wrapper


def _coordinates(xy: Any) -> tuple[np.ndarray, np.ndarray]:
    """x and y of points (..., 2), in a floating dtype (xy's own, or float64)."""
    xy = np.asarray(xy)
    if xy.ndim == 0 or xy.shape[-1] != 2:
        raise ValueError(f"expected points of shape (..., 2), got shape {xy.shape}")
    if not np.issubdtype(xy.dtype, np.floating):
        xy = xy.astype(np.float64)
    return xy[..., 0], xy[..., 1]


def _value(value: Any, x: np.ndarray) -> np.ndarray:
    """An f result as an array of x's dtype (0-d for a single point rather than a NumPy scalar)."""
    return np.asarray(value, dtype=x.dtype)


def _gradient(gx: Any, gy: Any, x: np.ndarray) -> np.ndarray:
    """The two partial derivatives stacked on a last axis of length 2, in x's dtype."""
    return np.stack(np.broadcast_arrays(np.asarray(gx, x.dtype), np.asarray(gy, x.dtype)), axis=-1)


def _points(*points: tuple[float, float]) -> np.ndarray:
    return np.array(points, dtype=np.float64).reshape(-1, 2)


def _origin(**params: Any) -> np.ndarray:
    return _points((0.0, 0.0))


# --------------------------------------------------------------------------- the textbook bowl
@_quiet
def _quadratic_gradient(xy: Any) -> np.ndarray:
    x, y = _coordinates(xy)
    return _gradient(x / 10.0, 2.0 * y, x)


@SURFACES.register(family="bowl", gradient=_quadratic_gradient, minima=_origin, min_value=0.0,
                   view=(-10.0, 10.0, -5.0, 5.0), start=(-7.0, 2.0))
@_quiet
def quadratic(xy: Any) -> np.ndarray:
    """x^2/20 + y^2, the textbook's: curvatures 1/10 and 2, so one step size cannot suit both axes."""
    x, y = _coordinates(xy)
    return _value(x * x / 20.0 + y * y, x)


# --------------------------------------------------------------------------- valleys
_ROSENBROCK_A = ParamSpec("a", "float", 1.0, low=-1.5, high=1.5, step=0.1,
                          help="the minimum is at (a, a^2), kept in [-1.5, 1.5] so it stays in the view")
_ROSENBROCK_B = ParamSpec("b", "float", 100.0, low=0.0, low_open=True, scale="log",
                          help="steepness of the valley walls: larger b, narrower valley, worse conditioning")


@_quiet
def _rosenbrock_gradient(xy: Any, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    x, y = _coordinates(xy)
    wall = y - x * x
    return _gradient(-2.0 * (a - x) - 4.0 * b * x * wall, 2.0 * b * wall, x)


@SURFACES.register(_ROSENBROCK_A, _ROSENBROCK_B, family="valley", gradient=_rosenbrock_gradient,
                   minima=lambda a=1.0, b=100.0: _points((a, a * a)), min_value=0.0,
                   view=(-2.0, 2.0, -1.0, 3.0), start=(-1.2, 1.0))
@_quiet
def rosenbrock(xy: Any, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """(a-x)^2 + b(y-x^2)^2: a curved, flat-bottomed valley; finding it is easy, following it is slow."""
    x, y = _coordinates(xy)
    return _value((a - x) ** 2 + b * (y - x * x) ** 2, x)


@_quiet
def _banana_gradient(xy: Any) -> np.ndarray:
    x, y = _coordinates(xy)
    wall = 3.0 * y - x * x
    return _gradient(-2.0 * (1.0 - x) - 80.0 * x * wall, 120.0 * wall, x)


@SURFACES.register(family="valley", gradient=_banana_gradient, minima=lambda: _points((1.0, 1.0 / 3.0)),
                   min_value=0.0, view=(-2.0, 2.0, -1.0, 2.0), start=(-1.5, 1.5))
@_quiet
def banana(xy: Any) -> np.ndarray:
    """(1-x)^2 + 20(3y-x^2)^2 (Distill's momentum article): a gentler curved valley than Rosenbrock's."""
    x, y = _coordinates(xy)
    return _value((1.0 - x) ** 2 + 20.0 * (3.0 * y - x * x) ** 2, x)


def _beale_terms(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three residuals c_k - x + x y^k, k = 1, 2, 3, whose squares Beale's function sums."""
    return 1.5 - x + x * y, 2.25 - x + x * y * y, 2.625 - x + x * y * y * y


@_quiet
def _beale_gradient(xy: Any) -> np.ndarray:
    x, y = _coordinates(xy)
    t1, t2, t3 = _beale_terms(x, y)
    gx = 2.0 * (t1 * (y - 1.0) + t2 * (y * y - 1.0) + t3 * (y * y * y - 1.0))
    gy = 2.0 * x * (t1 + 2.0 * t2 * y + 3.0 * t3 * y * y)
    return _gradient(gx, gy, x)


@SURFACES.register(family="valley", gradient=_beale_gradient, minima=lambda: _points((3.0, 0.5)),
                   min_value=0.0, view=(-4.5, 4.5, -4.5, 4.5), start=(1.0, 1.5))
@_quiet
def beale(xy: Any) -> np.ndarray:
    """Beale's function: flat plateaus and steep ridges around a narrow valley to (3, 0.5)."""
    x, y = _coordinates(xy)
    t1, t2, t3 = _beale_terms(x, y)
    return _value(t1 * t1 + t2 * t2 + t3 * t3, x)


# --------------------------------------------------------------------------- several minima
@_quiet
def _himmelblau_gradient(xy: Any) -> np.ndarray:
    x, y = _coordinates(xy)
    u, v = x * x + y - 11.0, x + y * y - 7.0
    return _gradient(4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v, x)


@SURFACES.register(family="multimodal", gradient=_himmelblau_gradient,
                   minima=lambda: _points(*HIMMELBLAU_MINIMA), min_value=0.0,
                   view=(-5.0, 5.0, -5.0, 5.0), start=(0.0, 0.0))
@_quiet
def himmelblau(xy: Any) -> np.ndarray:
    """(x^2+y-11)^2 + (x+y^2-7)^2: four equal minima; which one a run reaches depends on its path."""
    x, y = _coordinates(xy)
    return _value((x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2, x)


_RASTRIGIN_A = ParamSpec("A", "float", 10.0, low=0.0, step=1.0,
                         help="height of the ripples; 0 leaves the bowl x^2 + y^2")


@_quiet
def _rastrigin_gradient(xy: Any, A: float = 10.0) -> np.ndarray:  # noqa: N803 - Rastrigin's name
    x, y = _coordinates(xy)
    ripple = 2.0 * math.pi * A
    gx = 2.0 * x + ripple * np.sin(2.0 * math.pi * x)
    gy = 2.0 * y + ripple * np.sin(2.0 * math.pi * y)
    return _gradient(gx, gy, x)


@SURFACES.register(_RASTRIGIN_A, family="multimodal", gradient=_rastrigin_gradient, minima=_origin,
                   min_value=0.0, view=(-5.12, 5.12, -5.12, 5.12), start=(-4.2, 3.7))
@_quiet
def rastrigin(xy: Any, A: float = 10.0) -> np.ndarray:  # noqa: N803 - Rastrigin's name
    """2A + sum(x_i^2 - A cos(2 pi x_i)): a bowl under a grid of local minima that trap plain descent."""
    x, y = _coordinates(xy)
    # A (1 - cos 2 pi t) written as 2 A sin^2(pi t): exact 0 at the origin, no cancellation near it
    ripples = np.sin(math.pi * x) ** 2 + np.sin(math.pi * y) ** 2
    return _value(x * x + y * y + 2.0 * A * ripples, x)


def _ackley_radius(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """sqrt(0.5 (x^2 + y^2)), by hypot so that huge coordinates give a finite radius."""
    return math.sqrt(0.5) * np.hypot(x, y)


@_quiet
def _ackley_gradient(xy: Any) -> np.ndarray:
    x, y = _coordinates(xy)
    r = _ackley_radius(x, y)
    # the cone term 20 (1 - e^(-0.2 r)) has no gradient at r = 0; 0 is taken there (a subgradient)
    cone = np.where(r > 0, 2.0 * np.exp(-0.2 * r) / np.where(r > 0, r, 1.0), 0.0)
    waves = math.pi * np.exp(0.5 * (np.cos(2.0 * math.pi * x) + np.cos(2.0 * math.pi * y)))
    gx = cone * x + waves * np.sin(2.0 * math.pi * x)
    gy = cone * y + waves * np.sin(2.0 * math.pi * y)
    return _gradient(gx, gy, x)


@SURFACES.register(family="multimodal", gradient=_ackley_gradient, minima=_origin, min_value=0.0,
                   view=(-5.0, 5.0, -5.0, 5.0), start=(-3.6, 4.1))
@_quiet
def ackley(xy: Any) -> np.ndarray:
    """Ackley's function: a nearly flat, rippled plain around one deep, sharp (non-smooth) hole at 0."""
    x, y = _coordinates(xy)
    # -20 e^(-0.2 r) - e^(mean cos) + e + 20, regrouped as 20 (1 - e^(-0.2 r)) + e (1 - e^(mean cos - 1))
    # with mean cos - 1 = -(sin^2 pi x + sin^2 pi y): exactly 0 at the origin, accurate near it
    cone = -20.0 * np.expm1(-0.2 * _ackley_radius(x, y))
    waves = -math.e * np.expm1(-(np.sin(math.pi * x) ** 2 + np.sin(math.pi * y) ** 2))
    return _value(cone + waves, x)


# --------------------------------------------------------------------------- a shallow well beside a deep one
# w(x) = x^4/4 - x^3/3 - x^2 has w'(x) = x (x + 1) (x - 2): minima at x = -1 (w = -5/12) and x = 2
# (w = -8/3), a maximum at x = 0 (w = 0). Shifted by 8/3 so the global minimum is 0.
TWO_WELLS_SHIFT = 8.0 / 3.0
TWO_WELLS_LOCAL = (-1.0, 0.0)  # f = 9/4, the shallow well
TWO_WELLS_GLOBAL = (2.0, 0.0)  # f = 0
TWO_WELLS_RIDGE = 8.0 / 3.0  # f at the saddle (0, 0), the lowest point of the ridge between the wells


@_quiet
def _two_wells_gradient(xy: Any) -> np.ndarray:
    x, y = _coordinates(xy)
    return _gradient(x * (x + 1.0) * (x - 2.0), 2.0 * y, x)


@SURFACES.register(family="multimodal", gradient=_two_wells_gradient, minima=lambda: _points(TWO_WELLS_GLOBAL),
                   local_minima=lambda: _points(TWO_WELLS_LOCAL), min_value=0.0,
                   view=(-3.0, 3.5, -2.0, 2.0), start=(-2.5, 1.5))
@_quiet
def two_wells(xy: Any) -> np.ndarray:
    """x^4/4 - x^3/3 - x^2 + 8/3 + y^2: a shallow well at (-1, 0) beside the deeper global one at (2, 0).

    f is 9/4 in the shallow well, 0 in the deep one and 8/3 at the saddle (0, 0) on the ridge between:
    plain descent stays in the well it starts in, heavy-ball momentum can carry a run over the ridge.
    """
    x, y = _coordinates(xy)
    well = x * x * (x * x / 4.0 - x / 3.0 - 1.0) + TWO_WELLS_SHIFT
    return _value(well + y * y, x)


# --------------------------------------------------------------------------- a tilted bowl
@_quiet
def _booth_gradient(xy: Any) -> np.ndarray:
    x, y = _coordinates(xy)
    u, v = x + 2.0 * y - 7.0, 2.0 * x + y - 5.0
    return _gradient(2.0 * u + 4.0 * v, 4.0 * u + 2.0 * v, x)


@SURFACES.register(family="bowl", gradient=_booth_gradient, minima=lambda: _points((1.0, 3.0)),
                   min_value=0.0, view=(-10.0, 10.0, -10.0, 10.0), start=(-8.0, 8.0))
@_quiet
def booth(xy: Any) -> np.ndarray:
    """(x+2y-7)^2 + (2x+y-5)^2: a tilted, mildly ill-conditioned bowl (condition number 9)."""
    x, y = _coordinates(xy)
    return _value((x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2, x)


# --------------------------------------------------------------------------- saddle
@_quiet
def _saddle_gradient(xy: Any) -> np.ndarray:
    x, y = _coordinates(xy)
    return _gradient(2.0 * x, -2.0 * y, x)


@SURFACES.register(family="saddle", gradient=_saddle_gradient, minima=lambda: _points(),
                   min_value=-math.inf, view=(-2.0, 2.0, -2.0, 2.0), start=(-1.5, 1e-3))
@_quiet
def saddle(xy: Any) -> np.ndarray:
    """x^2 - y^2: a saddle at 0 and no minimum; near y = 0 plain gradient descent lingers before escaping."""
    x, y = _coordinates(xy)
    return _value(x * x - y * y, x)


# --------------------------------------------------------------------------- bound surface
@dataclass(frozen=True)
class Surface:
    """A surface with its parameters bound, as the optimizer race uses it.

    Attributes:
        name: the registered name.
        params: every parameter, resolved and checked (read-only).
        f: values f(xy), shape (...) for xy of shape (..., 2).
        gradient: gradient(xy), shape (..., 2).
        minima: global minimizers, (K, 2) float64, read-only; (0, 2) when there is none.
        local_minima: named local minimizers that are not global, (L, 2), read-only; (0, 2) for most.
        min_value: f at the minima (-inf when unbounded below).
        view: (xmin, xmax, ymin, ymax) to draw.
        start: default start point (x, y).
    """

    name: str
    params: Mapping[str, Any]
    f: Callable[[Any], np.ndarray] = field(compare=False)
    gradient: Callable[[Any], np.ndarray] = field(compare=False)
    minima: np.ndarray = field(compare=False)
    min_value: float
    view: View
    start: tuple[float, float]
    local_minima: np.ndarray = field(compare=False, default_factory=lambda: _points())

    def nearest_minimum_distance(self, xy: Any) -> np.ndarray:
        """Euclidean distance from points (..., 2) to the closest minimizer, shape (...); inf if none."""
        x, y = _coordinates(xy)
        if len(self.minima) == 0:
            return np.full(x.shape, np.inf)
        with np.errstate(over="ignore", invalid="ignore"):
            distances = np.hypot(x[..., None] - self.minima[:, 0], y[..., None] - self.minima[:, 1])
        return distances.min(axis=-1)


def get_surface(name: str, **params: Any) -> Surface:
    """The surface called name with params bound (defaults for the rest), or a ParamError."""
    component = SURFACES[name]
    resolved = component.resolve(params)
    meta = component.meta
    minima = np.array(meta["minima"](**resolved), dtype=np.float64).reshape(-1, 2)
    minima.flags.writeable = False
    local = meta["local_minima"](**resolved) if "local_minima" in meta else ()
    local = np.array(local, dtype=np.float64).reshape(-1, 2)
    local.flags.writeable = False
    return Surface(
        name=name,
        params=MappingProxyType(resolved),
        f=functools.partial(component.fn, **resolved),
        gradient=functools.partial(meta["gradient"], **resolved),
        minima=minima,
        min_value=float(meta["min_value"]),
        view=tuple(float(v) for v in meta["view"]),
        start=tuple(float(v) for v in meta["start"]),
        local_minima=local,
    )
