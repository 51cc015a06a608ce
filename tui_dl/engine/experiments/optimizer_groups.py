"""Runs that train side by side with different optimizers: one training state per optimizer.

training.py trains R runs with one optimizer (one vectorized update for all). The LR range test
and the schedule race also put different optimizers next to each other (Adagrad, RMSprop and Adam
on the same data), so they split their runs into groups, one per distinct optimizer setting, each
a TrainState over its own runs, and gather the groups' per-run arrays back into run order. A step
costs one update per group, never one per run.

Every run computes what it would compute alone: the data set is drawn once from the Generator,
then each run draws its initial weights and shuffles from its streams (streams.py, as training.py
does). Paired (config.paired, the default) every run has stream id 0, so the optimizers or
schedules compared start from the same weights and see the same mini-batches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from tui_dl.engine.datasets import Dataset
from tui_dl.engine.experiments import training, variants
from tui_dl.engine.optimizers import OPTIMIZERS
from tui_dl.engine.streams import Streams
from tui_dl.params import ParamError

# optimizers whose step size is the learning rate itself for every parameter
CONSTANT_STEP = ("sgd", "keras_sgd")


@dataclass(frozen=True)
class Member:
    """One run: its legend label and its optimizer with that optimizer's parameters (rate excluded)."""

    label: str
    optimizer: str
    optimizer_params: Mapping[str, Any]


@dataclass
class Groups:
    """The runs, split by optimizer setting.

    Attributes:
        states: one TrainState per group, its runs in run order.
        runs: the run indices of each group (together each run exactly once).
        size: R, the number of runs.
        dataset: the data every group trains on.
    """

    states: list[training.TrainState]
    runs: list[np.ndarray]
    size: int
    dataset: Dataset


def _key(member: Member) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """The optimizer setting, with defaults filled in, so equal settings share a group."""
    resolved = OPTIMIZERS[member.optimizer].resolve(member.optimizer_params)
    rate = training.BASE_RATE_KEYS
    return member.optimizer, tuple(sorted((k, v) for k, v in resolved.items() if k not in rate))


def init_groups(config: training.TrainConfig, members: Sequence[Member], rng: np.random.Generator,
                streams: Streams | None = None, *, rates: np.ndarray | None = None,
                momenta: np.ndarray | None = None, record_batches: bool = False) -> Groups:
    """Draw the data set, then one TrainState per distinct optimizer setting of members.

    Args:
        config: everything the runs share (data, network, batch size, dtype, epochs); its optimizer,
            optimizer parameters and variants are replaced by each group's.
        members: one per run.
        rng: draws the data set (unless config.data is given), then the root of the runs' streams.
        streams: the runs' streams instead (training.default_streams with one seed).
        rates: (iterations, R) every iteration's learning rate per run (see training.init).
        momenta: with rates, (iterations, R) every iteration's cycled momentum per run, NaN where a run's
            schedule does not cycle it (see training.init).
        record_batches: keep each mini-batch's loss (see training.init).
    """
    if not members:
        raise ParamError("no runs: give at least one")
    dataset = training.draw_dataset(config, rng)
    config = replace(config, seeds=1)
    streams = training.default_streams(config, rng, len(members)) if streams is None else streams
    if len(streams.ids) != len(members):
        raise ParamError(f"{len(members)} runs need {len(members)} stream ids, got {len(streams.ids)}")
    keys = [_key(member) for member in members]
    order = list(dict.fromkeys(keys))  # groups in order of first appearance
    states, runs = [], []
    for key in order:  # a loop over optimizer settings; the runs of each stay vectorized
        index = np.array([r for r, k in enumerate(keys) if k == key])
        first = members[index[0]]
        group_config = replace(config, data=dataset, optimizer=first.optimizer,
                               optimizer_params=dict(first.optimizer_params),
                               variants=tuple(variants.Variant(members[r].label) for r in index))
        group_rates = None if rates is None else np.asarray(rates)[:, index]
        group_momenta = None if momenta is None else np.asarray(momenta)[:, index]
        states.append(training.init(group_config, rng, streams.subset(index), rates=group_rates,
                                    momenta=group_momenta, record_batches=record_batches))
        runs.append(index)
    return Groups(states, runs, len(members), dataset)


def gather(groups: Groups, part: Callable[[training.TrainState], np.ndarray], fill: Any = np.nan) -> np.ndarray:
    """A read-only (R, ...) array in run order from `part(state)`, an (R_g, ...) array per group.

    Groups may differ in the length of their last axis (a group whose runs all diverged stops
    recording); shorter ones are padded with fill.
    """
    parts = [np.asarray(part(state)) for state in groups.states]
    if parts[0].ndim > 1:
        length = max(p.shape[-1] for p in parts)
        parts = [_pad(p, length, fill) for p in parts]
    out = np.empty((groups.size, *parts[0].shape[1:]), dtype=np.result_type(*parts))
    for index, values in zip(groups.runs, parts, strict=True):
        out[index] = values
    out.flags.writeable = False
    return out


def _pad(values: np.ndarray, length: int, fill: Any) -> np.ndarray:
    """values with its last axis filled up to length."""
    missing = length - values.shape[-1]
    if missing <= 0:
        return values
    pad = np.full((*values.shape[:-1], missing), fill, dtype=np.result_type(values, np.asarray(fill)))
    return np.concatenate([values, pad], axis=-1)


def history(groups: Groups, key: str) -> np.ndarray:
    """(R, epochs) one of training.HISTORY_KEYS for every run."""
    return gather(groups, lambda state: state.history[key].view().T)


def step_size_quantiles(groups: Groups, quantiles: Sequence[float]) -> np.ndarray:
    """(R, Q) quantiles over each run's parameters of its optimizer's effective step size now.

    The step size is `Optimizer.step_size` at the rate of the last iteration: lr / (sqrt(v) + eps)
    and the like for the adaptive optimizers, lr itself for SGD. NaN for runs that diverged and
    before the first update.
    """

    def part(state: training.TrainState) -> np.ndarray:
        runs = state.runs
        if state.iteration == 0:
            return np.full((runs, len(quantiles)), np.nan)
        lr = state.rates[state.iteration - 1] if state.rates is not None else state.plateau.lr
        cycled = {} if state.momenta is None else {"momentum": state.momenta[state.iteration - 1]}
        with np.errstate(all="ignore"):
            sizes = np.broadcast_to(state.optimizer.step_size(state.opt_state, lr, **cycled), state.params.shape)
            values = np.quantile(sizes, quantiles, axis=1).T
        return np.where(state.active[:, None], values, np.nan)

    return gather(groups, part)
