"""The command palette (ctrl+p): every action of the app and the panes, and every named preset."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand
from textual.binding import Binding

if TYPE_CHECKING:
    from tui_dl.app.app import TuiDlApp
    from tui_dl.app.panes.base import Pane

# the palette's own Quit and Maximize cover these
SKIPPED = ("quit", "maximize", "restore")


def palette_commands(app: TuiDlApp) -> Iterator[SystemCommand]:
    """One command per app binding, per shown pane binding, and per preset of every pane."""
    for binding in app.BINDINGS:
        if isinstance(binding, Binding) and binding.action not in SKIPPED:
            yield SystemCommand(binding.description, binding.tooltip or f"key {binding.key}",
                                _app_action(app, binding.action))
    yield SystemCommand("Maximize / restore", "key z: the current pane fills the screen", app.action_maximize)
    for pane in app.panes:
        for binding in pane.BINDINGS:
            if isinstance(binding, Binding) and binding.show:
                yield SystemCommand(f"{pane.TITLE}: {binding.description}", binding.tooltip or f"key {binding.key}",
                                    _pane_action(app, pane, binding.action))
    for kind, runner in app.runners.items():
        for preset in runner.model.presets():
            yield SystemCommand(f"Preset · {preset.name}", preset.help,
                                lambda kind=kind, preset=preset: app.apply_preset(kind, preset))


def _app_action(app: TuiDlApp, action: str) -> Callable[[], Any]:
    return lambda: app.run_action(action)


def _pane_action(app: TuiDlApp, pane: Pane, action: str) -> Callable[[], None]:
    def run() -> None:
        app.current = app.panes.index(pane)
        app.call_later(pane.run_action, action)

    return run
