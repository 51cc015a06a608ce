"""The app's screen: the answer to a key is written as soon as its plots are painted.

Textual writes screen updates from a 60 Hz timer: a widget that repaints waits for the timer's next
tick, up to 17 ms, and after a key there has just been one (the panel showing the new value), so
the restarted pane's first frame usually waits. That frame is the key's answer; this screen writes
it once the plots it names have asked to be repainted, in the same turn of the event loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

# Keys of the app that are not priority bindings: a priority binding acts when the app reads the key, before
# the keys typed just ahead of it reach the focused widget (`enter ctrl+p` opened the palette first, and the
# enter then ran the palette's first command; `tab` left a value input open for another pane).
PALETTE_BINDING = Binding("ctrl+p", "app.command_palette", "Palette", show=False,
                          tooltip="the command palette: every action and the presets")


class MainScreen(Screen):
    """The dashboard's screen (the app's default screen)."""

    # in order with the other keys (Screen's own tab moves the focus widget by widget)
    BINDINGS: ClassVar = [
        Binding("tab", "app.focus_offset(1)", "Next pane", show=False, tooltip="focus the next pane"),
        Binding("shift+tab", "app.focus_offset(-1)", "Previous pane", show=False, tooltip="focus the previous pane"),
    ]

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
