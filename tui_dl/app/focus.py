"""Moving the focus at once, so that the next key typed goes where the key before it sent the focus."""

from __future__ import annotations

from textual.dom import NoScreen
from textual.widget import Widget


def focus_now(widget: Widget) -> None:
    """Give widget the focus before the next event is handled.

    Textual's `Widget.focus` moves the focus on a later turn of the message loop, after the events already
    queued: keys typed in one burst (`4v`, or enter and a value) went to the widget focused before.
    """
    try:
        screen = widget.screen
    except NoScreen:  # not on a screen yet: Textual's way, once it is
        widget.focus()
        return
    screen.set_focus(widget)
