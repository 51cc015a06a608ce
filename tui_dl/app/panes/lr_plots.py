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

from tui_dl.app.frameworks import optimizer_name
from tui_dl.app.palette import MARKER, dim, hex_color, series
from tui_dl.app.widgets.plot import (
    LINE,
    Plot,
    compact,
    decimate,
    fit_title,
    plot_cells,
    set_int_xticks,
    set_yticks,
)

HEADROOM = 1.1  # the range test's loss axis ends this far above the highest smoothed loss it shows
BAND_ROOM = 100.0  # on a log axis the step-size band may reach this far above the highest median


def epoch_axis(plt: Any, epoch: int, horizon: int) -> None:
    """Epochs 1 .. a quarter ahead of training (at least 20), up to the horizon: early curves are not squashed."""
    right = min(max(horizon, 2), max(20, int(epoch * 1.25) + 1))
    plt.xlim(1, right)
    set_int_xticks(plt, 1, right)


def value_ticks(plt: Any, arrays: list[np.ndarray], log: bool) -> None:
    """Readable y ticks over the finite (and, on a log axis, positive) values of arrays."""
    values = np.concatenate([np.ravel(a) for a in arrays]) if arrays else np.empty(0)
    keep = np.isfinite(values) & ((values > 0) if log else True)
    if keep.any():
        set_yticks(plt, float(values[keep].min()), float(values[keep].max()), log)


def last_finite(values: np.ndarray, end: int) -> tuple[int, float] | None:
    """(index, value) of the last finite value up to index end (included), or None."""
    finite = np.flatnonzero(np.isfinite(values[: end + 1]))
    return (int(finite[-1]), float(values[finite[-1]])) if finite.size else None


def scale_word(log: bool) -> str:
    """` (log)` in a title when the y axis is logarithmic."""
    return " (log)" if log else ""


class RacePlot(Plot):
    """Training loss per epoch of each racing schedule; data is (RaceFrame, log)."""

    def draw(self, plt: Any, data: Any, width: int, height: int) -> None:
        frame, log = data
        race = frame.race
        if race is None:
            fit_title(plt, width, "no slot can race: pick a schedule in the schedules view (v)", "nothing races")
            return
        cols, _ = plot_cells(width, height)
        epochs = np.arange(1, race.epoch + 1)
        if log:
            plt.yscale("log")
        for run, slot in enumerate(frame.slots):
            x, y = decimate(epochs, race.train_loss[run], cols)
            if len(x):
                plt.plot(x.tolist(), y.tolist(), marker=LINE, color=series(slot))
            end = int(race.diverged_epoch[run])
            point = last_finite(race.train_loss[run], end) if 0 <= end < race.epoch else None
            if point is not None:
                plt.scatter([point[0] + 1], [point[1]], marker="✖", color=MARKER)
        value_ticks(plt, [race.train_loss], log)
        epoch_axis(plt, race.epoch, race.epochs)
        scale = scale_word(log)
        fit_title(plt, width, f"training loss{scale} per epoch under each schedule · ✖ diverged",
                  f"training loss{scale} per epoch", "training loss")


class StepSizePlot(Plot):
    """Median effective step per epoch (solid) inside its 10-90 percentile band (dim); data is (RaceFrame, log).

    Weights that have had (almost) no gradient yet step by about lr / eps, so early 90th
    percentiles reach 1e5 and more: the axis stops BAND_ROOM above the highest median, and band
    values beyond it leave the plot at the top instead of squashing the medians.
    """

    def draw(self, plt: Any, data: Any, width: int, height: int) -> None:
        frame, log = data
        race = frame.race
        cols, _ = plot_cells(width, height)
        epochs = np.arange(1, race.epoch + 1)
        if log:
            plt.yscale("log")
        top = band_top(race.step_median, log)
        with np.errstate(invalid="ignore"):
            bands = [np.where(band <= top, band, np.nan) for band in (race.step_p10, race.step_p90)]
        for run, slot in enumerate(frame.slots):
            for values in bands:
                x, y = decimate(epochs, values[run], cols)
                if len(x):
                    plt.plot(x.tolist(), y.tolist(), marker="braille", color=dim(series(slot), 0.6))
            x, y = decimate(epochs, race.step_median[run], cols)
            if len(x):
                plt.plot(x.tolist(), y.tolist(), marker=LINE, color=series(slot))
        value_ticks(plt, [race.step_median, *bands], log)
        epoch_axis(plt, race.epoch, race.epochs)
        scale = scale_word(log)
        fit_title(plt, width, f"effective step lr/(√v+eps){scale} per epoch: median, 10-90% dim",
                  f"effective step{scale}: median, 10-90% dim", "effective step")


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


def log_ticks(plt: Any, low: float, high: float, count: int = 6) -> None:
    """x ticks at whole powers of ten on an axis of log10(lr) from low to high, labelled as rates."""
    exponents = np.arange(math.ceil(low), math.floor(high) + 1)
    if len(exponents) > count:
        exponents = exponents[:: math.ceil(len(exponents) / count)]
    if len(exponents) < 2:
        exponents = np.array([low, high])
    plt.xticks(exponents.tolist(), [compact(10.0**e, 2) for e in exponents])


class RangePlot(Plot):
    """Loss against lr (log axis) per sweep, the suggested rates, where sweeps stopped; data is (RangeFrame, log).

    The x axis is drawn as log10(lr) with ticks labelled by the rate, so the vertical lines at the
    suggestions and the sweep's geometric steps are placed exactly.
    """

    def draw(self, plt: Any, data: Any, width: int, height: int) -> None:
        frame, log = data
        test = frame.test
        cols, _ = plot_cells(width, height)
        low, high = math.log10(test.rates[0]), math.log10(test.rates[-1])
        top = range_top(test)
        if log:
            plt.yscale("log")
        with np.errstate(divide="ignore", invalid="ignore"):
            x_all = np.log10(test.lrs)
        label_y = label_rows(test, top, log, plot_cells(width, height)[1])
        for run, slot in enumerate(frame.slots):
            color = series(slot)
            with np.errstate(invalid="ignore"):
                raw = np.where(test.loss[run] <= top, test.loss[run], np.nan)
            smoothed = np.minimum(test.smoothed[run], top)
            for values, shade, marker in ((raw, dim(color, 0.6), "braille"), (smoothed, color, LINE)):
                x, y = decimate(x_all[run], values, cols)
                if len(x):
                    plt.plot(x.tolist(), y.tolist(), marker=marker, color=shade)
            suggestion = float(test.suggestion[run])
            if math.isfinite(suggestion):
                plt.vline(math.log10(suggestion), color)
                plt.text(compact(suggestion, 2), math.log10(suggestion), label_y[run], color=color,
                         background="default")
            stop = int(test.diverged_iteration[run])
            if stop >= 0 and np.isfinite(smoothed[stop]):
                plt.scatter([float(x_all[run, stop])], [float(smoothed[stop])], marker="✖", color=MARKER)
        value_ticks(plt, [np.minimum(test.smoothed, top), np.where(test.loss <= top, test.loss, np.nan)], log)
        plt.ylim(None, top)
        plt.xlim(low, high)
        log_ticks(plt, low, high)
        scale = scale_word(log)
        fit_title(plt, width, f"loss{scale} against lr (log) · dim raw, solid smoothed · │ suggested · ✖ stopped",
                  f"loss{scale} against lr (log) · │ suggested", "loss against lr")


# ---------------------------------------------------------------------- legends
def _entry(text: Text, slot: int, label: str) -> None:
    if text:
        text.append("  ")
    text.append(f"● {label}", style=f"bold {hex_color(series(slot))}")


def _race_entries(text: Text, frame: Any, now: Any) -> None:
    """One legend entry per racing slot: `now(run)` while it trains, or the epoch where it diverged."""
    race = frame.race
    for run, slot in enumerate(frame.slots):
        _entry(text, slot, race.labels[run])
        end = int(race.diverged_epoch[run])
        if end >= 0:
            text.append(f": diverged at epoch {end + 1}")
        elif race.epoch:
            text.append(f": {now(run)}")


def race_legend(frame: Any) -> Text:
    """Each schedule's training loss and rate now, or where it diverged; then what does not race."""
    race, text = frame.race, Text()
    if race is None:
        text.append("every slot is off (or cannot race): pick a schedule for a slot in the schedules view")
    else:
        def loss_and_rate(run: int) -> str:
            lr = race.lr[run, min(race.iteration, race.iterations) - 1]
            return f"{compact(race.train_loss[run, -1])} at lr {compact(lr, 2)}"

        _race_entries(text, frame, loss_and_rate)
        text.append(f"\n{frame.steps} steps = {race.epochs} epochs × {race.batches_per_epoch} batches, "
                    f"{optimizer_name(race.optimizers[0])} for every schedule", style="dim")
    for reason in frame.skipped:
        text.append(f"\n{reason}", style="dim")
    return text


def step_legend(frame: Any) -> Text:
    """Each optimizer's median effective step now, or where it diverged."""
    race, text = frame.race, Text()
    _race_entries(text, frame, lambda run: compact(race.step_median[run, -1]))
    text.append("\nthe factor on each weight's update: Adagrad's only shrinks, RMSprop's and Adam's settle",
                style="dim")
    return text


def range_legend(frame: Any) -> Text:
    """Each sweep's suggested rate (a legend line for the vertical marker) and where it stopped."""
    test, text = frame.test, Text()
    for run, slot in enumerate(frame.slots):
        _entry(text, slot, test.labels[run])
        suggestion = float(test.suggestion[run])
        if math.isfinite(suggestion):
            text.append(f": │ suggested lr {compact(suggestion, 2)}")
        else:
            text.append(": no suggestion yet")
        stop = int(test.diverged_iteration[run])
        if stop >= 0:
            text.append(f", stopped at {stop} (lr {compact(test.rates[stop], 2)})")
    return text
