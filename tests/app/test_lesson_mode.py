"""Lesson mode in the app: each step's pane maximized with its caption and verdict, `.` `,` and esc,
typing stays typing, and the bar in Korean and English at three sizes (snapshots)."""

from __future__ import annotations

import pytest

from tui_dl.lessons.catalog import all_steps, find_start, step_text

from .test_params import panel

STEPS = all_steps()


def bar_text(app) -> str:
    return str(app.query_one("#lesson").render())


async def started(drive, pilot, app) -> None:
    await drive.wait_for(pilot, lambda: app.lesson is not None and app.lesson.started)
    await drive.settle(pilot)


def test_a_lesson_starts_at_its_step_on_its_pane_and_its_verdict_follows_the_experiment(drive):
    async def scenario(pilot, app):
        await started(drive, pilot, app)
        step = STEPS[find_start("optimizers.momentum-zigzag")]
        assert app.lesson.step == step and app.maximized and app.current_pane.KIND == "paths"
        assert step_text(step, "en").claim in bar_text(app).replace("\n", " ")
        assert "computing ..." in bar_text(app)
        await drive.steps(pilot, 30)
        app.lesson.refresh_verdict()
        assert "sign changes of y in 30 steps: SGD: 30" in bar_text(app).replace("\n", " ")

    drive.run(scenario, lesson=find_start("optimizers.momentum-zigzag"), language="en")


def test_full_stop_and_comma_walk_the_steps_across_panes_and_stop_at_the_ends(drive):
    async def scenario(pilot, app):
        await started(drive, pilot, app)
        await drive.press(pilot, "comma")
        assert app.lesson.index == 0  # the first stays
        kinds = []
        for _ in range(len(STEPS) + 1):
            kinds.append(app.current_pane.KIND)
            await drive.press(pilot, "full_stop")
        assert app.lesson.index == len(STEPS) - 1  # the last stays
        assert kinds[:len(STEPS)] == [step.pane for step in STEPS]
        await drive.press(pilot, "comma")
        assert app.lesson.index == len(STEPS) - 2 and app.current_pane.KIND == STEPS[-2].pane

    drive.run(scenario, lesson=0, language="en")


def test_escape_leaves_the_lesson_and_keeps_its_setup_then_restores_the_dashboard(drive):
    async def scenario(pilot, app):
        await started(drive, pilot, app)
        model = app.runners["paths"].model
        assert model.settings["surface"] == "saddle"
        await drive.press(pilot, "escape")
        assert not app.in_lesson and not app.query_one("#lesson").display and app.maximized
        assert model.settings["surface"] == "saddle"
        await drive.press(pilot, "full_stop")
        assert app.lesson.index == find_start("optimizers.saddle")  # no more steps once left
        await drive.press(pilot, "escape")
        assert not app.maximized

    drive.run(scenario, lesson=find_start("optimizers.saddle"), language="en")


def test_a_full_stop_typed_into_a_value_is_typed_not_a_step(drive):
    async def scenario(pilot, app):
        await started(drive, pilot, app)
        index = app.lesson.index
        await drive.press(pilot, "enter")
        assert panel(app).editing
        panel(app).query_one("Input").value = ""
        await drive.press(pilot, "0", "full_stop", "5")
        assert panel(app).query_one("Input").value == "0.5" and app.lesson.index == index

    drive.run(scenario, lesson=0, language="en")


@pytest.mark.parametrize(("language", "size", "step"), [
    ("en", (120, 40), "learning-rate.built-in-decay"),
    ("ko", (120, 40), "learning-rate.built-in-decay"),
    ("ko", (80, 24), "initialization.he"),
    ("en", (80, 24), "initialization.he"),
    ("ko", (200, 60), "optimizers.momentum-zigzag"),
    ("en", (200, 60), "overfitting.weight-decay"),
])
def test_lesson_bar(drive, snap_compare, language, size, step):
    app = drive.app(lesson=find_start(step), language=language)

    async def run_before(pilot) -> None:
        await started(drive, pilot, app)
        await drive.steps(pilot, 12)
        app.lesson.refresh_verdict()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
