"""Snapshot tests (pytest-textual-snapshot) of each pane, the maximized view, help, formula and too-small.

The clock is off and every snapshot is taken once all workers are done, so the pictures are
deterministic. Update with `pytest tests/app/test_snapshots.py --snapshot-update` only after
looking at the report.
"""

from __future__ import annotations

import pytest

DASHBOARD = (120, 36)
SMALL = (80, 24)


def snapshot_of(drive, snap_compare, keys, size):
    """Snapshot after keys, pressed one at a time (a key that moves the focus must land before the next),
    except a trailing run of steps, queued at once (steps asked while a worker is out add up)."""
    app = drive.app()
    steps = len(keys) - len("".join("x" if k != "n" else " " for k in keys).rstrip())
    keys, tail = keys[: len(keys) - steps], keys[len(keys) - steps:]

    async def run_before(pilot) -> None:
        await drive.settle(pilot)
        await drive.press(pilot, *keys)
        await drive.burst(pilot, tail)

    return snap_compare(app, terminal_size=size, run_before=run_before)


def test_dashboard(drive, snap_compare):
    assert snapshot_of(drive, snap_compare, ["n"] * 12, DASHBOARD)


@pytest.mark.parametrize(
    ("pane", "keys"),
    [
        ("learning_rate", ["1", "z", *["n"] * 60]),
        ("initialization", ["2", "z", *["n"] * 10]),
        ("overfitting", ["3", "z", *["n"] * 15]),
        ("optimizer_paths", ["4", "z", *["n"] * 30]),
    ],
)
def test_maximized_pane(drive, snap_compare, pane, keys):
    assert snapshot_of(drive, snap_compare, keys, DASHBOARD)


@pytest.mark.parametrize(
    ("view", "keys"),
    [
        ("lr_log_scale", ["g", *["n"] * 40]),
        ("init_lines", ["2", "v", *["n"] * 10]),
        ("overfitting_accuracy", ["3", "v", *["n"] * 8]),
        ("paths_loss", ["4", "v", *["n"] * 30]),
    ],
)
def test_second_views_in_a_small_terminal(drive, snap_compare, view, keys):
    assert snapshot_of(drive, snap_compare, keys, SMALL)


def test_help_screen(drive, snap_compare):
    assert snapshot_of(drive, snap_compare, ["question_mark"], DASHBOARD)


def test_formula_panel(drive, snap_compare):
    """Cosine decay restarts: the formula with its values, Keras's class and torch's exact equivalent."""
    assert snapshot_of(drive, snap_compare, ["1", "down", "n", "f"], DASHBOARD)


def test_typing_a_bad_value(drive, snap_compare):
    """Adam's lr typed as `x`: a one-line error in place, the old value kept."""
    keys = ["4", "z", *["down"] * 26, "enter", "x", "enter"]
    assert snapshot_of(drive, snap_compare, keys, DASHBOARD)


def test_too_small_message(drive, snap_compare):
    assert snapshot_of(drive, snap_compare, [], (50, 15))


TALL = (120, 40)


@pytest.mark.parametrize(
    ("view", "keys", "more"),
    [
        ("schedule_race", ["1", "z", "v", *["n"] * 5], 25),
        ("effective_step", ["1", "z", "v", "v", *["n"] * 5], 25),
        ("lr_range_test", ["1", "z", "v", "v", "v", *["n"] * 5], 95),
    ],
)
def test_learning_rate_views_maximized(drive, snap_compare, view, keys, more):
    """The schedule race and the effective step sizes after 30 epochs, the LR range test to its end.

    After a few presses of n, the pane's own runner takes the rest at once: n would train every pane as long.
    """
    app = drive.app()

    async def run_before(pilot) -> None:
        await drive.settle(pilot)
        await drive.press(pilot, *keys)
        app.runners["lr"].request(more)
        await drive.settle(pilot)

    assert snap_compare(app, terminal_size=TALL, run_before=run_before)


def test_cycled_momentum_under_the_rates(drive, snap_compare):
    """OneCycleLR next to CyclicLR: the momentum they cycle (inverse to the rate) in a strip under the rates."""
    app = drive.app(preset="lr-one-cycle-vs-cyclic")

    async def run_before(pilot) -> None:
        await drive.settle(pilot)
        await drive.press(pilot, "1", "z")
        app.runners["lr"].request(60)
        await drive.settle(pilot)

    assert snap_compare(app, terminal_size=TALL, run_before=run_before)
