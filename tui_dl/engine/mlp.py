"""A batched multilayer perceptron: R networks of the same shape trained at once.

All parameters of run r live in row r of one (R, P) buffer, so a single optimizer update (any of
optimizers.py, with per-run hyperparameters) moves every run. The row holds every kernel first,
then every bias: `[W1, W2, ..., WL, b1, ..., bL]`, each kernel flattened in Keras's layout
(fan_in, fan_out); a model made with `batch_norm=True` appends the normalization's gammas, then
its betas, one per hidden layer: `[..., bL, gamma1, ..., gamma(L-1), beta1, ..., beta(L-1)]`.
`kernels(params)`, `biases(params)`, `gammas(params)` and `betas(params)` return views of shape
(R, fan_in, fan_out), (R, fan_out) and (R, H) into the buffer, and since the kernels come first
the L1/L2 penalties (Keras's `kernel_regularizer`: kernels only, never biases) act on one
contiguous slice, `params[:, :n_kernel]`.

Semantics are Keras 3's:

- Dense layers y = x W + b; kernels drawn by an initializer of initializers.py, biases zero.
- Hidden activation from activations.py (its derivative drives the backward pass); the output
  layer is linear: logits for classification, predictions for regression.
- Classification loss: sparse categorical cross-entropy on the logits through a numerically
  stable log-softmax (Keras with `from_logits=True`; a softmax output layer with
  `from_logits=False` is the same up to Keras's clip of probabilities to [1e-7, 1 - 1e-7]).
  Regression loss: mean squared error, the mean over outputs and samples.
- Penalties on kernels, one lambda per run: L1 adds lambda * sum |w| (gradient lambda sign w),
  L2 adds lambda * sum w^2 (gradient 2 lambda w; Keras's l2, the squared norm, without a 1/2).
- Inverted dropout after each hidden activation, one rate per run: a unit is kept with
  probability 1 - rate and scaled by 1 / (1 - rate) while training (Keras's `uniform >= rate`),
  so evaluation is the identity. Masks come from each run's own Generator (see `dropout_masks`).
- Optional batch normalization (batch_norm.py, Keras's BatchNormalization with its defaults) after
  every hidden Dense layer and before its activation: Dense -> BatchNormalization -> activation
  -> dropout. A model made with `batch_norm=True` has the gammas and betas; a (R,) bool
  `batch_norm` argument then chooses the runs that normalize (the others compute exactly what a
  model without it computes, and their gammas and betas get zero gradient). The moving mean and
  variance are non-trainable state outside the parameters, a `Moments` pair of (R, sum(hidden))
  arrays from `init_moving`: `loss_and_grad` (training mode: batch statistics) returns the
  batch's moments and updates a `moving` passed to it; `forward`, `predict` and `evaluate`
  (evaluation mode) read it.

Arithmetic happens in the buffer's dtype (float32 by default for speed, float64 for gradient
checks). The hot path is one batched matmul per layer and direction over (R, B, H) arrays.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from tui_dl.engine import batch_norm as bn
from tui_dl.engine.activations import Activation, get_activation
from tui_dl.engine.batch_norm import Moments
from tui_dl.engine.initializers import INITIALIZERS
from tui_dl.params import ParamError

CLASSIFICATION = "classification"
REGRESSION = "regression"
TASKS = (CLASSIFICATION, REGRESSION)


class LossGrad(NamedTuple):
    """What one training step needs from the network (all per run).

    Attributes:
        loss: (R,) data loss + penalty, the number Keras reports for a training batch.
        data_loss: (R,) the data loss alone (mean over the batch).
        penalty: (R,) L1 + L2 penalty of the kernels.
        correct: (R,) number of correctly classified samples in the batch (0 for regression).
        grads: (R, P) gradient of `loss` with respect to every parameter.
        moments: the batch's mean and biased variance (R, sum(hidden)) of every normalized layer
            (meaningless in the rows of runs that do not normalize); None when no run normalizes.
    """

    loss: np.ndarray
    data_loss: np.ndarray
    penalty: np.ndarray
    correct: np.ndarray
    grads: np.ndarray
    moments: Moments | None = None


class _Norm(NamedTuple):
    """How a forward pass normalizes: the runs that do not (None: all do), its buffers and its mode."""

    off: np.ndarray | None  # (R, 1, 1) True for the runs that do not normalize
    buffers: bn.NormBuffers
    training: bool


class _Cache(NamedTuple):
    """The forward pass's intermediates that the backward pass reuses."""

    inputs: list[np.ndarray]  # input of each dense layer (x, then each masked hidden output)
    pre: list[np.ndarray]  # pre-activation of each hidden layer
    post: list[np.ndarray]  # activation of each hidden layer before the dropout mask
    norm: _Norm | None = None  # batch normalization, when some run normalizes


class Workspace:
    """Buffers for one (runs, batch, dtype) shape, reused from step to step.

    A training step at the benchmark size creates a few dozen arrays of about half a megabyte;
    glibc serves those from fresh pages (mmap, then trims them back), and the page faults cost
    more than the arithmetic: forward and backward of 8 runs of a 64-128-128-10 network at batch
    128 take 3.0 ms with fresh arrays and 1.2 ms with reused ones.

    Each set of buffers is allocated on first use: an evaluation-only shape (the validation chunks,
    the decision grid) never holds the backward pass's buffers or a gradient row per run.
    """

    def __init__(self, model: MLP, runs: int, batch: int, dtype: Any):
        self._model, self._runs, self._batch, self._dtype = model, runs, batch, dtype

    def _buffers(self, widths: Sequence[int], kind: Any = None) -> list[np.ndarray]:
        return [np.empty((self._runs, self._batch, n), dtype=kind or self._dtype) for n in widths]

    @functools.cached_property
    def z(self) -> list[np.ndarray]:
        """Pre-activations of every dense layer, (R, B, units) each."""
        return self._buffers(self._model.sizes[1:])

    @functools.cached_property
    def h(self) -> list[np.ndarray]:
        """Hidden activations, (R, B, units) each."""
        return self._buffers(self._model.hidden)

    @functools.cached_property
    def a(self) -> list[np.ndarray]:
        """Hidden activations after the dropout mask."""
        return self._buffers(self._model.hidden)

    @functools.cached_property
    def back(self) -> list[np.ndarray]:
        """Gradients flowing back into each hidden layer."""
        return self._buffers(self._model.hidden)

    @functools.cached_property
    def flags(self) -> list[np.ndarray]:
        """ReLU's z > 0 per hidden layer (bool)."""
        return self._buffers(self._model.hidden, bool)

    @functools.cached_property
    def dout(self) -> np.ndarray:
        """The loss's gradient with respect to the outputs, (R, B, K)."""
        return np.empty((self._runs, self._batch, self._model.sizes[-1]), dtype=self._dtype)

    @functools.cached_property
    def grads(self) -> np.ndarray:
        """The gradient row of every run, (R, P)."""
        return np.empty((self._runs, self._model.n_params), dtype=self._dtype)

    @functools.cached_property
    def kernel(self) -> np.ndarray:
        """Scratch for the penalty's gradient, (R, kernel parameters)."""
        return np.empty((self._runs, self._model.n_kernel), dtype=self._dtype)

    @functools.cached_property
    def norm(self) -> bn.NormBuffers | None:
        """Batch normalization's arrays (None in a model without it)."""
        model = self._model
        return bn.NormBuffers(model.hidden, self._runs, self._batch, self._dtype) if model.batch_norm else None


def _has(value: Any) -> bool:
    """Whether a scalar or per-run value is non-zero anywhere."""
    return bool(np.any(np.asarray(value) != 0))


def _column(value: Any, dtype: Any) -> Any:
    """A scalar, or an (R,) array as an (R, 1) column, in dtype."""
    array = np.asarray(value, dtype=dtype)
    return array[()] if array.ndim == 0 else array.reshape(-1, 1)


@dataclass(frozen=True)
class MLP:
    """The architecture shared by all runs; parameters are passed in as an (R, P) buffer.

    Attributes:
        sizes: (input, hidden..., output) widths.
        activation: the hidden layers' activation, with its parameters bound.
        task: "classification" (softmax cross-entropy) or "regression" (mean squared error).
        batch_norm: whether the parameter rows hold BatchNormalization's gammas and betas (each
            call's `batch_norm` flags then choose the runs that use them).
        bn_momentum, bn_epsilon: BatchNormalization's momentum and epsilon (Keras's defaults).
    """

    sizes: tuple[int, ...]
    activation: Activation
    task: str = CLASSIFICATION
    batch_norm: bool = False
    bn_momentum: float = bn.MOMENTUM
    bn_epsilon: float = bn.EPSILON
    _kernel_slices: tuple[slice, ...] = field(init=False, repr=False, compare=False)
    _bias_slices: tuple[slice, ...] = field(init=False, repr=False, compare=False)
    _gamma_slices: tuple[slice, ...] = field(init=False, repr=False, compare=False)
    _beta_slices: tuple[slice, ...] = field(init=False, repr=False, compare=False)
    _workspaces: dict[tuple, Workspace] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.sizes) < 2 or any(int(n) < 1 for n in self.sizes):
            raise ParamError(f"bad layer sizes {list(self.sizes)}: expected at least an input and an output, each >= 1")
        if self.task not in TASKS:
            raise ParamError(f"bad task {self.task!r}: expected one of: {', '.join(TASKS)}")
        offsets = np.cumsum([0, *(a * b for a, b in self.shapes)])
        kernels = tuple(slice(int(a), int(b)) for a, b in itertools.pairwise(offsets))
        ends = np.cumsum([int(offsets[-1]), *self.sizes[1:]])
        biases = tuple(slice(int(a), int(b)) for a, b in itertools.pairwise(ends))
        widths = self.hidden if self.batch_norm else ()
        starts = np.cumsum([int(ends[-1]), *widths, *widths])
        norms = tuple(slice(int(a), int(b)) for a, b in itertools.pairwise(starts))
        object.__setattr__(self, "_kernel_slices", kernels)
        object.__setattr__(self, "_bias_slices", biases)
        object.__setattr__(self, "_gamma_slices", norms[:len(widths)])
        object.__setattr__(self, "_beta_slices", norms[len(widths):])

    # ----------------------------------------------------------------- layout
    @property
    def shapes(self) -> list[tuple[int, int]]:
        """(fan_in, fan_out) of each kernel."""
        return [(int(a), int(b)) for a, b in zip(self.sizes[:-1], self.sizes[1:], strict=True)]

    @property
    def variable_shapes(self) -> list[tuple[int, ...]]:
        """The shape of every variable in a row, in order: kernels (fan_in, fan_out), then biases, gammas and
        betas (1-D), for the optimizers that reduce over a whole variable (Lamb, Adafactor)."""
        vectors = [(int(n),) for n in self.sizes[1:]]
        if self.batch_norm:
            vectors += [(int(n),) for n in self.hidden] * 2
        return [*self.shapes, *vectors]

    @property
    def n_kernel(self) -> int:
        """Number of kernel entries: the first n_kernel columns of a parameter row."""
        return self._kernel_slices[-1].stop

    @property
    def n_dense(self) -> int:
        """Number of kernel and bias entries: the columns before the gammas and betas."""
        return self._bias_slices[-1].stop

    @property
    def n_params(self) -> int:
        """P, the length of one run's parameter row."""
        return self._beta_slices[-1].stop if self._beta_slices else self.n_dense

    @property
    def hidden(self) -> tuple[int, ...]:
        """Widths of the hidden layers."""
        return tuple(int(n) for n in self.sizes[1:-1])

    def kernels(self, params: np.ndarray) -> list[np.ndarray]:
        """Views (R, fan_in, fan_out) of each kernel in params (R, P); writing to them writes params."""
        runs = params.shape[0]
        return [params[:, s].reshape(runs, a, b) for s, (a, b) in zip(self._kernel_slices, self.shapes, strict=True)]

    def biases(self, params: np.ndarray) -> list[np.ndarray]:
        """Views (R, fan_out) of each bias in params (R, P)."""
        return [params[:, s] for s in self._bias_slices]

    def gammas(self, params: np.ndarray) -> list[np.ndarray]:
        """Views (R, H) of each hidden layer's BatchNormalization gamma ([] without batch_norm)."""
        return [params[:, s] for s in self._gamma_slices]

    def betas(self, params: np.ndarray) -> list[np.ndarray]:
        """Views (R, H) of each hidden layer's BatchNormalization beta ([] without batch_norm)."""
        return [params[:, s] for s in self._beta_slices]

    def layer_units(self, stats: np.ndarray) -> list[np.ndarray]:
        """Views (R, H) of each hidden layer in an (R, sum(hidden)) array such as a Moments field."""
        edges = np.cumsum([0, *self.hidden])
        return [stats[:, int(a):int(b)] for a, b in itertools.pairwise(edges)]

    # ----------------------------------------------------------------- init
    def init_params(self, rngs: Sequence[np.random.Generator], initializer: str = "glorot_uniform",
                    init_params: Mapping[str, Any] | None = None, dtype: Any = np.float32) -> np.ndarray:
        """(R, P) parameters, one run per Generator: kernels from the initializer, biases zero (Keras).

        With batch_norm, gammas start at one and betas at zero (Keras's BatchNormalization).

        Each run draws its kernels, layer by layer, from its own Generator only, so run r's weights
        do not depend on how many other runs there are. Drawing happens once per experiment, so
        this one loop over runs costs nothing per step.
        """
        component = INITIALIZERS[initializer]
        resolved = component.resolve(init_params)
        return self.init_params_from(lambda run, layer, shape: component.fn(rngs[run], shape, **resolved),
                                     len(rngs), dtype)

    def init_params_from(self, draw_kernel: Callable[[int, int, tuple[int, int]], np.ndarray], runs: int,
                         dtype: Any = np.float32) -> np.ndarray:
        """(R, P) parameters with kernel `layer` of run `run` from draw_kernel(run, layer, (fan_in, fan_out)).

        Runs and layers are visited in order (run-major), once per experiment; biases are zero (Keras);
        with batch_norm, gammas start at one and betas at zero (Keras's BatchNormalization).
        """
        params = np.zeros((runs, self.n_params), dtype=dtype)
        for run in range(runs):
            for layer, (view, shape) in enumerate(zip(self.kernels(params[run:run + 1]), self.shapes, strict=True)):
                view[0] = draw_kernel(run, layer, shape)
        for gamma in self.gammas(params):
            gamma[...] = 1.0
        return params

    def init_moving(self, runs: int, dtype: Any = np.float32) -> Moments:
        """BatchNormalization's initial moving statistics (R, sum(hidden)): mean zeros, variance ones.

        This is the model's non-trainable state: `loss_and_grad(..., moving=...)` updates it in
        place, evaluation reads it, and a snapshot of the weights (restore_best_weights) must copy
        it along with the parameters, as Keras's `get_weights` includes it.
        """
        return bn.moving_init(runs, sum(self.hidden), dtype)

    def update_moving(self, moving: Moments, batch: Moments, where: np.ndarray | None = None) -> None:
        """In place: moving = moving * momentum + batch * (1 - momentum) in the runs where `where` (R,) is True.

        What Keras's BatchNormalization does to its moving statistics in each training step;
        `loss_and_grad(..., moving=...)` calls it for the runs that normalize.
        """
        bn.update_moving(moving, batch, self.bn_momentum, where)

    def _norm_runs(self, batch_norm: Any, runs: int) -> np.ndarray | None:
        """The (R,) flags of the runs that normalize, or None when none does (the plain path)."""
        if batch_norm is None:
            return np.ones(runs, dtype=bool) if self.batch_norm and self.hidden else None
        flags = np.broadcast_to(np.asarray(batch_norm, dtype=bool), (runs,))
        if not flags.any() or not self.hidden:
            return None
        if not self.batch_norm:
            raise ParamError("batch_norm needs a model made with batch_norm=True (its gammas and betas)")
        return flags

    def _norm(self, flags: np.ndarray | None, ws: Workspace | None, params: np.ndarray, batch: int,
              training: bool, moving: Moments | None) -> _Norm | None:
        if flags is None:
            return None
        if not training and moving is None:
            raise ParamError("evaluation with batch normalization needs the moving statistics (moving=...)")
        off = None if flags.all() else ~flags[:, None, None]
        buffers = ws.norm if ws is not None else bn.NormBuffers(self.hidden, params.shape[0], batch, params.dtype)
        return _Norm(off, buffers, training)

    # ----------------------------------------------------------------- forward
    def workspace(self, runs: int, batch: int, dtype: Any, name: str = "") -> Workspace:
        """The cached Workspace for this shape (created on first use); name keeps separate sets apart."""
        key = (runs, batch, np.dtype(dtype).str, name)
        if key not in self._workspaces:
            self._workspaces[key] = Workspace(self, runs, batch, dtype)
        return self._workspaces[key]

    def _buffers(self, params: np.ndarray, batch: int, reuse: bool | str) -> Workspace | None:
        if reuse is False:
            return None
        return self.workspace(params.shape[0], batch, params.dtype, "" if reuse is True else reuse)

    def forward(self, params: np.ndarray, x: np.ndarray, masks: Sequence[np.ndarray | None] | None = None,
                *, batch_norm: Any = None, moving: Moments | None = None, training: bool = False,
                reuse: bool | str = False) -> tuple[np.ndarray, _Cache]:
        """Outputs (R, B, K) of every run for inputs x, (R, B, D) per run or (B, D) shared.

        masks: one multiplicative dropout mask (R, B, H) per hidden layer (None: no dropout there).
        batch_norm: a bool or (R,) bools, the runs that normalize (None: all of them in a model
        made with batch_norm, none otherwise); True anywhere in a model without gammas and betas
        raises ParamError. training: normalize with the batch's statistics (what loss_and_grad
        does) instead of `moving`, the moving statistics, which evaluation mode (the default)
        requires when some run normalizes (ParamError otherwise); forward never updates them.
        reuse: compute into this shape's cached Workspace instead of fresh arrays; the results
        are then overwritten by the next call of the same shape (the training loop's fast path).
        A string reuses a separate, named set of buffers (so work on another thread, such as a
        snapshot's grid, never shares buffers with training).
        """
        ws = self._buffers(params, x.shape[-2], reuse)
        norm = None
        if batch_norm is not None or self.batch_norm:  # the plain model pays no more than this test
            norm = self._norm(self._norm_runs(batch_norm, params.shape[0]), ws, params, x.shape[-2], training, moving)
        kernels, biases = self.kernels(params), self.biases(params)
        inputs, pre, post = [], [], []
        a = x
        last = len(kernels) - 1
        for layer, (w, b) in enumerate(zip(kernels, biases, strict=True)):
            inputs.append(a)
            z = np.matmul(a, w, out=None if ws is None else ws.z[layer])
            z += b[:, None, :]
            if layer == last:
                return z, _Cache(inputs, pre, post, norm)
            if norm is not None:
                z = self._normalize(params, z, layer, norm, moving)
            h = self._activate(z, None if ws is None else ws.h[layer])
            pre.append(z)
            post.append(h)
            mask = masks[layer] if masks is not None else None
            a = h if mask is None else np.multiply(h, mask, out=None if ws is None else ws.a[layer])
        raise AssertionError("unreachable")

    def _normalize(self, params: np.ndarray, z: np.ndarray, layer: int, norm: _Norm, moving: Moments | None
                   ) -> np.ndarray:
        """Layer `layer`'s BatchNormalization output, from the batch (training) or moving statistics."""
        buffers = norm.buffers
        gamma, beta = params[:, self._gamma_slices[layer]], params[:, self._beta_slices[layer]]
        inv, scale = buffers.layer("inv")[layer], buffers.layer("scale")[layer]
        if norm.training:
            return bn.normalize_batch(z, gamma, beta, norm.off, out=buffers.normed[layer],
                                      centered=buffers.centered[layer], mean=buffers.layer("mean")[layer],
                                      variance=buffers.layer("variance")[layer], inv=inv, scale=scale,
                                      epsilon=self.bn_epsilon)
        assert moving is not None
        mean, variance = (self.layer_units(stats)[layer] for stats in moving)
        return bn.normalize_moving(z, gamma, beta, norm.off, mean, variance, out=buffers.normed[layer],
                                   inv=inv, scale=scale, epsilon=self.bn_epsilon)

    def _activate(self, z: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        """The hidden activation of z; ReLU, the default, is computed into out without temporaries."""
        if self.activation.name == "relu":
            return np.maximum(z, 0, out=out)
        return self.activation.forward(z)

    def _backprop_activation(self, back: np.ndarray, z: np.ndarray, h: np.ndarray, flags: np.ndarray | None) -> None:
        """back *= activation'(z) in place (ReLU: the indicator z > 0, as activations.relu's derivative)."""
        if self.activation.name == "relu":
            back *= np.greater(z, 0, out=flags)
        else:
            back *= self.activation.derivative(z, h)

    def predict(self, params: np.ndarray, x: np.ndarray, *, batch_norm: Any = None, moving: Moments | None = None,
                reuse: bool | str = False) -> np.ndarray:
        """Evaluation-mode outputs (no dropout): class probabilities (softmax) or predictions, (R, N, K).

        batch_norm, moving: the runs that normalize and their moving statistics (see forward).
        The result is always a fresh array; reuse only applies to the hidden layers (see forward).
        """
        out, _ = self.forward(params, x, batch_norm=batch_norm, moving=moving, reuse=reuse)
        out = out.copy() if reuse is not False else out
        if self.task == REGRESSION:
            return out
        out -= out.max(axis=2, keepdims=True)
        with np.errstate(under="ignore"):
            np.exp(out, out=out)
        out /= out.sum(axis=2, keepdims=True)
        return out

    # ----------------------------------------------------------------- losses
    def data_loss(self, out: np.ndarray, y: np.ndarray, *, grad: bool = True, buffer: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """(loss (R,), dloss/dout (R, B, K) or None, correct (R,)) for outputs out and targets y.

        y: class labels (R, B) or (B,) for classification, targets (R, B, K) or (B, K) for regression.
        The loss is the mean over the batch (and, for MSE, over the outputs too). buffer: where to
        compute the gradient (shape of out), instead of a fresh array.
        """
        batch = out.shape[1]
        if self.task == REGRESSION:
            diff = np.subtract(out, y, out=buffer)
            size = batch * out.shape[2]
            loss = np.einsum("rbk,rbk->r", diff, diff) / size
            correct = np.zeros(out.shape[0])
            if grad:
                diff *= 2.0 / size
            return loss, diff if grad else None, correct
        labels = np.broadcast_to(y, out.shape[:2])[..., None]
        correct = (out.argmax(axis=2) == labels[..., 0]).sum(axis=1)
        shifted = np.subtract(out, out.max(axis=2, keepdims=True), out=buffer)
        picked = np.take_along_axis(shifted, labels, axis=2)
        with np.errstate(under="ignore"):  # e^-1000 rounding to 0 is the right answer
            exp = np.exp(shifted, out=shifted)
            total = exp.sum(axis=2, keepdims=True)
            loss = (np.log(total) - picked).mean(axis=(1, 2))
            if not grad:
                return loss, None, correct
            exp *= (1.0 / batch) / total  # the softmax, over the batch size
            np.put_along_axis(exp, labels, np.take_along_axis(exp, labels, axis=2) - 1.0 / batch, axis=2)
        return loss, exp, correct

    def penalty(self, params: np.ndarray, l1: Any = 0.0, l2: Any = 0.0, *, scratch: np.ndarray | None = None
                ) -> np.ndarray:
        """(R,) penalty l1 * sum |w| + l2 * sum w^2 over the kernels (per-run lambdas).

        scratch: an (R, n_kernel) array to compute |w| in, instead of a fresh one.
        """
        w = params[:, : self.n_kernel]
        total = np.zeros(params.shape[0], dtype=params.dtype)
        if _has(l1):
            total += np.asarray(l1, dtype=params.dtype) * np.abs(w, out=scratch).sum(axis=1)
        if _has(l2):
            total += np.asarray(l2, dtype=params.dtype) * np.einsum("rp,rp->r", w, w)
        return total

    # ----------------------------------------------------------------- backward
    def loss_and_grad(self, params: np.ndarray, x: np.ndarray, y: np.ndarray, *, l1: Any = 0.0, l2: Any = 0.0,
                      masks: Sequence[np.ndarray | None] | None = None, batch_norm: Any = None,
                      moving: Moments | None = None, update: Any = None, reuse: bool | str = False) -> LossGrad:
        """Loss, its parts and the gradient (R, P) of data loss + penalty, by backpropagation (training mode).

        x is (R, B, D) (each run its own mini-batch) or (B, D) shared; masks are fixed dropout
        masks as from `dropout_masks` (None: none), so a finite-difference check can hold them.
        batch_norm: the runs that normalize (see forward), here with the batch's mean and biased
        variance, through which the gradient flows (Keras's training mode); the gradient of the
        gammas and betas of the other runs is zero. moving: moving statistics to update in place
        with this batch's moments, as Keras's training step does, in the runs that normalize and,
        if given, where `update` (R,) is True (a frozen run keeps its statistics); the moments are
        returned in any case. reuse: work in this shape's cached Workspace; the returned grads and
        moments are then overwritten by the next call of the same shape.
        """
        ws = self._buffers(params, x.shape[-2], reuse)
        out, cache = self.forward(params, x, masks, batch_norm=batch_norm, training=True, reuse=reuse)
        data, delta, correct = self.data_loss(out, y, buffer=None if ws is None else ws.dout)
        grads = np.empty_like(params) if ws is None else ws.grads
        grad_kernels, grad_biases = self.kernels(grads), self.biases(grads)
        kernels = self.kernels(params)
        norm = cache.norm
        if norm is None and self.batch_norm:
            grads[:, self.n_dense:] = 0.0
        for layer in range(len(kernels) - 1, -1, -1):
            a = cache.inputs[layer]
            a_t = a.T if a.ndim == 2 else a.transpose(0, 2, 1)  # shared input: (D, B) @ (R, B, H)
            np.matmul(a_t, delta, out=grad_kernels[layer])
            delta.sum(axis=1, out=grad_biases[layer])
            if layer == 0:
                break
            back = np.matmul(delta, kernels[layer].transpose(0, 2, 1), out=None if ws is None else ws.back[layer - 1])
            mask = masks[layer - 1] if masks is not None else None
            if mask is not None:
                back *= mask
            self._backprop_activation(back, cache.pre[layer - 1], cache.post[layer - 1],
                                      None if ws is None else ws.flags[layer - 1])
            if norm is not None:
                back = self._normalize_backward(back, layer - 1, norm, grads)
            delta = back
        scratch = None if ws is None else ws.kernel
        penalty = self.penalty(params, l1, l2, scratch=scratch)
        self._add_penalty_grad(params, grads, l1, l2, scratch)
        moments = None
        if norm is not None:
            moments = Moments(norm.buffers.mean, norm.buffers.variance)
            if moving is not None:
                where = ~norm.off[:, 0, 0] if norm.off is not None else None
                if update is not None:
                    chosen = np.broadcast_to(np.asarray(update, dtype=bool), (params.shape[0],))
                    where = chosen if where is None else where & chosen
                self.update_moving(moving, moments, where)
        return LossGrad(data + penalty, data, penalty, correct, grads, moments)

    def _normalize_backward(self, grad_out: np.ndarray, layer: int, norm: _Norm, grads: np.ndarray) -> np.ndarray:
        """dL/dz of layer `layer` from dL/d(normalized z); fills its gamma and beta gradients."""
        buffers = norm.buffers
        return bn.normalize_backward(grad_out, norm.off, centered=buffers.centered[layer],
                                     inv=buffers.layer("inv")[layer], scale=buffers.layer("scale")[layer],
                                     grad_gamma=grads[:, self._gamma_slices[layer]],
                                     grad_beta=grads[:, self._beta_slices[layer]],
                                     scratch=buffers.layer("scratch")[layer])

    def _add_penalty_grad(self, params: np.ndarray, grads: np.ndarray, l1: Any, l2: Any,
                          scratch: np.ndarray | None) -> None:
        w, g = params[:, : self.n_kernel], grads[:, : self.n_kernel]
        if _has(l1):
            g += np.multiply(np.sign(w, out=scratch), _column(l1, params.dtype), out=scratch)
        if _has(l2):
            g += np.multiply(w, _column(2.0 * np.asarray(l2, dtype=np.float64), params.dtype), out=scratch)

    # ----------------------------------------------------------------- evaluation
    def evaluate(self, params: np.ndarray, x: np.ndarray, y: np.ndarray, chunk: int = 1024, *,
                 batch_norm: Any = None, moving: Moments | None = None,
                 reuse: bool | str = False) -> tuple[np.ndarray, np.ndarray]:
        """(mean data loss (R,), accuracy (R,)) on a shared data set in evaluation mode (no dropout).

        The data goes through in chunks of `chunk` samples so memory stays bounded for large sets;
        accuracy is NaN for regression. batch_norm, moving: the runs that normalize and their
        moving statistics (see forward). reuse: compute in cached Workspaces (see forward).
        """
        n = len(x)
        loss = np.zeros(params.shape[0])
        correct = np.zeros(params.shape[0])
        for start in range(0, n, chunk):  # a loop over data chunks; runs stay batched
            stop = min(start + chunk, n)
            out, _ = self.forward(params, x[start:stop], batch_norm=batch_norm, moving=moving, reuse=reuse)
            ws = self._buffers(params, stop - start, reuse)
            buffer = None if ws is None else ws.dout
            part, _, right = self.data_loss(out, y[start:stop], grad=False, buffer=buffer)
            loss += part * (stop - start)
            correct += right
        accuracy = correct / n if self.task == CLASSIFICATION else np.full(params.shape[0], np.nan)
        return loss / n, accuracy


def make_mlp(input_dim: int, hidden: Sequence[int], output_dim: int, activation: str = "relu",
             activation_params: Mapping[str, Any] | None = None, task: str = CLASSIFICATION,
             batch_norm: bool = False) -> MLP:
    """An MLP from widths and an activation name (parameters checked against its ParamSpecs).

    batch_norm: give the parameter rows BatchNormalization's gammas and betas (see MLP).
    """
    return MLP((int(input_dim), *(int(h) for h in hidden), int(output_dim)),
               get_activation(activation, **dict(activation_params or {})), task, bool(batch_norm))


def dropout_masks(rngs: Sequence[np.random.Generator], rates: Any, batch: int, widths: Sequence[int],
                  dtype: Any = np.float32, out: np.ndarray | None = None) -> list[np.ndarray | None]:
    """Inverted-dropout masks (R, batch, H) for each hidden width, or Nones when no run drops.

    Run r keeps a unit where its uniform draw is >= rates[r] and scales it by 1 / (1 - rate), as
    Keras does. Each run draws from its own Generator, and only when its rate is positive, so run
    r's masks are the same whether it trains alone or next to others; this loop over runs is the
    one place that draws random numbers per run (the arithmetic stays batched). The uniforms are
    float32 for a float32 network (half the cost) and float64 otherwise.

    out: an (R, batch, sum(widths)) array of dtype to fill instead of a fresh one.
    """
    rates = np.broadcast_to(np.asarray(rates, dtype=np.float64), (len(rngs),))
    if not np.any(rates > 0):
        return [None] * len(widths)
    total = int(sum(widths))
    dropping = np.flatnonzero(rates > 0)
    uniforms = np.empty((len(dropping), batch, total), dtype=dtype)
    for row, r in enumerate(dropping):
        rngs[r].random((batch, total), dtype=uniforms.dtype, out=uniforms[row])
    return dropout_masks_from_uniforms(uniforms, np.arange(len(dropping)), rates, widths, out=out)


def dropout_masks_from_uniforms(uniforms: np.ndarray, row: np.ndarray, rates: Any, widths: Sequence[int],
                                out: np.ndarray | None = None) -> list[np.ndarray | None]:
    """Inverted-dropout masks (R, batch, H) per hidden width from uniform draws in [0, 1).

    uniforms: (U, batch, sum(widths)) draws; row: for each run that drops (rate > 0, in run order)
    the row of uniforms it uses, so runs that share a row share their dropped units (Keras keeps a
    unit where uniform >= rate and scales it by 1 / (1 - rate)). rates: (R,), one per run. Runs with
    rate 0 get masks of ones. out: an (R, batch, sum(widths)) array of the uniforms' dtype to fill.
    """
    rates = np.asarray(rates, dtype=np.float64).reshape(-1)
    if not np.any(rates > 0):
        return [None] * len(widths)
    masks = np.empty((len(rates), *uniforms.shape[1:]), dtype=uniforms.dtype) if out is None else out
    dropping = np.flatnonzero(rates > 0)
    masks[rates <= 0] = 1.0
    rate = rates[dropping][:, None, None]
    masks[dropping] = (uniforms[np.asarray(row)] >= rate) * (1.0 / (1.0 - rate))
    edges = np.cumsum([0, *widths])
    return [masks[:, :, a:b] for a, b in itertools.pairwise(edges)]
