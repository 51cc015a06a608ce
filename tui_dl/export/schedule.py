"""`tui-dl export schedule NAME`: a learning-rate schedule's rate at steps 0..N-1."""

from __future__ import annotations

import argparse

import numpy as np

from tui_dl.engine.experiments.costs import series_cost
from tui_dl.engine.schedules import SCHEDULES
from tui_dl.export import Export
from tui_dl.export.common import STEPS, add_format_option, add_set_option, check_cost, option_value, resolve_assignments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `export schedule`."""
    parser.add_argument("name", help="schedule name (see `tui-dl export --list`)")
    add_set_option(parser, "schedule")
    parser.add_argument("--steps", default="1000", help="number of steps, from step 0 (default 1000)")
    add_format_option(parser, "csv")


def build(args: argparse.Namespace) -> Export:
    """The rate at each step as rows `step,lr`."""
    component = SCHEDULES[args.name]
    (params,) = resolve_assignments(args.assignments, [component])
    count = option_value(STEPS, args.steps, "--steps")
    check_cost(args, series_cost(count, 1, ("--steps",)), values=2 * count)
    steps = np.arange(count)
    rates = component.fn(steps, **params)
    notes = []
    undefined = np.flatnonzero(np.isnan(rates))
    if len(undefined):
        notes.append(f"{args.name} is undefined from step {undefined[0]} on (PyTorch raises there): written as nan")
    document = {"schedule": args.name, "family": component.family, "params": params,
                "step": steps, "lr": rates}
    return Export(("step", "lr"), zip(steps.tolist(), rates.tolist(), strict=True), document, notes)
