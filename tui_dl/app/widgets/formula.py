"""The formula and code panel (`f`): the exact formula with current values, its convention, and code.

The Keras and PyTorch code sit in read-only text areas, so they can be selected and copied with
the mouse; `k` and `p` copy them whole (through the terminal's clipboard, OSC 52).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static, TextArea

from tui_dl.app.focus import focus_now
from tui_dl.app.frameworks import Description
from tui_dl.app.main_screen import PALETTE_BINDING


def formula_text(description: Description) -> Text:
    """Title, formula lines, convention and notes as Rich text."""
    text = Text()
    text.append(description.title, style="bold")
    text.append("\n\n")
    for line in description.formula:
        text.append(f"  {line}\n")
    text.append("\nconvention: ", style="dim")
    text.append(description.convention)
    for note in description.notes:
        text.append(f"\nnote: {note}", style="italic")
    return text


class FormulaScreen(ModalScreen[None]):
    """What is selected, as a formula and as Keras and PyTorch code."""

    DEFAULT_CSS = """
    FormulaScreen { align: center middle; background: $background; }  /* opaque: no dimmed redraw */
    FormulaScreen > Vertical {
        width: 90%; max-width: 110; height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    FormulaScreen #formula { height: auto; margin-bottom: 1; }
    FormulaScreen Horizontal { height: 1fr; }
    FormulaScreen .code { width: 1fr; height: 1fr; }
    FormulaScreen TextArea { height: 1fr; }
    FormulaScreen #hint { height: 1; color: $text-muted; }
    """

    BINDINGS: ClassVar = [
        Binding("escape,f", "dismiss", "Close"),
        Binding("k", "copy('keras')", "Copy Keras"),
        Binding("p", "copy('torch')", "Copy PyTorch"),
        Binding("q", "app.quit", "Quit"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        PALETTE_BINDING,  # app bindings do not reach past a modal screen
    ]

    def __init__(self, description: Description) -> None:
        super().__init__()
        self.description = description

    def compose(self) -> ComposeResult:
        with Vertical():
            with VerticalScroll(id="formula-scroll"):
                yield Static(formula_text(self.description), id="formula")
            with Horizontal():
                with Vertical(classes="code"):
                    yield Label("Keras 3", classes="code-title")
                    yield TextArea(self.description.keras, read_only=True, id="keras", soft_wrap=True)
                with Vertical(classes="code"):
                    yield Label("PyTorch", classes="code-title")
                    yield TextArea(self.description.torch, read_only=True, id="torch", soft_wrap=True)
            yield Static("k copy Keras · p copy PyTorch · select with the mouse · f/esc close · q quit", id="hint")

    def on_mount(self) -> None:
        focus_now(self.query_one("#formula-scroll"))

    def action_copy(self, which: str) -> None:
        """Copy one code block to the clipboard."""
        code = self.description.keras if which == "keras" else self.description.torch
        self.app.copy_to_clipboard(code)
        self.notify(f"{'Keras' if which == 'keras' else 'PyTorch'} code copied", timeout=2)
