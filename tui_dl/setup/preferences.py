"""What tui-dl remembers between starts: the setup last saved with `w`, and the theme chosen in the palette.

Nothing else is remembered: flags such as `--fps` and `--config` apply to the start they are given
to. A plain `tui-dl` resumes the setup last saved with `w` (from any directory) and the theme, and
names both in the top line with the way to forget them (`tui-dl --reset`); `w` then writes to that
setup file again.

They live in `$XDG_CONFIG_HOME/tui-dl/preferences.toml` (`~/.config/tui-dl/` when the variable is
unset, empty or relative, as the XDG spec says); `tui-dl --reset` deletes the file. A value of the
wrong type is ignored rather than refused: preferences are a convenience, never a reason not to start.
Files of older versions also hold `fps` and `last_setup` (any setup loaded with `--config`): both are
ignored, and dropped at the next write.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tui_dl.setup.toml_io import SetupError, dumps, read_toml, write_atomically

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
        saved_setup: the setup file last written with `w`; resumed at start when no --config is given.
    """

    theme: str | None = None
    saved_setup: Path | None = None

    def to_document(self) -> dict[str, Any]:
        """The set values as a TOML document."""
        values = {"theme": self.theme, "saved_setup": None if self.saved_setup is None else str(self.saved_setup)}
        return {key: value for key, value in values.items() if value is not None}


def load_preferences(path: Path) -> Preferences:
    """The preferences in path (none set if it does not exist); SetupError if it is not TOML."""
    if not Path(path).exists():
        return Preferences()
    document, _ = read_toml(path)
    theme, saved = document.get("theme"), document.get("saved_setup")
    return Preferences(theme=theme if isinstance(theme, str) and theme else None,
                       saved_setup=Path(saved) if isinstance(saved, str) and saved else None)


def save_preferences(path: Path, preferences: Preferences) -> None:
    """Write the preferences (whole, never half a file), creating the directory; OSError if that fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "tui-dl preferences: what a plain tui-dl resumes (tui-dl --reset forgets them)"
    write_atomically(path, dumps(preferences.to_document(), header=header))


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
