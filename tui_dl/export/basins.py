"""`tui-dl export basins`: which minimum one optimizer reaches from each start of a G x G grid."""

from __future__ import annotations

import argparse

import numpy as np

from tui_dl.engine.experiments import basins
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
    resolve_assignments,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `export basins`."""
    parser.add_argument("--surface", required=True, help="surface name (see --list)")
    parser.add_argument("--optimizer", required=True, help="optimizer name (see --list)")
    add_set_option(parser, "optimizer (PyTorch names, e.g. lr=0.01) or the surface")
    parser.add_argument("--grid", default=str(basins.GRID.default),
                        help=f"{basins.GRID.help} (default {basins.GRID.default})")
    parser.add_argument("--steps", default="200", help="number of optimizer steps (default 200)")
    parser.add_argument("--box", metavar="XMIN,XMAX,YMIN,YMAX", help=basins.BOX.help)
    parser.add_argument("--tolerance", default=str(basins.TOLERANCE.default),
                        help=f"{basins.TOLERANCE.help} (default {basins.TOLERANCE.default:g})")
    add_format_option(parser, "csv")


def _or_none(values: np.ndarray) -> list:
    """Nested lists with -1 (not diverged, not arrived) as None."""
    return [[None if v < 0 else int(v) for v in row] for row in values.tolist()]


def build(args: argparse.Namespace) -> Export:
    """Rows `x,y,minimum,diverged_step`, one per start, y-major (the grid's rows bottom to top).

    minimum is the index into the surface's minima of the one the run is within tolerance of after
    the steps, -1 for none, -2 for a run that diverged; diverged_step is empty unless it did. The
    minima are the global ones, then the local ones the surface names (json: `global_minima` says
    how many are global).
    """
    optimizer, surface = OPTIMIZERS[args.optimizer], SURFACES[args.surface]
    params, surface_params = resolve_assignments(args.assignments, [optimizer, surface])
    config = basins.BasinConfig(
        surface=args.surface,
        surface_params=surface_params,
        optimizer=args.optimizer,
        params=params,
        grid=option_value(basins.GRID, args.grid, "--grid"),
        box=None if args.box is None else option_value(basins.BOX, args.box, "--box"),
        tolerance=option_value(basins.TOLERANCE, args.tolerance, "--tolerance"),
    )
    steps = option_value(STEPS, args.steps, "--steps")
    check_cost(args, descent_cost(config.grid**2, steps, ("--grid",), recorded=0), values=8 * config.grid**2)
    snap = basins.snapshot(advance(basins.step, basins.init(config), steps, "step", args))
    document = {
        "surface": args.surface, "surface_params": surface_params, "optimizer": args.optimizer, "params": params,
        "grid": config.grid, "steps": steps, "box": snap.box, "tolerance": config.tolerance, "minima": snap.minima,
        "global_minima": snap.global_minima,
        "x": snap.xs, "y": snap.ys, "minimum": snap.minimum, "diverged_step": _or_none(snap.diverged_step),
        "arrival_step": _or_none(snap.arrival_step), "counts": snap.counts,
        "not_converged": snap.not_converged, "diverged": snap.diverged,
    }
    notes = [f"{snap.diverged} of {config.grid**2} starts diverged"] if snap.diverged else []
    rows = (
        (float(snap.xs[j]), float(snap.ys[i]), int(snap.minimum[i, j]),
         None if snap.diverged_step[i, j] < 0 else int(snap.diverged_step[i, j]))
        for i in range(config.grid)
        for j in range(config.grid)
    )
    return Export(("x", "y", "minimum", "diverged_step"), rows, document, notes)
