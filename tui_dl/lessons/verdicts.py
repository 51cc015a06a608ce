"""Verdicts: the numbers behind each lesson step's claim, computed from the pane's current frame.

Each function takes the frame the step's pane draws (app/runner: PathsFrame, RaceFrame, ScheduleFrame,
InitFrame, TrainFrame) and returns the values its verdict template (text/<language>.toml) names, or
None while the experiment has not computed enough yet (the lesson bar then says `computing ...`).
Tables (`SGD 1.2e-3 · Adam 0.41`) join a run's label and its number; numbers are written as the
plots' tick labels are (`ticks.compact`), the same in every language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tui_dl.app.runner import verdicts as demos
from tui_dl.ticks import compact

Verdict = Callable[[Any], "dict[str, Any] | None"]
SEPARATOR = " · "


def table(labels: Sequence[str], values: Sequence[Any]) -> str:
    """`SGD: 1.2e-3 · Adam 1e-3: 0.41` (text values as they are; a label may end in its rate)."""
    return SEPARATOR.join(f"{label}: {value if isinstance(value, str) else compact(value)}"
                          for label, value in zip(labels, values, strict=True))


def _paths_race(frame: Any) -> Any:
    race = getattr(frame, "race", None)
    return race if race is not None and race.step > 0 else None


def _rates(values: Sequence[float]) -> str:
    return ", ".join(compact(value) for value in values) or "-"


def rate_sweep(frame: Any) -> dict[str, Any] | None:
    """Learning rate, sweep view: the rates that diverged, that barely moved, the best one and the range test's."""
    sweep = getattr(frame, "sweep", None)
    if sweep is None or sweep.losses.shape[1] < 2:
        return None
    return {"epoch": sweep.losses.shape[1] - 1, "diverged": _rates(demos.diverged_rates(frame)),
            "slow": _rates(demos.barely_moved_rates(frame)), "best": demos.best_rate(frame),
            "suggested": demos.suggested_rate(frame)}


def ridge(frame: Any) -> dict[str, Any] | None:
    """Optimizer paths on a surface with a local minimum: who crossed to the global one, who stayed."""
    race = _paths_race(frame)
    if race is None:
        return None
    where = demos.racer_minima(frame)
    crossed = [label for label, kind in where.items() if kind == demos.GLOBAL]
    stayed = [label for label, kind in where.items() if kind == demos.LOCAL]
    return {"steps": race.step, "crossed": ", ".join(crossed) or "-", "stayed": ", ".join(stayed) or "-"}


def basins_by_momentum(frame: Any) -> dict[str, Any] | None:
    """Optimizer paths, momentum view: per momentum, how many starts of the grid are at the global minimum."""
    counts = demos.global_by_momentum(frame) if getattr(frame, "sweep", None) is not None else {}
    if not counts or frame.sweep.step < 1:
        return None
    return {"steps": frame.sweep.step, "starts": int(frame.sweep.starts),
            "table": table([f"momentum {compact(m)}" for m in counts], [str(n) for n in counts.values()])}


def distances(frame: Any) -> dict[str, Any] | None:
    """Optimizer paths: each run's distance to the nearest minimum now."""
    race = _paths_race(frame)
    if race is None:
        return None
    return {"steps": race.step, "table": table(race.labels, race.distance)}


def losses(frame: Any) -> dict[str, Any] | None:
    """Optimizer paths: each run's loss now (on a surface without minima, such as the saddle)."""
    race = _paths_race(frame)
    if race is None:
        return None
    return {"steps": race.step, "table": table(race.labels, np.asarray(race.loss)[-1])}


def rate_too_large(frame: Any) -> dict[str, Any] | None:
    """Optimizer paths: the first run (the one with the rate too large) and the last, now and at the start."""
    race = _paths_race(frame)
    if race is None:
        return None
    return {"steps": race.step, "first": race.labels[0], "first_distance": float(race.distance[0]),
            "start_distance": float(race.distance_history[0, 0]), "last": race.labels[-1],
            "last_distance": float(race.distance[-1])}


def zigzag(frame: Any) -> dict[str, Any] | None:
    """Optimizer paths: how often each run's y crossed the minimum's y (the zigzag), and its distance now."""
    race = _paths_race(frame)
    if race is None:
        return None
    minimum_y = race.minima[0][1] if len(race.minima) else 0.0
    offsets = np.sign(np.asarray(race.path)[:, :, 1] - minimum_y)
    flips = [int(np.count_nonzero(np.diff(column[column != 0]))) for column in offsets.T]
    return {"steps": race.step, "flips": table(race.labels, [str(n) for n in flips]),
            "table": table(race.labels, race.distance)}


def effective_steps(frame: Any) -> dict[str, Any] | None:
    """Learning rate, step view: each adaptive optimizer's median effective step, first epoch and latest."""
    race = getattr(frame, "race", None)
    if race is None or race.epoch < 2:
        return None
    medians = np.asarray(race.step_median)[:, : race.epoch]
    with np.errstate(invalid="ignore"):
        rises = [int(np.count_nonzero(np.diff(row) > 0)) for row in medians]
    changes = [f"{compact(row[0])} -> {compact(row[-1])} \u2191{up}" for row, up in zip(medians, rises, strict=True)]
    return {"epoch": race.epoch, "table": table(race.labels, changes)}


def schedule_rates(frame: Any) -> dict[str, Any] | None:
    """Learning rate, schedules view: slot 1's rate at step 0, its lowest so far and now."""
    rates = getattr(frame, "rates", None)
    if rates is None or not len(rates) or frame.position < 1:
        return None
    shown = np.asarray(rates[0][: frame.position + 1])
    name = frame.labels[0].split(" ", 1)[-1]  # `1 CosineDecayRestarts`: the slot number is in the template
    return {"name": name, "start": float(shown[0]), "low": float(np.nanmin(shown)),
            "now": float(shown[-1]), "step": frame.position}


def _init_stats(frame: Any) -> Any:
    stats = getattr(frame, "stats", None)
    return stats if stats is not None and stats.layers_done >= 1 else None


def saturation(frame: Any) -> dict[str, Any] | None:
    """Initialization: the first run's share of saturated outputs and the second's std, in the last layer done."""
    stats = _init_stats(frame)
    if stats is None or len(stats.labels) < 2:
        return None
    layer = stats.layers_done
    return {"layer": layer, "first": stats.labels[0], "share": float(stats.saturated[0, layer - 1]),
            "second": stats.labels[1], "second_std": float(stats.std[1, layer - 1])}


def layer_std(frame: Any) -> dict[str, Any] | None:
    """Initialization: each run's output std in layer 1 and in the last layer done."""
    stats = _init_stats(frame)
    if stats is None:
        return None
    layer = stats.layers_done
    changes = [f"{compact(row[0])} -> {compact(row[layer - 1])}" for row in np.asarray(stats.std)]
    return {"layer": layer, "table": table(stats.labels, changes)}


def _train_snapshot(frame: Any) -> Any:
    snapshot = getattr(frame, "snapshot", None)
    return snapshot if snapshot is not None and snapshot.epoch >= 1 else None


def generalization(frame: Any) -> dict[str, Any] | None:
    """Overfitting: each variant's data loss on the validation and the training set now (evaluation mode,
    without the penalty, the median over seeds): the gap between them is the overfitting."""
    snapshot = _train_snapshot(frame)
    if snapshot is None:
        return None
    val, train = (snapshot.by_variant(key)[0][:, snapshot.epoch - 1] for key in ("val_data_loss", "train_data_loss"))
    pairs = [f"{compact(v)} / {compact(t)}" for v, t in zip(val, train, strict=True)]
    return {"epoch": snapshot.epoch, "table": table(snapshot.variant_labels, pairs)}


def early_stops(frame: Any) -> dict[str, Any] | None:
    """Overfitting with early stopping: where each stopped run stopped, its best epoch and val loss there;
    and the validation loss of the first run (no stopping) now."""
    snapshot = _train_snapshot(frame)
    if snapshot is None:
        return None
    stopped = [r for r in range(len(snapshot.labels)) if snapshot.stopped_epoch[r] >= 0]
    if not stopped:
        return None
    # the plot's own marks, which its legend explains in every language: the stop and the best epoch
    parts = [f"{snapshot.labels[r]} \u2716{int(snapshot.stopped_epoch[r])} \u25c6{int(snapshot.best_epoch[r])} "
             f"{compact(snapshot.val_loss[r, int(snapshot.best_epoch[r])])}" for r in stopped]
    return {"table": SEPARATOR.join(parts), "epoch": snapshot.epoch,
            "none_loss": float(snapshot.val_loss[0, snapshot.epoch - 1])}


VERDICTS: dict[str, Verdict] = {function.__name__: function for function in (
    rate_sweep, ridge, basins_by_momentum, distances, losses, rate_too_large, zigzag, effective_steps,
    schedule_rates, saturation, layer_std, generalization, early_stops)}
