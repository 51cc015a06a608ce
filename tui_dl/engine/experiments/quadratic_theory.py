"""Optimal constant step and momentum on a quadratic, for the optimizer pane to show beside the race.

On f(x) = x^T H x / 2 with Hessian eigenvalues mu = lambda_min > 0 and L = lambda_max (condition
number kappa = L / mu), the classical results (Polyak 1964; Nesterov, Introductory Lectures, 2.1.5)
are:

- gradient descent with step lr contracts each eigen-direction by |1 - lr lambda|; the worst case is
  smallest at lr = 2 / (L + mu), where both extremes contract by (kappa - 1) / (kappa + 1), and it
  diverges for lr > 2 / L;
- heavy-ball momentum, x+ = x - lr g + m (x - x-), which is torch's SGD with momentum m and no
  dampening, is fastest at lr = 4 / (sqrt(L) + sqrt(mu))^2 and m = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2,
  where every mode contracts by sqrt(m) = (sqrt(kappa) - 1) / (sqrt(kappa) + 1) per step.

So momentum turns a rate that depends on kappa into one that depends on sqrt(kappa): its documented
benefit is on ill-conditioned problems (REFERENCE.md, "Corrections"). For the textbook's
x^2/20 + y^2 (mu = 1/10, L = 2, kappa = 20) the optimal plain step is 2 / 2.1 = 0.952, almost exactly
the textbook's 0.95, with rate 0.905; optimal momentum 0.40 at lr 1.34 gives rate 0.63.

Any smooth surface is a quadratic near a strict minimum: `surface_theory` takes the eigenvalues of
the Hessian there (central differences of the analytic gradient, exact for a quadratic up to rounding)
and so gives the local rates of convergence, e.g. kappa = 9 for booth and about 2500 for rosenbrock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tui_dl.engine.surfaces import Surface
from tui_dl.params import ParamError

# Central-difference steps relative to the scale of the point; two are compared to detect a kink.
HESSIAN_STEP = 1e-4
RATIO = 10.0
HESSIAN_AGREEMENT = 1e-3


@dataclass(frozen=True)
class QuadraticTheory:
    """Optimal constant settings on a quadratic with Hessian eigenvalues in [mu, L].

    Attributes:
        mu, L: the smallest and largest curvature (Hessian eigenvalue).
        kappa: the condition number L / mu.
        gd_lr: the best constant step of gradient descent, 2 / (L + mu).
        gd_rate: its contraction per step, (kappa - 1) / (kappa + 1).
        gd_max_lr: gradient descent diverges above 2 / L.
        momentum_lr: the best step of heavy-ball momentum, 4 / (sqrt(L) + sqrt(mu))^2.
        momentum: the best momentum, ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2.
        momentum_rate: the contraction per step with both, (sqrt(kappa) - 1) / (sqrt(kappa) + 1).
    """

    mu: float
    L: float
    kappa: float
    gd_lr: float
    gd_rate: float
    gd_max_lr: float
    momentum_lr: float
    momentum: float
    momentum_rate: float

    def steps_to(self, factor: float, momentum: bool = False) -> float:
        """Steps for the error to shrink by factor (e.g. 1e-6) at the optimal rate; inf at rate 1."""
        rate = self.momentum_rate if momentum else self.gd_rate
        if rate >= 1.0:
            return math.inf
        return math.log(factor) / math.log(rate) if rate > 0.0 else 1.0


def quadratic_theory(mu: float, L: float) -> QuadraticTheory:  # noqa: N803 - the usual name of the constant
    """The optimal settings for curvatures 0 < mu <= L, or a ParamError."""
    if not (0.0 < mu <= L < math.inf):
        raise ParamError(f"bad curvatures mu={mu!r}, L={L!r}: expected 0 < mu <= L < inf")
    kappa = L / mu
    root = math.sqrt(kappa)
    momentum_rate = (root - 1.0) / (root + 1.0)
    return QuadraticTheory(
        mu=mu,
        L=L,
        kappa=kappa,
        gd_lr=2.0 / (L + mu),
        gd_rate=(kappa - 1.0) / (kappa + 1.0),
        gd_max_lr=2.0 / L,
        momentum_lr=4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2,
        momentum=momentum_rate**2,
        momentum_rate=momentum_rate,
    )


def hessian(surface: Surface, point: tuple[float, float] | np.ndarray, step: float = HESSIAN_STEP) -> np.ndarray:
    """The symmetric 2 x 2 Hessian at point, by central differences of the analytic gradient."""
    point = np.asarray(point, dtype=np.float64)
    h = step * max(1.0, float(np.abs(point).max()))
    shifts = np.array([[h, 0.0], [0.0, h]])
    columns = (surface.gradient(point + shifts) - surface.gradient(point - shifts)) / (2.0 * h)  # row i: d grad / dx_i
    return (columns + columns.T) / 2.0


def surface_theory(surface: Surface, minimum: int = 0) -> QuadraticTheory | None:
    """The theory for the local quadratic at one of the surface's minima.

    None when the surface has no minimum, the Hessian there is not positive definite (a flat or
    degenerate minimum), or f is not twice differentiable there (ackley's cone: two difference
    steps disagree).
    """
    if not 0 <= minimum < len(surface.minima):
        return None
    point = surface.minima[minimum]
    with np.errstate(all="ignore"):
        fine, coarse = hessian(surface, point), hessian(surface, point, RATIO * HESSIAN_STEP)
    if not (np.isfinite(fine).all() and np.allclose(fine, coarse, rtol=HESSIAN_AGREEMENT, atol=0.0)):
        return None
    # Richardson extrapolation: the central differences' h^2 error cancels (rosenbrock's mu to 1e-10, not 1e-6)
    mu, L = np.linalg.eigvalsh((RATIO**2 * fine - coarse) / (RATIO**2 - 1.0))  # noqa: N806 - the usual name
    if mu <= 0.0:
        return None
    return quadratic_theory(float(mu), float(L))
