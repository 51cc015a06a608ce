"""The search view of the Overfitting pane: every sample of a random search over its two axes.

Each sample is a mark at its drawn values (x and y; with one searched name, y is the score). The
five best are their rank's digit; the others are `•` coloured by the third of the scores they are
in (top, middle, bottom; `@ o .` without colour); a diverged sample is an x, one without a score
yet a grey `·`. The note lists the best samples with their values and score and says what the
marks mean (`search_note`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.text import Text

from tui_dl.app.canvas.chart import Chart, Glyph
from tui_dl.app.palette import MARKER, hex_color
from tui_dl.app.widgets.plot import Plot
from tui_dl.ticks import compact

BEST_SAMPLES = 5  # the samples drawn as their rank and listed in the note
THIRDS = ((80, 200, 120), (230, 190, 80), (230, 90, 70))  # top, middle, bottom third of the scores
PENDING = (110, 110, 110)  # no score yet
DIVERGED = Glyph("x", "x", "x")
THIRD_GLYPHS = (Glyph("•", "@", "@"), Glyph("•", "o", "o"), Glyph("•", ".", "."))
PENDING_GLYPH = Glyph("·", "-", "-")
NOTE_BEST = 2  # the best samples the note names (the plot marks five)


def metric_name(snapshot: Any) -> str:
    """`val acc` or `val loss`: what the score is."""
    return "val acc" if snapshot.metric == "val_acc" else "val loss"


def coordinates(snapshot: Any) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of every sample: its first two values, or its value and its score."""
    x = snapshot.values[:, 0]
    y = snapshot.values[:, 1] if snapshot.values.shape[1] > 1 else snapshot.score
    return x, y


class SearchPlot(Plot):
    """The samples of a random search; data is the SearchSnapshot."""

    def chart(self, chart: Chart, data: Any) -> None:
        snapshot = data
        x, y = coordinates(snapshot)
        diverged = snapshot.train.diverged_epoch >= 0
        scored = np.isfinite(snapshot.score) & ~diverged
        ranked = [int(i) for i in snapshot.order if scored[i]]
        best, rest = ranked[:BEST_SAMPLES], ranked[BEST_SAMPLES:]
        for third, members in enumerate(np.array_split(np.array(rest, dtype=np.int64), 3)):
            if len(members):  # worst first, so a better sample's mark wins a shared cell
                chart.points(x[members], y[members], THIRDS[third], THIRD_GLYPHS[third])
        pending = np.flatnonzero(~scored & ~diverged)
        if len(pending):
            chart.points(x[pending], y[pending], PENDING, PENDING_GLYPH)
        if diverged.any():
            chart.points(x[diverged], y[diverged], PENDING, DIVERGED)
        for rank, index in enumerate(best):
            digit = str(rank + 1)
            chart.points([x[index]], [y[index]], MARKER, Glyph(digit, digit, digit))
        logs = [scale == "log" for scale in snapshot.scales]
        one = len(logs) == 1  # y is the score: a loss on a log axis, so one that blew up squashes nothing
        chart.x_axis(log=logs[0], limits=_limits(snapshot, 0))
        chart.y_axis(log=(not snapshot.higher_is_better) if one else logs[1],
                     limits=(None, None) if one else _limits(snapshot, 1), extend=one)
        names = snapshot.names
        ylabel = metric_name(snapshot) if one else names[1]
        epoch = snapshot.train.epoch
        unscored = f", {int(diverged.sum())} diverged (no score)" if one and diverged.any() else ""
        chart.title(f"{len(x)} samples after epoch {epoch}{unscored}: {ylabel} over {names[0]}, best by "
                    f"{metric_name(snapshot)}", f"{ylabel} over {names[0]}, epoch {epoch}{unscored}",
                    f"{ylabel} / {names[0]}")


def _limits(snapshot: Any, axis: int) -> tuple[float | None, float | None]:
    """The searched range itself (the axis shows where samples could fall, not only where they did)."""
    low, high = snapshot.bounds[axis]
    return float(low), float(high)


def search_note(snapshot: Any, mode: str = "") -> Text:
    """The best samples (`1 lr 5.9e-3, weight_decay 8.6e-5: val acc 0.598`), then what the marks mean."""
    text = Text()
    diverged = snapshot.train.diverged_epoch >= 0
    ranked = [int(i) for i in snapshot.order if np.isfinite(snapshot.score[i]) and not diverged[i]][:NOTE_BEST]
    text.append(f"best {metric_name(snapshot)}: " if ranked else "no sample has a score yet")
    for rank, index in enumerate(ranked):
        values = ", ".join(f"{name} {compact(snapshot.values[index, k])}" for k, name in enumerate(snapshot.names))
        text.append(f"{'  ' if rank else ''}{rank + 1} {values} → {compact(snapshot.score[index])}",
                    style="bold" if rank == 0 else "")
    text.append("\n1-5 best  ")
    for third, name in enumerate(("top", "middle", "bottom")):
        glyph, _ = THIRD_GLYPHS[third].char(mode)
        text.append(f"{glyph} {name} ", style=hex_color(THIRDS[third]))
    text.append("third of the rest" + (f"  x diverged ({int(diverged.sum())})" if diverged.any() else ""))
    text.append("  c: best curves", style="dim")
    return text
