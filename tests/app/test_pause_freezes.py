"""Pause stops every number on screen with the clock: the border counters do not trail it by a draw interval."""

from __future__ import annotations

import asyncio

from tui_dl.app import AppConfig, make_app


def test_after_space_every_border_shows_where_its_experiment_stopped(tmp_path):
    app = make_app(AppConfig(seed=0, autoplay=True, export_dir=tmp_path))  # the clock runs, draws are throttled

    async def main() -> None:
        async with app.run_test(size=(120, 36)) as pilot:
            for _ in range(400):  # until every pane has moved on, with its border throttled behind
                await pilot.pause(0.01)
                if all(runner.position >= 2 for runner in app.runners.values() if runner.horizon):
                    break
            assert all(pane.progress_throttle.interval > 0 for pane in app.panes)
            await pilot.press("space")
            assert app.paused
            for _ in range(10):  # the steps in flight land, then nothing moves
                await app.workers.wait_for_complete()
                await pilot.pause()
            shown = {pane.KIND: str(pane.border_subtitle) for pane in app.panes}
            assert shown == {pane.KIND: app.progress(pane.KIND) for pane in app.panes}

    asyncio.run(main())
