"""Shared driving of the app in tests: a fixed seed and size, the clock off, time moved by the step key.

`drive.run(scenario)` starts a fresh app and runs `async def scenario(pilot, app)` in it;
`drive.settle(pilot)` waits on a condition (every runner idle: no worker out, no step waiting),
never a fixed pause; `drive.press(pilot, *keys)` presses keys one at a time, settling after each.
"""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual import events

from tui_dl.app import AppConfig, make_app

CONTROL_CHARACTERS = {"enter": "\r", "escape": "\x1b", "tab": "\t", "backspace": "\x7f", "space": " "}
SIZE = (120, 36)
SMALL = (80, 24)
ROUNDS = 3000  # settle gives up (and fails) after this many worker/message rounds


class Driver:
    """Helpers bound to a temporary export directory."""

    def __init__(self, export_dir: Path) -> None:
        self.export_dir = export_dir

    def app(self, seed: int = 0, **config):
        """A fresh app with the clock off (config: more AppConfig fields, such as a lesson)."""
        return make_app(AppConfig(seed=seed, autoplay=False, export_dir=self.export_dir, **config))

    async def settle(self, pilot) -> None:
        """Wait until every runner is idle and its frame is drawn."""
        app = pilot.app
        for _ in range(ROUNDS):
            await app.workers.wait_for_complete()
            await pilot.pause()
            if all(runner.idle for runner in app.runners.values()):
                return
        raise AssertionError({k: (r.busy, r.position, r.error) for k, r in app.runners.items()})

    def run(self, scenario: Callable[..., Awaitable[None]], size: tuple[int, int] = SIZE, seed: int = 0, **config):
        """Run scenario(pilot, app) in a fresh app of this size once it has settled; returns the app.

        pytest runs no coroutines by itself here (no asyncio plugin), so each test drives its own loop.
        """
        app = self.app(seed, **config)

        async def main() -> None:
            async with app.run_test(size=size) as pilot:
                await self.settle(pilot)
                await scenario(pilot, app)

        asyncio.run(main())
        return app

    async def wait_for(self, pilot, condition: Callable[[], bool]) -> None:
        """Let the app run until condition holds (a task of Textual's own, like the palette's search)."""
        for _ in range(ROUNDS):
            if condition():
                return
            await pilot.pause()
        raise AssertionError("condition never held")

    async def press(self, pilot, *keys: str) -> None:
        """Press keys one by one, settling after each."""
        for key in keys:
            await self.burst(pilot, [key])

    async def burst(self, pilot, keys: list[str]) -> None:
        """Queue key events without waiting between them (Pilot.press waits for the CPU to go idle after
        each key, which worker threads keep busy), then settle. Keys are handled in order, as typed."""
        app = pilot.app
        for key in keys:
            event = events.Key(key, key_character(key))
            event.set_sender(app)
            app.post_message(event)
        await self.settle(pilot)

    async def tap(self, pilot, key: str) -> None:
        """Press key and let the app handle its messages, without waiting for the workers it starts:
        the screen as it is right after a key (a restarted pane before its first frame)."""
        event = events.Key(key, key_character(key))
        event.set_sender(pilot.app)
        pilot.app.post_message(event)
        await pilot.pause()

    async def steps(self, pilot, count: int) -> None:
        """Press the step key count times, then settle (steps asked while a worker is out add up)."""
        await self.burst(pilot, ["n"] * count)


def key_character(key: str) -> str | None:
    """The character a key types: `a` for a, `[` for left_square_bracket, None for up."""
    if key in CONTROL_CHARACTERS:
        return CONTROL_CHARACTERS[key]
    if len(key) == 1:
        return key
    try:
        return unicodedata.lookup(key.upper().replace("_", " "))
    except KeyError:
        return None


@pytest.fixture
def drive(tmp_path: Path) -> Driver:
    return Driver(tmp_path)
