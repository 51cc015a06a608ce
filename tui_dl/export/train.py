"""`tui-dl export train`: per-epoch loss and accuracy of regularization variants trained together.

    tui-dl export train --dataset spiral --variant none --variant l2=1e-3 --epochs 200
    tui-dl export train --data points.csv --target label --variant none dropout=0.2 --set patience=10

`--data FILE` trains on a .csv (with a header) or .npz (X and y) file instead of a generated set;
`--dataset` may then be left out or given as `file`. Without `--variant` the experiment's
default variants are trained. Every training knob is a `--set KEY=VALUE` (see TRAIN_PARAMS in
tui_dl/engine/experiments/training.py: hidden, activation, init, optimizer, lr, batch_size,
dtype, schedule, monitor, patience, min_delta, baseline, restore_best_weights,
start_from_epoch ...); other keys go to the data set (train_samples, val_samples, noise), the
schedule or the optimizer. Without `--set patience` no variant stops early (a variant may
still say `patience=N` itself).

Variants are paired (the same initial weights, batches and dropout draws; `--set paired=false`
for independent ones); `--set seeds=S` trains each under S seeds.

json: `{"seed", "runs": [{"name", "variant", "seed_index", "train_loss", "val_loss", "train_acc", "val_acc",
"train_data_loss", "val_data_loss", "best_epoch", "stopped_epoch", "diverged_epoch"}],
"variants": [{"name", "variant", "seeds", "<history key>": {"median", "low", "high"}}]}`: one run
per variant and seed (variants in the order given, seed indices 0 .. S-1 within each: the run draws its
initial weights, batches and dropout from streams of the root `seed` keyed by its seed index), then each
variant's median over its seeds and their range per epoch (`spread` in training.py; the seeds
that stopped earlier are left out). Epochs are 0-based as Keras counts them; each run's list ends
with the epoch at which it stopped or diverged (a run that stopped at epoch k has k + 1 entries).
NaN (accuracy of a regression, a diverged loss) is null. csv: one row per run, seed index and epoch,
`run,seed_index,epoch,train_loss,val_loss,train_acc,val_acc`.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from tui_dl.engine.datasets import CLASSIFICATION, REGRESSION, TASK, load_data_file
from tui_dl.engine.early_stopping import unlogged_monitor
from tui_dl.engine.experiments import training
from tui_dl.engine.experiments.costs import training_cost
from tui_dl.engine.experiments.variants import DEFAULT_VARIANT_SPECS, parse_variant
from tui_dl.export import Export
from tui_dl.export.common import (
    add_format_option,
    add_seed_option,
    add_set_option,
    advance,
    check_cost,
    option_value,
    seed_of,
)
from tui_dl.params import ParamError, ParamSpec, parse_assignments

FILE_DATASET = "file"
CSV_HEADER = ("run", "seed_index", "epoch", "train_loss", "val_loss", "train_acc", "val_acc")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `export train`."""
    add_training_arguments(parser)
    parser.add_argument("--variant", dest="variants", action="extend", nargs="+", metavar="SPEC",
                        help="a run: none, l1=L, l2=L, dropout=RATE, weight_decay=L, patience=N, lr=X, "
                             "init=NAME[:K=V,...], activation=NAME[:...], optimizer=NAME[:...], joined with + "
                             "(repeatable; default: none, l2=1e-3, dropout=0.3, patience=20)")
    add_format_option(parser, "json", ("json", "csv"))


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """The data, epochs, seed and --set arguments every training export takes."""
    parser.add_argument("--dataset", help="generated data set (see --list), or 'file' with --data")
    parser.add_argument("--data", metavar="FILE", help="train on a .csv (with header) or .npz (X, y) file")
    parser.add_argument("--target", dest="target_column", metavar="NAME",
                        help="label column of --data (default: the last column)")
    add_task_option(parser)
    parser.add_argument("--epochs", help=f"epochs to train (default {training.TrainConfig.epochs})")
    add_seed_option(parser)
    add_set_option(parser, "training (hidden=64,64, lr=0.01, patience=10, noise=0.3 ...)")


def _assignments(args: argparse.Namespace) -> dict[str, str]:
    """--set pairs, with --epochs folded in (giving both is an error)."""
    values = parse_assignments(args.assignments)
    if "dataset" in values:
        raise ParamError("set the data set with --dataset NAME (or --data FILE), not --set dataset")
    if args.epochs is not None:
        if "epochs" in values:
            raise ParamError("give the number of epochs once: --epochs or --set epochs")
        values["epochs"] = args.epochs
    return values


def add_task_option(parser: argparse.ArgumentParser) -> None:
    """`--task classification|regression` of a data file (default: inferred from its labels, and said why)."""
    parser.add_argument("--task", choices=TASK.choices,
                        help="what --data's labels are (default: inferred: 2 to 20 whole numbers are classes)")


def data_notes(config: training.TrainConfig) -> list[str]:
    """Which task a data file was trained as when it was inferred, and why (a file of one class is a regression)."""
    data = config.data
    if data is None or not data.task_reason:
        return []
    other = REGRESSION if data.task == CLASSIFICATION else CLASSIFICATION
    return [f"data file {data.name!r} trained as {data.task}: {data.task_reason}; --task {other} to change it"]


def build_config(args: argparse.Namespace, rng: np.random.Generator) -> training.TrainConfig:
    """The TrainConfig the command line describes; a data file is loaded with rng."""
    specs = getattr(args, "variants", None)
    variants = tuple(parse_variant(spec) for spec in specs) if specs else None
    fields: dict[str, Any] = {} if variants is None else {"variants": variants}
    if args.data is not None:
        if args.dataset not in (None, FILE_DATASET):
            raise ParamError(f"give either --dataset {args.dataset} or --data FILE, not both "
                             f"(--dataset may be '{FILE_DATASET}' with --data)")
        fields["data"] = load_data_file(args.data, target=args.target_column, rng=rng, task=args.task)
    else:
        if args.task is not None:
            raise ParamError("--task says what the labels of --data FILE are; there is no --data")
        if args.target_column is not None:
            raise ParamError("--target names a column of --data FILE; there is no --data")
        if args.dataset is None or args.dataset == FILE_DATASET:
            raise ParamError(f"export {getattr(args, 'target', None) or 'train'} needs --dataset NAME or --data FILE")
        fields["dataset"] = option_value(_dataset_spec(), args.dataset, "--dataset")
    return training.config_from_assignments(_assignments(args), **fields)


def _dataset_spec() -> ParamSpec:
    return next(spec for spec in training.TRAIN_PARAMS if spec.name == "dataset")


def _epoch_or_none(value: int) -> int | None:
    return None if value < 0 else int(value)


def build(args: argparse.Namespace) -> Export:
    """Train every variant to the end and write its history."""
    root_seed = seed_of(args)
    rng = np.random.default_rng(root_seed)
    config = build_config(args, rng)
    check_cost(args, training_cost(config, knobs=("hidden", "seeds", "val_samples", "variants")),
               values=config.runs * config.epochs * 2 * len(training.HISTORY_KEYS))
    state = training.init(config, rng)
    snap = training.snapshot(advance(training.step, state, config.epochs, "epoch", args,
                                         done_so_far=training.epochs_done))
    specs = args.variants or DEFAULT_VARIANT_SPECS
    runs = []
    for r, label in enumerate(snap.labels):
        length = training.run_length(snap, r)
        runs.append({
            "name": label,
            "variant": specs[r // snap.seeds],
            "seed_index": r % snap.seeds,  # the stream id under the root seed (training.py, Randomness)
            **{key: getattr(snap, key)[r, :length] for key in training.HISTORY_KEYS},
            "best_epoch": _epoch_or_none(snap.best_epoch[r]),
            "stopped_epoch": _epoch_or_none(snap.stopped_epoch[r]),
            "diverged_epoch": _epoch_or_none(snap.diverged_epoch[r]),
        })
    seed = (lambda run: f" (seed index {run['seed_index']})") if snap.seeds > 1 else (lambda run: "")
    notes = [f"{run['name']}{seed(run)} diverged at epoch {run['diverged_epoch']} (non-finite loss): it stops there"
             for run in runs if run["diverged_epoch"] is not None]
    unlogged = unlogged_monitor(config.monitor, config.mode, training.logged_monitors(snap.task))
    notes = [*data_notes(config), *([unlogged] if unlogged else []), *notes]
    rows = (
        (run["name"], run["seed_index"], epoch, *(run[key][epoch] for key in CSV_HEADER[3:]))
        for run in runs
        for epoch in range(len(run["train_loss"]))
    )
    return Export(CSV_HEADER, rows, {"seed": root_seed, "runs": runs, "variants": _variants(snap, specs)}, notes)


def _variants(snap: training.TrainSnapshot, specs: Any) -> list[dict[str, Any]]:
    """Each variant's median and range over its seeds, per history key and epoch."""
    spreads = {key: snap.by_variant(key) for key in training.HISTORY_KEYS}
    return [{"name": label, "variant": specs[v], "seeds": snap.seeds,
             **{key: dict(zip(("median", "low", "high"), (part[v] for part in spread), strict=True))
                for key, spread in spreads.items()}}
            for v, label in enumerate(snap.variant_labels)]
