"""What every pane shares: a bordered box with a title, plots on the left, the parameter panel on the right.

A pane never runs the engine (RULE 3): the app hands it frames with `show_frame` and rows with
`set_rows`; the pane's own keys change only how it draws (views, toggles) or post
`ParamPanel.Edit` like the panel does. The panel is shown only in the current pane.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Static

from tui_dl.app.settings import ParamRow
from tui_dl.app.widgets.param_panel import ParamPanel
from tui_dl.app.widgets.plot import Throttle


class Pane(Horizontal):
    """Base of the four panes."""

    DEFAULT_CSS = """
    Pane {
        border: round $panel;
        border-title-color: $text-muted;
        height: 1fr;
        width: 1fr;
    }
    Pane.-current { border: round $accent; border-title-color: $accent; border-title-style: bold; }
    Pane > #body { width: 1fr; height: 1fr; }
    Pane > #body > #note { height: auto; max-height: 3; }
    Pane > ParamPanel { display: none; }
    Pane.-current > ParamPanel { display: block; }
    """

    class Changed(Message):
        """The pane's own state changed (a view, a mode): the status line says what it shows."""

    KIND: ClassVar[str] = ""
    """The runner model's kind this pane draws (lr, init, train, paths)."""
    TITLE: ClassVar[str] = ""
    """Shown in the border and the tab strip."""
    VIEWS: ClassVar[tuple[str, ...]] = ("main",)
    """The views `v` cycles through."""

    def __init__(self, number: int) -> None:
        super().__init__(id=f"pane-{self.KIND}")
        self.number = number
        self.frame: Any = None
        self.view = self.VIEWS[0]
        self.border_title = f"{number} {self.TITLE}"
        self.progress = ""
        """`step 12/100`, shown in the border when the pane is drawn."""
        self.throttle = Throttle(self, self._draw)

    def compose(self) -> ComposeResult:
        with Vertical(id="body"):
            yield from self.compose_body()
            yield Static(id="note")
        yield ParamPanel(id=f"params-{self.KIND}")

    def compose_body(self) -> ComposeResult:
        """The plots; subclasses yield theirs."""
        yield from ()

    # ------------------------------------------------------------------ from the app
    @property
    def panel(self) -> ParamPanel:
        """This pane's parameter panel."""
        return self.query_one(ParamPanel)

    def set_rows(self, rows: list[ParamRow]) -> None:
        """New parameter values (after an edit or a preset)."""
        self.panel.set_rows(rows, self.group_colors(rows))

    def group_colors(self, rows: list[ParamRow]) -> dict[str, str]:
        """Colors of the panel's group headers (a racer's group in its series color)."""
        return {}

    def show_frame(self, frame: Any, progress: str = "") -> None:
        """A new frame: keep it and redraw (as soon as the draw rate allows)."""
        self.frame = frame
        self.progress = progress
        self.throttle.request()

    def _draw(self) -> None:
        self.border_subtitle = self.progress
        self.redraw()

    def show_error(self, message: str) -> None:
        """The experiment failed: say so where the plot was."""
        self.set_note(Text(f"error: {message}", style="bold red"))

    def redraw(self) -> None:
        """Draw self.frame in the current view; subclasses implement."""

    def set_draw_interval(self, seconds: float) -> None:
        """The least time between two drawings of this pane (0: draw every frame)."""
        self.throttle.interval = seconds

    def set_note(self, text: Text | str) -> None:
        """The line under the plots (legend details, hints)."""
        self.query_one("#note", Static).update(text)

    # ------------------------------------------------------------------ keys
    def action_cycle_view(self) -> None:
        """Next view."""
        self.view = self.VIEWS[(self.VIEWS.index(self.view) + 1) % len(self.VIEWS)]
        self.on_view_changed()
        self.redraw()
        self.post_message(self.Changed())

    def on_view_changed(self) -> None:
        """Show the widgets of the new view; subclasses with several views override."""

    def status(self) -> str:
        """A few words for the status line about what this pane shows now."""
        return self.view

    def on_click(self, event: events.Click) -> None:
        self.panel.focus()
