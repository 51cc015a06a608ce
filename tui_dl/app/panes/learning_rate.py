"""Learning rate: up to six schedules from the whole catalogue overlaid, met step by step, and four views on them.

Schedules: each curve is drawn dim over the whole horizon and bright up to "now", with a dot at the
rate now; `g` switches the rate axis to a log scale, where exponential decays become straight lines.
When a slot's schedule cycles the optimizer's momentum (CyclicLR's and OneCycleLR's cycle_momentum,
Adam's beta1), a strip under the rates draws that momentum the same way, and the legend gives it.
`v` cycles to the training loss under each slot's schedule (schedule race), the adaptive
optimizers' effective step size lr / (sqrt(v) + eps), the LR range test with its suggested
rate, and the rate sweep (K log-spaced rates trained side by side, coloured by rate, with the
range test's suggestion on their rate axis) (lr_plots.py); `g` is each view's own log toggle.
The view is a setting of the pane's model, so `v` restarts the pane on the view's experiment and
the panel shows that experiment's knobs.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical

from tui_dl.app.canvas.chart import NOW, Chart, series_mark
from tui_dl.app.model_types import ParamRow
from tui_dl.app.palette import dim, hex_color, series
from tui_dl.app.panes.base import Pane
from tui_dl.app.panes.lr_plots import (
    RacePlot,
    RangePlot,
    StepSizePlot,
    SweepLossPlot,
    SweepRatePlot,
    race_legend,
    range_legend,
    step_legend,
    sweep_legend,
)
from tui_dl.app.panes.sparse_plots import SparsePlots, sparse_legend
from tui_dl.app.widgets.param_panel import ParamPanel
from tui_dl.app.widgets.plot import Plot
from tui_dl.ticks import compact

TITLES = {"schedules": "schedules", "race": "schedule race", "step": "effective step", "range": "range test",
          "sweep": "rate sweep", "sparse": "rare features"}
GROUPS = ("slot", "run", "sweep")  # the panel groups of runs: slot 1, run 2, sweep 3 take that run's color
STACKED_LABELS = 6  # the y labels' width of the rate plot and the momentum strip under it: their x axes line up


class SchedulePlot(Plot):
    """Rates against steps: solid up to the step now (● there), dotted ahead; data is (frame, log scale)."""

    def chart(self, chart: Chart, data: Any) -> None:
        frame, log = data
        steps = np.arange(frame.rates.shape[1])
        now = frame.position
        for row, slot in enumerate(frame.slots):
            rates = frame.rates[row]
            chart.line(steps[now:], rates[now:], dim(series(slot), 0.6), slot, dotted=True)
            chart.line(steps[: now + 1], rates[: now + 1], series(slot), slot)
            chart.points([now], [rates[now]], series(slot), NOW, slot)
        chart.x_axis(integer=True, limits=(0, frame.horizon))
        chart.y_axis(log=log, label_width=STACKED_LABELS if frame.momenta is not None else 0)
        scale = " (log)" if log else ""
        chart.title(f"learning rate{scale} against step · solid: met so far, dotted: ahead", f"learning rate{scale}")


class MomentumPlot(Plot):
    """The momentum (Adam: beta1) the cycling slots set, under the rates: solid up to now, dotted ahead; data is the
    frame. Shown only when a slot cycles momentum."""

    def chart(self, chart: Chart, data: Any) -> None:
        frame = data
        steps = np.arange(frame.momenta.shape[1])
        now = frame.position
        for row, slot in enumerate(frame.slots):
            momenta = frame.momenta[row]
            if np.isnan(momenta).all():
                continue
            chart.line(steps[now:], momenta[now:], dim(series(slot), 0.6), slot, dotted=True)
            chart.line(steps[: now + 1], momenta[: now + 1], series(slot), slot)
            chart.points([now], [momenta[now]], series(slot), NOW, slot)
        chart.x_axis(integer=True, limits=(0, frame.horizon))
        chart.y_axis(label_width=STACKED_LABELS)
        chart.title("momentum (Adam: beta1) the scheduler sets, inverse to the rate", "momentum")


class SweepPlots(Vertical):
    """The rate sweep's two plots: loss per epoch coloured by rate above, loss against the rate below."""

    DEFAULT_CSS = """
    SweepPlots { height: 1fr; }
    SweepPlots > SweepLossPlot { height: 3fr; }
    SweepPlots > SweepRatePlot { height: 2fr; }
    """

    def compose(self) -> ComposeResult:
        yield SweepLossPlot(id="sweep-loss")
        yield SweepRatePlot(id="sweep-rate")

    def show(self, data: Any) -> None:
        """Both plots draw data (None: "computing...")."""
        for plot in self.query(Plot):
            plot.show(data)

    @property
    def data(self) -> Any:
        """What the plots were last given, as a Plot's `data`."""
        return self.query_one(SweepLossPlot).data


class LearningRatePane(Pane):
    """Learning-rate schedules: Adam's 1e-3 under cosine restarts, step and exponential decay, and what they do."""

    KIND = "lr"
    TITLE = "Learning rate"
    VIEWS = tuple(TITLES)
    DEFAULT_CSS = """
    LearningRatePane #body > Plot { height: 1fr; }
    LearningRatePane #body > SchedulePlot { height: 2fr; }
    LearningRatePane #body > MomentumPlot { height: 1fr; min-height: 5; max-height: 9; }
    """
    BINDINGS: ClassVar = [
        Binding("v", "cycle_view", "View", tooltip="schedules, training loss under each (schedule race), adaptive"
                " optimizers' effective step size, LR range test, rate sweep (too low, right, too high),"
                " rare features"),
        Binding("g", "toggle_log", "Log scale",
                tooltip="linear or log rate axis (the loss or step-size axis in the other views)"),
    ]

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.log_scales = {"schedules": False, "race": False, "step": True, "range": False, "sweep": False,
                           "sparse": True}
        """Per view: is the y axis logarithmic (step sizes span decades, so that view starts on log)."""
        self.asked: str | None = None
        """The view `v` asked the model for, until its first frame arrives."""
        self.rows_view = self.view
        """The view the panel's rows were last set for."""

    @property
    def log_scale(self) -> bool:
        """The current view's y axis is logarithmic."""
        return self.log_scales[self.view]

    def compose_body(self) -> ComposeResult:
        yield SchedulePlot(id="plot")
        yield MomentumPlot(id="momentum")
        yield RacePlot(id="race")
        yield StepSizePlot(id="step")
        yield RangePlot(id="range")
        yield SweepPlots(id="sweep")
        yield SparsePlots(id="sparse")

    def plots(self) -> dict[str, Plot | SweepPlots | SparsePlots]:
        """The plot of each view (the sweep's two plots in one container)."""
        return {"schedules": self.query_one(SchedulePlot), "race": self.query_one(RacePlot),
                "step": self.query_one(StepSizePlot), "range": self.query_one(RangePlot),
                "sweep": self.query_one(SweepPlots), "sparse": self.query_one(SparsePlots)}

    def on_mount(self) -> None:
        self.on_view_changed()

    def on_view_changed(self) -> None:
        for view, plot in self.plots().items():
            plot.display = view == self.view
        self._show_momentum()

    def _show_momentum(self) -> None:
        """The momentum strip is there in the schedules view while a slot cycles momentum."""
        frame = self.frame
        shown = (self.view == "schedules" and frame is not None and frame.view == "schedules"
                 and frame.momenta is not None)
        plot = self.query_one(MomentumPlot)
        plot.display = shown
        if shown:
            plot.show(frame)

    def set_rows(self, rows: list[ParamRow]) -> None:
        """New rows; after `v` the panel starts at the new view's first row, not at a row of the old one."""
        if self.view != self.rows_view:
            self.rows_view = self.view
            self.panel.rows = []  # no selection to carry over
            self.panel.index = 0
        super().set_rows(rows)

    def group_colors(self, rows: list[ParamRow]) -> dict[str, str]:
        return {f"{group} {i + 1}": hex_color(series(i)) for group in GROUPS for i in range(6)}

    def show_frame(self, frame: Any, progress: str = "") -> None:
        """A new frame; the view follows the model's (a setup file or preset may have chosen it)."""
        if frame.view == self.asked:
            self.asked = None
        elif self.asked is None and frame.view != self.view:
            self.view = frame.view
            self.on_view_changed()
            self.post_message(self.Changed())
        super().show_frame(frame, progress)

    def redraw(self) -> None:
        frame = self.frame
        if frame is None or frame.view != self.view:  # the new view's first frame is on its way
            return
        plot = self.plots()[self.view]
        plot.show((frame, self.log_scale))
        self._show_momentum()
        legends = {"race": race_legend, "step": step_legend, "range": range_legend, "schedules": schedule_legend,
                   "sweep": sweep_legend, "sparse": sparse_legend}
        self.set_note(legends[self.view](frame, self.mode))

    def status(self) -> str:
        return f"{TITLES[self.view]}, {'log' if self.log_scale else 'linear'} scale"

    def action_cycle_view(self) -> None:
        """Next view: the model switches to its experiment and restarts (the panel follows)."""
        self.view = self.asked = self.VIEWS[(self.VIEWS.index(self.view) + 1) % len(self.VIEWS)]
        self.on_view_changed()
        self.plots()[self.view].show(None)  # "computing..." until the view's first frame
        self.set_note("")
        self.post_message(ParamPanel.Edit(self.panel, "view", self.view))
        self.post_message(self.Changed())

    def action_toggle_log(self) -> None:
        """Linear or log y axis of the current view."""
        self.log_scales[self.view] = not self.log_scale
        self.redraw()
        self.post_message(self.Changed())


def schedule_legend(frame: Any, mode: str = "") -> Text:
    """Each slot's class name, its rate now, and the momentum it sets now where it cycles momentum."""
    text = Text()
    if not frame.slots:
        text.append("every slot is off: pick a schedule for a slot in the panel")
    for row, (slot, label) in enumerate(zip(frame.slots, frame.labels, strict=True)):
        if row:
            text.append("  ")
        rate = frame.rates[row, frame.position]
        text.append(f"{series_mark(slot, mode)} {label}", style=f"bold {hex_color(series(slot))}")
        text.append(f" lr {compact(rate)}" if np.isfinite(rate) else " lr undefined")
        momentum = np.nan if frame.momenta is None else frame.momenta[row, frame.position]
        if np.isfinite(momentum):
            text.append(f" momentum {compact(momentum)}")
    return text
