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

from tui_dl.app.palette import CATEGORIES, MARKER, category, dim, hex_color, series
from tui_dl.app.panes.base import Pane
from tui_dl.app.widgets.plot import LINE, Plot, decimate, fit_title, plot_cells, set_int_xticks

NARROW = 56  # below this many columns the curves and the regions take turns


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
    """`L2 1e-3: best 37, stopped 47` (epochs 1-based, as Keras prints them)."""
    text = f"{snapshot.labels[run]}:"
    best = best_epoch(snapshot, run, metric)
    if best >= 0:
        text += f" best {best + 1}"
    end, how = end_epoch(snapshot, run)
    if end >= 0:
        text += f", {how} {end + 1}" if best >= 0 else f" {how} {end + 1}"
    return text


def curves(snapshot: Any, metric: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(train, val) arrays (R, epoch) for a metric and the axis title."""
    if metric == "accuracy":
        return snapshot.train_acc, snapshot.val_acc, "accuracy"
    return snapshot.train_data_loss, snapshot.val_data_loss, "data loss"


class CurvesPlot(Plot):
    """Train and val curves with best and stop markers; data is (snapshot, horizon, metric)."""

    def draw(self, plt: Any, data: Any, width: int, height: int) -> None:
        snapshot, horizon, metric = data
        cols, _ = plot_cells(width, height)
        train, val, title = curves(snapshot, metric)
        epochs = np.arange(1, snapshot.epoch + 1)
        for run in range(len(snapshot.labels)):
            color = series(run)
            for values, shade, marker in ((train[run], dim(color, 0.6), "braille"), (val[run], color, LINE)):
                x, y = decimate(epochs, values, cols)
                if len(x):
                    plt.plot(x.tolist(), y.tolist(), marker=marker, color=shade)
            best = best_epoch(snapshot, run, metric)
            if 0 <= best < snapshot.epoch and np.isfinite(val[run, best]):
                plt.scatter([best + 1], [float(val[run, best])], marker="◆", color=color)
            end, _ = end_epoch(snapshot, run)
            if 0 <= end < snapshot.epoch:
                finite = np.flatnonzero(np.isfinite(val[run, : end + 1]))
                if finite.size:
                    plt.scatter([end + 1], [float(val[run, finite[-1]])], marker="✖", color=MARKER)
        # the axis grows with training (a quarter ahead) up to the epochs asked, so early curves are not squashed
        right = min(max(horizon, 2), max(20, int(snapshot.epoch * 1.25) + 1))
        plt.xlim(1, right)
        set_int_xticks(plt, 1, right)
        fit_title(plt, width, f"{title}: train dotted, val solid · ◆ best ✖ stop", f"{title}: train ···, val ─",
                  title)


class BoundaryPlot(Plot):
    """Decision regions of one variant as a colored grid, with the training points on top."""

    def draw(self, plt: Any, data: Any, width: int, height: int) -> None:
        snapshot, run = data
        xmin, xmax, ymin, ymax = snapshot.grid_box
        classes = snapshot.grid.shape[-1]
        for c in range(classes):
            points = snapshot.x_train[snapshot.y_train == c]
            if len(points):
                plt.scatter(points[:, 0].tolist(), points[:, 1].tolist(), marker="•",
                            color=category(c))
        plt.xlim(xmin, xmax)
        plt.ylim(ymin, ymax)
        fit_title(plt, width, f"regions of variant {run + 1} ({snapshot.labels[run]})", f"regions of {run + 1}")

    def background(self, data: Any, rows: int, cols: int) -> np.ndarray | None:
        """Each cell in its predicted class's color, darker where the network is unsure."""
        snapshot, run = data
        grid = snapshot.grid[run]
        size = grid.shape[0]
        gx = np.clip(((np.arange(cols) + 0.5) / cols * size).astype(int), 0, size - 1)
        gy = np.clip(((rows - 0.5 - np.arange(rows)) / rows * size).astype(int), 0, size - 1)
        probabilities = np.nan_to_num(grid[np.ix_(gy, gx)], nan=0.0)
        label = np.argmax(probabilities, axis=-1)
        confidence = np.max(probabilities, axis=-1)[..., None]
        palette = np.asarray(CATEGORIES, dtype=np.float64)[label % len(CATEGORIES)]
        return (palette * (0.12 + 0.28 * confidence)).astype(np.uint8)


class OverfittingPane(Pane):
    """A small spiral overfitting without regularization, next to L2, dropout and early stopping."""

    KIND = "train"
    TITLE = "Overfitting"
    VIEWS = ("loss", "accuracy")
    BINDINGS: ClassVar = [
        Binding("v", "cycle_view", "Loss/acc", tooltip="loss or accuracy curves"),
        Binding("b", "cycle_boundary", "Regions", tooltip="decision regions of the next variant, or none"),
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
            curves_plot.show((snapshot, horizon, metric))
        if boundary.display:
            boundary.show((snapshot, self.boundary))
        text = Text()
        for run in range(runs):
            if run:
                text.append("  ")
            text.append(f"● {legend_entry(snapshot, run, metric)}", style=f"bold {hex_color(series(run))}")
        if snapshot.task != "classification" and metric == "accuracy":
            text.append("\naccuracy: classification only", style="dim")
        self.set_note(text)

    def status(self) -> str:
        regions = "no regions" if self.boundary is None else f"regions of variant {self.boundary + 1}"
        return f"{self.view}, {regions}"

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
