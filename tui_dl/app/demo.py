"""`--demo`: the lessons on autoplay, for talks and kiosks, and the caption line saying what is on screen.

The tour starts on the dashboard, then takes every lesson step in turn (tui_dl/lessons: the study
note's four sections), each pane set up as the step says, maximized and restarted from step 0, for
DWELL seconds, and loops. The caption is the lesson's title and the step's claim in the chosen
language (`--lang`, else the locale): `Optimizers · The note says momentum moves more where ...`.

Any key hands control to the user: the demo stops where it is and the caption says so for a few
seconds. That first key is consumed (so a visitor's first press cannot quit or change a value by
surprise); ctrl+q still quits at once. A mouse press also hands over and is not consumed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import events
from textual.timer import Timer
from textual.widgets import Static

from tui_dl.app.lesson import show_view, step_preset
from tui_dl.app.model_types import Preset
from tui_dl.lessons.catalog import all_steps, lesson_title, step_text, ui_text

if TYPE_CHECKING:
    from tui_dl.app.app import TuiDlApp

DWELL = 8.0  # seconds per stop: long enough for an animation to take shape and a sentence to be read
HANDOVER_SECONDS = 4.0  # how long the caption says that the demo stopped
PASS_THROUGH = frozenset({"ctrl+q"})  # keys that stop the demo and still do their job


@dataclass(frozen=True)
class Stop:
    """One stop of the tour.

    Attributes:
        kind: the pane shown maximized, or None for the dashboard.
        preset: applied to that pane on arrival (None: the pane as it is).
        caption: the line shown while the stop lasts.
        view: what the pane draws there (one of its `v` views; "" keeps it).
    """

    kind: str | None
    preset: Preset | None
    caption: str
    view: str = ""


def tour(app: TuiDlApp, language: str) -> list[Stop]:
    """The dashboard, then every lesson step in order, captioned with its lesson's title and its claim."""
    steps = [Stop(step.pane, step_preset(app, step),
                  f"{lesson_title(step.lesson, language)} · {step_text(step, language).claim}", step.view)
             for step in all_steps()]
    return [Stop(None, None, ui_text("dashboard", language)), *steps]


class DemoCaption(Static):
    """One line under the status line: what the demo shows now (hidden once the user has the keys)."""

    DEFAULT_CSS = """
    DemoCaption {
        height: 1; padding: 0 1; background: $accent 30%; color: $text; text-style: bold;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    Screen.-too-small DemoCaption { display: none; }
    """


class Demo:
    """The tour's state and its timer; the app forwards input to `interrupt` while the tour runs."""

    def __init__(self, app: TuiDlApp, stops: Sequence[Stop], caption_line: DemoCaption, language: str = "en") -> None:
        self.app = app
        self.language = language
        self.stops = list(stops)
        self.caption = caption_line
        self.index = -1
        """The stop on screen (-1 before the first)."""
        self.running = True
        self._timer: Timer | None = None

    @property
    def stop(self) -> Stop | None:
        """The stop on screen."""
        return self.stops[self.index] if self.index >= 0 else None

    def start(self, autoplay: bool) -> None:
        """Show the first stop; with autoplay, move on every DWELL seconds (tests call `advance` instead)."""
        self.advance()
        if autoplay:
            self._timer = self.app.set_interval(DWELL, self.advance)

    def advance(self) -> None:
        """The next stop (after the last, the first again): apply its preset, maximize its pane, run the clock."""
        if not self.running:
            return
        self.index = (self.index + 1) % len(self.stops)
        stop = self.stops[self.index]
        if stop.kind is not None and stop.preset is not None:
            self.app.apply_preset(stop.kind, stop.preset, announce=False)
            show_view(self.app, stop.kind, stop.view)
        self.app.maximized = stop.kind is not None
        self.app.paused = False
        self.caption.update(stop.caption)

    def interrupt(self, event: events.Event) -> bool:
        """Hand over on a key or a mouse press; True if the event is consumed (the key that hands over)."""
        if not self.running or not isinstance(event, (events.Key, events.MouseDown)):
            return False
        self.hand_over()
        return isinstance(event, events.Key) and event.key not in PASS_THROUGH

    def hand_over(self) -> None:
        """Stop the tour where it is; say so for a few seconds, then hide the caption."""
        self.running = False
        if self._timer is not None:
            self._timer.stop()
        self.caption.update(ui_text("handover", self.language))
        self.app.set_timer(HANDOVER_SECONDS, self._hide)

    def _hide(self) -> None:
        self.caption.display = False
