"""From the command line to the app's config: `--config`, `--preset`, `--reset`, and what a start resumes.

A plain `tui-dl` resumes what the preferences remember (the setup last saved with `w`, the theme;
see preferences.py) and the config says so (`AppConfig.resumed`), for the top line. `--config FILE`
and `--preset NAME` are checked before the app starts: a bad one ends the program with one line and
exit status 2, as `tui-dl snapshot` does. Messages for stderr are returned, never printed here.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from tui_dl.app import AppConfig
from tui_dl.setup.file import SetupError, load_setup
from tui_dl.setup.preferences import Preferences, forget_preferences, load_preferences, preferences_path
from tui_dl.setup.presets import unknown_preset


def setup_problem(path: Path) -> str | None:
    """Why the setup file cannot be loaded (one line naming the file, line, key and what is allowed), or None.

    A dry run into fresh models, so that a command can refuse the file before it starts anything.
    """
    from tui_dl.app.runner import make_models

    try:
        load_setup(path, make_models())
    except SetupError as error:
        return str(error)
    return None


def launch_config(config: AppConfig, args: argparse.Namespace, parser: argparse.ArgumentParser,
                  environ: Mapping[str, str] | None = None) -> tuple[AppConfig, list[str]]:
    """The config with --config, --preset, --reset and the preferences applied, and notes for stderr.

    A bad --config or an unknown --preset ends the program (one line, exit status 2).
    """
    notes: list[str] = []
    if args.preset is not None and (problem := unknown_preset(args.preset)):
        parser.exit(2, f"tui-dl: error: {problem}\n")
    if args.config is not None and (problem := setup_problem(args.config)):
        parser.exit(2, f"tui-dl: error: {problem}\n")
    path = preferences_path(environ)
    if args.reset and forget_preferences(path):
        notes.append(f"forgot the preferences in {path} (the remembered setup and theme)")
    try:
        preferences = load_preferences(path)
    except SetupError as error:
        notes.append(f"{error}; ignoring the preferences")
        preferences = Preferences()
    setup, resumed = args.config, None
    if setup is None and preferences.saved_setup is not None:
        if preferences.saved_setup.is_file():
            setup = resumed = preferences.saved_setup
        else:
            notes.append(f"the setup last saved with w, {preferences.saved_setup}, is gone: starting without it "
                         "(tui-dl --reset forgets it)")
    return replace(config, setup=setup, resumed=resumed, preset=args.preset, preferences=path,
                   theme=preferences.theme), notes
