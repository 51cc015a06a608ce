"""`tui-dl export init`: the textbook's per-layer activation statistics for one initializer."""

from __future__ import annotations

import argparse

import numpy as np

from tui_dl.engine.activations import ACTIVATIONS
from tui_dl.engine.experiments import initialization as experiment
from tui_dl.engine.initializers import INITIALIZERS
from tui_dl.export import Export
from tui_dl.export.common import add_format_option, add_set_option, option_value, resolve_assignments
from tui_dl.params import ParamSpec

SEED = ParamSpec("seed", "int", 0, low=0, high=2**63 - 1, help="random seed")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `export init`."""
    parser.add_argument("--init", required=True, help="initializer name (see --list)")
    parser.add_argument("--activation", required=True, help="activation name (see --list)")
    add_set_option(parser, "initializer (e.g. std=0.01) or the activation")
    for spec in (experiment.LAYERS, experiment.WIDTH, experiment.SAMPLES, experiment.BINS, SEED):
        parser.add_argument(f"--{spec.name}", default=str(spec.default),
                            help=f"{spec.help} (default {spec.default})")
    add_format_option(parser, "json", ("json", "csv"))


def build(args: argparse.Namespace) -> Export:
    """One entry per layer: mean, std, saturated, dead and the histogram."""
    initializer, activation = INITIALIZERS[args.init], ACTIVATIONS[args.activation]
    init_params, activation_params = resolve_assignments(args.assignments, [initializer, activation])
    sizes = {spec.name: option_value(spec, getattr(args, spec.name), f"--{spec.name}")
             for spec in (experiment.LAYERS, experiment.WIDTH, experiment.SAMPLES, experiment.BINS)}
    seed = option_value(SEED, args.seed, "--seed")
    run = experiment.InitRun(args.init, args.init, args.activation, init_params, activation_params)
    config = experiment.InitConfig(runs=(run,), **sizes)
    snap = experiment.snapshot(experiment.init(config, np.random.default_rng(seed)))
    layers = [
        {
            "index": layer + 1,
            "mean": snap.mean[0, layer],
            "std": snap.std[0, layer],
            "saturated": snap.saturated[0, layer],
            "dead": snap.dead[0, layer],
            "below": snap.below[0, layer],
            "above": snap.above[0, layer],
            "weight_std": snap.weight_std[0, layer],
            "grad_norm": snap.grad_norm[0, layer],
            "hist": {"edges": snap.edges[0], "counts": snap.counts[0, layer]},
        }
        for layer in range(config.layers)
    ]
    document = {"init": args.init, "init_params": init_params, "activation": args.activation,
                "activation_params": activation_params, "seed": seed, **sizes, "layers": layers}
    header = ("layer", "mean", "std", "saturated", "dead", "bin_low", "bin_high", "count")
    rows = (
        (entry["index"], entry["mean"], entry["std"], _or_none(entry["saturated"]), _or_none(entry["dead"]),
         low, high, count)
        for entry in layers
        for low, high, count in zip(snap.edges[0][:-1], snap.edges[0][1:], entry["hist"]["counts"], strict=True)
    )
    return Export(header, rows, document)


def _or_none(value: float) -> float | None:
    return None if np.isnan(value) else value
