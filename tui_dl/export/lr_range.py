"""`tui-dl export lr-range`: the LR range test of one optimizer, point by point.

    tui-dl export lr-range --dataset spiral --iterations 100
    tui-dl export lr-range --set optimizer=sgd --set momentum=0.9 --start-lr 1e-6 --end-lr 1 --format json

The training experiment's model and data (every training key is a `--set`, as for `export train`:
hidden, activation, init, optimizer, batch_size, dtype, train_samples, noise, momentum ...) swept
from --start-lr to --end-lr over --iterations mini-batches (see tui_dl/engine/experiments/lr_range.py
for the conventions: torch-lr-finder's smoothing, divergence test and suggestion). The test's own
knobs are `--set` keys too: smooth_f, diverge_th, skip_start, skip_end, suggest.

csv: `iteration,lr,loss,smoothed`, one row per point, up to the one where the sweep stopped.
json: the same lists, the test's settings, `suggestion` (the suggested rate, null when there are
too few points), `suggestion_iteration` and `diverged_iteration` (null when it did not diverge).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import numpy as np

from tui_dl.engine.experiments import lr_range, training
from tui_dl.engine.experiments.costs import lr_range_cost
from tui_dl.export import Export
from tui_dl.export.common import add_format_option, add_seed_option, add_set_option, advance, check_cost, seed_of
from tui_dl.export.train import add_task_option, build_config, data_notes
from tui_dl.params import Component, ParamError, ParamSpec, parse_assignments

# options that stand for `--set KEY=...` (--start-lr for start_lr ...)
OPTIONS = ("start_lr", "end_lr", "iterations")


def add_data_arguments(parser: argparse.ArgumentParser, default_dataset: str | None = "spiral") -> None:
    """--dataset, --data, --target, --task and --seed, as `export train` reads them.

    The default data set applies only without --data (`--data FILE` alone is not "both").
    """
    parser.add_argument("--dataset", help=f"generated data set (see --list; default {default_dataset}, "
                                          "without --data), or 'file' with --data")
    parser.set_defaults(default_dataset=default_dataset)
    parser.add_argument("--data", metavar="FILE", help="train on a .csv (with header) or .npz (X, y) file")
    parser.add_argument("--target", dest="target_column", metavar="NAME",
                        help="label column of --data (default: the last column)")
    add_task_option(parser)
    add_seed_option(parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `export lr-range`."""
    add_data_arguments(parser)
    defaults = lr_range.LRRangeConfig()
    parser.add_argument("--start-lr", help=f"rate of the first iteration (default {defaults.start_lr:g})")
    parser.add_argument("--end-lr", help=f"rate of the last iteration (default {defaults.end_lr:g})")
    parser.add_argument("--iterations", help=f"mini-batches of the sweep (default {defaults.iterations})")
    add_set_option(parser, "training (optimizer=sgd, momentum=0.9, hidden=64,64 ...) or the test (smooth_f ...)")
    add_format_option(parser, "csv")


def experiment_settings(args: argparse.Namespace, specs: Sequence[ParamSpec], options: Sequence[str],
                        what: str, **defaults: str) -> tuple[np.random.Generator, training.TrainConfig, dict[str, Any]]:
    """(rng, training config, the experiment's own checked values) from the command line.

    `--set` keys declared by specs (and the options, `--start-lr` standing for `--set start_lr=...`)
    belong to the experiment; the rest go to the training config as in `export train` (data set,
    --data, routing to the optimizer, schedule and data set). defaults: training keys' values when
    the command line does not give them (`epochs="100"`).
    """
    values = parse_assignments(args.assignments)
    for key in options:
        text = getattr(args, key)
        if text is not None:
            if key in values:
                raise ParamError(f"give {key} once: --{key.replace('_', '-')} or --set {key}")
            values[key] = text
    names = {spec.name for spec in specs}
    own = Component("experiment", what, dict, tuple(specs)).resolve(
        {k: v for k, v in values.items() if k in names}, text=True)
    rest = {k: v for k, v in values.items() if k not in names}
    for key, text in defaults.items():
        if key not in rest and getattr(args, key, None) is None:
            rest[key] = text
    rng = np.random.default_rng(seed_of(args))
    dataset = args.dataset if args.dataset is not None or args.data is not None else args.default_dataset
    assignments = [f"{k}={v}" for k, v in rest.items()]
    shared = argparse.Namespace(**{**vars(args), "dataset": dataset, "assignments": assignments,
                                   "variants": None, "epochs": getattr(args, "epochs", None)})
    try:
        config = build_config(shared, rng)
    except ParamError as error:
        if str(error).startswith("unknown parameter"):
            raise ParamError(f"{error}; or the {what}'s: {', '.join(sorted(names))}") from None
        raise
    return rng, config, own


def _or_none(value: float | int) -> float | int | None:
    return None if value < 0 or (isinstance(value, float) and np.isnan(value)) else value


def build(args: argparse.Namespace) -> Export:
    """Run the whole test and write its points."""
    rng, train, own = experiment_settings(args, lr_range.LR_RANGE_PARAMS, OPTIONS, "lr range test")
    config = lr_range.LRRangeConfig(train=train, **own)
    check_cost(args, lr_range_cost(config), values=4 * config.iterations)
    state = advance(lr_range.step, lr_range.init(config, rng), config.iterations, "iteration", args)
    snap = lr_range.snapshot(state)
    length = int(np.isfinite(snap.lrs[0]).sum())
    points = {"iteration": np.arange(length), "lr": snap.lrs[0, :length], "loss": snap.loss[0, :length],
              "smoothed": snap.smoothed[0, :length]}
    index = int(snap.suggestion_index[0])
    diverged = _or_none(int(snap.diverged_iteration[0]))
    document = {
        "optimizer": train.optimizer, "optimizer_params": train.optimizer_params, **own, **points,
        "suggestion": float(snap.suggestion[0]), "suggestion_iteration": _or_none(index),
        "diverged_iteration": diverged,
    }
    notes = data_notes(train)
    if diverged is not None:
        rate = snap.rates[diverged]
        notes.append(f"the loss diverged at iteration {diverged} (lr {rate:.3g}): the sweep stops there")
    if index < 0:
        notes.append("too few points for a suggestion (skip_start + skip_end + 2 are needed)")
    rows = zip(*(values.tolist() for values in points.values()), strict=True)
    return Export(tuple(points), rows, document, notes)
