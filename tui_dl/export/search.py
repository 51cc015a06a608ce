"""`tui-dl export search`: a random search of hyperparameters, every sample trained in one batch.

    tui-dl export search --dataset digits --search lr=1e-6:1e-2 --search weight_decay=1e-8:1e-4 --samples 64
    tui-dl export search --dataset spiral --search lr=1e-4:1e-1 --search momentum=0.5:0.99:linear --set optimizer=sgd

Each `--search NAME=LOW:HIGH[:log|linear]` draws NAME for every sample, log-uniformly unless it says
linear (default: the book's lr 1e-6:1e-2 and weight_decay 1e-8:1e-4). NAME is a variant key (lr,
weight_decay, l1, l2, dropout) or a numeric parameter of the optimizer (`--set optimizer=...`). The
rest of the experiment is `export train`'s (`--dataset`/`--data`, `--epochs`, `--set`); samples are
paired (the same initial weights and batches).

json: `{"names", "metric", "samples": [{"rank", "sample", "<name>"..., "score", "best_epoch",
"stopped_epoch", "diverged_epoch", "val_loss", "val_acc", ...}]}`, best first; `score` is the final
validation accuracy (classification) or loss (regression), null for a diverged sample.
csv: one row per sample, best first: `rank,sample,<names>...,score,best_epoch,diverged_epoch`.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from tui_dl.engine.experiments import search, training
from tui_dl.engine.experiments.costs import search_cost
from tui_dl.export import Export
from tui_dl.export.common import add_format_option, advance, check_cost, option_value, seed_of
from tui_dl.export.train import add_training_arguments, build_config, data_notes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `export search`."""
    add_training_arguments(parser)
    parser.add_argument("--search", dest="ranges", action="append", metavar="NAME=LOW:HIGH[:SCALE]",
                        help="a searched parameter and its range (repeatable; default: lr=1e-6:1e-2 and "
                             "weight_decay=1e-8:1e-4, log-uniform)")
    parser.add_argument("--samples", help=f"how many samples (default {search.SAMPLES.default})")
    add_format_option(parser, "json", ("json", "csv"))


def _epoch_or_none(value: Any) -> int | None:
    return None if value < 0 else int(value)


def build(args: argparse.Namespace) -> Export:
    """Draw the samples, train them all to the end, and rank them."""
    rng = np.random.default_rng(seed_of(args))
    samples = search.SAMPLES.default if args.samples is None else option_value(search.SAMPLES, args.samples,
                                                                                "--samples")
    config = search.SearchConfig(build_config(args, rng), search.ranges_of(args.ranges or ()), samples)
    check_cost(args, search_cost(config), values=samples * config.train.epochs * 2 * len(training.HISTORY_KEYS))
    state = search.init(config, rng)
    snap = search.snapshot(advance(search.step, state, config.train.epochs, "epoch", args,
                                     done_so_far=lambda state: training.epochs_done(state.train)))
    train = snap.train
    entries = []
    for rank, index in enumerate(snap.order):
        length = training.run_length(train, index)
        entries.append({
            "rank": rank + 1, "sample": int(index),
            **{name: snap.values[index, k] for k, name in enumerate(snap.names)},
            "score": snap.score[index],
            "best_epoch": _epoch_or_none(train.best_epoch[index]),
            "stopped_epoch": _epoch_or_none(train.stopped_epoch[index]),
            "diverged_epoch": _epoch_or_none(train.diverged_epoch[index]),
            **{key: getattr(train, key)[index, :length] for key in training.HISTORY_KEYS},
        })
    header = ("rank", "sample", *snap.names, "score", "best_epoch", "diverged_epoch")
    rows = ([entry[key] for key in header] for entry in entries)
    document = {"names": list(snap.names), "scales": list(snap.scales), "metric": snap.metric, "samples": entries}
    diverged = sum(entry["diverged_epoch"] is not None for entry in entries)
    ranked_last = f"{diverged} of {len(entries)} samples diverged (non-finite loss): they rank last"
    notes = [*data_notes(config.train), *([ranked_last] if diverged else [])]
    return Export(header, rows, document, notes)
