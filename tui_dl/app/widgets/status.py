"""The status line, the tab strip and the key bar: what runs, where, and which keys do what now."""

from __future__ import annotations

from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static


class StatusLine(Static):
    """One line at the top, always visible."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def show(self, seed: int, paused: bool, pane: str, progress: str, speed: str, extra: str) -> None:
        """Update the line."""
        text = Text()
        text.append("tui-dl ", style="bold")
        text.append(f"seed {seed}", style="bold")
        text.append("  ")
        text.append("■ paused" if paused else "▶ running", style="bold yellow" if paused else "bold green")
        text.append(f"  │ {pane}: {progress}")
        if speed:
            text.append(f" · {speed}")
        if extra:
            text.append(f" · {extra}")
        help_hint = Text("  │ ? help", style="dim")
        room = self.size.width - len(help_hint.plain)
        if self.size.width and text.cell_len > room:  # a narrow terminal: the details give way, the hint stays
            text.truncate(max(room, 0), overflow="ellipsis")
        self.update(text + help_hint)


class TabStrip(Static):
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
        self.update(text)


class KeyBar(Static):
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
        self.update(text)
