"""`tui-dl export schedule NAME`: a learning-rate schedule's rate at steps 0..N-1 (and the momentum it cycles)."""

from __future__ import annotations

import argparse

import numpy as np

from tui_dl.engine.experiments.costs import series_cost
from tui_dl.engine.schedules import SCHEDULES, schedule_momentum
from tui_dl.export import Export
from tui_dl.export.common import STEPS, add_format_option, add_set_option, check_cost, option_value, resolve_assignments
from tui_dl.params import count as plural


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
    if where := _where(np.isnan(rates)):
        notes.append(f"{args.name} is undefined {where} (PyTorch raises there): written as nan")
    if where := _where(np.isinf(rates)):  # decay_rate=1e308: the rate overflows, as it does in float64 anywhere
        notes.append(f"{args.name}'s rate is past the largest float {where}: written as inf (null in json)")
    document = {"schedule": args.name, "family": component.family, "params": params,
                "step": steps, "lr": rates}
    momentum = schedule_momentum(args.name, steps, params)
    if momentum is None:
        return Export(("step", "lr"), zip(steps.tolist(), rates.tolist(), strict=True), document, notes)
    document["momentum"] = momentum  # cycle_momentum: the optimizer's momentum (Adam: beta1) at each step
    rows = zip(steps.tolist(), rates.tolist(), momentum.tolist(), strict=True)
    return Export(("step", "lr", "momentum"), rows, document, notes)


def _where(steps: np.ndarray) -> str:
    """Where a (count,) mask holds: `from step 3 on`, `at 2 steps, the first 5`, or ""."""
    marked = np.flatnonzero(steps)
    if not len(marked):
        return ""
    if marked[-1] == len(steps) - 1 and len(marked) == len(steps) - marked[0]:
        return f"from step {marked[0]} on"
    return f"at {plural(len(marked), 'step')}, the first {marked[0]}"
