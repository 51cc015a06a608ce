"""Overfitting: train and validation curves per regularization variant, with early-stopping markers.

Train curves are dim, validation curves solid, in each variant's color; ◆ marks each run's best
epoch and ✖ where it stopped (or diverged). The legend reads like Keras's log, 1-based:
`L2 1e-3: best 37, stopped 47`. `v` switches loss and accuracy; `b` picks whose decision regions
are drawn beside the curves (2-D classification data), or hides them.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal

from tui_dl.app.canvas.chart import BEST, STOP, Chart, Glyph, series_key, series_mark
from tui_dl.app.palette import CATEGORIES, MARKER, category, dim, hex_color, series
from tui_dl.app.panes.base import Pane
from tui_dl.app.panes.divergence import divergence_top, marker_y
from tui_dl.app.widgets.plot import Plot
from tui_dl.ticks import compact

NARROW = 56  # below this many columns the curves and the regions take turns
CONFIDENCE_SHADES = 5  # how many shades of a class's colour tell how sure the network is
CLASS_CHARS = "^v<>"  # a training point's character per class without colour: no series' or marker's character


def best_epoch(snapshot: Any, run: int, metric: str) -> int:
    """The run's best epoch (0-based): early stopping's when it tracks one, else the val curve's best."""
    tracked = int(snapshot.best_epoch[run])
    if tracked >= 0:
        return tracked
    values = snapshot.val_loss[run] if metric == "loss" else -snapshot.val_acc[run]
    finite = np.isfinite(values)
    return int(np.argmin(np.where(finite, values, np.inf))) if finite.any() else -1


def end_epoch(snapshot: Any, run: int) -> tuple[int, str]:
    """(0-based epoch, "stopped" or "diverged") where the run ended, or (-1, "")."""
    if snapshot.diverged_epoch[run] >= 0:
        return int(snapshot.diverged_epoch[run]), "diverged"
    if snapshot.stopped_epoch[run] >= 0:
        return int(snapshot.stopped_epoch[run]), "stopped"
    return -1, ""


def legend_entry(snapshot: Any, run: int, metric: str) -> str:
    """`L2 1e-3: val loss 0.253, best epoch 37, stopped 47` (epochs 1-based, as Keras prints them)."""
    _, val, _ = curves(snapshot, metric)
    parts = []
    finite = np.flatnonzero(np.isfinite(val[run]))
    if finite.size:
        parts.append(f"val {'loss' if metric == 'loss' else 'acc'} {compact(val[run, finite[-1]])}")
    best = best_epoch(snapshot, run, metric)
    if best >= 0:
        parts.append(f"best epoch {best + 1}")
    end, how = end_epoch(snapshot, run)
    if end >= 0:
        parts.append(f"{how} {end + 1}")
    return f"{snapshot.labels[run]}: {', '.join(parts)}" if parts else snapshot.labels[run]


def curves(snapshot: Any, metric: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(train, val) arrays (R, epoch) for a metric and the axis title."""
    if metric == "accuracy":
        return snapshot.train_acc, snapshot.val_acc, "accuracy"
    return snapshot.train_data_loss, snapshot.val_data_loss, "data loss"


class CurvesPlot(Plot):
    """Train (dotted) and val (solid) curves with best and stop markers; data is (snapshot, horizon, metric, log)."""

    def chart(self, chart: Chart, data: Any) -> None:
        snapshot, horizon, metric, log = data
        train, val, title = curves(snapshot, metric)
        epochs = np.arange(1, snapshot.epoch + 1)
        diverged = np.concatenate([snapshot.diverged_epoch, snapshot.diverged_epoch]) >= 0
        cap = divergence_top(np.concatenate([train, val]), diverged, log) if metric == "loss" else None
        for run in range(len(snapshot.labels)):
            color = series(run)
            chart.line(epochs, train[run], dim(color, 0.6), run, dotted=True)
            chart.line(epochs, val[run], color, run)
            best = best_epoch(snapshot, run, metric)
            if 0 <= best < snapshot.epoch and np.isfinite(val[run, best]):
                chart.points([best + 1], [float(val[run, best])], color, BEST, run)
            end, _ = end_epoch(snapshot, run)
            if 0 <= end < snapshot.epoch:
                finite = np.flatnonzero(np.isfinite(val[run, : end + 1]))
                if finite.size:
                    chart.points([end + 1], [marker_y(float(val[run, finite[-1]]), cap)], MARKER, STOP)
        # the axis grows with training (a quarter ahead) up to the epochs asked, so early curves are not squashed
        right = min(max(horizon, 2), max(20, int(snapshot.epoch * 1.25) + 1))
        chart.x_axis(integer=True, limits=(1, right))
        chart.y_axis(log=log, limits=(None, cap))
        mode = chart.mode
        chart.legend([(series_key(0, mode, dotted=True), MARKER, "train"), (series_key(0, mode), MARKER, "val")])
        scale = " (log)" if log else ""
        chart.title(f"{title}{scale} per epoch · ◆ best ✖ stop", f"{title}{scale}")


class BoundaryPlot(Plot):
    """Decision regions of one variant (a heat map, darker where unsure) with the training points on top."""

    def chart(self, chart: Chart, data: Any) -> None:
        snapshot, run = data
        xmin, xmax, ymin, ymax = snapshot.grid_box
        classes = snapshot.grid.shape[-1]
        chart.heat(lambda xs, ys: region_colors(snapshot.grid[run], snapshot.grid_box, xs, ys, chart.mode))
        for c in range(classes):
            points = snapshot.x_train[snapshot.y_train == c]
            chart.points(points[:, 0], points[:, 1], category(c), class_glyph(c))
        chart.x_axis(limits=(xmin, xmax))
        chart.y_axis(limits=(ymin, ymax))
        chart.title(f"regions of variant {run + 1} ({snapshot.labels[run]})", f"regions of {run + 1}")


def class_glyph(index: int) -> Glyph:
    """A training point of class index: `•` in its colour, or the class's own character without colour."""
    char = CLASS_CHARS[index % len(CLASS_CHARS)]
    return Glyph("•", char, char)


def region_colors(grid: np.ndarray, box: tuple[float, float, float, float], xs: np.ndarray, ys: np.ndarray,
                  mode: str = "") -> tuple[np.ndarray, np.ndarray]:
    """(len(ys), len(xs), 3) RGB and a mask: each point in its predicted class's colour, darker where the
    network is unsure (the highest class probability in 5 shades: below 0.2, 0.4, 0.6, 0.8, and above).

    grid is (size, size, classes) of class probabilities over box = (xmin, xmax, ymin, ymax), row 0 at
    ymin. Without colour (mode `mono`: NO_COLOR turns colours grey) each class is one grey of its own,
    far from the others, and unsureness is not shaded. Points where the network has no finite
    prediction (a diverged run) are masked out: no region is drawn there.
    """
    xmin, xmax, ymin, ymax = box
    size = grid.shape[0]
    gx = np.clip(((xs - xmin) / (xmax - xmin) * size).astype(int), 0, size - 1)
    gy = np.clip(((ys - ymin) / (ymax - ymin) * size).astype(int), 0, size - 1)
    probabilities = grid[np.ix_(gy, gx)]
    known = np.isfinite(probabilities).all(axis=-1)
    probabilities = np.nan_to_num(probabilities, nan=0.0, posinf=0.0, neginf=0.0)
    label = np.argmax(probabilities, axis=-1)
    if mode == "mono":
        greys = np.linspace(30, 150, max(grid.shape[-1], 2))[label]
        return np.repeat(greys[..., None], 3, axis=-1).astype(np.uint8), known
    # confidence in CONFIDENCE_SHADES steps: a few shades read as well, and equal colours merge into one run
    confidence = np.floor(np.max(probabilities, axis=-1) * CONFIDENCE_SHADES)[..., None] / CONFIDENCE_SHADES
    palette = np.asarray(CATEGORIES, dtype=np.float64)[label % len(CATEGORIES)]
    return (palette * (0.12 + 0.28 * confidence)).astype(np.uint8), known


class OverfittingPane(Pane):
    """A small spiral overfitting without regularization, next to L2, dropout and early stopping."""

    KIND = "train"
    TITLE = "Overfitting"
    VIEWS = ("loss", "accuracy")
    BINDINGS: ClassVar = [
        Binding("v", "cycle_view", "Loss/acc", tooltip="loss or accuracy curves"),
        Binding("b", "cycle_boundary", "Regions", tooltip="decision regions of the next variant, or none"),
        Binding("g", "toggle_log", "Log scale", tooltip="linear or log axis of the curves (a loss that blew up)"),
    ]
    DEFAULT_CSS = """
    OverfittingPane #plots { height: 1fr; }
    OverfittingPane #curves { width: 3fr; }
    OverfittingPane #boundary { width: 2fr; }
    """

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.boundary: int | None = 0
        """The variant whose decision regions are drawn, None for none."""
        self.regions_asked = False
        """b was pressed: in a narrow pane the regions then replace the curves."""
        self.log_scale = False
        """The curves' y axis is logarithmic (g)."""

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="plots"):
            yield CurvesPlot(id="curves")
            yield BoundaryPlot(id="boundary")

    def redraw(self) -> None:
        if self.frame is None:
            return
        snapshot, horizon = self.frame.snapshot, self.frame.horizon
        metric = self.view
        runs = len(snapshot.labels)
        regions = snapshot.grid is not None and self.boundary is not None and self.boundary < runs
        narrow = self.query_one("#plots").size.width < NARROW
        curves_plot, boundary = self.query_one(CurvesPlot), self.query_one(BoundaryPlot)
        # side by side when there is room; in a narrow pane one at a time (b switches to the regions)
        curves_plot.display = not (narrow and regions and self.regions_asked)
        boundary.display = regions and (not narrow or self.regions_asked)
        if curves_plot.display:
            curves_plot.show((snapshot, horizon, metric, self.log_scale))
        if boundary.display:
            boundary.show((snapshot, self.boundary))
        text = Text()
        for run in range(runs):
            if run:
                text.append("  ")
            text.append(f"{series_mark(run, self.mode)} {legend_entry(snapshot, run, metric)}",
                        style=f"bold {hex_color(series(run))}")
        if snapshot.task != "classification" and metric == "accuracy":
            text.append("\naccuracy: classification only", style="dim")
        self.set_note(text)

    def status(self) -> str:
        regions = "no regions" if self.boundary is None else f"regions of variant {self.boundary + 1}"
        return f"{self.view}, {'log' if self.log_scale else 'linear'} scale, {regions}"

    def action_toggle_log(self) -> None:
        """Linear or log y axis of the curves."""
        self.log_scale = not self.log_scale
        self.redraw()
        self.post_message(self.Changed())

    def action_cycle_boundary(self) -> None:
        """Decision regions of the next variant, then none."""
        runs = len(self.frame.snapshot.labels) if self.frame is not None else 1
        if not self.regions_asked and self.query_one("#plots").size.width < NARROW:
            self.boundary = 0  # narrow: the first b shows variant 1's regions instead of the curves
        else:
            self.boundary = 0 if self.boundary is None else (self.boundary + 1 if self.boundary + 1 < runs else None)
        self.regions_asked = True
        self.redraw()
        self.post_message(self.Changed())

    def on_resize(self) -> None:
        self.redraw()
