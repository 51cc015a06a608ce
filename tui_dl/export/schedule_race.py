"""`tui-dl export schedule-race`: one network trained under several learning-rate schedules at once.

    tui-dl export schedule-race --schedule constant --schedule cosine_decay:alpha=0.1 --epochs 50
    tui-dl export schedule-race --schedule constant:optimizer=adagrad,lr=0.05 \\
        --schedule constant:optimizer=rmsprop,lr=1e-3 --schedule constant:optimizer=adam,lr=1e-3

Each `--schedule NAME[:KEY=VALUE,...]` is a run (default: constant, step_lr, cosine_decay,
one_cycle_lr); its keys are the schedule's parameters, `lr` (its base rate), `optimizer` and that
optimizer's parameters (see tui_dl/engine/experiments/schedule_race.py; a schedule's length such as
cosine_decay's decay_steps defaults to the whole race). Everything shared is a `--set` key as for
`export train` (optimizer, lr, hidden, batch_size, momentum, noise ...); --epochs defaults to 100.

json: `{"epochs", "iterations_per_epoch", "runs": [{"name", "schedule", "schedule_params",
"optimizer", "optimizer_params", "lr" (every iteration), "batch_loss" (every iteration),
"train_loss", "val_loss", "train_acc", "val_acc" (every epoch), "step_size": {"p10", "median",
"p90"} (every epoch), "diverged_epoch", and "momentum" (every iteration) for a racer whose schedule cycles
the optimizer's momentum (CyclicLR, OneCycleLR)}]}`. csv: one row per run and epoch,
`run,epoch,train_loss,val_loss,train_acc,val_acc,lr,step_p10,step_median,step_p90` (lr: the rate
of the epoch's last iteration).
"""

from __future__ import annotations

import argparse

import numpy as np

from tui_dl.engine.experiments import schedule_race as race
from tui_dl.engine.experiments.costs import schedule_race_cost
from tui_dl.export import Export
from tui_dl.export.common import add_format_option, add_set_option, advance, check_cost
from tui_dl.export.lr_range import add_data_arguments, experiment_settings
from tui_dl.export.train import data_notes

CSV_HEADER = ("run", "epoch", "train_loss", "val_loss", "train_acc", "val_acc", "lr", "step_p10", "step_median",
              "step_p90")
HISTORY = ("train_loss", "val_loss", "train_acc", "val_acc")
DEFAULT_EPOCHS = race.ScheduleRaceConfig().train.epochs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `export schedule-race`."""
    add_data_arguments(parser)
    parser.add_argument(
        "--schedule", dest="racers", action="append", default=[], metavar="NAME[:KEY=VALUE,...]",
        help="a racer, e.g. cosine_decay:alpha=0.1 or constant:optimizer=adagrad,lr=0.05 (repeatable; default: "
             + ", ".join(r.label for r in race.DEFAULT_RACERS) + ")",
    )
    parser.add_argument("--epochs", help=f"epochs to train (default {DEFAULT_EPOCHS})")
    add_set_option(parser, "training every racer shares (optimizer=sgd, momentum=0.9, lr=0.05 ...)")
    add_format_option(parser, "json", ("json", "csv"))


def build(args: argparse.Namespace) -> Export:
    """Race every schedule to the end and write its curves."""
    rng, train, _ = experiment_settings(args, (), (), "schedule race", epochs=str(DEFAULT_EPOCHS))
    racers = tuple(race.parse_racer(text, train) for text in args.racers) or race.DEFAULT_RACERS
    config = race.ScheduleRaceConfig(train, racers)
    check_cost(args, schedule_race_cost(config), values=len(racers) * train.epochs * 20)
    state = race.init(config, rng)
    snap = race.snapshot(advance(race.step, state, train.epochs, "epoch", args,
                                      done_so_far=race.epochs_done))
    runs = []
    for r, config in enumerate(state.racers):
        length = snap.epoch if snap.diverged_epoch[r] < 0 else int(snap.diverged_epoch[r]) + 1
        iterations = length * snap.batches_per_epoch
        runs.append({
            "name": snap.labels[r], "schedule": config.schedule, "schedule_params": config.schedule_params,
            "base_lr": config.lr, "optimizer": config.optimizer, "optimizer_params": config.optimizer_params,
            "lr": snap.lr[r, :iterations], "batch_loss": snap.batch_loss[r, :iterations],
            **{key: getattr(snap, key)[r, :length] for key in HISTORY},
            "step_size": {"p10": snap.step_p10[r, :length], "median": snap.step_median[r, :length],
                          "p90": snap.step_p90[r, :length]},
            "diverged_epoch": None if snap.diverged_epoch[r] < 0 else int(snap.diverged_epoch[r]),
        })
        if snap.momentum is not None and not np.isnan(snap.momentum[r]).all():  # cycle_momentum: what it set
            runs[-1]["momentum"] = snap.momentum[r, :iterations]
    notes = [*data_notes(train), *(f"{run['name']} diverged at epoch {run['diverged_epoch']} (non-finite loss): "
                                   "it stops there" for run in runs if run["diverged_epoch"] is not None)]
    rows = (
        (run["name"], epoch, *(run[key][epoch] for key in HISTORY),
         run["lr"][(epoch + 1) * snap.batches_per_epoch - 1],
         run["step_size"]["p10"][epoch], run["step_size"]["median"][epoch], run["step_size"]["p90"][epoch])
        for run in runs
        for epoch in range(len(run["train_loss"]))
    )
    document = {"epochs": train.epochs, "iterations_per_epoch": snap.batches_per_epoch, "runs": runs}
    return Export(CSV_HEADER, rows, document, notes)
