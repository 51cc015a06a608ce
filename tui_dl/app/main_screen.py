"""The app's screen: the answer to a key is written as soon as its plots are painted.

Textual writes screen updates from a 60 Hz timer: a widget that repaints waits for the timer's next
tick, up to 17 ms, and after a key there has just been one (the panel showing the new value), so
the restarted pane's first frame usually waits. That frame is the key's answer; this screen writes
it once the plots it names have asked to be repainted, in the same turn of the event loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual import events
from textual.screen import Screen
from textual.widget import Widget


class MainScreen(Screen):
    """The dashboard's screen (the app's default screen)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._answer: set[Widget] = set()

    def answer(self, widgets: Iterable[Widget]) -> None:
        """Write the next update as soon as one of widgets is waiting in it, not at the timer's tick."""
        self._answer = set(widgets)

    def on_idle(self, event: events.Idle) -> None:
        """Before Screen's own idle handler, which would resume the update timer and wait for its tick.

        Textual has no public call for an update now; should a release rename what this uses, the
        update waits for the tick as before.
        """
        update = getattr(self, "_on_timer_update", None)
        if self._answer & getattr(self, "_dirty_widgets", set()) and callable(update):
            self._answer.clear()
            update()
