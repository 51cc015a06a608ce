"""From the command line to an AppConfig: named presets, the setup file and the remembered preferences.

`tui-dl --preset NAME` takes a preset's slug (`paths-rosenbrock-valley`) or its palette name;
`--config FILE` loads a setup; without it the last setup loaded or written is loaded again;
`--reset` forgets every preference first. Messages for stderr are returned, never printed here.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from tui_dl.app import AppConfig
from tui_dl.app.runner.model import PaneModel
from tui_dl.app.settings import Preset
from tui_dl.preferences import Preferences, forget_preferences, load_preferences, preferences_path, update_preferences
from tui_dl.setup_file import SetupError


def preset_slug(name: str) -> str:
    """The command-line name of a preset: `Paths: Himmelblau's four minima` -> `paths-himmelblaus-four-minima`."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("'", "")).strip("-")


def all_presets(models: Mapping[str, PaneModel]) -> list[tuple[str, str, Preset]]:
    """(slug, pane kind, preset) of every pane's presets, in dashboard order."""
    return [(preset_slug(preset.name), kind, preset) for kind, model in models.items() for preset in model.presets()]


def find_preset(models: Mapping[str, PaneModel], name: str) -> tuple[str, Preset] | None:
    """(pane kind, preset) called name (its slug, or its palette name in any case), else None."""
    wanted = name.strip().lower()
    for slug, kind, preset in all_presets(models):
        if wanted in (slug, preset.name.lower()):
            return kind, preset
    return None


def launch_config(config: AppConfig, args: argparse.Namespace, parser: argparse.ArgumentParser,
                  environ: Mapping[str, str] | None = None) -> tuple[AppConfig, list[str]]:
    """The config with --config, --preset, --reset and the preferences applied, and notes for stderr.

    An unknown preset ends the program (one line listing the names, exit status 2). An --fps on the
    command line is remembered; without one, the remembered rate is used.
    """
    from tui_dl.app.runner import make_models

    notes: list[str] = []
    path = preferences_path(environ)
    if args.reset and forget_preferences(path):
        notes.append(f"forgot the preferences in {path}")
    try:
        preferences = load_preferences(path)
    except SetupError as error:
        notes.append(f"{error}; ignoring the preferences")
        preferences = Preferences()
    if args.preset is not None and find_preset(make_models(), args.preset) is None:
        names = ", ".join(slug for slug, _, _ in all_presets(make_models()))
        parser.exit(2, f"tui-dl: error: unknown preset {args.preset!r}: expected one of: {names}\n")
    fps_given = args.fps != parser.get_default("fps")
    if fps_given:
        preferences = _remember(path, notes, fps=args.fps)
    fps = config.fps if fps_given or preferences.fps is None else preferences.fps
    setup: Path | None = args.config
    if setup is None and preferences.last_setup is not None and preferences.last_setup.is_file():
        setup = preferences.last_setup
    return replace(config, fps=fps, setup=setup, preset=args.preset, preferences=path,
                   theme=preferences.theme), notes


def _remember(path: Path, notes: list[str], **changes: object) -> Preferences:
    try:
        return update_preferences(path, **changes)
    except OSError as error:
        notes.append(f"cannot write the preferences to {path}: {error.strerror or error}")
        return Preferences(**changes)  # type: ignore[arg-type]
