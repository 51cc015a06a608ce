"""The status line, the tab strip and the key bar: what runs, where, and which keys do what now."""

from __future__ import annotations

from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static

from tui_dl.app.widgets.texts import same_text


class OneLine(Static):
    """A line whose size never follows its text (CSS gives it height 1 and the full width).

    `Static.update` asks for a layout of the whole screen (8 ms at 120 x 40) in case the size changed;
    these lines change with every frame (the progress), so they repaint themselves alone, and not at
    all when the text is the same.
    """

    _shown: Text | None = None

    def show_text(self, text: Text) -> None:
        """Show text, repainting this line only (nothing when it is already shown)."""
        if not same_text(text, self._shown):
            self._shown = text
            self.update(text, layout=False)


class StatusLine(OneLine):
    """One line at the top, always visible."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def show(self, seed: int, paused: bool, pane: str, progress: str, speed: str, extra: str,
             remembered: list[str] | None = None) -> None:
        """Update the line; remembered: what this start resumed from the preferences (`setup ~/a.toml`).

        The pane and its progress (`Overfitting: epoch 12/200`) and "? help" always stay (below the
        app's smallest size the progress is cut too, "? help" never). In a narrow
        terminal the speed and the view give way first (with an ellipsis), then the middle of what was
        remembered (a long path keeps its first word and its file name), then all of it but
        "resumed; --reset forgets".
        """
        head = Text()
        head.append("tui-dl ", style="bold")
        head.append(f"seed {seed}", style="bold")
        head.append("  ")
        head.append("■ paused" if paused else "▶ running", style="bold yellow" if paused else "bold green")
        core = Text(f"  │ {pane}: {progress}")
        details = Text("".join(f" · {part}" for part in (speed, extra) if part))
        help_hint = Text("  │ ? help", style="dim")
        width = self.size.width or 10_000
        room = width - head.cell_len - core.cell_len - help_hint.cell_len
        if room < 0:  # narrower than the app's minimum: the progress gives way too, "? help" stays
            core.truncate(max(core.cell_len + room, 1), overflow="ellipsis")
            room = 0
        resumed = Text()
        if remembered:  # shown before the pane, and given up for it in a narrow terminal
            names, suffix = ", ".join(remembered), ", remembered; --reset forgets"
            space = room - len("  │ ") - len(suffix)
            if space >= len(names.split(" ", 1)[0]) + 2 + len(names.rsplit("/", 1)[-1]):  # its file name fits
                resumed.append(f"  │ {middle_ellipsis(names, space)}{suffix}", style="bold magenta")
            elif room >= len(short := "  │ resumed; --reset forgets"):
                resumed.append(short, style="bold magenta")
        room -= resumed.cell_len
        if details.cell_len > room:  # a narrow terminal: the details give way, the progress and the hint stay
            details = Text() if room < 1 else details  # Rich's truncate(0) keeps everything
            details.truncate(max(room, 0), overflow="ellipsis")
        self.show_text(head + resumed + core + details + help_hint)


def middle_ellipsis(text: str, width: int) -> str:
    """text in at most width characters: its first word, an ellipsis and as much of its end as fits."""
    if len(text) <= width:
        return text
    first = text.split(" ", 1)[0] + " "
    tail = max(width - len(first) - 1, 1)
    return f"{first}…{text[-tail:]}"


class TabStrip(OneLine):
    """The panes as tabs, shown when only one pane fits (or one is maximized)."""

    DEFAULT_CSS = """
    TabStrip { height: 1; padding: 0 1; display: none; }
    """

    def show(self, titles: list[str], current: int, maximized: bool) -> None:
        """Highlight the current pane."""
        text = Text()
        for i, title in enumerate(titles):
            if i:
                text.append(" │ ", style="dim")
            text.append(f"{i + 1} {title}", style="bold reverse" if i == current else "")
        text.append("   tab/1-4 switch" + ("   z restore" if maximized else ""), style="dim")
        self.show_text(text)


class KeyBar(OneLine):
    """The keys of the focused widget, its pane and the app, in one line (a light stand-in for Footer).

    Textual's Footer rebuilds a widget per key whenever the bindings change (every focus change);
    this is one Static redrawn from `screen.active_bindings`.
    """

    DEFAULT_CSS = """
    KeyBar { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self.rebuild)

    def _bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self.rebuild)

    def rebuild(self) -> None:
        """Redraw from the active bindings (first the focused widget's, last the app's)."""
        text = Text(no_wrap=True, overflow="ellipsis")
        seen: set[str] = set()
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            if text:
                text.append("  ")
            text.append(self.app.get_key_display(binding), style="bold" if enabled else "dim")
            text.append(f" {binding.description}", style="" if enabled else "dim")
        text.append("  ^p palette", style="dim")
        self.show_text(text)
