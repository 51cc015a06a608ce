"""`--demo`: the tour's stops, advancing through them, and any key handing control to the user.

The clock is off (autoplay False) and the demo's timer is replaced by calling `Demo.advance`.
"""

from __future__ import annotations

import asyncio

from tui_dl.app import AppConfig, make_app
from tui_dl.app.demo import DASHBOARD_CAPTION, HANDOVER_CAPTION, tour
from tui_dl.app.runner import make_models
from tui_dl.app_commands import app_config, served_command
from tui_dl.cli import build_parser

TITLES = {"lr": "Learning rate", "init": "Initialization", "train": "Overfitting", "paths": "Optimizer paths"}


def caption_text(app) -> str:
    return str(app.query_one("#caption").content)


def run_demo(drive, scenario, size=(120, 36)):
    """Start an app with the demo on (and its clock off), settle, run scenario(pilot, app)."""
    app = make_app(AppConfig(seed=0, autoplay=False, export_dir=drive.export_dir, demo=True))

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await drive.settle(pilot)
            await scenario(pilot, app)

    asyncio.run(main())


def test_the_tour_starts_on_the_dashboard_then_takes_the_panes_in_turn():
    models = make_models()
    stops = tour(models, TITLES)
    assert stops[0].kind is None and stops[0].caption == DASHBOARD_CAPTION
    assert [stop.kind for stop in stops[1:5]] == ["lr", "init", "train", "paths"]  # one pane after another
    assert len(stops) == 1 + sum(len(model.presets()) for model in models.values())  # every preset once
    himmelblau = next(stop for stop in stops if "Himmelblau" in stop.caption)
    assert himmelblau.caption == ("Optimizer paths · Himmelblau's four minima: "
                                  "which minimum each optimizer reaches (v: basin map)")


def test_the_demo_advances_to_the_next_stop_and_shows_its_caption(drive):
    async def scenario(pilot, app):
        demo = app.demo
        assert demo.index == 0 and caption_text(app) == DASHBOARD_CAPTION
        assert not app.maximized and not app.paused
        for expected in demo.stops[1:3]:
            demo.advance()
            await drive.settle(pilot)
            assert demo.stop is expected and caption_text(app) == expected.caption
            assert app.maximized and app.current_pane.KIND == expected.kind
        assert app.runners["init"].model.settings == _preset_settings("init", demo.stops[2].preset.name)
        demo.index = len(demo.stops) - 1  # the last stop: the next is the first again
        demo.advance()
        await drive.settle(pilot)
        assert demo.index == 0 and not app.maximized

    run_demo(drive, scenario)


def _preset_settings(kind: str, name: str) -> dict:
    model = make_models()[kind]
    next(preset for preset in model.presets() if preset.name == name).apply()
    return model.settings


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
