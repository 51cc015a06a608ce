"""Overfitting: train and validation curves per regularization variant, with early-stopping markers.

Train curves are dim, validation curves solid, in each variant's color; ◆ marks each run's best
epoch and ✖ where it stopped (or diverged). The legend reads like Keras's log, 1-based:
`L2 1e-3: best 37, stopped 47`. Under several seeds each variant is its median curve over the
seeds with their range shaded behind it, a ✖ where each seed stopped, and the legend gives the
range of the last values. `v` switches loss, accuracy and the random search (search_plot.py: its
own experiment, so the pane restarts); `b` picks whose decision regions are drawn beside the curves
(2-D classification data; seed 1 of a variant), or hides them; in the search view `c` shows the
best samples' curves instead of the samples.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal

from tui_dl.app.canvas.chart import BEST, STOP, Chart, Glyph, series_key, series_mark
from tui_dl.app.palette import CATEGORIES, MARKER, category, dim, hex_color, series, tint
from tui_dl.app.panes.base import Pane
from tui_dl.app.panes.divergence import divergence_top, last_finite, marker_y
from tui_dl.app.panes.search_plot import BEST_SAMPLES, SearchPlot, search_note
from tui_dl.app.widgets.param_panel import ParamPanel
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


def seeds_legend_entry(snapshot: Any, variant: int, metric: str) -> str:
    """`L2 1e-3: val loss 0.253 (0.24-0.27), 2 of 4 stopped 12-30`: the median's last value, the seeds' range."""
    median, low, high = snapshot.by_variant("val_data_loss" if metric == "loss" else "val_acc")
    parts = []
    finite = np.flatnonzero(np.isfinite(median[variant]))
    if finite.size:
        last = finite[-1]
        parts.append(f"val {'loss' if metric == 'loss' else 'acc'} {compact(median[variant, last])} "
                     f"({compact(low[variant, last])}-{compact(high[variant, last])})")
    runs = range(variant * snapshot.seeds, (variant + 1) * snapshot.seeds)
    for how in ("stopped", "diverged"):
        ends = [end + 1 for end, kind in (end_epoch(snapshot, run) for run in runs) if kind == how]
        if ends:
            count = f"{len(ends)} of {snapshot.seeds} " if len(ends) < snapshot.seeds else ""
            span = str(min(ends)) if min(ends) == max(ends) else f"{min(ends)}-{max(ends)}"
            parts.append(f"{count}{how} {span}")
    label = snapshot.variant_labels[variant]
    return f"{label}: {', '.join(parts)}" if parts else label


def same_as(snapshot: Any, variant: int, metric: str) -> int | None:
    """An earlier variant whose curves this one repeats exactly so far (paired runs, such as `none`
    and early stopping before its stop), so the legend can say what its line is drawn over; else None."""
    train, val, _ = curves(snapshot, metric)
    seeds = snapshot.seeds
    mine = slice(variant * seeds, (variant + 1) * seeds)
    known = np.isfinite(val[mine])
    if not known.any():
        return None
    for other in range(variant):
        theirs = slice(other * seeds, (other + 1) * seeds)
        if all(np.array_equal(values[mine][known], values[theirs][known]) for values in (train, val)):
            return other
    return None


def legend_entry(snapshot: Any, run: int, metric: str) -> str:
    """`L2 1e-3: val loss 0.253, best epoch 37, stopped 47` (epochs 1-based, as Keras prints them)."""
    _, val, _ = curves(snapshot, metric)
    parts = []
    finite = np.flatnonzero(np.isfinite(val[run]))
    if finite.size:
        parts.append(f"val {'loss' if metric == 'loss' else 'acc'} {compact(val[run, finite[-1]])}")
    best = best_epoch(snapshot, run, metric)
    if best >= 0:
        parts.append(f"best epoch {best + 1}" + (" (weights restored)" if snapshot.restored[run] else ""))
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
        diverged = np.concatenate([snapshot.diverged_epoch, snapshot.diverged_epoch]) >= 0
        cap = divergence_top(np.concatenate([train, val]), diverged, log) if metric == "loss" else None
        if snapshot.seeds > 1:
            self._seed_spreads(chart, snapshot, metric, cap)
        else:
            self._runs(chart, snapshot, metric, cap)
        # the axis grows with training (a quarter ahead) up to the epochs asked, so early curves are not squashed
        right = min(max(horizon, 2), max(20, int(snapshot.epoch * 1.25) + 1))
        chart.x_axis(integer=True, limits=(1, right))
        chart.y_axis(log=log, limits=(None, cap))
        mode = chart.mode
        chart.legend([(series_key(0, mode, dotted=True), MARKER, "train"), (series_key(0, mode), MARKER, "val")])
        scale = " (log)" if log else ""
        if snapshot.seeds > 1:
            chart.title(f"{title}{scale} per epoch · median of {snapshot.seeds} seeds, range shaded · ✖ stop",
                        f"{title}{scale} · median of {snapshot.seeds} seeds", f"{title}{scale}")
        else:
            chart.title(f"{title}{scale} per epoch · ◆ best ✖ stop", f"{title}{scale}")

    @staticmethod
    def _seed_spreads(chart: Chart, snapshot: Any, metric: str, cap: float | None) -> None:
        """Each variant's median curves over its seeds, the val range shaded, a ✖ where each seed ended."""
        epochs = np.arange(1, snapshot.epoch + 1)
        keys = ("train_data_loss", "val_data_loss") if metric == "loss" else ("train_acc", "val_acc")
        train, _, _ = snapshot.by_variant(keys[0])
        val, low, high = snapshot.by_variant(keys[1])
        for variant in range(len(val)):
            color = series(variant)
            chart.band(epochs, low[variant], high[variant], tint(color))
        for variant in range(len(val)):
            color = series(variant)
            chart.line(epochs, train[variant], dim(color, 0.6), variant, dotted=True)
            chart.line(epochs, val[variant], color, variant)
            for run in range(variant * snapshot.seeds, (variant + 1) * snapshot.seeds):
                end, _ = end_epoch(snapshot, run)
                known = last_finite(val[variant], end) if 0 <= end < snapshot.epoch else None
                if known is not None:
                    chart.points([end + 1], [marker_y(known[1], cap)], MARKER, STOP)

    @staticmethod
    def _runs(chart: Chart, snapshot: Any, metric: str, cap: float | None) -> None:
        """Every run's curves with its best (◆) and stop (✖) markers."""
        train, val, _ = curves(snapshot, metric)
        epochs = np.arange(1, snapshot.epoch + 1)
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


class BoundaryPlot(Plot):
    """Decision regions of one variant (a heat map, darker where unsure) with the training points on top."""

    def chart(self, chart: Chart, data: Any) -> None:
        snapshot, variant = data
        run = variant * snapshot.seeds  # its first seed
        xmin, xmax, ymin, ymax = snapshot.grid_box
        classes = snapshot.grid.shape[-1]
        chart.heat(lambda xs, ys: region_colors(snapshot.grid[variant], snapshot.grid_box, xs, ys, chart.mode))
        for c in range(classes):
            points = snapshot.x_train[snapshot.y_train == c]
            chart.points(points[:, 0], points[:, 1], category(c), class_glyph(c))
        chart.x_axis(limits=(xmin, xmax))
        chart.y_axis(limits=(ymin, ymax))
        seed = ", seed 1" if snapshot.seeds > 1 else ""
        chart.title(f"regions of variant {variant + 1} ({snapshot.labels[run]}{seed})", f"regions of {variant + 1}")


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
    # each grid cell's colour, then each point's cell's: a point's colour depends on its cell alone, and
    # a plot has more points (a few thousand half cells) than the grid has cells
    known = np.isfinite(grid).all(axis=-1)
    probabilities = np.nan_to_num(grid, nan=0.0, posinf=0.0, neginf=0.0)
    label = np.argmax(probabilities, axis=-1)
    if mode == "mono":
        greys = np.linspace(30, 150, max(grid.shape[-1], 2))[label]
        colors = np.repeat(greys[..., None], 3, axis=-1).astype(np.uint8)
    else:
        # confidence in CONFIDENCE_SHADES steps: a few shades read as well, and equal colours merge into one run
        confidence = np.floor(np.max(probabilities, axis=-1) * CONFIDENCE_SHADES)[..., None] / CONFIDENCE_SHADES
        palette = np.asarray(CATEGORIES, dtype=np.float64)[label % len(CATEGORIES)]
        colors = (palette * (0.12 + 0.28 * confidence)).astype(np.uint8)
    rows, cols = np.ix_(gy, gx)
    return colors[rows, cols], known[rows, cols]


class OverfittingPane(Pane):
    """A small spiral overfitting without regularization, next to L2, dropout and early stopping."""

    KIND = "train"
    TITLE = "Overfitting"
    VIEWS = ("loss", "accuracy", "search")
    BINDINGS: ClassVar = [
        Binding("v", "cycle_view", "View", tooltip="loss or accuracy curves, or a random search of hyperparameters"),
        Binding("c", "toggle_best_curves", "Best curves", tooltip="search: the best samples' curves or all samples"),
        Binding("b", "cycle_boundary", "Regions", tooltip="decision regions of the next variant, or none"),
        Binding("g", "toggle_log", "Log scale", tooltip="linear or log axis of the curves (a loss that blew up)"),
    ]
    DEFAULT_CSS = """
    OverfittingPane #plots { height: 1fr; }
    OverfittingPane #curves { width: 3fr; }
    OverfittingPane #boundary { width: 2fr; }
    OverfittingPane #search { width: 1fr; }
    """

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.boundary: int | None = 0
        """The variant whose decision regions are drawn, None for none."""
        self.regions_asked = False
        """b was pressed: in a narrow pane the regions then replace the curves."""
        self.log_scale = False
        """The curves' y axis is logarithmic (g)."""
        self.best_curves = False
        """Search view: the best samples' curves are drawn instead of the samples (c)."""
        self.asked: str | None = None
        """The experiment `v` asked the model for (curves or search), until its first frame arrives."""

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="plots"):
            yield CurvesPlot(id="curves")
            yield BoundaryPlot(id="boundary")
            yield SearchPlot(id="search")

    @property
    def experiment(self) -> str:
        """The experiment the current view needs: search, or curves (the variants)."""
        return "search" if self.view == "search" else "curves"

    def action_cycle_view(self) -> None:
        """Next view; into or out of the search the model switches its experiment and restarts."""
        before = self.experiment
        self.view = self.VIEWS[(self.VIEWS.index(self.view) + 1) % len(self.VIEWS)]
        if self.experiment != before:
            self.asked = self.experiment
            self.set_note("")
            self.post_message(ParamPanel.Edit(self.panel, "view", self.experiment))
        self.refresh_bindings()
        self.redraw()
        self.post_message(self.Changed())

    def view_refused(self, message: str) -> None:
        """The search (or the curves) is over the live limit: back to the first view of the experiment that
        runs on, which nothing restarts, and why in the panel."""
        self.view = "loss" if self.experiment == "search" else "search"
        self.asked = None
        self.refresh_bindings()
        self.redraw()
        self.post_message(self.Changed())
        self.panel.show_error(message)

    def show_frame(self, frame: Any, progress: str = "") -> None:
        """A new frame; the view follows the model's experiment (a setup file or preset may have chosen it)."""
        if frame.view == self.asked:
            self.asked = None
        elif self.asked is None and frame.view != self.experiment:
            self.view = "search" if frame.view == "search" else "loss"
            self.refresh_bindings()
            self.post_message(self.Changed())
        super().show_frame(frame, progress)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_best_curves":
            return self.view == "search"
        if action == "cycle_boundary":
            return self.view != "search"
        if action == "toggle_log":  # the scatter's axes follow the searched ranges' scales
            return self.view != "search" or self.best_curves
        return True

    def action_toggle_best_curves(self) -> None:
        """Search view: the best samples' curves, or all samples over the two axes."""
        self.best_curves = not self.best_curves
        self.refresh_bindings()
        self.redraw()
        self.post_message(self.Changed())

    def redraw(self) -> None:
        if self.frame is None:
            return
        searching = self.view == "search"
        if self.frame.view != self.experiment:  # the other experiment's first frame is on its way
            for plot in self.query(Plot):
                plot.display = False
            return
        if searching:
            self._redraw_search()
            return
        self.query_one(SearchPlot).display = False
        snapshot, horizon = self.frame.snapshot, self.frame.horizon
        metric = self.view
        variants = len(snapshot.variant_labels)
        regions = snapshot.grid is not None and self.boundary is not None and self.boundary < variants
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
        entry = seeds_legend_entry if snapshot.seeds > 1 else legend_entry
        for variant in range(variants):
            if variant:
                text.append("  ")
            twin = same_as(snapshot, variant, metric)
            ended = bool(snapshot.finished[variant * snapshot.seeds:(variant + 1) * snapshot.seeds].all())
            repeats = "" if twin is None else (f" (= {snapshot.variant_labels[twin]} up to its stop)" if ended
                                                else f" (= {snapshot.variant_labels[twin]} so far)")
            text.append(f"{series_mark(variant, self.mode)} {entry(snapshot, variant, metric)}{repeats}",
                        style=f"bold {hex_color(series(variant))}")
        if snapshot.task != "classification" and metric == "accuracy":
            text.append("\naccuracy: classification only", style="dim")
        self.set_note(text)

    def _redraw_search(self) -> None:
        """The samples over the two axes, or (c) the best ones' curves."""
        snapshot, horizon = self.frame.snapshot, self.frame.horizon
        curves_plot, search = self.query_one(CurvesPlot), self.query_one(SearchPlot)
        self.query_one(BoundaryPlot).display = False
        curves_plot.display, search.display = self.best_curves, not self.best_curves
        if self.best_curves:
            best = snapshot.train.select(snapshot.order[:BEST_SAMPLES])
            metric = "accuracy" if snapshot.higher_is_better else "loss"
            curves_plot.show((best, horizon, metric, self.log_scale))
            self.set_note(self._ranked_legend(best, metric))
        else:
            search.show(snapshot)
            self.set_note(search_note(snapshot, self.mode))

    def _ranked_legend(self, best: Any, metric: str) -> Text:
        """`1 lr 5.9e-3 + weight decay 8.6e-5: val acc 0.598` per curve, in its colour, best first."""
        text = Text()
        for rank in range(len(best.labels)):
            text.append(f"{'  ' if rank else ''}{series_mark(rank, self.mode)} {rank + 1} "
                        f"{legend_entry(best, rank, metric)}", style=f"bold {hex_color(series(rank))}")
        return text

    def status(self) -> str:
        if self.view == "search":
            return f"random search: {'the best five curves' if self.best_curves else 'samples over two axes'}"
        regions = "no regions" if self.boundary is None else f"regions of variant {self.boundary + 1}"
        return f"{self.view}, {'log' if self.log_scale else 'linear'} scale, {regions}"

    def action_toggle_log(self) -> None:
        """Linear or log y axis of the curves."""
        self.log_scale = not self.log_scale
        self.redraw()
        self.post_message(self.Changed())

    def action_cycle_boundary(self) -> None:
        """Decision regions of the next variant, then none."""
        curves = self.frame is not None and self.frame.view == "curves"  # not a search's frame still on screen
        runs = len(self.frame.snapshot.variant_labels) if curves else 1
        if not self.regions_asked and self.query_one("#plots").size.width < NARROW:
            self.boundary = 0  # narrow: the first b shows variant 1's regions instead of the curves
        else:
            self.boundary = 0 if self.boundary is None else (self.boundary + 1 if self.boundary + 1 < runs else None)
        self.regions_asked = True
        self.redraw()
        self.post_message(self.Changed())

    def on_resize(self) -> None:
        self.redraw()
