"""Preferences that outlive a session: the theme, the frame rate and the last setup file.

They live in `$XDG_CONFIG_HOME/tui-dl/preferences.toml` (`~/.config/tui-dl/` when the variable is
unset, empty or relative, as the XDG spec says); `tui-dl --reset` deletes the file. A value of the
wrong type is ignored rather than refused: preferences are a convenience, never a reason not to start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tui_dl.setup_file import SetupError, dumps, read_toml

FILE_NAME = "preferences.toml"


def preferences_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the preferences file is (whether or not it exists)."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "tui-dl" / FILE_NAME


@dataclass(frozen=True)
class Preferences:
    """What is remembered; None means not set (the app's default applies).

    Attributes:
        theme: the Textual theme's name (chosen in the command palette).
        fps: the clock's frames per second, from the last `--fps`.
        last_setup: the setup file last loaded or written; loaded at start when no --config is given.
    """

    theme: str | None = None
    fps: float | None = None
    last_setup: Path | None = None

    def to_document(self) -> dict[str, Any]:
        """The set values as a TOML document."""
        values = {"theme": self.theme, "fps": self.fps,
                  "last_setup": None if self.last_setup is None else str(self.last_setup)}
        return {key: value for key, value in values.items() if value is not None}


def load_preferences(path: Path) -> Preferences:
    """The preferences in path (none set if it does not exist); SetupError if it is not TOML."""
    if not Path(path).exists():
        return Preferences()
    document, _ = read_toml(path)
    theme, fps, last = document.get("theme"), document.get("fps"), document.get("last_setup")
    return Preferences(
        theme=theme if isinstance(theme, str) and theme else None,
        fps=float(fps) if isinstance(fps, (int, float)) and not isinstance(fps, bool) and 0 < fps <= 240 else None,
        last_setup=Path(last) if isinstance(last, str) and last else None)


def save_preferences(path: Path, preferences: Preferences) -> None:
    """Write the preferences, creating the directory; OSError if that fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(preferences.to_document(), header="tui-dl preferences (tui-dl --reset forgets them)"),
                    encoding="utf-8")


def update_preferences(path: Path, **changes: Any) -> Preferences:
    """Read, change and write back some preferences; a broken file is replaced. OSError if unwritable."""
    try:
        current = load_preferences(path)
    except SetupError:
        current = Preferences()
    updated = replace(current, **changes)
    save_preferences(path, updated)
    return updated


def forget_preferences(path: Path) -> bool:
    """Delete the preferences file; whether there was one."""
    try:
        Path(path).unlink()
    except FileNotFoundError:
        return False
    return True
