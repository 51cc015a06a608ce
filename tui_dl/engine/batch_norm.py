"""Batch normalization of R runs at once, as Keras 3's BatchNormalization layer computes it.

Source: keras/src/layers/normalization/batch_normalization.py (`call`, `_moments`) with the torch
backend's `ops.batch_normalization` (keras/src/backend/torch/nn.py). Per feature (axis -1) of a
hidden layer's pre-activation z (R, B, H), every run with its own gamma and beta (R, H):

- training: mean and the biased variance over the batch, y = (z - mean) * (gamma / sqrt(var +
  epsilon)) + beta, and the moving statistics move towards the batch's:
  moving = moving * momentum + batch * (1 - momentum);
- evaluation: the same with the moving mean and variance in place of the batch's.

Keras's defaults: momentum 0.99, epsilon 1e-3, gamma ones, beta zeros, moving mean zeros, moving
variance ones. The variance is the two-pass mean((z - mean)^2); Keras's torch and JAX backends
compute E[z^2] - E[z]^2, equal up to rounding (and less accurate when |mean| >> std).

Runs may differ in whether they normalize: `off` (R, 1, 1), True for the runs that do not, makes
their output exactly z (and their input gradient exactly the output gradient, their gamma and beta
gradients zero), bit for bit as if there were no normalization. Every function writes into given
arrays, so the training loop's fast path allocates nothing of size (R, B, H).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

MOMENTUM = 0.99
EPSILON = 1e-3


class Moments(NamedTuple):
    """Per-feature mean and variance of every hidden layer, each (R, sum(hidden)), layer after layer.

    Both BatchNormalization's moving statistics (non-trainable state: `MLP.init_moving`, updated
    by training steps) and one training batch's statistics (`LossGrad.moments`) have this form.
    """

    mean: np.ndarray
    variance: np.ndarray


def moving_init(runs: int, width: int, dtype: Any = np.float32) -> Moments:
    """Keras's initial moving statistics for R runs of `width` features: mean zeros, variance ones."""
    return Moments(np.zeros((runs, width), dtype=dtype), np.ones((runs, width), dtype=dtype))


def update_moving(moving: Moments, batch: Moments, momentum: float = MOMENTUM, where: np.ndarray | None = None
                  ) -> None:
    """In place: moving = moving * momentum + batch * (1 - momentum), only in the runs `where` (R,) is True.

    The factors are rounded to the statistics' dtype as Keras's float32 variables do
    (`moving_mean * self.momentum + mean * (1.0 - self.momentum)`).
    """
    dtype = moving.mean.dtype
    keep, take = np.asarray(momentum, dtype), np.asarray(1.0 - momentum, dtype)
    for stored, new in zip(moving, batch, strict=True):
        updated = stored * keep + new * take
        if where is None:
            stored[...] = updated
        else:
            np.copyto(stored, updated, where=np.asarray(where, bool)[:, None])


class NormBuffers:
    """The arrays of every normalized layer for one (runs, batch, dtype) shape.

    mean, variance, inv (1 / sqrt(var + eps)), scale (gamma * inv) and scratch are (R, sum(hidden));
    `layer(name)` gives their per-layer (R, H) views. normed (the layer outputs) and centered
    (z - mean, later reused by the backward pass) are (R, B, H) per layer.
    """

    def __init__(self, hidden: Sequence[int], runs: int, batch: int, dtype: Any):
        width = int(sum(hidden))
        edges = np.cumsum([0, *hidden])
        self.mean, self.variance, self.inv, self.scale, self.scratch = (
            np.empty((runs, width), dtype=dtype) for _ in range(5))
        self._views = {name: [array[:, int(a):int(b)] for a, b in itertools.pairwise(edges)]
                       for name, array in (("mean", self.mean), ("variance", self.variance), ("inv", self.inv),
                                           ("scale", self.scale), ("scratch", self.scratch))}
        self.normed = [np.empty((runs, batch, n), dtype=dtype) for n in hidden]
        self.centered = [np.empty((runs, batch, n), dtype=dtype) for n in hidden]

    def layer(self, name: str) -> list[np.ndarray]:
        """Per-layer (R, H) views of the (R, sum(hidden)) array `name`."""
        return self._views[name]


def normalize_batch(z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, off: np.ndarray | None, *,
                    out: np.ndarray, centered: np.ndarray, mean: np.ndarray, variance: np.ndarray,
                    inv: np.ndarray, scale: np.ndarray, epsilon: float = EPSILON) -> np.ndarray:
    """Training mode: normalize z (R, B, H) with its batch mean and biased variance, into out.

    Fills mean, variance, inv and scale (R, H), and centered (R, B, H) = z - mean for the backward
    pass. Returns out = centered * scale + beta (z itself in the runs where off is True).
    """
    batch = z.shape[1]
    np.mean(z, axis=1, out=mean)
    np.subtract(z, mean[:, None, :], out=centered)
    np.einsum("rbh,rbh->rh", centered, centered, out=variance)
    variance /= batch
    _scale(variance, gamma, epsilon, inv, scale)
    np.multiply(centered, scale[:, None, :], out=out)
    out += beta[:, None, :]
    if off is not None:
        np.copyto(out, z, where=off)
    return out


def normalize_moving(z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, off: np.ndarray | None,
                     moving_mean: np.ndarray, moving_variance: np.ndarray, *, out: np.ndarray,
                     inv: np.ndarray, scale: np.ndarray, epsilon: float = EPSILON) -> np.ndarray:
    """Evaluation mode: normalize z (R, B, H) with the moving statistics (R, H), into out."""
    _scale(moving_variance, gamma, epsilon, inv, scale)
    np.subtract(z, moving_mean[:, None, :], out=out)
    out *= scale[:, None, :]
    out += beta[:, None, :]
    if off is not None:
        np.copyto(out, z, where=off)
    return out


def _scale(variance: np.ndarray, gamma: np.ndarray, epsilon: float, inv: np.ndarray, scale: np.ndarray) -> None:
    """inv = 1 / sqrt(variance + epsilon), scale = inv * gamma (Keras: rsqrt(var + eps) * gamma)."""
    np.add(variance, epsilon, out=inv)
    np.sqrt(inv, out=inv)
    np.divide(1.0, inv, out=inv)
    np.multiply(inv, gamma, out=scale)


def normalize_backward(grad_out: np.ndarray, off: np.ndarray | None, *, centered: np.ndarray, inv: np.ndarray,
                       scale: np.ndarray, grad_gamma: np.ndarray, grad_beta: np.ndarray,
                       scratch: np.ndarray) -> np.ndarray:
    """The gradient with respect to z (R, B, H) of a training-mode normalization, given dL/dy.

    Writes dL/dbeta = sum_b dy and dL/dgamma = sum_b dy * xhat (R, H) into grad_beta and grad_gamma
    (zero for the runs where off is True), with xhat = (z - mean) * inv; through the batch mean and
    variance, dL/dz = scale * (dy - mean_b dy - xhat * mean_b(dy * xhat)). centered is consumed
    (it holds the result, which is returned); scratch is an (R, H) work array.
    """
    batch = grad_out.shape[1]
    np.sum(grad_out, axis=1, out=grad_beta)
    xhat = np.multiply(centered, inv[:, None, :], out=centered)
    np.einsum("rbh,rbh->rh", grad_out, xhat, out=grad_gamma)
    np.divide(grad_gamma, batch, out=scratch)
    xhat *= scratch[:, None, :]
    grad_in = np.subtract(grad_out, xhat, out=centered)
    np.divide(grad_beta, batch, out=scratch)
    grad_in -= scratch[:, None, :]
    grad_in *= scale[:, None, :]
    if off is not None:
        np.copyto(grad_in, grad_out, where=off)
        np.copyto(grad_gamma, 0, where=off[:, 0])
        np.copyto(grad_beta, 0, where=off[:, 0])
    return grad_in
