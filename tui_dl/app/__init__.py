"""The Textual app. `make_app(cfg)` is the one factory the CLI and the tests use.

Importing this package imports Textual; the headless CLI (`tui-dl export`) never does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_dl.app.app import TuiDlApp

# Textual writes a screen update at most TEXTUAL_FPS times a second (60 by default), so a key's
# result waited up to 17 ms for the next slot; the clock, not this cap, sets how often the plots
# change, so 120 halves that wait and costs nothing between keys. Read when Textual is imported.
os.environ.setdefault("TEXTUAL_FPS", "120")


@dataclass(frozen=True)
class AppConfig:
    """How the app starts.

    Attributes:
        seed: seed of every experiment's Generator (shown in the status line; `s` moves to the next).
        seed_given: seed was asked for (`--seed`): it wins over the setup file's seed (the file's wins over
            the default).
        fps: frames per second of the clock (each frame every running pane takes its steps).
        autoplay: start the clock; tests pass False and drive time with the step key `n`.
        export_dir: where `e` writes the focused pane's data (the working directory by default).
        ascii: draw with ASCII characters only (fonts without braille or box drawing, TERM=linux).
        mouse: let the app take the mouse (off: the terminal keeps it for selecting text).
        setup: a setup file loaded at start (`--config`, or the remembered one); a bad one is reported and
            the defaults are used. `w` writes the current setup there (or to tui-dl-setup.toml in export_dir).
        resumed: the setup file when it was not given but remembered (the top line names it), else None.
        preset: a preset's slug or name applied at start (`--preset`), after the setup.
        preferences: the preferences file that the theme and the setup saved with `w` are remembered in;
            None (the default, and what tests use) reads and writes no preferences.
        theme: the remembered Textual theme to start with (None: Textual's default); the top line names it.
        demo: run the autoplay tour of panes and presets with a caption (`--demo`); any key stops it.
        lesson: start in lesson mode at this step (an index into tui_dl.lessons' steps), or None.
        language: of the lessons and the demo's captions (`--lang`, else the locale): en or ko.
    """

    seed: int = 0
    seed_given: bool = False
    fps: float = 30.0
    autoplay: bool = True
    export_dir: Path | None = None
    ascii: bool = False
    mouse: bool = True
    setup: Path | None = None
    resumed: Path | None = None
    preset: str | None = None
    preferences: Path | None = None
    theme: str | None = None
    demo: bool = False
    lesson: int | None = None
    language: str = "en"


def make_app(cfg: AppConfig | None = None) -> TuiDlApp:
    """The app, configured."""
    from tui_dl.app.app import TuiDlApp

    return TuiDlApp(cfg or AppConfig())


__all__ = ["AppConfig", "make_app"]
