"""Weight initialization: per-layer activation statistics of a deep MLP under several setups at once.

The textbook experiment (Deep Learning from Scratch, ch. 6): a standard-normal input of
`samples` x `width` goes through `layers` dense layers of `width` units, no bias by default; each
run (up to six) has its own initializer, activation and convention. Per layer and run it records the
outputs' histogram on edges fixed by the activation (so layers and runs compare), mean, std, the
shares saturated (sigmoid/tanh within 0.02 of a bound) and dead (exactly 0 after a ReLU), the weights'
std, and the norm of each layer's weight gradient for the loss mean(output^2) / 2 on a mini-batch, so
vanishing and exploding gradients show next to the activations.

The experiment steps like the others so that the pane fills in as it computes and a large setup
never blocks: steps 1..L each compute one layer's forward pass (all samples), steps L+1..2L the
backward pass from the top layer down (one layer each). Samples go through in chunks, so memory
stays at two (R, samples, width) buffers plus the mini-batch's pre-activations whatever the size.

Conventions. "He", "Xavier" or "LeCun" mean different draws in Keras and PyTorch: Keras's
GlorotNormal, HeNormal and LecunNormal are truncated normals rescaled to the std asked; torch's
xavier_normal_ and kaiming_normal_ are plain normals. Each run names either an engine initializer
(`he_normal`, `kaiming_normal`, ...) or a textbook name (TEXTBOOK_INITIALIZERS) together with a
convention, which picks the framework's initializer. The convention also sets the biases when they
are on: Keras's Dense starts them at zero, torch's Linear at U(+-1/sqrt(fan_in)).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tui_dl.engine.activations import Activation, get_activation
from tui_dl.engine.initializers import INITIALIZERS
from tui_dl.params import ParamError, ParamSpec

# histogram range of an unbounded side of an activation's output
UNBOUNDED_EDGE = 4.0
SATURATION_MARGIN = 0.02
MAX_RUNS = 6
# backward pass on the first this many samples (a mini-batch), as a training step would
GRADIENT_SAMPLES = 1000
# samples go through in chunks of about this many values (runs x rows x width), 2 MB of float64: small
# temporaries are reused by the allocator instead of being page-faulted in afresh for every operation
CHUNK_ELEMENTS = 2**18

LAYERS = ParamSpec("layers", "int", 5, low=1, high=20, help="number of dense layers")
WIDTH = ParamSpec("width", "int", 100, low=10, high=1000, scale="log", help="units per layer (and input size)")
SAMPLES = ParamSpec("samples", "int", 1000, low=1, high=10_000, scale="log", help="input rows (standard normal)")
BINS = ParamSpec("bins", "int", 30, low=2, high=200, help="histogram bins")
BIAS = ParamSpec("bias", "bool", False,
                 help="add biases, initialized as the convention does: Keras zeros, PyTorch U(+-1/sqrt(fan_in))")
CONVENTION = ParamSpec("convention", "choice", "keras", choices=("keras", "pytorch"),
                       help="whose He/Xavier/LeCun: Keras (truncated normal) or PyTorch (plain normal); sets the bias")


@dataclass(frozen=True)
class FrameworkInit:
    """One framework's version of a textbook initializer: the engine's name, fixed parameters, the code."""

    initializer: str
    params: Mapping[str, Any]
    code: str


def _both(keras: tuple[str, dict, str], pytorch: tuple[str, dict, str]) -> dict[str, FrameworkInit]:
    return {"keras": FrameworkInit(*keras), "pytorch": FrameworkInit(*pytorch)}


# Textbook name -> what each framework draws for it. torch has no LeCun initializer: its documented
# equivalent (for SELU) is kaiming_normal_ with the linear gain 1.
TEXTBOOK_INITIALIZERS: dict[str, dict[str, FrameworkInit]] = {
    "normal_1": _both(("random_normal", {"stddev": 1.0}, "keras.initializers.RandomNormal(stddev=1.0)"),
                      ("normal", {"std": 1.0}, "torch.nn.init.normal_(w, std=1.0)")),
    "normal_0.01": _both(("random_normal", {"stddev": 0.01}, "keras.initializers.RandomNormal(stddev=0.01)"),
                         ("normal", {"std": 0.01}, "torch.nn.init.normal_(w, std=0.01)")),
    "xavier": _both(("glorot_normal", {}, "keras.initializers.GlorotNormal()"),
                    ("xavier_normal", {}, "torch.nn.init.xavier_normal_(w)")),
    "he": _both(("he_normal", {}, "keras.initializers.HeNormal()"),
                ("kaiming_normal", {}, "torch.nn.init.kaiming_normal_(w)")),
    "lecun": _both(("lecun_normal", {}, "keras.initializers.LecunNormal()"),
                   ("kaiming_normal", {"nonlinearity": "linear"},
                    "torch.nn.init.kaiming_normal_(w, nonlinearity='linear')")),
    "orthogonal": _both(("orthogonal", {}, "keras.initializers.Orthogonal()"),
                        ("orthogonal", {}, "torch.nn.init.orthogonal_(w)")),
    "default": _both(("glorot_uniform", {}, "keras.layers.Dense(units)  # GlorotUniform"),
                     ("pytorch_default", {}, "torch.nn.Linear(fan_in, fan_out)  # kaiming_uniform_(a=sqrt(5))")),
}
TEXTBOOK_ALIASES = {"glorot": "xavier", "kaiming": "he"}


@dataclass(frozen=True)
class InitRun:
    """One compared setup: an initializer and an activation, each with (checked) parameters.

    initializer is an engine name (see INITIALIZERS) or, with a convention, a textbook name
    (TEXTBOOK_INITIALIZERS or an alias). convention None means the engine initializer's own
    framework (PyTorch for torch's names, Keras otherwise); it decides the biases.
    """

    label: str
    initializer: str
    activation: str
    init_params: Mapping[str, Any] = field(default_factory=dict)
    activation_params: Mapping[str, Any] = field(default_factory=dict)
    convention: str | None = None


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
class ResolvedInit:
    """What a run's initializer name means: the engine initializer, its checked params, the convention."""

    initializer: str
    params: Mapping[str, Any]
    convention: str
    code: str = ""


def resolve_initializer(name: str, params: Mapping[str, Any] | None = None,
                        convention: str | None = None) -> ResolvedInit:
    """The engine initializer behind name under convention (see InitRun), or a ParamError."""
    params = dict(params or {})
    if convention is not None:
        convention = CONVENTION.validate(convention)
    key = TEXTBOOK_ALIASES.get(name, name)
    if convention is not None and key in TEXTBOOK_INITIALIZERS:
        choice = TEXTBOOK_INITIALIZERS[key][convention]
        resolved = INITIALIZERS[choice.initializer].resolve({**choice.params, **params})
        return ResolvedInit(choice.initializer, resolved, convention, choice.code)
    try:
        component = INITIALIZERS[name]
    except ParamError as error:
        if key not in TEXTBOOK_INITIALIZERS:
            raise
        raise ParamError(f"{error}; {name!r} is a textbook name: give a convention, keras or pytorch") from None
    own = "pytorch" if component.family == "pytorch" else "keras"
    return ResolvedInit(name, component.resolve(params), convention or own)


@dataclass(frozen=True)
class InitSnapshot:
    """Per-layer statistics, arrays of shape (R, layers) unless said otherwise; read-only.

    Layers not computed yet are NaN (counts 0); gradient norms fill in from the top layer down
    during the backward steps.

    Attributes:
        labels: run labels.
        initializers: the engine initializer of each run (after the convention's mapping).
        conventions: keras or pytorch per run.
        activations: the activation name of each run.
        edges: histogram bin edges per run, (R, bins + 1) (fixed by the activation).
        counts: histogram counts, (R, layers, bins); values outside the edges are not counted.
        below, above: shares of outputs below the first and above the last edge.
        mean, std: of each layer's outputs.
        saturated: share within 0.02 of a bound of sigmoid/tanh (NaN for other activations).
        dead: share exactly 0 for the ReLU family (NaN for others).
        weight_std: std of each layer's weights (known from the start).
        grad_norm: Frobenius norm of dL/dW per layer for L = mean over the mini-batch of sum(output^2) / 2.
        step: steps taken; layers_done, gradients_done: forward layers and backward layers computed.
        done: every statistic is there (step == 2 * layers).
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
    initializers: tuple[str, ...] = ()
    conventions: tuple[str, ...] = ()
    activations: tuple[str, ...] = ()
    step: int = 0
    layers_done: int = 0
    gradients_done: int = 0
    done: bool = False


_STATISTICS = ("mean", "std", "saturated", "dead", "below", "above", "grad_norm")


@dataclass
class InitState:
    """The drawn network, the pass in progress and the statistics so far; `step` advances it in place.

    Attributes:
        inputs: the standard-normal input, (samples, width).
        weights: (R, layers, width, width), kernels in (fan_in, fan_out) layout.
        biases: (R, layers, width), zeros where the convention (or bias=False) says so.
        current: the outputs of the last computed layer, (R, samples, width); None before and after the pass.
        batch_pre: the mini-batch's pre-activations per computed layer, (R, batch, width), dropped once used.
        carry: during the backward pass, dL/da of the next layer down and that layer's batch outputs.
    """

    config: InitConfig
    resolved: tuple[ResolvedInit, ...]
    activations: list[Activation]
    inputs: np.ndarray
    weights: np.ndarray
    biases: np.ndarray
    edges: np.ndarray
    stats: dict[str, np.ndarray]
    counts: np.ndarray
    weight_std: np.ndarray
    step: int = 0
    current: np.ndarray | None = None
    batch_pre: list[np.ndarray | None] = field(default_factory=list)
    carry: tuple[np.ndarray, np.ndarray] | None = None


def histogram_edges(activation: Activation, bins: int) -> np.ndarray:
    """bins + 1 edges over the activation's output range, +-4 on an unbounded side."""
    low, high = activation.bounds
    low = -UNBOUNDED_EDGE if low is None else low
    high = UNBOUNDED_EDGE if high is None else high
    return np.linspace(low, high, bins + 1)


def total_steps(config: InitConfig) -> int:
    """Steps of a whole pass: one per layer forward, one per layer backward."""
    return 2 * config.layers


def _check(config: InitConfig) -> None:
    if not 1 <= len(config.runs) <= MAX_RUNS:
        raise ParamError(f"bad number of runs {len(config.runs)}: expected 1 to {MAX_RUNS}")
    for spec in (LAYERS, WIDTH, SAMPLES, BINS, BIAS):
        spec.validate(getattr(config, spec.name))


# --------------------------------------------------------------------------- activations by group
def _groups(activations: list[Activation]) -> list[tuple[Activation, np.ndarray | slice]]:
    """Runs sharing an activation (name and params); slice(None) when every run does."""
    keys: dict[Any, list[int]] = {}
    for r, act in enumerate(activations):
        keys.setdefault((act.name, tuple(sorted(act.params.items()))), []).append(r)
    if len(keys) == 1:
        return [(activations[0], slice(None))]
    return [(activations[runs[0]], np.asarray(runs)) for runs in keys.values()]


def _apply(groups: list[tuple[Activation, Any]], z: np.ndarray) -> np.ndarray:
    """Each run's activation on its slice of z (R, N, W)."""
    if len(groups) == 1:
        return groups[0][0].forward(z)
    out = np.empty_like(z)
    for act, runs in groups:
        out[runs] = act.forward(z[runs])
    return out


def _derivative(groups: list[tuple[Activation, Any]], z: np.ndarray, a: np.ndarray) -> np.ndarray:
    if len(groups) == 1:
        return groups[0][0].derivative(z, a)
    out = np.empty_like(z)
    for act, runs in groups:
        out[runs] = act.derivative(z[runs], a[runs])
    return out


# --------------------------------------------------------------------------- init
def init(config: InitConfig, rng: np.random.Generator) -> InitState:
    """Check the setup, draw the input, every run's weights and biases; no layer is computed yet."""
    _check(config)
    resolved = tuple(resolve_initializer(run.initializer, run.init_params, run.convention) for run in config.runs)
    activations = [get_activation(run.activation, **run.activation_params) for run in config.runs]
    runs, layers, width = len(config.runs), config.layers, config.width
    inputs = rng.standard_normal((config.samples, width))
    shape = (layers, width, width)
    # one draw per run (the initializers take a generator, not a runs axis): once per experiment, not per step
    weights = np.stack([INITIALIZERS[r.initializer].fn(rng, shape, **r.params) for r in resolved])
    biases = np.zeros((runs, layers, width))
    if config.bias:
        torch_runs = np.array([r.convention == "pytorch" for r in resolved])
        bound = 1.0 / math.sqrt(width)  # nn.Linear.reset_parameters: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        biases[torch_runs] = rng.uniform(-bound, bound, (int(torch_runs.sum()), layers, width))
    stats = {key: np.full((runs, layers), np.nan) for key in _STATISTICS}
    return InitState(
        config=config,
        resolved=resolved,
        activations=activations,
        inputs=inputs,
        weights=weights,
        biases=biases,
        edges=np.stack([histogram_edges(act, config.bins) for act in activations]),
        stats=stats,
        counts=np.zeros((runs, layers, config.bins), dtype=np.int64),
        weight_std=weights.reshape(runs, layers, -1).std(axis=2),
        batch_pre=[None] * layers,
    )


# --------------------------------------------------------------------------- forward
class _LayerStatistics:
    """Statistics of one layer's outputs accumulated chunk by chunk (mean and M2 combined as Chan et al.)."""

    def __init__(self, edges: np.ndarray, groups: list[tuple[Activation, Any]]):
        runs, bins = edges.shape[0], edges.shape[1] - 1
        self.low, self.high = edges[:, :1, None], edges[:, -1:, None]
        self.scale = bins / (self.high - self.low)
        self.bins = bins
        self.groups = groups
        self.slots = np.zeros(runs * (bins + 2), dtype=np.int64)  # per run: below, the bins, above
        self.count = 0
        self.mean = np.zeros(runs)
        self.m2 = np.zeros(runs)
        self.shift: np.ndarray | None = None
        self.saturated = np.zeros(runs)
        self.dead = np.zeros(runs)

    def add(self, a: np.ndarray) -> None:
        """Add a chunk of outputs, (R, rows, W)."""
        self.slots += np.bincount(self._slots(a).ravel(), minlength=len(self.slots))
        # sums of a - shift with shift a value of the run's first chunk: no cancellation when mean >> std
        if self.shift is None:
            self.shift = a[:, :1, :1].copy()
        d = a - self.shift
        size = a[0].size
        s1, s2 = d.sum(axis=(1, 2)), np.einsum("rij,rij->r", d, d)
        mean, m2 = self.shift.ravel() + s1 / size, s2 - s1 * s1 / size
        total = self.count + size
        delta = mean - self.mean
        self.m2 += m2 + delta**2 * (self.count * size / total)
        self.mean += delta * (size / total)
        self.count = total
        for act, runs_of in self.groups:
            part = a[runs_of]
            if act.family == "saturating":
                low, high = act.bounds
                near = (part < low + SATURATION_MARGIN) | (part > high - SATURATION_MARGIN)
                self.saturated[runs_of] += near.sum(axis=(1, 2))
            elif act.family == "relu":
                self.dead[runs_of] += (part == 0).sum(axis=(1, 2))

    def _slots(self, a: np.ndarray) -> np.ndarray:
        """Per value its slot: 0 below the edges, 1..bins inside (the top edge in the last bin), bins + 1 above.

        Non-finite outputs (an exploding net) go below (-inf) or above (inf, nan). Each run's slots are offset
        by run * (bins + 2) so that one bincount counts them all.
        """
        bins = self.bins
        t = a - self.low
        t *= self.scale
        np.floor(t, out=t)
        np.clip(t, -1.0, bins, out=t)
        np.nan_to_num(t, copy=False, nan=bins)
        slot = t.astype(np.int64)
        slot[(slot == bins) & (a <= self.high)] = bins - 1  # the top edge itself, or rounded up onto it
        slot += (np.arange(len(a)) * (bins + 2) + 1)[:, None, None]
        return slot

    def finish(self, state: InitState, layer: int) -> None:
        """Write the layer's statistics into state."""
        slots = self.slots.reshape(-1, self.bins + 2)
        state.counts[:, layer] = slots[:, 1:-1]
        stats = state.stats
        stats["below"][:, layer] = slots[:, 0] / self.count
        stats["above"][:, layer] = slots[:, -1] / self.count
        stats["mean"][:, layer] = self.mean
        stats["std"][:, layer] = np.sqrt(self.m2 / self.count)
        for act, runs_of in self.groups:
            if act.family == "saturating":
                stats["saturated"][runs_of, layer] = self.saturated[runs_of] / self.count
            elif act.family == "relu":
                stats["dead"][runs_of, layer] = self.dead[runs_of] / self.count


def _forward_layer(state: InitState, layer: int) -> None:
    """Outputs of one layer for every sample, chunk by chunk, with their statistics and the batch's z."""
    config = state.config
    groups = _groups(state.activations)
    source = state.inputs if layer == 0 else state.current
    runs, samples, width = len(config.runs), config.samples, config.width
    out = np.empty((runs, samples, width))
    batch = min(samples, GRADIENT_SAMPLES)
    batch_pre = np.empty((runs, batch, width))
    statistics = _LayerStatistics(state.edges, groups)
    rows = max(1, CHUNK_ELEMENTS // (runs * width))
    weights, bias = state.weights[:, layer], state.biases[:, layer, None, :]
    for start in range(0, samples, rows):
        stop = min(start + rows, samples)
        z = source[..., start:stop, :] @ weights
        if config.bias:
            z += bias
        if start < batch:
            batch_pre[:, start:min(stop, batch)] = z[:, : min(stop, batch) - start]
        a = _apply(groups, z)
        statistics.add(a)
        out[:, start:stop] = a
    statistics.finish(state, layer)
    state.current = out if layer + 1 < config.layers else None
    state.batch_pre[layer] = batch_pre


# --------------------------------------------------------------------------- backward
def _backward_layer(state: InitState, layer: int) -> None:
    """dL/dW of one layer on the mini-batch, and dL/da of the layer below for the next step."""
    groups = _groups(state.activations)
    z = state.batch_pre[layer]
    if state.carry is None:  # the top layer: L = mean over the batch of sum(a^2) / 2, so dL/da = a / batch
        a = _apply(groups, z)
        upstream = a / z.shape[1]
    else:
        upstream, a = state.carry
    delta = upstream * _derivative(groups, z, a)
    below = state.inputs[: z.shape[1]] if layer == 0 else _apply(groups, state.batch_pre[layer - 1])
    grad = np.swapaxes(below, -1, -2) @ delta
    state.stats["grad_norm"][:, layer] = np.sqrt((grad.reshape(len(grad), -1) ** 2).sum(axis=1))
    state.carry = (delta @ np.swapaxes(state.weights[:, layer], -1, -2), below) if layer > 0 else None
    state.batch_pre[layer] = None


# --------------------------------------------------------------------------- step, snapshot
def step(state: InitState, n: int = 1) -> InitState:
    """Compute the next n layers of the pass (forward, then backward from the top); past the end, nothing."""
    layers = state.config.layers
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):  # an exploding net's inf is data
        for _ in range(min(n, total_steps(state.config) - state.step)):  # a loop over layers
            if state.step < layers:
                _forward_layer(state, state.step)
            else:
                _backward_layer(state, 2 * layers - 1 - state.step)
            state.step += 1
    return state


def snapshot(state: InitState) -> InitSnapshot:
    """The per-layer statistics so far (read-only copies)."""
    layers = state.config.layers
    arrays = {key: value.copy() for key, value in state.stats.items()}
    arrays["counts"], arrays["edges"], arrays["weight_std"] = state.counts.copy(), state.edges, state.weight_std
    for array in arrays.values():
        array.flags.writeable = False
    return InitSnapshot(
        labels=tuple(run.label for run in state.config.runs),
        initializers=tuple(r.initializer for r in state.resolved),
        conventions=tuple(r.convention for r in state.resolved),
        activations=tuple(act.name for act in state.activations),
        step=state.step,
        layers_done=min(state.step, layers),
        gradients_done=max(0, state.step - layers),
        done=state.step == total_steps(state.config),
        **arrays,
    )


def run(config: InitConfig, rng: np.random.Generator) -> InitSnapshot:
    """The whole pass at once: init, every step, the final snapshot."""
    state = init(config, rng)
    return snapshot(step(state, total_steps(config)))
