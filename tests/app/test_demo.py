"""`--demo`: the lessons on autoplay, advancing through their steps, and any key handing control to the user.

The clock is off (autoplay False) and the demo's timer is replaced by calling `Demo.advance`.
"""

from __future__ import annotations

import asyncio

import pytest

from tui_dl.app import AppConfig, make_app
from tui_dl.app_commands import app_config, served_command
from tui_dl.cli import build_parser
from tui_dl.lessons.catalog import all_steps, lesson_title, step_text, ui_text

HANDOVER_CAPTION = ui_text("handover", "en")


def caption_text(app) -> str:
    return str(app.query_one("#caption").content)


def run_demo(drive, scenario, size=(120, 36), language="en"):
    """Start an app with the demo on (and its clock off), settle, run scenario(pilot, app)."""
    app = make_app(AppConfig(seed=0, autoplay=False, export_dir=drive.export_dir, demo=True, language=language))

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await drive.settle(pilot)
            await scenario(pilot, app)

    asyncio.run(main())


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_tour_is_the_dashboard_then_every_lesson_step_captioned_in_the_language(drive, language):
    async def scenario(pilot, app):
        demo, steps = app.demo, all_steps()
        assert demo.index == 0 and caption_text(app) == ui_text("dashboard", language)
        assert not app.maximized and not app.paused
        assert len(demo.stops) == 1 + len(steps)
        for step, stop in zip(steps, demo.stops[1:], strict=True):
            assert stop.kind == step.pane and stop.view == step.view
            assert stop.caption == f"{lesson_title(step.lesson, language)} · {step_text(step, language).claim}"
        for expected, step in zip(demo.stops[1:4], steps[:3], strict=True):
            demo.advance()
            await drive.settle(pilot)
            assert demo.stop is expected and caption_text(app) == expected.caption
            assert app.maximized and app.current_pane.KIND == step.pane
            if step.view:
                assert app.current_pane.view == step.view
            assert all(app.runners[step.pane].model.settings[key] == value for key, value in step.settings.items())
        demo.index = len(demo.stops) - 1  # the last stop: the next is the first again
        demo.advance()
        await drive.settle(pilot)
        assert demo.index == 0 and not app.maximized

    run_demo(drive, scenario, language=language)


def test_a_key_hands_over_and_is_consumed(drive):
    async def scenario(pilot, app):
        demo = app.demo
        demo.advance()  # the learning-rate pane, maximized
        await drive.settle(pilot)
        assert app.maximized and not app.paused
        await drive.press(pilot, "space")  # would toggle the pause: consumed by the hand-over instead
        assert not demo.running and caption_text(app) == HANDOVER_CAPTION
        assert not app.paused and app.maximized  # the demo stops where it is
        demo.advance()  # a timer tick after the hand-over: nothing moves
        assert demo.index == 1 and caption_text(app) == HANDOVER_CAPTION
        await drive.press(pilot, "space")  # from now on keys do their job
        assert app.paused

    run_demo(drive, scenario)


def test_demo_flag_reaches_the_app_and_the_served_command():
    args = build_parser().parse_args(["--demo", "serve"])
    assert app_config(args).demo
    assert served_command(args).endswith("--demo")
    assert not app_config(build_parser().parse_args([])).demo
