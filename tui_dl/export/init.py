"""`tui-dl export init`: the textbook's per-layer activation statistics for one initializer."""

from __future__ import annotations

import argparse

import numpy as np

from tui_dl.engine.activations import ACTIVATIONS
from tui_dl.engine.experiments import initialization as experiment
from tui_dl.engine.experiments.costs import initialization_cost
from tui_dl.engine.initializers import INITIALIZERS
from tui_dl.export import Export
from tui_dl.export.common import (
    add_format_option,
    add_seed_option,
    add_set_option,
    advance,
    check_cost,
    option_value,
    resolve_assignments,
    seed_of,
)
from tui_dl.params import parse_assignments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `export init`."""
    textbook = ", ".join([*experiment.TEXTBOOK_INITIALIZERS, *experiment.TEXTBOOK_ALIASES])
    parser.add_argument("--init", required=True,
                        help=f"initializer name (see --list); with --convention also one of: {textbook}")
    parser.add_argument("--activation", required=True, help="activation name (see --list)")
    add_set_option(parser, "initializer (e.g. std=0.01) or the activation")
    for spec in (experiment.LAYERS, experiment.WIDTH, experiment.SAMPLES, experiment.BINS):
        parser.add_argument(f"--{spec.name}", default=str(spec.default),
                            help=f"{spec.help} (default {spec.default})")
    add_seed_option(parser)
    parser.add_argument("--convention", choices=experiment.CONVENTION.choices,
                        help="whose version of a textbook name (xavier: keras GlorotNormal, torch xavier_normal_) "
                             "and whose biases (default: the initializer's own framework, keras for the others)")
    parser.add_argument("--bias", action="store_true", help=experiment.BIAS.help)
    add_format_option(parser, "json", ("json", "csv"))


def build(args: argparse.Namespace) -> Export:
    """One entry per layer: mean, std, saturated, dead and the histogram."""
    engine_name = experiment.resolve_initializer(args.init, convention=args.convention).initializer
    initializer, activation = INITIALIZERS[engine_name], ACTIVATIONS[args.activation]
    init_params, activation_params = resolve_assignments(args.assignments, [initializer, activation])
    chosen = parse_assignments(args.assignments)  # only these override a textbook name's fixed parameters
    init_params = {key: value for key, value in init_params.items() if key in chosen}
    init_params = experiment.resolve_initializer(args.init, init_params, args.convention).params
    sizes = {spec.name: option_value(spec, getattr(args, spec.name), f"--{spec.name}")
             for spec in (experiment.LAYERS, experiment.WIDTH, experiment.SAMPLES, experiment.BINS)}
    seed = seed_of(args)
    # the engine name with every parameter; the convention still decides the biases
    run = experiment.InitRun(args.init, engine_name, args.activation, init_params, activation_params, args.convention)
    config = experiment.InitConfig(runs=(run,), bias=args.bias, **sizes)
    check_cost(args, initialization_cost(config))
    state = experiment.init(config, np.random.default_rng(seed))
    snap = experiment.snapshot(advance(experiment.step, state, experiment.total_steps(config), "layer", args))
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
                "activation_params": activation_params, "seed": seed, **sizes,
                "initializer": snap.initializers[0], "convention": snap.conventions[0], "bias": args.bias,
                "layers": layers}
    header = ("layer", "mean", "std", "saturated", "dead", "bin_low", "bin_high", "count")
    rows = (
        (entry["index"], entry["mean"], entry["std"], _or_none(entry["saturated"]), _or_none(entry["dead"]),
         low, high, count)
        for entry in layers
        for low, high, count in zip(snap.edges[0][:-1], snap.edges[0][1:], entry["hist"]["counts"], strict=True)
    )
    return Export(header, rows, document, _overflow_notes(layers))


def _overflow_notes(layers: list[dict]) -> list[str]:
    """A note naming the layers whose statistics are not finite (std=1e200: the outputs' squares overflow)."""
    past = [entry["index"] for entry in layers if not (np.isfinite(entry["mean"]) and np.isfinite(entry["std"]))]
    if not past:
        return []
    named = f"layer {past[0]}" if len(past) == 1 else f"layers {', '.join(map(str, past))}"
    return [f"{named}: the outputs or their squares pass the largest float (1.8e308), so their mean or std is "
            "inf or nan (null in json)"]


def _or_none(value: float) -> float | None:
    return None if np.isnan(value) else value
