"""Weight initialization: per-layer activation statistics of a deep MLP under several setups at once.

The textbook experiment (Deep Learning from Scratch, ch. 6): a standard-normal input of
`samples` x `width` goes through `layers` dense layers of `width` units, no bias by default; each
run (up to six) has its own initializer and activation. Per layer and run it records the outputs'
histogram on edges fixed by the activation (so layers and runs compare), mean, std, the shares
saturated (sigmoid/tanh within 0.02 of a bound) and dead (exactly 0 after a ReLU), the weights'
std, and the norm of each layer's weight gradient for the loss mean(output^2) / 2, so vanishing
and exploding gradients show next to the activations.

All runs share the input; weights are (R, layers, width, width) and the forward pass is one
batched matmul per layer. Runs are grouped by activation for the nonlinearity (at most six groups).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tui_dl.engine.activations import Activation, get_activation
from tui_dl.engine.initializers import INITIALIZERS
from tui_dl.params import ParamSpec

# histogram range of an unbounded side of an activation's output
UNBOUNDED_EDGE = 4.0
SATURATION_MARGIN = 0.02
MAX_RUNS = 6
# backward pass on at most this many samples (a mini-batch), to bound memory at 10,000 x 1000 x 20
GRADIENT_SAMPLES = 1000

LAYERS = ParamSpec("layers", "int", 5, low=1, high=20, help="number of dense layers")
WIDTH = ParamSpec("width", "int", 100, low=10, high=1000, scale="log", help="units per layer (and input size)")
SAMPLES = ParamSpec("samples", "int", 1000, low=1, high=10_000, scale="log", help="input rows (standard normal)")
BINS = ParamSpec("bins", "int", 30, low=2, high=200, help="histogram bins")
BIAS = ParamSpec("bias", "bool", False, help="add a zero-initialized bias to each layer (Keras and PyTorch do)")


@dataclass(frozen=True)
class InitRun:
    """One compared setup: an initializer and an activation, each with (checked) parameters."""

    label: str
    initializer: str
    activation: str
    init_params: Mapping[str, Any] = field(default_factory=dict)
    activation_params: Mapping[str, Any] = field(default_factory=dict)


# The textbook figure: sigmoid under N(0, 1), N(0, 0.01) and "Xavier" (1 / sqrt(n)).
TEXTBOOK_RUNS = (
    InitRun("N(0,1)", "normal", "sigmoid", {"std": 1.0}),
    InitRun("N(0,0.01)", "normal", "sigmoid", {"std": 0.01}),
    InitRun("Xavier", "xavier_simple", "sigmoid"),
)


@dataclass(frozen=True)
class InitConfig:
    """The network and the runs compared on it."""

    runs: tuple[InitRun, ...] = TEXTBOOK_RUNS
    layers: int = LAYERS.default
    width: int = WIDTH.default
    samples: int = SAMPLES.default
    bins: int = BINS.default
    bias: bool = BIAS.default


@dataclass(frozen=True)
class InitSnapshot:
    """Per-layer statistics, arrays of shape (R, layers) unless said otherwise.

    Attributes:
        labels: run labels.
        edges: histogram bin edges per run, (R, bins + 1) (fixed by the activation).
        counts: histogram counts, (R, layers, bins); values outside the edges are not counted.
        below, above: shares of outputs below the first and above the last edge.
        mean, std: of each layer's outputs.
        saturated: share within 0.02 of a bound of sigmoid/tanh (NaN for other activations).
        dead: share exactly 0 for the ReLU family (NaN for others).
        weight_std: std of each layer's weights.
        grad_norm: Frobenius norm of dL/dW per layer for L = mean(output^2) / 2.
    """

    labels: tuple[str, ...]
    edges: np.ndarray
    counts: np.ndarray
    below: np.ndarray
    above: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    saturated: np.ndarray
    dead: np.ndarray
    weight_std: np.ndarray
    grad_norm: np.ndarray


@dataclass
class InitState:
    """The drawn network and its statistics (the experiment is a single forward/backward pass)."""

    config: InitConfig
    activations: list[Activation]
    weights: np.ndarray
    biases: np.ndarray
    result: InitSnapshot


def histogram_edges(activation: Activation, bins: int) -> np.ndarray:
    """bins + 1 edges over the activation's output range, +-4 on an unbounded side."""
    low, high = activation.bounds
    low = -UNBOUNDED_EDGE if low is None else low
    high = UNBOUNDED_EDGE if high is None else high
    return np.linspace(low, high, bins + 1)


def _draw_weights(config: InitConfig, rng: np.random.Generator) -> np.ndarray:
    shape = (config.layers, config.width, config.width)
    # one draw per run: drawing is done once per experiment, not per step
    return np.stack([INITIALIZERS[run.initializer](rng, shape, **run.init_params) for run in config.runs])


def _histograms(values: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts of values (R, N, W) in per-run edges (R, B + 1), with the shares below and above."""
    runs, bins = len(edges), edges.shape[1] - 1
    low, high = edges[:, :1, None], edges[:, -1:, None]
    scaled = (values - low) * (bins / (high - low))
    index = np.floor(scaled).astype(np.int64)
    index[values == high] = bins - 1  # the last bin includes its right edge, as np.histogram does
    inside = (index >= 0) & (index < bins)
    flat = (index + np.arange(runs)[:, None, None] * bins)[inside]
    counts = np.bincount(flat, minlength=runs * bins).reshape(runs, bins)
    size = values[0].size
    below = (values < low).reshape(runs, -1).sum(axis=1) / size
    above = (values > high).reshape(runs, -1).sum(axis=1) / size
    return counts, below, above


def _layer_statistics(outputs: np.ndarray, activations: list[Activation]) -> dict[str, np.ndarray]:
    flat = outputs.reshape(len(outputs), -1)
    saturated = np.full(len(outputs), np.nan)
    dead = np.full(len(outputs), np.nan)
    for r, act in enumerate(activations):  # a few scalar reductions per run
        if act.family == "saturating":
            low, high = act.bounds
            saturated[r] = np.mean((flat[r] < low + SATURATION_MARGIN) | (flat[r] > high - SATURATION_MARGIN))
        elif act.family == "relu":
            dead[r] = np.mean(flat[r] == 0)
    return {"mean": flat.mean(axis=1), "std": flat.std(axis=1), "saturated": saturated, "dead": dead}


def _apply(activations: list[Activation], z: np.ndarray) -> np.ndarray:
    """Each run's activation on its slice of z (R, N, W), grouped by activation."""
    out = np.empty_like(z)
    for act, runs in _groups(activations):
        out[runs] = act.forward(z[runs])
    return out


def _derivative(activations: list[Activation], z: np.ndarray, a: np.ndarray) -> np.ndarray:
    out = np.empty_like(z)
    for act, runs in _groups(activations):
        out[runs] = act.derivative(z[runs], a[runs])
    return out


def _groups(activations: list[Activation]) -> list[tuple[Activation, np.ndarray]]:
    keys: dict[Any, list[int]] = {}
    for r, act in enumerate(activations):
        keys.setdefault((act.name, tuple(sorted(act.params.items()))), []).append(r)
    return [(activations[runs[0]], np.asarray(runs)) for runs in keys.values()]


def init(config: InitConfig, rng: np.random.Generator) -> InitState:
    """Draw the input and every run's weights, then run the forward and backward passes."""
    activations = [get_activation(run.activation, **run.activation_params) for run in config.runs]
    x = rng.standard_normal((config.samples, config.width))
    weights = _draw_weights(config, rng)
    biases = np.zeros((len(config.runs), config.layers, config.width))
    edges = np.stack([histogram_edges(act, config.bins) for act in activations])
    runs, layers = len(config.runs), config.layers
    stats = {k: np.empty((runs, layers)) for k in ("mean", "std", "saturated", "dead", "below", "above")}
    counts = np.empty((runs, layers, config.bins), dtype=np.int64)
    batch = min(config.samples, GRADIENT_SAMPLES)
    a = np.broadcast_to(x, (runs, *x.shape))
    inputs, pre, outs = [], [], []
    with np.errstate(over="ignore", invalid="ignore"):
        for layer in range(layers):
            z = a @ weights[:, layer]
            if config.bias:
                z = z + biases[:, layer, None, :]
            a = _apply(activations, z)
            counts[:, layer], stats["below"][:, layer], stats["above"][:, layer] = _histograms(a, edges)
            for key, value in _layer_statistics(a, activations).items():
                stats[key][:, layer] = value
            inputs.append(np.ascontiguousarray((x if layer == 0 else outs[-1])[..., :batch, :]))
            pre.append(z[:, :batch])
            outs.append(a[:, :batch])
        grad_norm = _gradient_norms(activations, weights, inputs, pre, outs)
    result = InitSnapshot(
        labels=tuple(run.label for run in config.runs),
        edges=edges,
        counts=counts,
        weight_std=weights.reshape(runs, layers, -1).std(axis=2),
        grad_norm=grad_norm,
        **stats,
    )
    for array in (result.edges, result.counts, *stats.values(), result.weight_std, grad_norm):
        array.flags.writeable = False
    return InitState(config, activations, weights, biases, result)


def _gradient_norms(activations, weights, inputs, pre, outs) -> np.ndarray:
    """||dL/dW_l|| for L = mean over the batch of sum(output^2) / 2, by backpropagation."""
    runs, layers = weights.shape[:2]
    norms = np.empty((runs, layers))
    batch = pre[0].shape[1]
    upstream = outs[-1] / batch  # dL/da for the last layer
    for layer in reversed(range(layers)):
        delta = upstream * _derivative(activations, pre[layer], outs[layer])
        layer_input = inputs[layer]
        grad = np.swapaxes(layer_input, -1, -2) @ delta if layer_input.ndim == 3 else layer_input.T @ delta
        norms[:, layer] = np.sqrt((grad.reshape(runs, -1) ** 2).sum(axis=1))
        upstream = delta @ np.swapaxes(weights[:, layer], -1, -2)
    return norms


def step(state: InitState, n: int = 1) -> InitState:
    """The initialization experiment is a single pass: stepping leaves it as it is."""
    return state


def snapshot(state: InitState) -> InitSnapshot:
    """The per-layer statistics (read-only)."""
    return state.result
