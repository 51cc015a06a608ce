"""Finite-difference gradients of a batched loss: the reference every backward pass is checked against.

`numeric_gradient(f, params)` perturbs one column of the (R, P) parameters at a time, for every run
at once (runs are independent), and takes the central difference (f(p + h) - f(p - h)) / 2h of the
(R,) losses. In float64 with h = 1e-6 its error is about h^2 times the third derivative plus
rounding of about 1e-16 / h, so an analytic gradient agrees to about 1e-6 relative.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numeric_gradient(f: Callable[[np.ndarray], np.ndarray], params: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """(R, P) central differences of f, a function of (R, P) parameters returning (R,) losses."""
    grad = np.zeros_like(params)
    for j in range(params.shape[1]):  # a loop over parameters; every run at once
        step = np.zeros_like(params)
        step[:, j] = h
        grad[:, j] = (f(params + step) - f(params - step)) / (2 * h)
    return grad
