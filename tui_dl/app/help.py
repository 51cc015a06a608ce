"""The help screen (`?`): every key of the app, the parameter panel and each pane, from their BINDINGS."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_dl.app.focus import focus_now
from tui_dl.app.main_screen import PALETTE_BINDING

KEY_NAMES = {
    "up": "↑", "down": "↓", "left": "←", "right": "→", "minus": "-", "plus": "+", "equals_sign": "=",
    "left_square_bracket": "[", "right_square_bracket": "]", "question_mark": "?", "space": "space",
    "escape": "esc", "enter": "enter", "shift+tab": "shift+tab", "full_stop": ".", "comma": ",",
}
INTRO = (
    "Four live experiments. Pick a pane (tab, 1-4), pick a parameter (↑/↓), change it (←/→): the pane's "
    "experiment restarts from step 0 with the same seed. z (or enter) maximizes a pane; there enter types an "
    "exact value. f shows the formula and the Keras / PyTorch code of what is selected."
)


def keys_text(binding: Binding) -> str:
    """`↑ k` for "up,k"."""
    return " ".join(KEY_NAMES.get(key, key) for key in binding.key.split(","))


def _bindings(bindings: Iterable[BindingType]) -> list[Binding]:
    return [b for b in bindings if isinstance(b, Binding)]


def binding_text(sections: list[tuple[str, Iterable[BindingType]]]) -> Text:
    """A header per section, a `keys  description` line per binding (plain Text: a Rich Table re-lays
    itself out on every render, and this screen opens often)."""
    text = Text()
    for title, bindings in sections:
        text.append(f"\n{title}\n", style="bold underline")
        for binding in _bindings(bindings):
            text.append(f"  {keys_text(binding):<14}", style="bold")
            text.append(f"{binding.tooltip or binding.description or binding.action}\n")
    return text


class HelpScreen(ModalScreen[None]):
    """All bindings, grouped."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; background: $background; }  /* opaque: dimming the dashboard is costly */
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    BINDINGS: ClassVar = [
        Binding("escape,question_mark", "dismiss", "Close"),
        Binding("q", "app.quit", "Quit"),
        PALETTE_BINDING,  # app bindings do not reach past a modal screen
    ]

    def __init__(self, sections: list[tuple[str, Iterable[BindingType]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text(INTRO), id="intro")
            yield Static(binding_text(self.sections), id="keys")

    def on_mount(self) -> None:
        scroll = self.query_one(VerticalScroll)
        scroll.border_subtitle = "↑ ↓ PgUp PgDn scroll · esc close"  # it is longer than most screens
        focus_now(scroll)

    def listing(self) -> str:
        """The table as plain lines, `keys: description`."""
        return "\n".join(f"{keys_text(b)}: {b.tooltip or b.description}" for _, bindings in self.sections
                         for b in _bindings(bindings))
