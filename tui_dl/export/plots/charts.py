"""What `--plot` draws for each export target: its JSON document turned into panels.

Each function takes the document an exporter builds (`Export.document`, numpy arrays and None for
missing values) and returns the rows of panels of its chart. Runs keep one group each, so a run has
the same colour (or glyph) in every panel of a chart, and the legend is in the first panel only. A
run that diverged is clipped: the values it blew up to do not set the axes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tui_dl.engine.surfaces import get_surface
from tui_dl.export.plots.figure import Panel, Series, floats
from tui_dl.params import count

Document = dict[str, Any]
Rows = list[list[Panel]]
# basin map glyphs: minimum k is its digit (then letters), "." no minimum yet, "x" diverged
_MINIMUM_GLYPHS = "0123456789abcdefghijklmnopqrstuvwyz"
_NOT_CONVERGED, _DIVERGED = -1, -2
_LANDMARK = -1  # group of start and minimum points: no colour of a run


def _number(value: float) -> str:
    return f"{value:.3g}"


def labelled_lines(runs: Sequence[tuple[str, Any, Any]], clip: Sequence[bool] = (), axes: str = "y") -> list[Series]:
    """One line per (label, x, y), run r in group r; clip[r] lets run r leave the plot along axes."""
    return [Series(label, x, y, group=r, clip=axes if r < len(clip) and clip[r] else "")
            for r, (label, x, y) in enumerate(runs)]


def _diverged(label: str, when: int | None, unit: str) -> str:
    return label if when is None else f"{label} (diverged at {unit} {when})"


def _steps(values: Any) -> np.ndarray:
    return np.arange(len(values))


def schedule(doc: Document) -> Rows:
    """The rate against the step."""
    family = f" ({doc['family']})" if doc["family"] else ""
    title = f"{doc['schedule']}{family}: learning rate per step"
    return [[Panel(title, "step", "lr", [Series("", doc["step"], doc["lr"])], yspan=(0,))]]


def race(doc: Document) -> Rows:
    """Every run's path in the (x, y) plane with the starts (S) and minima (M), and its loss per step."""
    runs = doc["runs"]
    paths = [np.reshape(floats(run["path"]), (-1, 2)) for run in runs]
    starts, minima = (np.reshape(floats(doc[key]), (-1, 2)) for key in ("starts", "minima"))
    diverged = [run["diverged_step"] is not None for run in runs]
    labels = [_diverged(run["label"], run["diverged_step"], "step") for run in runs]
    lines = labelled_lines([(label, p[:, 0], p[:, 1]) for label, p in zip(labels, paths, strict=True)], diverged, "xy")
    landmarks = [Series("start", starts[:, 0], starts[:, 1], _LANDMARK, scatter=True, marker="S"),
                 Series("minimum", minima[:, 0], minima[:, 1], _LANDMARK, scatter=True, marker="M")]
    losses = labelled_lines([("", _steps(run["loss"]), run["loss"]) for run in runs], diverged)
    return [[Panel(f"paths on {doc['surface']}", "x", "y", lines + landmarks),
             Panel("loss per step", "step", "loss", losses, yspan=(0,))]]


def path(doc: Document) -> Rows:
    """The path in the (x, y) plane with its start and the surface's minima, and the loss per step."""
    minima = get_surface(doc["surface"], **doc["surface_params"]).minima
    run = {"label": doc["optimizer"], "path": np.column_stack([floats(doc["x"]), floats(doc["y"])]),
           "loss": doc["loss"], "diverged_step": doc["diverged_step"]}
    return race({"surface": doc["surface"], "runs": [run], "starts": [doc["start"]], "minima": minima})


def init(doc: Document, most: int = 6) -> Rows:
    """Activation histograms of the layers (at most `most`, evenly spread) on one scale, the textbook figure,
    above the activations' std and the gradient norm per layer."""
    layers = doc["layers"]
    edges = floats(layers[0]["hist"]["edges"])
    centres = (edges[:-1] + edges[1:]) / 2
    shown = sorted({round(k) for k in np.linspace(0, len(layers) - 1, min(most, len(layers)))})
    top = max(float(np.max(floats(layers[k]["hist"]["counts"]))) for k in shown)
    index = [layer["index"] for layer in layers]
    what = f"{doc['init']}, {doc['activation']}"
    return [
        [Panel(f"layer {layers[k]['index']}", "activation", "count" if k == shown[0] else "",
               [Series("", centres, layers[k]["hist"]["counts"])], xspan=edges[[0, -1]], yspan=(0, top))
         for k in shown],
        [Panel(f"activation std per layer ({what})", "layer", "std",
               [Series("", index, [layer["std"] for layer in layers])], yspan=(0,)),
         Panel("gradient norm per layer", "layer", "grad norm",
               [Series("", index, [layer["grad_norm"] for layer in layers])], ylog=True)],
    ]


def basins(doc: Document) -> Rows:
    """The grid of starts, each drawn with the glyph of the minimum it reached (. none, x diverged)."""
    minimum = np.asarray(doc["minimum"])
    x, y = np.meshgrid(floats(doc["x"]), floats(doc["y"]))  # [i, j] is the start (x[j], y[i])
    minima = np.reshape(floats(doc["minima"]), (-1, 2))
    series = []
    for k in sorted(set(minimum.ravel().tolist()), key=lambda k: (k < 0, -k if k < 0 else k)):  # 0, 1 .. none, diverged
        where = minimum == k
        if k >= 0:
            glyph = _MINIMUM_GLYPHS[k % len(_MINIMUM_GLYPHS)]
            kind = "local minimum" if k >= doc.get("global_minima", len(minima)) else "minimum"
            label = f"{kind} ({_number(minima[k, 0])}, {_number(minima[k, 1])}): {where.sum()}"
        else:
            glyph, label = ("x", f"diverged: {where.sum()}") if k == _DIVERGED else (".", f"none: {where.sum()}")
        group = _LANDMARK if k == _NOT_CONVERGED else 1 if k == _DIVERGED else k + (k >= 1)  # red is diverged's
        series.append(Series(label, x[where], y[where], group, scatter=True, marker=glyph))
    title = f"basins of {doc['optimizer']} on {doc['surface']} after {count(doc['steps'], 'step')}"
    return [[Panel(title, "start x", "start y", series)]]


def train(doc: Document) -> Rows:
    """Each run's train (dotted) and validation (solid) loss per epoch."""
    lines = [
        Series(_diverged(f"{run['name']} {kind}", run["diverged_epoch"], "epoch"), _steps(run[f"{kind}_loss"]),
               run[f"{kind}_loss"], group=r, dotted=kind == "train",
               clip="" if run["diverged_epoch"] is None else "y")
        for r, run in enumerate(doc["runs"]) for kind in ("train", "val")
    ]
    return [[Panel("loss per epoch: train dotted, val solid", "epoch", "loss", lines, yspan=(0,))]]


def lr_range(doc: Document) -> Rows:
    """The smoothed loss and (dotted) the loss against the rate on a log axis, with the suggested rate."""
    smoothed = floats(doc["smoothed"])
    # the raw loss may jump far up at the end: the smoothed one sets the axes
    lines = [Series("smoothed loss", doc["lr"], smoothed),
             Series("loss", doc["lr"], doc["loss"], dotted=True, clip="y")]
    suggestion = doc["suggestion"]
    finite = smoothed[np.isfinite(smoothed)]
    if suggestion is not None and np.isfinite(suggestion) and len(finite):
        lines.append(Series(f"suggested lr {_number(suggestion)}", [suggestion] * 2, [finite.min(), finite.max()],
                            group=1, marker="|"))
    return [[Panel(f"LR range test ({doc['optimizer']})", "learning rate", "loss", lines, xlog=True)]]


def lr_sweep(doc: Document) -> Rows:
    """Each rate's loss per epoch, and the loss after the last epoch against the rate with the range test's rate."""
    runs = doc["runs"]
    labels = [_diverged(f"lr {_number(run['lr'])}", run["diverged_epoch"], "epoch") for run in runs]
    going = [run for run in runs if not run["diverged"]]
    ends = Series("loss at the end", [run["lr"] for run in going], [floats(run["loss"])[-1] for run in going],
                  marker="o")
    lines = [ends]
    gone = [run for run in runs if run["diverged"]]
    if gone and going:
        top = max(floats(run["loss"])[0] for run in runs) * 2
        lines.append(Series(f"diverged ({len(gone)})", [run["lr"] for run in gone], [top] * len(gone), group=1,
                            scatter=True, marker="x"))
    suggestion = doc["suggestion"]
    if suggestion is not None and going:
        values = [floats(run["loss"])[-1] for run in going]
        lines.append(Series(f"range test suggests {_number(suggestion)}", [suggestion] * 2,
                            [min(values), max(values)], group=2, marker="|"))
    # a diverged run is drawn up to the epoch before it diverged (its label says when): its blow-up would
    # press every other curve onto the floor
    curves = [floats(run["loss"])[: run["diverged_epoch"]] if run["diverged"] else floats(run["loss"]) for run in runs]
    return [
        [Panel(f"loss per epoch at each rate ({doc['optimizer']})", "epoch", "loss",
               labelled_lines([(label, _steps(curve), curve) for label, curve in zip(labels, curves, strict=True)],
                              [bool(np.nanmax(curve, initial=0) > 2 * curve[0]) for curve in curves]), yspan=(0,))],
        [Panel(f"loss after {doc['epochs']} epochs against the rate", "learning rate", "loss", lines, xlog=True)],
    ]


def schedule_race(doc: Document) -> Rows:
    """Each schedule's training loss per epoch, and its rate per iteration."""
    runs = doc["runs"]
    diverged = [run["diverged_epoch"] is not None for run in runs]
    labels = [_diverged(run["name"], run["diverged_epoch"], "epoch") for run in runs]
    return [[
        Panel("train loss per epoch", "epoch", "loss",
              labelled_lines([(label, _steps(run["train_loss"]), run["train_loss"])
                              for label, run in zip(labels, runs, strict=True)], diverged), yspan=(0,)),
        Panel("learning rate per iteration", "iteration", "lr",
              labelled_lines([("", _steps(run["lr"]), run["lr"]) for run in runs]), yspan=(0,)),
    ]]


def search(doc: Document, best: int = 5) -> Rows:
    """The samples over the first two searched parameters (the score over the only one): the best few
    marked, the diverged ones as x."""
    names, samples = doc["names"], doc["samples"]
    metric = "val acc" if doc["metric"] == "val_acc" else "val loss"

    def coordinates(entries: Sequence[dict[str, Any]]) -> tuple[list[float], list[float]]:
        if len(names) == 1:
            return [e[names[0]] for e in entries], [e["score"] for e in entries]
        return [e[names[0]] for e in entries], [e[names[1]] for e in entries]

    diverged = [e for e in samples if e["diverged_epoch"] is not None]
    going = [e for e in samples if e["diverged_epoch"] is None]
    shown = going[:best]
    top = f"best {len(shown)}: {metric} {_number(shown[0]['score'])} to {_number(shown[-1]['score'])}" if shown else ""
    one = len(names) == 1  # y is the score, which a diverged sample does not have: it is counted, not drawn
    groups = [(top, shown, "*", 0), (f"others ({len(going[best:])})", going[best:], "o", 1),
              *([] if one else [(f"diverged ({len(diverged)})", diverged, "x", 2)])]
    series = [Series(label, *coordinates(entries), group=group, scatter=True, marker=marker)
              for label, entries, marker, group in groups if entries]
    log = [scale == "log" for scale in doc["scales"]]
    ylabel = names[1] if len(names) > 1 else metric
    unscored = f" ({len(diverged)} diverged, no score)" if one and diverged else ""
    return [[Panel(f"random search: {len(samples)} samples{unscored}, best first by {metric}", names[0], ylabel,
                   series, xlog=log[0], ylog=log[1] if not one else doc["metric"] == "val_loss")]]


CHARTS: dict[str, Callable[[Document], Rows]] = {
    "schedule": schedule, "path": path, "init": init, "race": race, "basins": basins, "train": train,
    "lr-range": lr_range, "lr-sweep": lr_sweep, "schedule-race": schedule_race, "search": search,
}
