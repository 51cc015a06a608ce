"""`tui-dl export race`: several optimizers from one or more start points on a 2-D surface, in float64."""

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
from tui_dl.params import parse_named_assignments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `export race`."""
    parser.add_argument("--surface", required=True, help="surface name (see --list)")
    parser.add_argument(
        "--optimizer", dest="racers", action="append", default=[], metavar="NAME[:KEY=VALUE,...]",
        help="a racer, e.g. sgd:lr=0.1,momentum=0.9 or adam:lr=0.3,betas=0.9,0.999 (repeatable; "
             "default: the textbook's SGD, Momentum, AdaGrad and Adam)",
    )
    add_set_option(parser, "surface")
    parser.add_argument("--start", dest="starts", action="append", default=[], metavar="X,Y",
                        help="a start point (repeatable: every racer runs from each; default: the surface's)")
    parser.add_argument("--steps", default="100", help="number of optimizer steps (default 100)")
    add_format_option(parser, "csv")


def parse_racer(text: str) -> race.Racer:
    """`NAME[:KEY=VALUE,...]` as a Racer labelled by the text itself; a list value keeps its commas."""
    name, values = parse_named_assignments(text, "--optimizer")
    component = OPTIMIZERS[name]
    params = component.resolve(values, text=True)
    return race.Racer(text, component.name, params)


def masked(snap: race.RaceSnapshot) -> tuple[np.ndarray, np.ndarray]:
    """Path (T, R, 2) and loss (T, R) with NaN from each run's divergence on (the engine repeats its last point)."""
    path, loss = np.array(snap.path), np.array(snap.loss)
    steps = np.arange(len(path))[:, None]
    gone = (snap.diverged_step >= 0) & (steps >= snap.diverged_step)
    path[gone], loss[gone] = np.nan, np.nan
    return path, loss


def build(args: argparse.Namespace) -> Export:
    """Rows `step,run,x,y,loss`, step by step, each step listing every run (run = racer * starts + start).

    Row step 0 is the start. A run that diverges (position or loss not finite) stops: its rows from
    that step on are nan, and a note on stderr says so.
    """
    surface = SURFACES[args.surface]
    (surface_params,) = resolve_assignments(args.assignments, [surface])
    racers = tuple(parse_racer(text) for text in args.racers) or race.TEXTBOOK_RACERS
    steps = option_value(STEPS, args.steps, "--steps")
    starts = tuple(parse_point(text, "--start") for text in args.starts) or None
    config = race.RaceConfig(args.surface, surface_params, racers, starts)
    runs = len(racers) * (1 if starts is None else len(starts))
    check_cost(args, descent_cost(runs, steps, ("--steps",)), values=5 * runs * (steps + 1))
    snap = race.snapshot(advance(race.step, race.init(config), steps, "step", args))
    path, loss = masked(snap)
    n_starts = len(snap.starts)
    runs = [
        {"label": label, "optimizer": racers[r // n_starts].optimizer,
         "params": OPTIMIZERS[racers[r // n_starts].optimizer].resolve(racers[r // n_starts].params),
         "start": snap.starts[r % n_starts], "path": path[:, r], "loss": loss[:, r],
         "diverged_step": None if snap.diverged_step[r] < 0 else int(snap.diverged_step[r]),
         "distance": snap.distance[r] if snap.diverged_step[r] < 0 else None}
        for r, label in enumerate(snap.labels)
    ]
    notes = [f"{run['label']} diverged at step {run['diverged_step']} (non-finite position or loss): "
             "later rows are nan" for run in runs if run["diverged_step"] is not None]
    document = {"surface": args.surface, "surface_params": surface_params, "steps": steps,
                "starts": snap.starts, "minima": snap.minima, "runs": runs}
    index = np.arange(len(path))
    rows = ((int(k), r, *path[k, r].tolist(), float(loss[k, r])) for k in index for r in range(len(runs)))
    return Export(("step", "run", "x", "y", "loss"), rows, document, notes)
