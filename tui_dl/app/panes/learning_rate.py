"""Learning rate: up to six schedules from the whole catalogue overlaid, met step by step.

Each curve is drawn dim over the whole horizon and bright up to "now", with a dot at the rate now;
`g` switches the rate axis to a log scale, where exponential decays become straight lines.

TODO(schedule-race, effective-step, lr-range): further views of this pane, added to VIEWS (with a
`v` binding) when their experiments exist in engine/experiments: the training loss under each
schedule, the adaptive optimizers' effective step size lr / (sqrt(v) + eps), and the LR range
test with its suggested rate. Their jobs belong in app/runner/schedules.py.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding

from tui_dl.app.palette import dim, hex_color, series
from tui_dl.app.panes.base import Pane
from tui_dl.app.settings import ParamRow
from tui_dl.app.widgets.plot import LINE, Plot, compact, decimate, fit_title, plot_cells, set_yticks


class SchedulePlot(Plot):
    """Rates against steps; data is (frame, log scale)."""

    def draw(self, plt: Any, data: Any, width: int, height: int) -> None:
        frame, log = data
        cols, _ = plot_cells(width, height)
        steps = np.arange(frame.rates.shape[1])
        rates = frame.rates
        if log:
            positive = rates[np.isfinite(rates) & (rates > 0)]
            floor = positive.min() / 10 if positive.size else 1e-12
            rates = np.where(rates > 0, rates, floor)
            plt.yscale("log")
        now = frame.position
        for row, slot in enumerate(frame.slots):
            x, y = decimate(steps, rates[row], cols)
            plt.plot(x.tolist(), y.tolist(), marker="braille", color=dim(series(slot), 0.6))
            x, y = decimate(steps[: now + 1], rates[row, : now + 1], cols)
            if len(x):
                plt.plot(x.tolist(), y.tolist(), marker=LINE, color=series(slot))
                plt.scatter([x[-1]], [y[-1]], marker="●", color=series(slot))
        finite = rates[np.isfinite(rates)]
        if finite.size:
            set_yticks(plt, float(finite.min()), float(finite.max()), log)
        plt.xlim(0, frame.horizon)
        scale = " (log)" if log else ""
        fit_title(plt, width, f"learning rate{scale} against step · bright: met so far", f"learning rate{scale}")


class LearningRatePane(Pane):
    """Learning-rate schedules: Adam's 1e-3 under cosine restarts, step and exponential decay."""

    KIND = "lr"
    TITLE = "Learning rate"
    VIEWS = ("schedules",)
    DEFAULT_CSS = """
    LearningRatePane SchedulePlot { height: 1fr; }
    """
    BINDINGS: ClassVar = [Binding("g", "toggle_log", "Log scale", tooltip="linear or log rate axis")]

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.log_scale = False

    def compose_body(self) -> ComposeResult:
        yield SchedulePlot(id="plot")

    def group_colors(self, rows: list[ParamRow]) -> dict[str, str]:
        return {f"slot {i + 1}": hex_color(series(i)) for i in range(6)}

    def redraw(self) -> None:
        if self.frame is None:
            return
        frame = self.frame
        self.query_one(SchedulePlot).show((frame, self.log_scale))
        text = Text()
        if not frame.slots:
            text.append("every slot is off: pick a schedule for a slot in the panel")
        for row, (slot, label) in enumerate(zip(frame.slots, frame.labels, strict=True)):
            if row:
                text.append("  ")
            rate = frame.rates[row, frame.position]
            text.append(f"● {label}", style=f"bold {hex_color(series(slot))}")
            text.append(f" {compact(rate)}" if np.isfinite(rate) else " undefined")
        self.set_note(text)

    def status(self) -> str:
        return "log scale" if self.log_scale else "linear scale"

    def action_toggle_log(self) -> None:
        """Linear or log rate axis."""
        self.log_scale = not self.log_scale
        self.redraw()
        self.post_message(self.Changed())
