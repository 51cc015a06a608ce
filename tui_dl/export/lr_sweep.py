"""`tui-dl export lr-sweep`: learning rate too low, about right, too high, trained side by side.

    tui-dl export lr-sweep                                     # SGD on the spiral, 13 rates 1e-4 .. 100, 30 epochs
    tui-dl export lr-sweep --low 1e-5 --high 1 --count 9 --set optimizer=adam --format json
    tui-dl export lr-sweep --plot

--count constant rates log-spaced from --low to --high, each a run of the training experiment
(every training key is a `--set`, as for `export train`), all in one batch and paired (the same
initial weights and batches), with the LR range test on the same network and data
(tui_dl/engine/experiments/rate_sweep.py). A run diverged when its loss went non-finite or ended
above diverge_th (5) times where it started; it barely moved when its loss is within 5% of it.

csv: `lr,epoch,loss,diverged`, one row per rate and epoch, epoch 0 the loss before training.
json: `lrs`, `runs` (per rate: `lr`, `loss` per epoch from 0, `diverged`, `diverged_epoch`),
`diverged_rates`, `barely_moved_rates`, `best_rate`, `suggestion` (the range test's rate) and
`range_test` (`lr`, `smoothed`: its smoothed loss per iteration).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import replace

import numpy as np

from tui_dl.engine.experiments import lr_range, rate_sweep, training
from tui_dl.engine.experiments.costs import rate_sweep_cost
from tui_dl.export import Export
from tui_dl.export.common import add_format_option, add_set_option, advance, check_cost
from tui_dl.export.lr_range import add_data_arguments, experiment_settings
from tui_dl.export.train import data_notes

DEFAULTS = rate_sweep.RateSweepConfig()
SPECS = tuple(replace(spec, default=getattr(DEFAULTS.sweep, spec.name)) for spec in lr_range.PARALLEL_PARAMS)
OPTIONS = ("low", "high", "count")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `export lr-sweep`."""
    add_data_arguments(parser)
    sweep = DEFAULTS.sweep
    parser.add_argument("--low", help=f"the smallest rate (default {sweep.low:g})")
    parser.add_argument("--high", help=f"the largest rate (default {sweep.high:g})")
    parser.add_argument("--count", help=f"rates, log-spaced from low to high (default {sweep.count})")
    parser.add_argument("--epochs", help=f"epochs every rate trains (default {sweep.train.epochs})")
    add_set_option(parser, "training (optimizer=adam, momentum=0.9, hidden=64,64 ...) or the sweep (diverge_th ...)")
    add_format_option(parser, "csv")


def _or_none(value: float) -> float | None:
    return None if not math.isfinite(value) else value


def build(args: argparse.Namespace) -> Export:
    """Train every rate for the epochs and write each one's loss per epoch."""
    rng, train, own = experiment_settings(args, SPECS, OPTIONS, "rate sweep", optimizer="sgd",
                                          epochs=str(DEFAULTS.sweep.train.epochs))
    config = replace(DEFAULTS, sweep=lr_range.ParallelSweepConfig(train=train, **own))
    rate_sweep.check(config)
    cost = rate_sweep_cost(config)
    check_cost(args, cost, values=config.sweep.count * (train.epochs + 1) * 4)
    state = rate_sweep.init(config, rng)
    snap = rate_sweep.snapshot(advance(rate_sweep.step, state, train.epochs, "epoch", args,
                                             done_so_far=lambda state: training.epochs_done(state.sweep.train)))
    diverged = snap.sweep.diverged
    runs = [{"lr": float(lr), "loss": snap.losses[r], "diverged": bool(diverged[r]),
             "diverged_epoch": int(snap.diverged_at[r]) if diverged[r] else None}
            for r, lr in enumerate(snap.lrs)]
    test = snap.range_test
    length = int(np.isfinite(test.lrs[0]).sum())
    document = {
        "optimizer": train.optimizer, "optimizer_params": train.optimizer_params, **own, "epochs": train.epochs,
        "lrs": snap.lrs, "runs": runs, "diverged_rates": rate_sweep.diverged_rates(snap),
        "barely_moved_rates": rate_sweep.barely_moved_rates(snap), "best_rate": _or_none(rate_sweep.best_rate(snap)),
        "suggestion": _or_none(rate_sweep.suggested_rate(snap)),
        "range_test": {"lr": test.lrs[0, :length], "smoothed": test.smoothed[0, :length]},
    }
    notes = data_notes(train)
    if diverged.any():
        notes.append("diverged: " + ", ".join(f"lr {lr:.3g} at epoch {snap.diverged_at[r]}"
                                             for r, lr in enumerate(snap.lrs) if diverged[r]))
    rows = ((float(lr), epoch, float(snap.losses[r, epoch]), bool(diverged[r]))
            for r, lr in enumerate(snap.lrs) for epoch in range(snap.losses.shape[1]))
    return Export(("lr", "epoch", "loss", "diverged"), rows, document, notes)
