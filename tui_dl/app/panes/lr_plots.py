"""The learning-rate pane's experiment views: schedule race, effective step size, LR range test.

Each run keeps its slot's color (the color of its group in the panel and of its curve in the
overlay). The race draws the training loss per epoch with ✖ where a run diverged; the step-size
view the median effective step per epoch, solid, between its 10th and 90th percentiles, dim; the
range test the raw (dim) and smoothed (solid) loss against the rate on a log axis, a vertical line
at each suggested rate and ✖ where a sweep stopped.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from rich.text import Text

from tui_dl.app.canvas.chart import STOP, Chart, series_mark
from tui_dl.app.frameworks import optimizer_name
from tui_dl.app.palette import MARKER, dim, hex_color, series
from tui_dl.app.panes.divergence import divergence_top, last_finite, marker_y
from tui_dl.app.widgets.plot import Plot
from tui_dl.params import count
from tui_dl.ticks import compact

HEADROOM = 1.1  # the range test's loss axis ends this far above the highest smoothed loss it shows
BAND_ROOM = 100.0  # on a log axis the step-size band may reach this far above the highest median


def epoch_axis(chart: Chart, epoch: int, horizon: int) -> None:
    """Epochs 1 .. a quarter ahead of training (at least 20), up to the horizon: early curves are not squashed."""
    right = min(max(horizon, 2), max(20, int(epoch * 1.25) + 1))
    chart.x_axis(integer=True, limits=(1, right))


def scale_word(log: bool) -> str:
    """` (log)` in a title when the y axis is logarithmic."""
    return " (log)" if log else ""


class RacePlot(Plot):
    """Training loss per epoch of each racing schedule; data is (RaceFrame, log)."""

    def chart(self, chart: Chart, data: Any) -> None:
        frame, log = data
        race = frame.race
        if race is None:
            chart.title("no slot can race: pick a schedule in the schedules view (v)", "nothing races")
            chart.note("nothing races")
            return
        epochs = np.arange(1, race.epoch + 1)
        top = divergence_top(race.train_loss, race.diverged_epoch >= 0, log)
        for run, slot in enumerate(frame.slots):
            chart.line(epochs, race.train_loss[run], series(slot), slot)
            end = int(race.diverged_epoch[run])
            point = last_finite(race.train_loss[run], end) if 0 <= end < race.epoch else None
            if point is not None:
                chart.points([point[0] + 1], [marker_y(point[1], top)], MARKER, STOP)
        chart.y_axis(log=log, limits=(None, top))
        epoch_axis(chart, race.epoch, race.epochs)
        scale = scale_word(log)
        chart.title(f"training loss{scale} per epoch under each schedule · ✖ diverged",
                    f"training loss{scale} per epoch", "training loss")


class StepSizePlot(Plot):
    """Median effective step per epoch (solid) between its 10th and 90th percentiles (dotted); data is (RaceFrame, log).

    Weights that have had (almost) no gradient yet step by about lr / eps, so early 90th
    percentiles reach 1e5 and more: the axis stops BAND_ROOM above the highest median, and the
    band's lines leave the plot at the top instead of squashing the medians.
    """

    def chart(self, chart: Chart, data: Any) -> None:
        frame, log = data
        race = frame.race
        epochs = np.arange(1, race.epoch + 1)
        for run, slot in enumerate(frame.slots):
            for band in (race.step_p10, race.step_p90):
                chart.line(epochs, band[run], dim(series(slot), 0.6), slot, dotted=True, scale=False)
            chart.line(epochs, race.step_median[run], series(slot), slot)
        top = band_top(race.step_median, log)
        with np.errstate(invalid="ignore"):
            chart.extent(y=[np.where(band <= top, band, np.nan) for band in (race.step_p10, race.step_p90)])
        chart.y_axis(log=log)
        epoch_axis(chart, race.epoch, race.epochs)
        scale = scale_word(log)
        chart.title(f"effective step lr/(√v+eps){scale} per epoch: median, 10-90% dotted",
                    f"effective step{scale}: median, 10-90% dotted", "effective step")
def band_top(median: np.ndarray, log: bool) -> float:
    """Where the step-size axis ends: BAND_ROOM (log) or 3 times (linear) above the highest median."""
    finite = median[np.isfinite(median)]
    if not finite.size:
        return math.inf
    return float(finite.max()) * (BAND_ROOM if log else 3.0)


def range_top(test: Any) -> float:
    """The top of the range test's loss axis, from the smoothed losses.

    Above the highest smoothed loss before any stop, and above the points where sweeps stopped
    unless one is more than twice that high (a loss that exploded): it is then drawn at the top.
    Raw losses above the top leave the plot.
    """
    before = np.ones_like(test.smoothed, dtype=bool)
    stopped = np.flatnonzero(test.diverged_iteration >= 0)
    before[stopped, test.diverged_iteration[stopped]] = False
    earlier = test.smoothed[before & np.isfinite(test.smoothed)]
    base = float(earlier.max()) if earlier.size else 1.0
    stops = test.smoothed[stopped, test.diverged_iteration[stopped]]
    stops = stops[np.isfinite(stops)]
    return max(base, min(float(stops.max()), 2 * base)) * HEADROOM if stops.size else base * HEADROOM


def label_rows(test: Any, top: float, log: bool, rows: int) -> list[float]:
    """y of each sweep's suggestion label: the top row for the first, one row lower for each next one."""
    values = test.smoothed[np.isfinite(test.smoothed) & (test.smoothed > 0)]
    bottom = float(values.min()) if values.size else top / 2
    if log:
        low, high = math.log10(bottom), math.log10(top)
        return [10 ** (high - run * (high - low) / max(rows - 1, 1)) for run in range(len(test.labels))]
    return [top - run * (top - bottom) / max(rows - 1, 1) for run in range(len(test.labels))]


class RangePlot(Plot):
    """Loss against lr (log axis) per sweep, the suggested rates, where sweeps stopped; data is (RangeFrame, log).

    Raw losses are dotted, smoothed ones solid; a vertical line marks each suggested rate, labelled
    with it, and ✖ where a sweep stopped (its smoothed loss drawn at the top when it exploded).
    """

    def chart(self, chart: Chart, data: Any) -> None:
        frame, log = data
        test = frame.test
        top = range_top(test)
        label_y = label_rows(test, top, log, max(chart.height - 4, 2))
        for run, slot in enumerate(frame.slots):
            color = series(slot)
            smoothed = np.minimum(test.smoothed[run], top)
            chart.line(test.lrs[run], test.loss[run], dim(color, 0.6), slot, dotted=True, scale=False)
            chart.line(test.lrs[run], smoothed, color, slot)
            suggestion = float(test.suggestion[run])
            if math.isfinite(suggestion):
                chart.vline(suggestion, color, slot)
                chart.label(suggestion, label_y[run], compact(suggestion, 2), color)
            stop = int(test.diverged_iteration[run])
            if stop >= 0 and np.isfinite(smoothed[stop]):
                chart.points([test.lrs[run, stop]], [smoothed[stop]], MARKER, STOP)
        with np.errstate(invalid="ignore"):
            chart.extent(y=[np.where(test.loss <= top, test.loss, np.nan)])
        chart.x_axis(log=True, limits=(float(test.rates[0]), float(test.rates[-1])))
        chart.y_axis(log=log, limits=(None, top))
        scale = scale_word(log)
        chart.title(f"loss{scale} against lr (log) · dotted raw, solid smoothed · │ suggested · ✖ stopped",
                    f"loss{scale} against lr (log) · │ suggested", "loss against lr")


# ---------------------------------------------------------------------- legends
def _entry(text: Text, slot: int, label: str, mode: str) -> None:
    if text:
        text.append("  ")
    text.append(f"{series_mark(slot, mode)} {label}", style=f"bold {hex_color(series(slot))}")


def _race_entries(text: Text, frame: Any, now: Any, mode: str) -> None:
    """One legend entry per racing slot: `now(run)` while it trains, or the epoch where it diverged."""
    race = frame.race
    for run, slot in enumerate(frame.slots):
        _entry(text, slot, race.labels[run], mode)
        end = int(race.diverged_epoch[run])
        if end >= 0:
            text.append(f": diverged at epoch {end + 1}")
        elif race.epoch:
            text.append(f": {now(run)}")


def race_legend(frame: Any, mode: str = "") -> Text:
    """Each schedule's training loss and rate now, or where it diverged; then what does not race."""
    race, text = frame.race, Text()
    if race is None:
        text.append("every slot is off (or cannot race): pick a schedule for a slot in the schedules view")
    else:
        def loss_and_rate(run: int) -> str:
            lr = race.lr[run, min(race.iteration, race.iterations) - 1]
            return f"train loss {compact(race.train_loss[run, -1])} at lr {compact(lr, 2)}"

        _race_entries(text, frame, loss_and_rate, mode)
        batches = count(race.batches_per_epoch, "batch", "batches")
        text.append(f"\n{count(frame.steps, 'step')} = {count(race.epochs, 'epoch')} × {batches}, "
                    f"{optimizer_name(race.optimizers[0])} for every schedule", style="dim")
    for reason in frame.skipped:
        text.append(f"\n{reason}", style="dim")
    return text


def step_legend(frame: Any, mode: str = "") -> Text:
    """Each optimizer's median effective step now, or where it diverged."""
    race, text = frame.race, Text()
    _race_entries(text, frame, lambda run: f"median step {compact(race.step_median[run, -1])}", mode)
    text.append("\nthe factor on each weight's update: Adagrad's only shrinks, RMSprop's and Adam's settle",
                style="dim")
    return text


def range_legend(frame: Any, mode: str = "") -> Text:
    """Each sweep's suggested rate (a legend line for the vertical marker) and where it stopped."""
    test, text = frame.test, Text()
    for run, slot in enumerate(frame.slots):
        _entry(text, slot, test.labels[run], mode)
        suggestion = float(test.suggestion[run])
        if math.isfinite(suggestion):
            text.append(f": │ suggested lr {compact(suggestion, 2)}")
        else:
            text.append(": no suggestion yet")
        stop = int(test.diverged_iteration[run])
        if stop >= 0:
            text.append(f", stopped at {stop} (lr {compact(test.rates[stop], 2)})")
    return text
