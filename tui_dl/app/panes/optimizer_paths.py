"""Optimizer paths: each optimizer's path over the surface's level sets, drawn step by step.

Views (`v`): the paths over a heat map of the surface, with the minima (+) and the start (o);
the loss above the minimum against the step, on a log scale; the basin map of one racer's
optimizer (`basins of` in the panel): every start of a grid colored by the minimum it has reached;
or that racer's basin maps under momentum 0, 0.5, 0.9 and 0.98 side by side, with how many starts
reach the global minimum under each and whether momentum helps or hurts there; or the theory of the
surface's local quadratic (Distill's "Why momentum really works"): the paths of the best plain step
2/(L+mu) and of heavy ball's best (lr, momentum) beside the racers, each run's measured rate per step
against the closed form's, and the phase diagram of steps to converge over lr x momentum with the
optimum marked. The view is a
setting of the pane's model (a preset or a setup file may choose it), so `v` restarts the race.
`m` enters start-point mode: the arrows (or hjkl) move the start and every move restarts the race
from there. A run whose loss stops being finite is frozen where it was and labelled `diverged at step k`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal

from tui_dl.app.canvas.chart import BEST, MINIMUM, NOW, START, STOP, Chart, Glyph, series_mark
from tui_dl.app.canvas.contours import contour_levels, contour_lines
from tui_dl.app.model_types import ParamRow
from tui_dl.app.palette import CATEGORIES, GREY_RAMP, MARKER, hex_color, ramp, series
from tui_dl.app.panes.base import Pane
from tui_dl.app.panes.divergence import divergence_top, last_finite, marker_y
from tui_dl.app.runner.verdicts import HELPS, HURTS, UNDECIDED, measured_rates, momentum_verdicts
from tui_dl.app.widgets.param_panel import ParamPanel
from tui_dl.app.widgets.plot import Plot
from tui_dl.ticks import compact

LEVELS = 8  # contour lines; the heat map has LEVELS + 1 bands between them
CONTOUR = (105, 105, 125)  # contour lines: dim, under the paths
NOT_CONVERGED, DIVERGED = -1, -2  # the basin map's codes for a start at no minimum yet, and a diverged one
# the basin map: one colour per minimum (no grey among them), dark grey for no minimum (yet), light grey for diverged
BASIN_COLORS = tuple(c for c in CATEGORIES if len(set(c)) > 1)
NONE_YET_COLOR, DIVERGED_COLOR = (45, 45, 45), (175, 175, 175)
BASIN_CHARS = "123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # without colour: minimum k is its own character


def sample_grid(grid: np.ndarray, view: tuple[float, float, float, float], xs: np.ndarray,
                ys: np.ndarray) -> np.ndarray:
    """grid (ny, nx) of values at cell centres over view, read at (ys, xs) by bilinear interpolation.

    Returns (len(ys), len(xs)); points beyond the outer centres take the nearest edge value.
    """
    xmin, xmax, ymin, ymax = view
    ny, nx = grid.shape
    gx = np.clip((xs - xmin) / (xmax - xmin) * nx - 0.5, 0, nx - 1)
    gy = np.clip((ys - ymin) / (ymax - ymin) * ny - 0.5, 0, ny - 1)
    x0, y0 = np.minimum(gx.astype(int), nx - 2).clip(0), np.minimum(gy.astype(int), ny - 2).clip(0)
    tx, ty = (gx - x0)[None, :], (gy - y0)[:, None]
    x1, y1 = np.minimum(x0 + 1, nx - 1), np.minimum(y0 + 1, ny - 1)
    with np.errstate(invalid="ignore"):
        top = grid[np.ix_(y0, x0)] * (1 - tx) + grid[np.ix_(y0, x1)] * tx
        bottom = grid[np.ix_(y1, x0)] * (1 - tx) + grid[np.ix_(y1, x1)] * tx
        return top * (1 - ty) + bottom * ty


def surface_levels(frame: Any) -> np.ndarray:
    """The contour levels of the frame's surface: LEVELS log-spaced values above its minimum."""
    return contour_levels(frame.grid, frame.min_value, LEVELS)


def band_colors(levels: np.ndarray, mode: str) -> list[tuple[int, int, int]]:
    """The colour of each band between contour levels: dark blue low to warm brown high, or, without
    colour (NO_COLOR turns colours grey), greys far enough apart to tell every band from the next."""
    return ramp(len(levels) + 1, *GREY_RAMP) if mode == "mono" else ramp(len(levels) + 1)


def heat_colors(frame: Any, levels: np.ndarray, xs: np.ndarray, ys: np.ndarray, mode: str = "") -> np.ndarray:
    """(len(ys), len(xs), 3): each point in the colour of its band between contour levels."""
    values = sample_grid(frame.grid, frame.view, xs, ys)
    band = np.searchsorted(levels, np.where(np.isfinite(values), values, np.inf))
    return np.asarray(band_colors(levels, mode), dtype=np.uint8)[band]


def world_segments(segments: np.ndarray, grid: np.ndarray, view: tuple[float, float, float, float]) -> np.ndarray:
    """Contour segments in grid index coordinates (samples at cell centres) as (x, y) of the view."""
    xmin, xmax, ymin, ymax = view
    ny, nx = grid.shape
    scale = np.array([(xmax - xmin) / nx, (ymax - ymin) / ny])
    return np.array([xmin, ymin]) + (segments + 0.5) * scale


def basin_colors(basins: Any, box: tuple[float, float, float, float], xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """(len(ys), len(xs), 3): each point in the colour of the minimum reached from its start's cell."""
    minimum = basin_codes(basins, box, xs, ys)
    colors = np.asarray(BASIN_COLORS, dtype=np.float64)[np.maximum(minimum, 0) % len(BASIN_COLORS)] * 0.55
    colors[minimum == NOT_CONVERGED] = NONE_YET_COLOR
    colors[minimum == DIVERGED] = DIVERGED_COLOR
    return colors.astype(np.uint8)


def basin_codes(basins: Any, box: tuple[float, float, float, float], xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """(len(ys), len(xs)): the basin map's code (minimum index, NOT_CONVERGED or DIVERGED) at each point."""
    xmin, xmax, ymin, ymax = box
    grid = basins.minimum.shape[0]
    gx = np.clip(((xs - xmin) / (xmax - xmin) * grid).astype(int), 0, grid - 1)
    gy = np.clip(((ys - ymin) / (ymax - ymin) * grid).astype(int), 0, grid - 1)
    return basins.minimum[np.ix_(gy, gx)]


class PathsPlot(Plot):
    """The surface and the paths, the loss against the step, or the basin map; data is (frame, view)."""

    def chart(self, chart: Chart, data: Any) -> None:
        frame, view = data
        if view == "loss":
            self._loss(chart, frame)
            return
        xmin, xmax, ymin, ymax = frame.view
        chart.x_axis(limits=(xmin, xmax))
        chart.y_axis(limits=(ymin, ymax))
        if view == "basins":
            self._basins(chart, frame)
            return
        # paths and theory: the theory view's race has the two optimal settings as its last racers
        levels, contours = self.surface_contours(frame)
        chart.heat(lambda xs, ys: heat_colors(frame, levels, xs, ys, chart.mode))
        for segments in contours:
            chart.contours(segments, CONTOUR)
        chart.backdrop(self.cache, frame.grid)  # heat and contours: drawn again only for a new surface or size
        race = frame.race
        for r in range(race.path.shape[1]):
            path = race.path[:, r, :]
            chart.line(path[:, 0], path[:, 1], series(r), r)
            finite = np.flatnonzero(np.isfinite(path).all(axis=1))
            if finite.size:
                chart.points(path[finite[-1], :1], path[finite[-1], 1:], series(r), NOW, r)
        self._minima(chart, frame)
        chart.points([frame.start[0]], [frame.start[1]], MARKER, START)
        chart.title(f"step {race.step}/{frame.horizon} · o start · + minimum · contours of f", f"step {race.step}")

    def surface_contours(self, frame: Any) -> tuple[np.ndarray, list[np.ndarray]]:
        """The contour levels of the frame's surface and their segments in view coordinates (kept per grid)."""
        kept = self.cache.get("contours")
        if kept is None or kept[0] is not frame.grid:
            levels = surface_levels(frame)
            segments = [world_segments(s, frame.grid, frame.view) for s in contour_lines(frame.grid, levels)]
            kept = self.cache["contours"] = (frame.grid, levels, segments)
        return kept[1], kept[2]

    @staticmethod
    def _minima(chart: Chart, frame: Any) -> None:
        if len(frame.minima):
            chart.points(frame.minima[:, 0], frame.minima[:, 1], MARKER, MINIMUM)

    def _basins(self, chart: Chart, frame: Any) -> None:
        basins, box = frame.basins, frame.view
        chart.heat(lambda xs, ys: basin_colors(basins, box, xs, ys))
        if chart.mode:  # no colour (or no blocks): each start's cell shows its minimum's character
            xs, ys = basins_grid_centres(basins, box)
            for code in np.unique(basins.minimum):
                char = basin_key(int(code), chart.mode)
                rows, cols = np.nonzero(basins.minimum == code)
                chart.points(xs[cols], ys[rows], MARKER, Glyph(char, char, char))
        self._minima(chart, frame)
        chart.title(f"basins of {frame.basins_of} ({basins.optimizer}), step {basins.step}",
                    f"basins of {frame.basins_of}")

    @staticmethod
    def _loss(chart: Chart, frame: Any) -> None:
        race = frame.race
        floor = frame.min_value if np.isfinite(frame.min_value) else np.nanmin(race.loss) - 1.0
        steps = np.arange(race.loss.shape[0])
        with np.errstate(all="ignore"):
            gap = (race.loss - floor).T  # (runs, steps)
        ended = (race.diverged_step >= 0) & (race.diverged_step < len(steps))
        for r in np.flatnonzero(ended):  # a frozen run repeats its last point: that is no data
            gap[r, race.diverged_step[r] + 1:] = np.nan
        top = divergence_top(gap, ended, log=True)
        for r in range(len(gap)):
            chart.line(steps, gap[r], series(r), r)
            point = last_finite(gap[r], int(race.diverged_step[r])) if ended[r] else None
            if point is not None:
                chart.points([point[0]], [marker_y(point[1], top)], MARKER, STOP)
        chart.x_axis(integer=True, limits=(0, max(frame.horizon, 1)))
        chart.y_axis(log=True, limits=(None, top))
        chart.title("loss − minimum (log) against step · ✖ diverged", "loss − minimum (log)", "loss − min")


def basins_grid_centres(basins: Any, box: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """The x and y of the centres of the basin grid's cells over box."""
    xmin, xmax, ymin, ymax = box
    grid = basins.minimum.shape[0]
    centres = (np.arange(grid) + 0.5) / grid
    return xmin + centres * (xmax - xmin), ymin + centres * (ymax - ymin)


def basin_key(code: int, mode: str) -> str:
    """The basin map's key for a code: `■` in its colour, or the code's own character in the glyph modes."""
    if not mode:
        return "■"
    return "x" if code == DIVERGED else "." if code == NOT_CONVERGED else BASIN_CHARS[code % len(BASIN_CHARS)]


def basin_legend(frame: Any, mode: str = "") -> Text:
    """How many starts have reached each minimum, are at no minimum, or diverged ("none yet" read wrong once the
    run had ended: a start that oscillates for good is at no minimum)."""
    basins = frame.basins
    text = minima_keys(basins.minima, basins.global_minima, mode, basins.counts)
    text.append(f"{basin_key(NOT_CONVERGED, mode)} no minimum {basins.not_converged}  ",
                style=f"bold {hex_color(NONE_YET_COLOR)}")
    text.append(f"{basin_key(DIVERGED, mode)} diverged {basins.diverged}", style=f"bold {hex_color(DIVERGED_COLOR)}")
    text.append(f"   (starts of {basins.minimum.size}; basins of: panel)", style="dim")
    return text


def minima_keys(minima: np.ndarray, global_minima: int, mode: str, counts: Any = None) -> Text:
    """Each minimum's key in its basin colour (`local min` past the global ones), with its count if given."""
    text = Text()
    for k, (x, y) in enumerate(minima):
        color = hex_color(BASIN_COLORS[k % len(BASIN_COLORS)])
        kind = "min" if k < global_minima else "local min"
        number = f": {int(counts[k])}" if counts is not None else ""
        text.append(f"{basin_key(k, mode)} {kind} ({x:.3g}, {y:.3g}){number}  ", style=f"bold {color}")
    return text


@dataclass(frozen=True)
class _Map:
    """One map of a sweep, shaped as basin_colors reads a basin map."""

    minimum: np.ndarray


class SweepMapPlot(Plot):
    """One momentum's basin map of the sweep; data is (frame, index of the momentum)."""

    def chart(self, chart: Chart, data: Any) -> None:
        frame, index = data
        sweep = frame.sweep
        if sweep is None:
            chart.note(frame.sweep_note if index == 0 else "")
            return
        box, value = sweep.box, float(sweep.values[index])
        chart.x_axis(limits=box[:2])
        chart.y_axis(limits=box[2:])
        one = _Map(sweep.minimum[index])
        chart.heat(lambda xs, ys: basin_colors(one, box, xs, ys))
        if chart.mode:  # no colour (or no blocks): each start's cell shows its minimum's character
            xs, ys = basins_grid_centres(one, box)
            for code in np.unique(one.minimum):
                char = basin_key(int(code), chart.mode)
                rows, cols = np.nonzero(one.minimum == code)
                chart.points(xs[cols], ys[rows], MARKER, Glyph(char, char, char))
        if len(sweep.minima):
            chart.points(sweep.minima[:, 0], sweep.minima[:, 1], MARKER, MINIMUM)
        reached = int(sweep.reached_global[index])
        chart.title(f"momentum {value:g}: global min from {reached} of {sweep.starts}",
                    f"momentum {value:g}: {reached}/{sweep.starts}", f"μ {value:g}: {reached}")


def momentum_legend(frame: Any, mode: str = "") -> Text:
    """The maps' key, the global minimum's count per momentum, and when momentum helped or hurt here."""
    sweep = frame.sweep
    if sweep is None:
        return Text(frame.sweep_note or "computing...")
    base = int(sweep.reached_global[0])
    text = Text(f"global min from {sweep.starts} starts at step {sweep.step}: momentum 0: {base}")
    verdicts = momentum_verdicts(sweep)
    for value, reached, moving in zip(sweep.values[1:], sweep.reached_global[1:], sweep.moving[1:], strict=True):
        text.append(f" · {value:g}: {int(reached)} ({int(reached) - base:+d}")
        text.append(f", {int(moving)} moving)" if moving else ")")
    text.append("\n" + momentum_caption(verdicts))
    text.append("\n")
    text.append_text(minima_keys(sweep.minima, sweep.global_minima, mode))
    text.append(f"{basin_key(NOT_CONVERGED, mode)} no minimum  ", style=f"bold {hex_color(NONE_YET_COLOR)}")
    text.append(f"{basin_key(DIVERGED, mode)} diverged", style=f"bold {hex_color(DIVERGED_COLOR)}")
    return text


def momentum_caption(verdicts: dict[float, str]) -> str:
    """When momentum helped and when it hurt on this surface, from the verdicts per momentum."""
    def values(kind: str) -> str:
        return ", ".join(f"{value:g}" for value, verdict in verdicts.items() if verdict == kind)

    parts = []
    if values(HELPS):
        parts.append(f"helps at {values(HELPS)}: speed carries runs over ridges")
    if values(HURTS):
        parts.append(f"hurts at {values(HURTS)}: it overshoots narrow basins")
    if values(UNDECIDED):
        parts.append(f"at {values(UNDECIDED)} too many runs still swing to tell")
    if not parts:
        return "momentum changes nothing here: every momentum reaches the global minimum from as many starts"
    return "momentum " + "; ".join(parts)


def color_scale(levels: np.ndarray, mode: str = "") -> Text:
    """The heat map's key: each band's colour, with the contour level between bands."""
    text = Text("f: ", style="dim")
    colors = band_colors(levels, mode)
    for band, color in enumerate(colors):
        text.append("  ", style=f"on {hex_color(color)}")
        if band < len(levels):
            text.append(f"{compact(levels[band], 2)}", style="dim")
    return text


PHASE_NONE_YET = (30, 30, 30)  # the phase diagram: a run not (yet) within tolerance, and a diverging one
PHASE_DIVERGED = (175, 175, 175)
PHASE_LEVELS = 8  # colour bands of steps to converge, log-spaced from 1 to the horizon
PHASE_FAST, PHASE_SLOW = (120, 225, 250), (70, 40, 110)  # few steps bright, many steps dark


def phase_bands(horizon: int) -> np.ndarray:
    """The upper edges of the phase diagram's colour bands: log-spaced steps from 1 to the horizon."""
    return np.geomspace(1, max(horizon, 2), PHASE_LEVELS + 1)[1:]


def phase_palette(mode: str = "") -> list[tuple[int, int, int]]:
    """One colour per band, fast to slow (greys from light to dark without colour)."""
    if mode == "mono":
        return ramp(PHASE_LEVELS, (230, 230, 230), (60, 60, 60))
    return ramp(PHASE_LEVELS, PHASE_FAST, PHASE_SLOW)


def phase_colors(phase: Any, horizon: int, xs: np.ndarray, ys: np.ndarray, mode: str = "") -> np.ndarray:
    """(len(ys), len(xs), 3): each (lr, momentum) in the colour of its steps to converge (fast bright)."""
    lr_step, m_step = phase.lrs[0], phase.momenta[1] - phase.momenta[0]
    j = np.clip(np.round(xs / lr_step).astype(int) - 1, 0, len(phase.lrs) - 1)
    i = np.clip(np.round(ys / m_step).astype(int), 0, len(phase.momenta) - 1)
    steps, diverged = phase.steps[np.ix_(i, j)], phase.diverged[np.ix_(i, j)]
    palette = np.asarray(phase_palette(mode), dtype=np.uint8)
    colors = palette[np.minimum(np.searchsorted(phase_bands(horizon), np.maximum(steps, 1)), PHASE_LEVELS - 1)]
    colors[steps < 0] = PHASE_NONE_YET
    colors[diverged] = PHASE_DIVERGED
    return colors


class PhasePlot(Plot):
    """Heavy ball's phase diagram: steps to converge over lr x momentum; data is the PathsFrame."""

    def chart(self, chart: Chart, frame: Any) -> None:
        phase = frame.phase
        if phase is None:
            chart.note(frame.theory_note or "no phase diagram in this view")
            return
        lr_step, m_step = phase.lrs[0], phase.momenta[1] - phase.momenta[0]
        chart.x_axis(limits=(lr_step / 2, phase.lrs[-1] + lr_step / 2))
        chart.y_axis(limits=(-m_step / 2, phase.momenta[-1] + m_step / 2), extend=False)
        chart.heat(lambda xs, ys: phase_colors(phase, frame.horizon, xs, ys, chart.mode))
        theory = phase.theory
        chart.points([theory.gd_lr], [0.0], MARKER, Glyph("×", "×", "x"))
        best = phase.best()
        if best is not None:
            chart.points([best[0]], [best[1]], MARKER, BEST)
        chart.points([theory.momentum_lr], [theory.momentum], MARKER, MINIMUM)  # over ◆ when they share a cell
        chart.title("steps to converge, lr → momentum ↑ · + best HB · × 2/(L+μ) · ◆ fastest cell",
                    "steps to converge: lr →, momentum ↑", "lr → momentum ↑")


def phase_legend(frame: Any, mode: str = "") -> Text:
    """The theory's numbers, each racer's measured rate, and the phase diagram's fastest cell and key."""
    theory, phase, race = frame.theory, frame.phase, frame.race
    if theory is None:
        return Text(frame.theory_note or "computing...")
    text = Text(f"κ {theory.kappa:.3g} · best GD lr {theory.gd_lr:.3g}, rate {theory.gd_rate:.3f} · best HB"
                f" lr {theory.momentum_lr:.3g}, momentum {theory.momentum:.2f}, rate {theory.momentum_rate:.3f}"
                "\nmeasured:")
    for r, (label, rate) in enumerate(measured_rates(frame).items()):
        text.append(f" {series_mark(r, mode)} {label} ", style=f"bold {hex_color(series(r))}")
        step = int(race.diverged_step[r])
        text.append("diverged" if step >= 0 else "—" if not np.isfinite(rate) else f"{rate:.3f}")
    best = phase.best() if phase is not None else None
    text.append("\n")
    if best is not None:
        text.append(f"◆ fastest: lr {best[0]:.3g}, momentum {best[1]:.3g}, {best[2]} steps to {phase.factor:g}"
                    " of the distance · ")
    text.append("steps ", style="dim")
    for edge, color in zip(phase_bands(frame.horizon), phase_palette(mode), strict=True):
        text.append(" ", style=f"on {hex_color(color)}")
        text.append(f"{edge:.0f}", style="dim")
    text.append(" ", style=f"on {hex_color(PHASE_NONE_YET)}")
    text.append("later ", style="dim")
    text.append(" ", style=f"on {hex_color(PHASE_DIVERGED)}")
    text.append("diverges", style="dim")
    return text


class OptimizerPathsPane(Pane):
    """SGD, Momentum, AdaGrad and Adam racing on a surface."""

    KIND = "paths"
    TITLE = "Optimizer paths"
    VIEWS = ("paths", "loss", "basins", "momentum", "theory")
    DEFAULT_CSS = """
    OptimizerPathsPane #main { height: 1fr; }
    OptimizerPathsPane PathsPlot { height: 1fr; width: 1fr; }
    OptimizerPathsPane PhasePlot { height: 1fr; width: 1fr; }
    OptimizerPathsPane #sweep { grid-size: 2 2; height: 1fr; }
    OptimizerPathsPane #sweep > SweepMapPlot { height: 1fr; min-height: 3; }
    """
    BINDINGS: ClassVar = [
        Binding("v", "cycle_view", "View",
                tooltip="paths on the surface, loss above the minimum per step, the basin map of one racer, or"
                " its basin maps under momentum 0, 0.5, 0.9, 0.98, or the quadratic theory's optima and phase"
                " diagram"),
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
        self.asked: str | None = None
        """The view `v` asked the model for, until its first frame arrives."""

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield PathsPlot(id="plot")
            yield PhasePlot(id="phase")
        with Grid(id="sweep"):
            for index in range(4):
                yield SweepMapPlot(id=f"sweep-{index}")

    def on_mount(self) -> None:
        self.on_view_changed()

    def on_view_changed(self) -> None:
        momentum = self.view == "momentum"
        self.query_one("#main").display = not momentum
        self.query_one(PhasePlot).display = self.view == "theory"
        self.query_one("#sweep").display = momentum

    def show_frame(self, frame: Any, progress: str = "") -> None:
        """A new frame; the view follows the model's (a setup file or preset may have chosen it)."""
        if frame.showing == self.asked:
            self.asked = None
        elif self.asked is None and frame.showing != self.view:
            self.view = frame.showing
            self.on_view_changed()
            self.post_message(self.Changed())
        super().show_frame(frame, progress)

    def action_cycle_view(self) -> None:
        """Next view: the model runs it from step 0 (the momentum view adds its sweep)."""
        self.view = self.asked = self.VIEWS[(self.VIEWS.index(self.view) + 1) % len(self.VIEWS)]
        self.on_view_changed()
        for plot in (self.query_one(PathsPlot), self.query_one(PhasePlot), *self.query(SweepMapPlot)):
            plot.show(None)  # "computing..." until the view's first frame
        self.set_note("")
        self.post_message(ParamPanel.Edit(self.panel, "view", self.view))
        self.post_message(self.Changed())

    def group_colors(self, rows: list[ParamRow]) -> dict[str, str]:
        groups = [row.group for row in rows if row.key.endswith(".optimizer")]
        return {group: hex_color(series(i)) for i, group in enumerate(groups)}

    def redraw(self) -> None:
        if self.frame is None or self.frame.showing != self.view:  # the new view's first frame is on its way
            return
        if self.view == "momentum":
            for index, plot in enumerate(self.query(SweepMapPlot)):
                plot.show((self.frame, index))
        else:
            self.query_one(PathsPlot).show((self.frame, self.view))
            if self.view == "theory":
                self.query_one(PhasePlot).show(self.frame)
        self.set_note(self.legend())

    def legend(self) -> Text:
        """Each racer with its loss now, or where it diverged, and the heat map's key (basins view: the counts)."""
        race = self.frame.race
        text = Text()
        if self.view == "basins":
            return basin_legend(self.frame, self.mode)
        if self.view == "momentum":
            return momentum_legend(self.frame, self.mode)
        if self.view == "theory":
            return phase_legend(self.frame, self.mode)
        for r, label in enumerate(race.labels):
            if r:
                text.append("  ")
            text.append(f"{series_mark(r, self.mode)} {label}", style=f"bold {hex_color(series(r))}")
            step = int(race.diverged_step[r])
            text.append(f" diverged at step {step}" if step >= 0 else f" loss {compact(race.loss[-1, r])}")
        if self.view == "paths":
            text.append("\n")
            text.append_text(color_scale(self.query_one(PathsPlot).surface_contours(self.frame)[0], self.mode))
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
                current = self.panel.value_of(row)  # a move typed before the last one was applied goes on from it
                value = row.spec.nudge(current, direction)
                if value != current:
                    self.panel.ask(key, value)
