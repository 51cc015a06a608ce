"""`tui-dl export path`: one optimizer's path on a 2-D surface, in float64."""

from __future__ import annotations

import argparse

import numpy as np

from tui_dl.engine.experiments import optimizer_race as race
from tui_dl.engine.experiments.costs import descent_cost
from tui_dl.engine.optimizers import OPTIMIZERS
from tui_dl.engine.surfaces import SURFACES
from tui_dl.export import Export
from tui_dl.export.common import (
    STEPS,
    add_format_option,
    add_set_option,
    advance,
    check_cost,
    option_value,
    parse_point,
    resolve_assignments,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `export path`."""
    parser.add_argument("--surface", required=True, help="surface name (see --list)")
    parser.add_argument("--optimizer", required=True, help="optimizer name (see --list)")
    add_set_option(parser, "optimizer (PyTorch names, e.g. betas=0.9,0.999) or the surface")
    parser.add_argument("--start", help="start point X,Y (default: the surface's)")
    parser.add_argument("--steps", default="100", help="number of optimizer steps (default 100)")
    add_format_option(parser, "csv")


def build(args: argparse.Namespace) -> Export:
    """Rows `step,x,y,loss`: row 0 is the start, then one row after each step.

    A run that diverges (position or loss not finite) stops: its rows from that step on are nan, except row 0,
    the start as given with its loss (inf where the surface overflows there).
    """
    optimizer, surface = OPTIMIZERS[args.optimizer], SURFACES[args.surface]
    optimizer_params, surface_params = resolve_assignments(args.assignments, [optimizer, surface])
    steps = option_value(STEPS, args.steps, "--steps")
    start = parse_point(args.start, "--start") if args.start else None
    config = race.RaceConfig(
        surface=args.surface,
        surface_params=surface_params,
        racers=(race.Racer(args.optimizer, args.optimizer, optimizer_params),),
        starts=None if start is None else (start,),
    )
    check_cost(args, descent_cost(1, steps, ("--steps",)), values=4 * (steps + 1))
    snap = race.snapshot(advance(race.step, race.init(config), steps, "step", args))
    xy, loss = np.array(snap.path[:, 0, :]), np.array(snap.loss[:, 0])
    diverged = int(snap.diverged_step[0])
    notes = []
    if diverged > 0:
        xy[diverged:], loss[diverged:] = np.nan, np.nan
        notes.append(f"{args.optimizer} diverged at step {diverged} (non-finite position or loss): later rows are nan")
    elif diverged == 0:  # the start was written as nan, not as the point given
        xy[1:], loss[1:] = np.nan, np.nan
        notes.append(f"the loss at the start is {loss[0]:g}: {args.optimizer} cannot step from there; later rows "
                     "are nan")
    index = np.arange(steps + 1)
    document = {
        "surface": args.surface, "surface_params": surface_params,
        "optimizer": args.optimizer, "params": optimizer_params,
        "start": xy[0], "diverged_step": None if diverged < 0 else diverged,
        "step": index, "x": xy[:, 0], "y": xy[:, 1], "loss": loss,
    }
    rows = zip(index.tolist(), xy[:, 0].tolist(), xy[:, 1].tolist(), loss.tolist(), strict=True)
    return Export(("step", "x", "y", "loss"), rows, document, notes)
