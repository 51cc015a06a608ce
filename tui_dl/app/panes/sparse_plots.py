"""The learning-rate pane's rare-features view: effective step per feature against its frequency, and |Δθ| per step.

Both plots colour each optimizer as its run (SGD, Adagrad, RMSprop, Adam); the legend states the
verdicts: how much larger each optimizer's steps are for the rarest features than for the most
frequent ones (1 for SGD), and how far each one's updates have shrunk over the run.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from tui_dl.app.canvas.chart import NOW, Chart, series_mark
from tui_dl.app.palette import hex_color, series
from tui_dl.app.runner import verdicts
from tui_dl.app.widgets.plot import Plot


class FeatureStepPlot(Plot):
    """Each feature's effective step size (y, log) against how often it occurs (x, log); data is (SparseFrame, log)."""

    def chart(self, chart: Chart, data: Any) -> None:
        frame, log = data
        snap = frame.sparse
        order = np.argsort(snap.seen)
        seen = snap.seen[order]
        if not np.isfinite(snap.step_size).any():
            chart.note("no step yet: press n (or space)")
            return
        for run in range(len(snap.labels)):
            steps = snap.step_size[run, order]
            chart.line(seen, steps, series(run), run)
            chart.points(seen, steps, series(run), NOW, run)
        chart.x_axis(log=True)
        chart.y_axis(log=log)
        chart.title(f"effective step per feature at step {snap.step} against how often it occurs (share of samples)",
                    "effective step against feature frequency", "step vs frequency")


MEAN_OF = 10  # |Δθ| is drawn as the mean of this many steps: one step's size is mostly batch noise


def running_mean(values: np.ndarray, window: int = MEAN_OF) -> np.ndarray:
    """(T, R) -> the mean of each window steps ending at each step (fewer at the start)."""
    sums = np.cumsum(np.vstack([np.zeros((1, values.shape[1])), values]), axis=0)
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)[:, None]


class UpdateSizePlot(Plot):
    """|Δθ| per step of each optimizer (y, log) against the step (log): Adagrad's 1 / sqrt(t) is a
    falling line; data is (SparseFrame, log)."""

    def chart(self, chart: Chart, data: Any) -> None:
        frame, log = data
        snap = frame.sparse
        if not len(snap.update):
            chart.note("no step yet: press n (or space)")
            return
        steps = np.arange(1, len(snap.update) + 1)
        mean = running_mean(snap.update)
        adagrad = [run for run, name in enumerate(snap.optimizers) if name == "adagrad"]
        for run in [r for r in range(len(snap.labels)) if r not in adagrad] + adagrad:  # Adagrad's on top
            chart.line(steps, mean[:, run], series(run), run)
        chart.x_axis(log=True, limits=(1, max(frame.horizon, 2)))
        chart.y_axis(log=log)
        chart.title(f"update size |Δθ| per step (mean of {MEAN_OF}) against step (log)", "|Δθ| per step")


class SparsePlots(Vertical):
    """The two plots of the rare-features view, one above the other."""

    DEFAULT_CSS = """
    SparsePlots { height: 1fr; }
    SparsePlots > FeatureStepPlot { height: 1fr; }
    SparsePlots > UpdateSizePlot { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield FeatureStepPlot(id="sparse-steps")
        yield UpdateSizePlot(id="sparse-updates")

    def show(self, data: Any) -> None:
        """Both plots draw data (None: "computing...")."""
        for plot in self.query(Plot):
            plot.show(data)

    @property
    def data(self) -> Any:
        """What the plots were last given, as a Plot's `data`."""
        return self.query_one(FeatureStepPlot).data


def sparse_legend(frame: Any, mode: str = "") -> Text:
    """Each optimizer's rare-over-frequent step ratio and how far its updates shrank."""
    snap = frame.sparse
    ratios, shrunk = verdicts.rare_feature_steps(frame), verdicts.update_shrinkage(frame)
    text = Text(f"features in {snap.seen.min():.2g}-{snap.seen.max():.2g} of samples"
                f" ({snap.seen.max() / max(snap.seen.min(), 1e-12):.0f}x) · step, rarest / commonest quarter:")
    for run, label in enumerate(snap.labels):
        ratio = ratios[label]
        text.append(f" {series_mark(run, mode)} {label} ", style=f"bold {hex_color(series(run))}")
        text.append(f"{ratio:.3g}x" if math.isfinite(ratio) else "—")
    text.append("\n|Δθ|, last 100 / steps 10-110:")
    for run, label in enumerate(snap.labels):
        value = shrunk[label]
        text.append(f" {label} ", style=f"bold {hex_color(series(run))}")
        text.append(f"{value:.2g}x" if math.isfinite(value) else "—")
    return text
