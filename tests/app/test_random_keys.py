"""2,000 seeded random keys from the bindings: the app must stay alive, responsive and consistent.

The first half runs in the 120 x 36 dashboard, the second in an 80 x 24 terminal (one pane at a time).
"""

from __future__ import annotations

import random

from textual.binding import Binding

from tui_dl.app.app import TuiDlApp
from tui_dl.app.help import HelpScreen
from tui_dl.app.panes import PANES
from tui_dl.app.widgets.formula import FormulaScreen
from tui_dl.app.widgets.param_panel import ParamPanel

KEYS = 2000
BATCH = 100
QUITTING = {"q", "ctrl+q", "ctrl+p"}  # quitting ends the test; the palette's enter could run "Quit"
TYPED = ["0", "1", "5", "full_stop", "minus", "backspace", "escape"]


def binding_keys() -> list[str]:
    """Every key bound anywhere in the app, except those that quit."""
    keys: set[str] = set()
    for bindings in (TuiDlApp.BINDINGS, ParamPanel.BINDINGS, FormulaScreen.BINDINGS, HelpScreen.BINDINGS,
                     *(pane.BINDINGS for pane in PANES)):
        for binding in bindings:
            if isinstance(binding, Binding):
                keys.update(key.strip() for key in binding.key.split(","))
    return sorted(keys - QUITTING) + TYPED


def check_consistent(app) -> None:
    """Every pane shows its runner's latest frame and its model's rows; one pane is current."""
    for pane in app.panes:
        runner = app.runners[pane.KIND]
        assert runner.idle
        assert 0 <= runner.position <= max(runner.horizon, 0)
        if runner.error is None:
            assert pane.frame is runner.frame
            assert runner.model.job().horizon == runner.horizon
        rows = runner.model.rows()
        assert [(r.key, r.value) for r in pane.panel.rows] == [(r.key, r.value) for r in rows]
        assert 0 <= pane.panel.index < len(rows)
    assert [p.has_class("-current") for p in app.panes].count(True) == 1
    assert app.panes[app.current].has_class("-current")
    assert f"seed {app.seed}" in str(app.query_one("#status").content)


def test_two_thousand_random_keys(drive):
    keys = binding_keys()
    rng = random.Random(0)
    sequence = [rng.choice(keys) for _ in range(KEYS)]

    async def scenario(pilot, app):
        for start in range(0, KEYS, BATCH):
            if start == KEYS // 2:  # the second half in a small terminal: one pane at a time
                await pilot.resize_terminal(80, 24)
            await drive.burst(pilot, sequence[start: start + BATCH])
            assert app.is_running
        while app.screen is not app.screen_stack[0]:  # close the help or formula panel if one is open
            await drive.press(pilot, "escape")
        if app.current_pane.panel.editing:
            await drive.press(pilot, "escape")
        check_consistent(app)
        # still responsive: the help screen opens and closes, a step is taken
        await drive.press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await drive.press(pilot, "escape")
        before = {kind: r.position for kind, r in app.runners.items()}
        await drive.press(pilot, "n")
        for kind, runner in app.runners.items():
            assert runner.position == min(before[kind] + 1, runner.horizon) or runner.finished or runner.error
        check_consistent(app)

    drive.run(scenario)
