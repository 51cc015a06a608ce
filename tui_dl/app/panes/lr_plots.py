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

from tui_dl.app.canvas.chart import NOW, STOP, Chart, series_mark
from tui_dl.app.frameworks import optimizer_name
from tui_dl.app.palette import MARKER, dim, hex_color, series
from tui_dl.app.panes.divergence import divergence_top, last_finite, marker_y
from tui_dl.app.runner import verdicts
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


# ---------------------------------------------------------------------- rate sweep
RATE_STOPS = ((70, 120, 255), (90, 200, 120), (240, 200, 60), (245, 80, 60))  # low rates blue .. high rates red


def rate_color(fraction: float) -> tuple[int, int, int]:
    """The colour of a rate at fraction (0 the lowest, 1 the highest, in log rate) of the sweep's range."""
    position = min(max(fraction, 0.0), 1.0) * (len(RATE_STOPS) - 1)
    index = min(int(position), len(RATE_STOPS) - 2)
    t = position - index
    low, high = RATE_STOPS[index], RATE_STOPS[index + 1]
    return tuple(round(a + (b - a) * t) for a, b in zip(low, high, strict=True))


def rate_colors(lrs: np.ndarray) -> list[tuple[int, int, int]]:
    """Each rate's colour on the sweep's log scale, blue (lowest) to red (highest)."""
    logs = np.log10(np.asarray(lrs, dtype=np.float64))
    span = float(logs[-1] - logs[0]) if len(logs) > 1 else 1.0
    return [rate_color(float((value - logs[0]) / span) if span else 0.0) for value in logs]


def sweep_top(snap: Any, log: bool) -> float | None:
    """The loss axis's top: a little above where the runs started when some diverged (divergence.py)."""
    return divergence_top(snap.losses, snap.diverged_at >= 0, log)


class SweepLossPlot(Plot):
    """Training loss per epoch of every rate, coloured by rate, ✖ where a run diverged; data is (SweepFrame, log)."""

    def chart(self, chart: Chart, data: Any) -> None:
        frame, log = data
        snap = frame.sweep
        epochs = np.arange(snap.losses.shape[1])
        top = sweep_top(snap, log)
        colors = rate_colors(snap.lrs)
        for run, color in enumerate(colors):
            chart.line(epochs, snap.losses[run], color, run)
            end = int(snap.diverged_at[run])
            point = last_finite(snap.losses[run], end) if end >= 0 else None
            if point is not None:
                chart.points([end], [marker_y(point[1], top)], MARKER, STOP)
        chart.y_axis(log=log, limits=(None, top))
        chart.x_axis(integer=True, limits=(0, max(snap.epochs, 1)))
        scale = scale_word(log)
        chart.title(f"training loss{scale} per epoch at each rate (colour: rate) · ✖ diverged",
                    f"training loss{scale} per epoch, colour: rate", "loss per epoch")


class SweepRatePlot(Plot):
    """Loss now against the rate (log axis), the range test's smoothed loss dotted and its suggestion │;
    data is (SweepFrame, log)."""

    def chart(self, chart: Chart, data: Any) -> None:
        frame, log = data
        snap = frame.sweep
        top = sweep_top(snap, log) or float(np.nanmax(np.where(np.isfinite(snap.losses), snap.losses, np.nan)))
        now = snap.losses[:, -1]
        diverged = snap.diverged_at >= 0
        test = snap.range_test
        with np.errstate(invalid="ignore"):
            smoothed = np.where(test.smoothed[0] <= top, test.smoothed[0], np.nan)
        chart.line(test.lrs[0], smoothed, dim((200, 200, 200), 0.5), 0, dotted=True, scale=False)
        chart.line(snap.lrs[~diverged], now[~diverged], dim((200, 200, 200), 0.7), 0)
        for run, color in enumerate(rate_colors(snap.lrs)):
            if diverged[run]:
                chart.points([snap.lrs[run]], [top if not now[run] <= top else now[run]], MARKER, STOP)
            else:
                chart.points([snap.lrs[run]], [now[run]], color, NOW, run)
        if math.isfinite(snap.suggestion):
            chart.vline(snap.suggestion, MARKER, 0)
            chart.label(snap.suggestion, top, f"range test {compact(snap.suggestion, 2)}", MARKER)
        chart.extent(y=[snap.losses[:, :1], [top]])
        chart.x_axis(log=True, limits=(float(snap.lrs[0]), float(snap.lrs[-1])))
        chart.y_axis(log=log, limits=(None, top))
        epoch = snap.losses.shape[1] - 1
        chart.title(f"loss after epoch {epoch} against lr (log) · dotted: range test · │ its suggestion",
                    f"loss at epoch {epoch} against lr · │ range test", "loss against lr")


def sweep_legend(frame: Any, mode: str = "") -> Text:
    """The colour scale with its rates; what diverged, what barely moved, the best rate and the suggestion."""
    snap, text = frame.sweep, Text()
    diverged, barely = verdicts.diverged_rates(frame), verdicts.barely_moved_rates(frame)
    best, suggestion = verdicts.best_rate(frame), verdicts.suggested_rate(frame)
    epoch = snap.losses.shape[1] - 1
    parts = [f"✖ diverged: {', '.join(compact(r, 2) for r in diverged)}" if diverged else "none diverged"]
    if epoch:
        parts.append(f"barely moved: {', '.join(compact(r, 2) for r in barely)}" if barely else "every rate moved")
        parts.append(f"lowest loss at lr {compact(best, 2)}" if math.isfinite(best) else "every rate diverged")
    if math.isfinite(suggestion):
        parts.append(f"│ range test suggests {compact(suggestion, 2)}")
    text.append(" · ".join(parts))
    text.append("\nrate ", style="dim")
    logs = np.log10(snap.lrs)
    for run, (lr, color) in enumerate(zip(snap.lrs, rate_colors(snap.lrs), strict=True)):
        mark = series_mark(run, mode) if mode else "■"
        named = run in (0, len(logs) - 1) or abs(logs[run] - round(logs[run])) < 1e-9  # the ends and the decades
        text.append(f"{mark}{compact(lr, 2) if named else ''}", style=f"bold {hex_color(color)}")
    text.append(f"  {optimizer_name(frame.optimizer)}, paired (same weights and batches)", style="dim")
    return text
