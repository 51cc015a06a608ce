"""The panes' charts on edge cases: a constant schedule on a log axis, an all-NaN schedule, a diverging run,
distinct glyphs and basin colours; and the app without plotext."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import numpy as np

from tui_dl.app.canvas.cells import rgb
from tui_dl.app.canvas.chart import MINIMUM, NOW, START, Chart
from tui_dl.app.palette import series, tint
from tui_dl.app.panes.learning_rate import SchedulePlot
from tui_dl.app.panes.optimizer_paths import (
    BASIN_COLORS,
    DIVERGED,
    DIVERGED_COLOR,
    NONE_YET_COLOR,
    NOT_CONVERGED,
    basin_colors,
    basin_key,
)
from tui_dl.app.panes.overfitting import CurvesPlot, legend_entry, same_as, seeds_legend_entry
from tui_dl.engine.experiments import training, variants
from tui_dl.ticks import compact


def schedule_chart(rates: np.ndarray, log: bool, position: int = 10) -> tuple[Chart, list[str]]:
    frame = SimpleNamespace(rates=np.atleast_2d(rates), position=position, slots=[0], horizon=rates.shape[-1] - 1,
                            momenta=None)
    chart = Chart(80, 20)
    SchedulePlot().chart(chart, (frame, log))
    return chart, chart.render().plain()


def test_a_constant_schedule_on_a_log_axis_is_the_right_way_up():
    chart, lines = schedule_chart(np.full(100, 1e-3), log=True)
    y_axis = chart.axes[1]
    assert y_axis.low < 1e-3 < y_axis.high
    rows = [i for i, line in enumerate(lines) if "┤" in line]
    values = [float(lines[i].split("┤")[0].strip()) for i in rows]
    assert values == sorted(values, reverse=True)  # labels fall from top to bottom


def test_an_all_nan_schedule_is_a_note_not_an_error():
    _, lines = schedule_chart(np.full(100, np.nan), log=False)
    text = "\n".join(lines)
    assert "no finite values to draw" in text and "cannot draw" not in text


def test_a_diverging_run_does_not_squash_the_others():
    epochs = 40
    val = np.vstack([np.linspace(1.0, 0.3, epochs), np.linspace(1.0, 0.5, epochs)])
    val[1, 30:] = [10.0 ** (5 * k) for k in range(1, 9)] + [np.inf, np.nan]
    snapshot = SimpleNamespace(epoch=epochs, labels=["none", "lr=10"], seeds=1, train_data_loss=val * 0.9,
                               val_data_loss=val, val_loss=val, train_acc=None, val_acc=None,
                               best_epoch=np.array([-1, -1]), stopped_epoch=np.array([-1, -1]),
                               diverged_epoch=np.array([-1, 38]), restored=np.array([False, False]))
    chart = Chart(80, 24)
    CurvesPlot().chart(chart, (snapshot, 200, "loss", False))
    lines = chart.render().plain()
    y_axis = chart.axes[1]
    assert y_axis.high <= 10.0 and all(len(label) <= 7 for label in y_axis.labels)
    assert chart.area[3] >= 70  # the plot keeps the pane's width
    healthy = chart.raster.occupied()[:, : chart.area[3] // 2]
    assert np.flatnonzero(healthy.any(axis=1)).size >= 3  # the healthy curves span rows, not one flat line
    assert any("✖" in line for line in lines)  # where the run diverged


def test_paths_markers_and_series_never_share_a_character():
    for mode in ("mono", "ascii"):
        marks = {MINIMUM.char(mode)[0], START.char(mode)[0]}
        heads = {NOW.char(mode, r)[0] for r in range(4)}
        assert len(marks) == 2 and len(heads) == 4 and not marks & heads


def test_basin_colours_tell_every_minimum_none_yet_and_diverged_apart():
    basins = SimpleNamespace(minimum=np.tile([0, 1, 2, 3, 4, 5, 6, NOT_CONVERGED, DIVERGED], (9, 1)))
    xs = (np.arange(9) + 0.5) / 9
    colors = basin_colors(basins, (0.0, 1.0, 0.0, 1.0), xs, np.array([0.5]))[0]
    assert len({rgb(tuple(c)) for c in colors}) == 9
    assert rgb(tuple(colors[-1])) == rgb(DIVERGED_COLOR) and rgb(tuple(colors[-2])) == rgb(NONE_YET_COLOR)
    assert all(len(set(c)) > 1 for c in BASIN_COLORS)  # no grey minimum next to the greys
    assert len({basin_key(code, "mono") for code in (0, 1, 2, NOT_CONVERGED, DIVERGED)}) == 5


def test_the_app_no_longer_imports_plotext():
    code = ("import sys; from tui_dl.app import AppConfig, make_app; make_app(AppConfig()); "
            "import tui_dl.app.panes.learning_rate, tui_dl.app.panes.optimizer_paths; "
            "print(sorted(m for m in sys.modules if 'plotext' in m))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_too_large_rate_preset_keeps_its_zigzag_at_step_300():
    """SGD at lr 1.02 on x^2/20 + y^2: y flips sign and grows every step; every iterate in view is drawn."""
    from tui_dl.engine.experiments import optimizer_race as race

    state = race.init(race.RaceConfig(racers=(race.Racer("SGD", "sgd", {"lr": 1.02}),)))
    snapshot = race.snapshot(race.step(state, 300))
    path = snapshot.path[:, 0, :]
    xmin, xmax, ymin, ymax = snapshot.view
    chart = Chart(100, 30)
    chart.line(path[:, 0], path[:, 1], (255, 99, 71))
    chart.x_axis(limits=(xmin, xmax))
    chart.y_axis(limits=(ymin, ymax))
    chart.render()
    raster, (x_axis, y_axis) = chart.raster, chart.axes
    inside = (path[:, 0] >= xmin) & (path[:, 0] <= xmax) & (path[:, 1] >= ymin) & (path[:, 1] <= ymax)
    assert inside.sum() > 20 and np.all(np.sign(path[1:25, 1]) != np.sign(path[:24, 1]))  # a real zigzag
    px, py = raster.to_pixels(x_axis.fraction(path[inside, 0]), y_axis.fraction(path[inside, 1]))
    px, py = np.rint(px).astype(int), np.rint(py).astype(int)
    bits = raster.dots[py // 4, px // 2] & np.array([[1, 8], [2, 16], [4, 32], [64, 128]])[py % 4, px % 2]
    assert (bits > 0).all()  # every iterate is a lit dot: nothing skipped
    middle = raster.rows // 2
    crossing = raster.dots[: middle - 2].any(axis=0) & raster.dots[middle + 2:].any(axis=0)
    assert crossing.sum() >= 10  # many columns swing from above to below the valley floor


def test_a_diverged_optimizer_ends_at_its_divergence_with_a_cross_and_does_not_squash_the_rest():
    """Frozen runs repeat their last point after diverging: the loss view must not draw that as data."""
    from tui_dl.app.panes.optimizer_paths import PathsPlot

    steps = 101
    loss = np.vstack([np.geomspace(10.0, 1e-6, steps), np.concatenate([10.0 * 100.0 ** np.arange(6),
                                                                      np.full(steps - 6, 1e180)])]).T
    race = SimpleNamespace(loss=loss, diverged_step=np.array([-1, 6]))
    frame = SimpleNamespace(race=race, min_value=0.0, horizon=100)
    chart = Chart(80, 24)
    PathsPlot()._loss(chart, frame)
    lines = chart.render().plain()
    y_axis = chart.axes[1]
    assert y_axis.high <= 1e5  # three decades above the highest start (10), not 1e180
    assert any("✖" in line for line in lines)
    _, _, rows, cols = chart.area
    right_half = chart.raster.dots[:, cols // 2:]
    assert not right_half[0].any()  # no flat line along the top after the divergence
    assert np.flatnonzero(chart.raster.dots.any(axis=1)).size >= rows // 2  # the converging run spans the plot


def test_seeds_draw_each_variant_as_its_median_with_the_range_shaded():
    config = training.TrainConfig(dataset_params={"train_samples": 40, "val_samples": 60}, hidden=(12,), epochs=6,
                                  seeds=3, lr=1e-2, variants=tuple(variants.parse_variant(s) for s in
                                                                   ("none", "dropout=0.4", "patience=50")))
    snapshot = training.snapshot(training.step(training.init(config, np.random.default_rng(0)), 6))
    chart = Chart(80, 24)
    CurvesPlot().chart(chart, (snapshot, 6, "loss", False))
    chart.render()
    shades = set(np.unique(chart.raster.heat_top[chart.raster.heat_top >= 0]).tolist())
    assert shades <= {rgb(tint(series(v))) for v in range(3)} and rgb(tint(series(1))) in shades
    median, low, high = snapshot.by_variant("val_data_loss")
    assert (low[1] < high[1]).all()  # three seeds of dropout, three different curves
    entry = seeds_legend_entry(snapshot, 1, "loss")
    assert entry == (f"dropout 0.4: val loss {compact(median[1, -1])} "
                     f"({compact(low[1, -1])}-{compact(high[1, -1])})")
    assert same_as(snapshot, 2, "loss") == 0 and same_as(snapshot, 1, "loss") is None  # paired: p=50 = none


def test_the_legend_says_when_a_run_is_back_at_its_best_weights():
    config = training.TrainConfig(dataset_params={"train_samples": 60, "val_samples": 200}, hidden=(64, 64),
                                  lr=3e-2, batch_size=16, epochs=30, restore_best_weights=True,
                                  variants=(variants.parse_variant("patience=3"),))
    snapshot = training.snapshot(training.step(training.init(config, np.random.default_rng(3)), 30))
    best, stop = int(snapshot.best_epoch[0]), int(snapshot.stopped_epoch[0])
    assert legend_entry(snapshot, 0, "loss").endswith(f"best epoch {best + 1} (weights restored), stopped {stop + 1}")
