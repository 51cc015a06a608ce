"""Optimizer paths: each optimizer's path over the surface's level sets, drawn step by step.

Views (`v`): the paths over a heat map of the surface, with the minima (+) and the start (o);
the loss above the minimum against the step, on a log scale; or the basin map of one racer's
optimizer (`basins of` in the panel): every start of a grid colored by the minimum it has reached.
`m` enters start-point mode: the arrows (or hjkl) move the start and every move restarts the race
from there. A run whose loss stops being finite is frozen where it was and labelled `diverged at step k`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding

from tui_dl.app.palette import CATEGORIES, MARKER, category, hex_color, ramp, series
from tui_dl.app.panes.base import Pane
from tui_dl.app.settings import ParamRow
from tui_dl.app.widgets.param_panel import ParamPanel
from tui_dl.app.widgets.plot import LINE, Plot, decimate, decimate_path, fit_title, plot_cells, set_yticks

LEVELS = 9
NOT_CONVERGED, DIVERGED = -1, -2  # the basin map's codes for a start at no minimum yet, and a diverged one


def levels(grid: np.ndarray, view: tuple[float, float, float, float], min_value: float, cols: int,
           rows: int) -> np.ndarray:
    """The surface's level (0 = lowest) at each character cell's center, (rows, cols), top row first.

    Levels are quantiles of log(f - min) over the view, so each band covers a similar area and the
    narrow valley of an ill-conditioned bowl is as visible as its steep walls.
    """
    xmin, xmax, ymin, ymax = view
    xs = xmin + (np.arange(cols) + 0.5) * (xmax - xmin) / cols
    ys = ymax - (np.arange(rows) + 0.5) * (ymax - ymin) / rows
    gy = np.clip(((ys - ymin) / (ymax - ymin) * grid.shape[0]).astype(int), 0, grid.shape[0] - 1)
    gx = np.clip(((xs - xmin) / (xmax - xmin) * grid.shape[1]).astype(int), 0, grid.shape[1] - 1)
    values = grid[np.ix_(gy, gx)]
    finite = np.isfinite(values)
    if not finite.any():
        return np.full((rows, cols), LEVELS - 1)
    floor = min_value if np.isfinite(min_value) else values[finite].min()
    with np.errstate(all="ignore"):
        height = np.log10(np.maximum(values - floor, 0) + 1e-12)
    finite = np.isfinite(height)
    edges = np.quantile(height[finite], np.linspace(0, 1, LEVELS + 1)[1:-1])
    return np.where(finite, np.searchsorted(edges, height), LEVELS - 1)


def clip_to_view(points: np.ndarray, view: tuple[float, float, float, float]) -> np.ndarray:
    """Points clipped to the view box widened by its size on each side.

    A diverging run's last finite point can be 1e200 away; plotext draws a line to it cell by cell,
    so it must stay within a few view widths (it still leaves the plot in the right direction).
    """
    xmin, xmax, ymin, ymax = view
    width, height = xmax - xmin, ymax - ymin
    return np.column_stack([np.clip(points[:, 0], xmin - width, xmax + width),
                            np.clip(points[:, 1], ymin - height, ymax + height)])


def basin_colors(basins: Any, rows: int, cols: int) -> np.ndarray:
    """Each cell in the color of the minimum its start has reached (dark grey: none yet, dark red: diverged)."""
    grid = basins.minimum.shape[0]
    gx = np.clip(((np.arange(cols) + 0.5) / cols * grid).astype(int), 0, grid - 1)
    gy = np.clip(((rows - 0.5 - np.arange(rows)) / rows * grid).astype(int), 0, grid - 1)
    minimum = basins.minimum[np.ix_(gy, gx)]
    colors = np.asarray(CATEGORIES, dtype=np.float64)[np.maximum(minimum, 0) % len(CATEGORIES)] * 0.45
    colors[minimum == NOT_CONVERGED] = (40, 40, 40)
    colors[minimum == DIVERGED] = (90, 20, 20)
    return colors.astype(np.uint8)


class PathsPlot(Plot):
    """The surface and the paths, or the loss against the step."""

    def draw(self, plt: Any, data: Any, width: int, height: int) -> None:
        frame, view = data
        race = frame.race
        cols, _ = plot_cells(width, height)
        if view == "loss":
            self._draw_loss(plt, frame, cols, width)
            return
        xmin, xmax, ymin, ymax = frame.view
        plt.xlim(xmin, xmax)
        plt.ylim(ymin, ymax)
        if view == "basins":
            self._draw_minima(plt, frame)
            fit_title(plt, width, f"basins of {frame.basins_of} ({frame.basins.optimizer}), step {frame.basins.step}",
                      f"basins of {frame.basins_of}")
            return
        for r in range(race.path.shape[1]):
            path = clip_to_view(decimate_path(race.path[:, r, :], cols), frame.view)
            plt.plot(path[:, 0].tolist(), path[:, 1].tolist(), marker=LINE, color=series(r))
            plt.scatter([path[-1, 0]], [path[-1, 1]], marker="●", color=series(r))
        self._draw_minima(plt, frame)
        plt.scatter([frame.start[0]], [frame.start[1]], marker="o", color=MARKER)
        fit_title(plt, width, f"step {race.step}/{frame.horizon} · o start · + minimum", f"step {race.step}")

    @staticmethod
    def _draw_minima(plt: Any, frame: Any) -> None:
        if len(frame.minima):
            plt.scatter(frame.minima[:, 0].tolist(), frame.minima[:, 1].tolist(), marker="+", color=MARKER)

    def background(self, data: Any, rows: int, cols: int) -> np.ndarray | None:
        frame, view = data
        if view == "basins":
            return basin_colors(frame.basins, rows, cols)
        if view != "paths":
            return None
        return np.asarray(ramp(LEVELS), dtype=np.uint8)[levels(frame.grid, frame.view, frame.min_value, cols, rows)]

    def _draw_loss(self, plt: Any, frame: Any, cols: int, width: int) -> None:
        race = frame.race
        floor = frame.min_value if np.isfinite(frame.min_value) else np.nanmin(race.loss) - 1.0
        steps = np.arange(race.loss.shape[0])
        with np.errstate(all="ignore"):
            gap = np.maximum(race.loss - floor, 1e-16)
        plt.yscale("log")
        for r in range(race.loss.shape[1]):
            x, y = decimate(steps, gap[:, r], cols)
            if len(x):
                plt.plot(x.tolist(), y.tolist(), marker=LINE, color=series(r))
        finite = gap[np.isfinite(gap)]
        if finite.size:
            set_yticks(plt, float(finite.min()), float(finite.max()), log=True)
        plt.xlim(0, max(frame.horizon, 1))
        fit_title(plt, width, "loss − minimum (log) against step", "loss − min (log)")


def basin_legend(frame: Any) -> Text:
    """How many starts have reached each minimum, are at none yet, or diverged."""
    basins = frame.basins
    text = Text()
    for k, (x, y) in enumerate(frame.minima):
        text.append(f"■ ({x:.3g}, {y:.3g}) {int(basins.counts[k])}  ", style=f"bold {hex_color(category(k))}")
    text.append(f"■ none yet {basins.not_converged}  ", style="bold grey50")
    text.append(f"■ diverged {basins.diverged}", style="bold #b03030")
    text.append(f"   ({basins.minimum.size} starts; basins of: panel)", style="dim")
    return text


class OptimizerPathsPane(Pane):
    """SGD, Momentum, AdaGrad and Adam racing on a surface."""

    KIND = "paths"
    TITLE = "Optimizer paths"
    VIEWS = ("paths", "loss", "basins")
    DEFAULT_CSS = """
    OptimizerPathsPane PathsPlot { height: 1fr; }
    """
    BINDINGS: ClassVar = [
        Binding("v", "cycle_view", "View",
                tooltip="paths on the surface, loss above the minimum per step, or the basin map of one racer"),
        Binding("m", "start_mode", "Move start",
                tooltip="start-point mode: arrows/hjkl move the start, m or esc ends it"),
        Binding("up,k", "move_start(0, 1)", "Start up", show=False),
        Binding("down,j", "move_start(0, -1)", "Start down", show=False),
        Binding("left,h", "move_start(-1, 0)", "Start left", show=False),
        Binding("right,l", "move_start(1, 0)", "Start right", show=False),
        Binding("escape", "end_start_mode", "Done moving", show=False),
    ]

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.start_mode = False

    def compose_body(self) -> ComposeResult:
        yield PathsPlot(id="plot")

    def group_colors(self, rows: list[ParamRow]) -> dict[str, str]:
        groups = [row.group for row in rows if row.key.endswith(".optimizer")]
        return {group: hex_color(series(i)) for i, group in enumerate(groups)}

    def redraw(self) -> None:
        if self.frame is None:
            return
        self.query_one(PathsPlot).show((self.frame, self.view))
        self.set_note(self.legend())

    def legend(self) -> Text:
        """Each racer in its color with its loss now, or where it diverged (the basins view: the counts)."""
        race = self.frame.race
        text = Text()
        if self.view == "basins":
            return basin_legend(self.frame)
        for r, label in enumerate(race.labels):
            if r:
                text.append("  ")
            text.append(f"● {label}", style=f"bold {hex_color(series(r))}")
            step = int(race.diverged_step[r])
            text.append(f" diverged at step {step}" if step >= 0 else f" {race.loss[-1, r]:.3g}")
        if self.start_mode:
            text.append("\nstart-point mode: arrows/hjkl move the start, m or esc when done", style="bold")
        return text

    def status(self) -> str:
        return "move start" if self.start_mode else self.view

    # ------------------------------------------------------------------ start-point mode
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("move_start", "end_start_mode"):
            return self.start_mode
        return True

    def action_start_mode(self) -> None:
        """Enter or leave start-point mode (the arrows move the start instead of the panel)."""
        self.start_mode = not self.start_mode
        self.panel.locked = self.start_mode
        self.refresh_bindings()
        if self.frame is not None:
            self.set_note(self.legend())
        self.post_message(self.Changed())

    def action_end_start_mode(self) -> None:
        """Leave start-point mode."""
        if self.start_mode:
            self.action_start_mode()

    def action_move_start(self, dx: int, dy: int) -> None:
        """Move the start one step of 1/40 of the view; the race restarts from there."""
        for key, direction in (("start_x", dx), ("start_y", dy)):
            if direction:
                row = next(r for r in self.panel.rows if r.key == key)
                value = row.spec.nudge(row.value, direction)
                if value != row.value:
                    self.post_message(ParamPanel.Edit(self.panel, key, value))
