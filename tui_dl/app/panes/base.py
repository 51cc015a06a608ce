"""What every pane shares: a bordered box with a title, plots on the left, the parameter panel on the right.

A pane never runs the engine (RULE 3): the app hands it frames with `show_frame` and rows with
`set_rows`; the pane's own keys change only how it draws (views, toggles) or post
`ParamPanel.Edit` like the panel does. The panel is shown only in the current pane.

Bytes to the terminal: the progress text sits in the pane's border, and a border change makes Textual
repaint the whole pane (borders, parameter panel), so the border follows the frames at most
`PROGRESS_INTERVAL` apart, changed with a drawing of the plots (one repaint for both) unless the
drawings stop; the status line shows the current pane's step on every frame.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Region
from textual.message import Message

from tui_dl.app import AppConfig
from tui_dl.app.focus import focus_now
from tui_dl.app.glyphs import glyph_mode
from tui_dl.app.model_types import ParamRow
from tui_dl.app.widgets.note import Note
from tui_dl.app.widgets.param_panel import ParamPanel
from tui_dl.app.widgets.throttle import Throttle

# the least seconds between two progress texts in the border while the clock runs (tests: every frame)
PROGRESS_INTERVAL = 0.5
# after the current pane restarts (a key), the other panes wait this long so its first frame is drawn alone
HOLD_OTHERS = 0.1
NOTE_LINES = 3  # the most lines the note under the plots takes (its max-height)
# the clock rate the app's draw rates are meant for; a slower clock (SSH) scales them down with it
REFERENCE_FPS = AppConfig.fps


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
    Pane > #body > #note { height: auto; max-height: 3; }  /* NOTE_LINES */
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
        self.refusal = ""
        """Why the view `v` asked for was refused, until the view after it runs."""
        self.border_title = f"{number} {self.TITLE}"
        self.progress = ""
        """`step 12/100`, shown in the border when the pane is drawn (at most every PROGRESS_INTERVAL)."""
        self.throttle = Throttle(self, self._draw)
        self.progress_throttle = Throttle(self, self._show_progress)

    def compose(self) -> ComposeResult:
        with Vertical(id="body"):
            yield from self.compose_body()
            yield Note(id="note")
        yield ParamPanel(id=f"params-{self.KIND}")

    def compose_body(self) -> ComposeResult:
        """The plots; subclasses yield theirs."""
        yield from ()

    # ------------------------------------------------------------------ from the app
    @property
    def mode(self) -> str:
        """The glyph mode: `` (colour), `mono` (NO_COLOR) or `ascii` (--ascii); legends mark series by it."""
        return glyph_mode(self.app)

    @property
    def panel(self) -> ParamPanel:
        """This pane's parameter panel."""
        return self.query_one(ParamPanel)

    def set_rows(self, rows: list[ParamRow]) -> None:
        """New parameter values (after an edit, a preset, a restart or a new seed).

        The app sets the rows whenever it restarts the pane's experiment, so the restarted
        experiment's first frame is drawn at once instead of waiting out the draw interval; when
        this is the current pane (a key was pressed here), the other panes hold their drawings for
        HOLD_OTHERS so that the first frame's screen update is not theirs as well.
        """
        self.panel.set_rows(rows, self.group_colors(rows))
        self.throttle.reset()
        self.progress_throttle.reset()
        if self.has_class("-current") and self.parent is not None:
            for pane in self.parent.children:
                if isinstance(pane, Pane) and pane is not self:
                    pane.throttle.hold(HOLD_OTHERS)

    def group_colors(self, rows: list[ParamRow]) -> dict[str, str]:
        """Colors of the panel's group headers (a racer's group in its series color)."""
        return {}

    def show_frame(self, frame: Any, progress: str = "") -> None:
        """A new frame: keep it and redraw (as soon as the draw rate allows; at once while paused, so the
        numbers on screen stop with the clock instead of trailing it by a draw interval)."""
        self.frame = frame
        self.progress = progress
        if getattr(self.app, "paused", False):
            self.settle_now()
        else:
            self.throttle.request()

    def settle_now(self) -> None:
        """Draw the latest frame and its border text now, whatever the draw rate (pause, step)."""
        self.throttle.reset()
        self.progress_throttle.reset()
        if self.frame is not None:
            self.throttle.request()
            self.progress_throttle.request()

    def _draw(self) -> None:
        self.progress_throttle.request(late=self.progress_throttle.interval)  # on its own only if no drawing follows
        self.redraw()

    def _show_progress(self) -> None:
        if self.border_subtitle != self.progress:
            self.set_border_subtitle(self.progress)

    def set_border_subtitle(self, text: str) -> None:
        """The text in the bottom border, repainting that border row only.

        Assigning `border_subtitle` repaints the whole pane, and the terminal receives every cell of
        it (plots and panel included) twice a second; Textual keeps the subtitle in
        `_border_subtitle`, so the pane sets it there and marks its bottom row dirty. Should a
        Textual release keep it elsewhere, the plain assignment is used.
        """
        width, height = self.outer_size  # with the border
        if not hasattr(self, "_border_subtitle") or height < 2:
            self.border_subtitle = text
            return
        self._border_subtitle = self.render_str(text).expand_tabs(4).split()[0]
        left, top = self.content_offset  # refresh regions are relative to the content, inside the border
        self.refresh(Region(-left, height - 1 - top, width, 1))

    def show_error(self, message: str) -> None:
        """The experiment failed: say so where the plot was."""
        self.set_note(Text(f"error: {message}", style="bold red"))

    def redraw(self) -> None:
        """Draw self.frame in the current view; subclasses implement."""

    def set_draw_interval(self, seconds: float) -> None:
        """The least time between two drawings of this pane (0: draw every frame).

        The interval is meant for the default clock; a slower clock (`--fps`, 15 over SSH) stretches it
        in proportion, so a slow link gets fewer drawings too (bytes follow drawings, not frames).
        The border's progress text follows at most every PROGRESS_INTERVAL.
        """
        fps = getattr(getattr(self.app, "config", None), "fps", REFERENCE_FPS)
        seconds *= max(1.0, REFERENCE_FPS / fps)
        self.throttle.interval = seconds
        self.progress_throttle.interval = max(seconds, PROGRESS_INTERVAL) if seconds else 0.0

    def set_note(self, text: Text | str) -> None:
        """The line under the plots (legend details, hints).

        The layout is computed again only when the note needs another number of lines: the
        numbers in a legend change on every frame, its height seldom, and a layout pass over
        the whole screen would cost more than drawing the plots.
        """
        note = self.query_one("#note", Note)
        width = note.size.width
        if not width:
            note.update(text)
            return
        rich = Text(text) if isinstance(text, str) else text
        lines = min(len(note.wrap(rich, width)), NOTE_LINES)  # the note draws these lines (wrapped once)
        note.update(text, layout=lines != note.size.height)

    # ------------------------------------------------------------------ keys
    def action_cycle_view(self) -> None:
        """Next view."""
        self.view = self.VIEWS[(self.VIEWS.index(self.view) + 1) % len(self.VIEWS)]
        self.on_view_changed()
        self.redraw()
        self.post_message(self.Changed())

    def view_refused(self, message: str) -> None:
        """The model refused the view `v` asked for (its experiment is over the live limit): go on to the next
        view; message is shown once that one runs (take_refusal)."""
        self.refusal = self.refusal or message  # a second refusal on the way: the first one is what was asked
        self.action_cycle_view()

    def take_refusal(self) -> str:
        """Why the last `v` skipped a view ("" if it did not), once."""
        message, self.refusal = self.refusal, ""
        return message

    def on_view_changed(self) -> None:
        """Show the widgets of the new view; subclasses with several views override."""

    def status(self) -> str:
        """A few words for the status line about what this pane shows now."""
        return self.view

    def on_click(self, event: events.Click) -> None:
        focus_now(self.panel)
