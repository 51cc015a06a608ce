"""The app's side of setups while it runs: the setup and preset at start, `w` writing the setup, remembering.

Kept out of app.py so that the App only wires keys to these functions. The command line refuses a
bad `--config` before the app starts (launch.py); a bad setup that reaches the app (a remembered
one edited since, or an AppConfig built in code) never stops it: the models keep their defaults and
the error is shown. `w` is the one thing that remembers a setup for the next start.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tui_dl.app import AppConfig
from tui_dl.app.runner.model import PaneModel
from tui_dl.params import ParamError
from tui_dl.setup.file import SetupError, load_setup, save_setup
from tui_dl.setup.preferences import update_preferences
from tui_dl.setup.presets import find_preset

if TYPE_CHECKING:
    from tui_dl.app.app import TuiDlApp

DEFAULT_SETUP = "tui-dl-setup.toml"


@dataclass
class SetupState:
    """What the app knows about setup files in this session.

    Attributes:
        seed: the seed to start with (the setup's, if it has one).
        error: why the setup file or the preset was not used (shown at start), or None.
        notes: values of the setup file left out because its own choices no longer take them.
        resumed: the remembered setup this start loaded (named in the top line), or None.
        pane: the kind of the pane a preset was applied to (it gets the focus), or None.
        path: where `w` writes.
        own: files this session may overwrite without asking (the loaded setup, what `w` wrote).
        armed: a file `w` warned about; a second `w` overwrites it.
    """

    seed: int
    error: str | None = None
    notes: tuple[str, ...] = ()
    resumed: Path | None = None
    pane: str | None = None
    path: Path | None = None
    own: set[Path] = field(default_factory=set)
    armed: Path | None = None


def start_setup(config: AppConfig, models: dict[str, PaneModel]) -> SetupState:
    """Load config.setup and apply config.preset into models (before any runner starts)."""
    state = SetupState(seed=config.seed, path=config.setup)
    if config.setup is not None:
        try:
            loaded = load_setup(config.setup, models)
        except SetupError as error:
            if config.resumed is not None:  # w must not write over the file the user is fixing
                state.path = None
                state.error = f"remembered setup {error} (starting with the defaults; tui-dl --reset forgets it)"
            else:
                state.error = f"{error} (starting with the defaults)"
        else:
            state.seed = config.seed if config.seed_given or loaded.seed is None else loaded.seed
            state.notes = loaded.notes
            state.resumed = config.resumed
            state.own.add(config.setup.resolve())
    if config.preset is not None:
        found = find_preset(models, config.preset)
        if found is None:
            state.error = f"unknown preset {config.preset!r}"
        else:
            kind, preset = found
            try:
                preset.apply()
            except ParamError as error:  # a preset that no longer builds: a bug, but not a reason not to start
                state.error = f"preset {preset.name!r}: {error}"
            else:
                state.pane = kind
    return state


def write_setup(app: TuiDlApp) -> None:
    """`w`: write the current setup to this session's setup file or tui-dl-setup.toml, show where, remember it.

    This session's setup file is the one given with --config or resumed at start. The file written
    is what the next plain `tui-dl` resumes (and names in its top line).

    Without --config the file goes where `e` exports (AppConfig.export_dir, the working directory by default).

    A file that exists and was neither loaded nor written by this session is overwritten only on a
    second `w`, after a warning naming it.
    """
    state: SetupState = app.setup_state
    target = state.path or (app.config.export_dir or Path.cwd()) / DEFAULT_SETUP
    resolved = target.resolve()
    if target.exists() and resolved not in state.own and state.armed != resolved:
        state.armed = resolved
        app.notify(f"{target} exists and is not this session's setup: press w again to overwrite it",
                   severity="warning", timeout=6)
        return
    models = {kind: runner.model for kind, runner in app.runners.items()}
    try:
        save_setup(target, app.seed, models)
    except OSError as error:
        app.notify(f"cannot write the setup to {target}: {error.strerror or error}", severity="error")
        return
    verb = "overwrote" if state.armed == resolved else "setup written to"
    state.own.add(resolved)
    state.armed = None
    state.path = target
    remember(app.config, saved_setup=resolved)
    resumes = " (a plain tui-dl resumes it; tui-dl --reset forgets it)" if app.config.preferences else ""
    app.notify(f"{verb} {target}{resumes}", timeout=6)


def remember(config: AppConfig, **changes: object) -> None:
    """Update the preferences file, if this app has one; a failure to write is not worth a message."""
    if config.preferences is None:
        return
    with contextlib.suppress(OSError):
        update_preferences(config.preferences, **changes)
