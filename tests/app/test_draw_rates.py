"""Draw throttle: a restarted experiment's first frame skips it, other panes hold, rates follow the fps.

The throttle's timers are recorded by a fake owner instead of run, so nothing here waits on the clock.
"""

from __future__ import annotations

import asyncio

from tui_dl.app import AppConfig, make_app
from tui_dl.app.panes.base import HOLD_OTHERS, PROGRESS_INTERVAL
from tui_dl.app.widgets.throttle import Throttle

LONG = 100.0  # seconds: no drawing of these tests ever becomes due by itself


class FakeTimer:
    def __init__(self, delay: float, callback) -> None:
        self.delay, self.callback, self.stopped = delay, callback, False

    def stop(self) -> None:
        self.stopped = True


class Owner:
    """Records set_timer calls (Textual's would run the callback after the delay)."""

    def __init__(self) -> None:
        self.timers: list[FakeTimer] = []

    def set_timer(self, delay: float, callback) -> FakeTimer:
        self.timers.append(FakeTimer(delay, callback))
        return self.timers[-1]


def throttled(interval: float) -> tuple[Throttle, Owner, list[int]]:
    owner, draws = Owner(), []
    throttle = Throttle(owner, lambda: draws.append(1))
    throttle.interval = interval
    return throttle, owner, draws


def test_a_burst_draws_once_now_and_once_later():
    throttle, owner, draws = throttled(LONG)
    for _ in range(3):
        throttle.request()
    assert len(draws) == 1 and len(owner.timers) == 1 and owner.timers[0].delay > LONG - 1
    owner.timers[0].callback()  # the timer fires: the last request is drawn
    assert len(draws) == 2


def test_reset_draws_the_next_request_at_once_and_drops_the_pending_one():
    throttle, owner, draws = throttled(LONG)
    throttle.request()
    throttle.request()  # waits for the interval
    throttle.reset()  # a restart
    assert owner.timers[0].stopped
    throttle.request()  # the new experiment's first frame
    assert len(draws) == 2 and len(owner.timers) == 1


def test_hold_delays_the_next_drawing_and_a_pending_one():
    throttle, owner, draws = throttled(0.25)
    throttle.hold(HOLD_OTHERS)
    throttle.request()
    assert not draws and 0 < owner.timers[0].delay <= HOLD_OTHERS
    throttle, owner, draws = throttled(LONG)
    throttle.request()
    throttle.request()
    throttle.hold(HOLD_OTHERS)  # shorter than what is left of the interval: the interval still holds
    assert owner.timers[0].stopped and owner.timers[1].delay > LONG - 1


def test_without_a_throttle_hold_never_waits():
    throttle, owner, draws = throttled(0.0)
    throttle.hold(HOLD_OTHERS)
    throttle.request()
    throttle.request()
    assert len(draws) == 2 and not owner.timers


async def _intervals(fps: float) -> list[tuple[float, float]]:
    app = make_app(AppConfig(seed=0, autoplay=False, fps=fps))
    async with app.run_test(size=(120, 36)):
        for pane in app.panes:
            pane.set_draw_interval(1 / 15)
        return [(pane.throttle.interval, pane.progress_throttle.interval) for pane in app.panes]


def test_draw_rates_follow_a_slower_clock_and_the_border_follows_slower_still():
    assert asyncio.run(_intervals(30.0))[0] == (1 / 15, PROGRESS_INTERVAL)
    assert asyncio.run(_intervals(60.0))[0] == (1 / 15, PROGRESS_INTERVAL)  # a faster clock draws no more
    interval, progress = asyncio.run(_intervals(15.0))[0]  # SSH: half the clock, half the drawings
    assert abs(interval - 2 / 15) < 1e-12 and progress == PROGRESS_INTERVAL


def test_a_restart_draws_its_first_frame_at_once_while_the_others_hold(drive):
    drawn: list[int] = []

    async def scenario(pilot, app):
        pane, held = app.current_pane, []
        for p in app.panes:
            p.set_draw_interval(LONG)  # throttled as with the clock running, but nothing becomes due
            p.throttle.hold = lambda seconds, kind=p.KIND: held.append((kind, seconds))
        runner = app.runners[pane.KIND]
        draw = pane.throttle.draw
        pane.throttle.draw = lambda: (drawn.append(runner.generation), draw())
        await drive.press(pilot, "n")  # a step pauses: its frame is drawn at once, the border with it
        assert drawn == [runner.generation] and pane.border_subtitle == app.progress(pane.KIND)
        pane.throttle.request()  # another drawing now would wait for the interval
        assert pane.throttle._timer is not None
        drawn.clear()
        await drive.press(pilot, "r")  # the restart's first frame is drawn at once
        assert drawn == [runner.generation] and pane.frame is runner.frame
        assert pane.border_subtitle == app.progress(pane.KIND)
        assert held == [(p.KIND, HOLD_OTHERS) for p in app.panes if p is not pane]

    drive.run(scenario)


def test_a_late_drawing_is_taken_by_the_next_request_that_finds_it_due():
    throttle, owner, draws = throttled(LONG)
    throttle.request()
    throttle.request(late=LONG)  # the border's progress: its timer is only a fallback
    assert len(draws) == 1 and owner.timers[0].delay > 2 * LONG - 1
    throttle.interval = 0.0  # as if the interval had passed: a plot drawing comes along and takes it
    throttle.request(late=LONG)
    assert len(draws) == 2 and owner.timers[0].stopped


def test_a_restarted_pane_computes_its_first_frame_before_the_others_step_again(drive):
    """While a key's restart computes, the clock gives the other runners no steps (one interpreter lock)."""
    seen = {}

    async def scenario(pilot, app) -> None:
        restarted, others = app.runners["train"], [r for k, r in app.runners.items() if k != "train"]
        app.paused = False  # the clock runs (the test drives it by calling its tick)
        held, launch = [], restarted._launch
        restarted._launch = lambda work, group: held.append(work)  # the worker is held: busy, no frame yet
        restarted.restart()
        credits = [r._credit for r in others]
        app._tick()
        seen["held"] = [r._credit for r in others] == credits and restarted.busy and restarted.frame is None
        restarted._launch = launch
        held[0]()  # the first frame is computed and posted
        await drive.settle(pilot)
        app._tick()
        seen["after"] = [r._credit for r in others] != credits or any(r.busy for r in others)
        app.paused = True
        await drive.settle(pilot)  # the steps the tick asked for are done before the app closes

    drive.run(scenario)
    assert seen == {"held": True, "after": True}


def test_a_frame_that_arrives_while_the_app_closes_is_dropped(drive):
    """A worker may post its frame after the app began to close and removed the panes' plots."""
    from tui_dl.app.runner import FrameReady
    from tui_dl.app.widgets.plot import CanvasWidget

    async def scenario(pilot, app) -> None:
        runner = app.runners["lr"]
        for widget in app.panes[0].query(CanvasWidget):
            await widget.remove()
        message = FrameReady("lr", runner.generation, runner._state, runner.frame)
        app._running = False  # what Textual's shutdown does before it closes the widgets
        app.on_frame_ready(message)  # no NoMatches
        app._running = True

    drive.run(scenario)
