"""Setups in the app and on the command line: --config, a bad file, `w`, --preset, --reset, preferences.

Nothing here touches the real home: preferences go to a temporary XDG_CONFIG_HOME, and the app
tests leave AppConfig.preferences off (as every other app test does).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from tui_dl.app import AppConfig, make_app
from tui_dl.app.app import TuiDlApp
from tui_dl.app.commands import palette_commands
from tui_dl.app.runner import make_models
from tui_dl.app.setups import DEFAULT_SETUP
from tui_dl.app.startup import find_preset, preset_slug
from tui_dl.cli import main
from tui_dl.engine.surfaces import SURFACES
from tui_dl.preferences import Preferences, load_preferences
from tui_dl.setup_file import load_setup, save_setup

CONFIG = AppConfig(seed=0, autoplay=False)


def run_app(drive, config: AppConfig, scenario=None, size=(120, 36)):
    """Start an app with config, settle, run scenario(pilot, app); returns the app."""
    app = make_app(config)

    async def go() -> None:
        async with app.run_test(size=size) as pilot:
            await drive.settle(pilot)
            if scenario is not None:
                await scenario(pilot, app)

    asyncio.run(go())
    return app


def notes(app) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


def a_setup(tmp_path: Path, seed: int = 5) -> tuple[Path, dict]:
    models = make_models()
    models["paths"].set("surface", "rosenbrock")
    models["train"].set("epochs", 40)
    return save_setup(tmp_path / "mine.toml", seed, models), models


@pytest.fixture
def xdg(tmp_path, monkeypatch) -> Path:
    """A temporary XDG config home; the preferences file inside it."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    return tmp_path / "xdg" / "tui-dl" / "preferences.toml"


# ------------------------------------------------------------------------------------ in the app
def test_config_loads_every_pane_and_the_seed(drive, tmp_path):
    path, models = a_setup(tmp_path)
    app = run_app(drive, replace(CONFIG, setup=path))
    assert app.seed == 5 and app.setup_state.error is None
    assert f"loaded {path}" in notes(app)
    for kind, runner in app.runners.items():
        assert runner.model.settings == models[kind].settings
        assert runner.seed == 5
    assert app.runners["paths"].frame.surface == SURFACES["rosenbrock"].summary  # what runs follows the file


def test_a_bad_file_starts_with_the_defaults_and_says_why(drive, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("seed = 3\n[optimizer_paths]\nsteps = 20\nracers = 9\n")
    app = run_app(drive, replace(CONFIG, setup=path))
    expected = f"{path}:4: optimizer_paths.racers = 9: expected an integer in [1, 6] (starting with the defaults)"
    assert app.setup_state.error == expected
    assert expected in notes(app)
    defaults = make_models()
    assert app.seed == 0
    assert all(runner.model.settings == defaults[kind].settings for kind, runner in app.runners.items())
    assert app.runners["paths"].frame is not None  # and it runs


def test_w_writes_the_setup_and_shows_the_path(drive, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    async def scenario(pilot, app):
        await drive.press(pilot, "s", "3", "w")  # a new seed, then the overfitting pane has the focus

    app = run_app(drive, CONFIG, scenario)
    target = tmp_path / DEFAULT_SETUP
    assert f"setup written to {target}" in notes(app)
    loaded = make_models()
    assert load_setup(target, loaded) == 1
    assert all(loaded[kind].settings == runner.model.settings for kind, runner in app.runners.items())


def test_w_writes_where_e_exports_without_config(drive, tmp_path):
    async def scenario(pilot, app):
        await drive.press(pilot, "w")

    app = run_app(drive, replace(CONFIG, export_dir=tmp_path), scenario)
    assert f"setup written to {tmp_path / DEFAULT_SETUP}" in notes(app)
    missing = tmp_path / "missing"
    app = run_app(drive, replace(CONFIG, export_dir=missing), scenario)
    assert notes(app) == [f"cannot write the setup to {missing / DEFAULT_SETUP}: No such file or directory"]


def test_w_asks_before_overwriting_a_file_it_did_not_write(drive, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    foreign = tmp_path / DEFAULT_SETUP
    foreign.write_text("# someone else's\n")

    async def scenario(pilot, app):
        await drive.press(pilot, "w")
        assert foreign.read_text() == "# someone else's\n"
        assert f"{foreign} exists and is not this session's setup: press w again to overwrite it" in notes(app)
        await drive.press(pilot, "w")
        assert f"overwrote {foreign}" in notes(app)
        await drive.press(pilot, "w")  # now it is this session's file: no more questions
        assert notes(app).count(f"setup written to {foreign}") == 1

    run_app(drive, CONFIG, scenario)
    assert load_setup(foreign, make_models()) == 0


def test_w_writes_back_to_the_config_path(drive, tmp_path):
    path, _ = a_setup(tmp_path)

    async def scenario(pilot, app):
        app.runners["train"].model.set("epochs", 77)
        await drive.press(pilot, "w")

    app = run_app(drive, replace(CONFIG, setup=path), scenario)
    assert f"setup written to {path}" in notes(app)
    loaded = make_models()
    load_setup(path, loaded)
    assert loaded["train"].settings["epochs"] == 77


def test_a_preset_at_start_focuses_its_pane(drive):
    app = run_app(drive, replace(CONFIG, preset="paths-rosenbrock-valley"))
    assert app.current_pane.KIND == "paths"
    assert app.runners["paths"].model.settings["surface"] == "rosenbrock"


def test_save_setup_is_in_the_palette(drive):
    async def scenario(pilot, app):
        assert "Save setup" in [command.title for command in palette_commands(app)]

    run_app(drive, CONFIG, scenario)


def test_preferences_remember_the_theme_and_the_setup(drive, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    prefs = tmp_path / "xdg" / "tui-dl" / "preferences.toml"

    async def scenario(pilot, app):
        assert app.theme == "nord"
        app.theme = "gruvbox"
        await drive.press(pilot, "w")

    run_app(drive, replace(CONFIG, preferences=prefs, theme="nord"), scenario)
    assert load_preferences(prefs) == Preferences(theme="gruvbox", last_setup=(tmp_path / DEFAULT_SETUP).resolve())


def test_presets_have_distinct_command_line_names():
    models = make_models()
    slugs = [preset_slug(preset.name) for model in models.values() for preset in model.presets()]
    assert len(slugs) == len(set(slugs)) >= 10
    assert preset_slug("Paths: Himmelblau's four minima") == "paths-himmelblaus-four-minima"
    assert find_preset(models, "PATHS: Himmelblau's four minima")[0] == "paths"
    assert find_preset(models, "no-such-preset") is None


# ------------------------------------------------------------------------------------ the command line
@pytest.fixture
def started(monkeypatch) -> list[TuiDlApp]:
    """The apps `tui-dl` would have run (run is replaced: no terminal in tests)."""
    apps: list[TuiDlApp] = []
    monkeypatch.setattr(TuiDlApp, "run", lambda self, *args, **kwargs: apps.append(self))
    monkeypatch.setattr("tui_dl.cli.has_terminal", lambda: True)
    return apps


def test_cli_preset(xdg, started, capsys):
    assert main(["--preset", "init-relu-xavier-vs-he"]) == 0
    assert (started[0].current, started[0].setup_state.pane) == (1, "init")
    assert started[0].runners["init"].model.settings["activation"] == "relu"
    with pytest.raises(SystemExit) as exit_:
        main(["--preset", "nope"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("tui-dl: error: unknown preset 'nope': expected one of: lr-adam-restarts-vs-step-vs-")
    assert "paths-rosenbrock-valley" in err


def test_cli_config_bad_file_goes_to_stderr_and_starts(xdg, started, capsys, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[overfitting]\nlr = -1\n")
    assert main(["--config", str(path)]) == 0
    assert capsys.readouterr().err == (f"tui-dl: {path}:2: overfitting.lr = -1: expected a float in (0, inf) "
                                       "(starting with the defaults)\n")
    assert started[0].runners["train"].model.settings == make_models()["train"].settings


def test_cli_remembers_fps_and_the_last_setup_until_reset(xdg, started, capsys, tmp_path):
    path, models = a_setup(tmp_path)
    assert main(["--fps", "12", "--config", str(path)]) == 0
    assert load_preferences(xdg) == Preferences(fps=12.0, last_setup=path.resolve())
    assert main([]) == 0
    again = started[-1]
    assert again.config.fps == 12.0 and again.config.setup == path.resolve() and again.seed == 5
    assert again.runners["paths"].model.settings == models["paths"].settings
    assert main(["--reset"]) == 0
    assert capsys.readouterr().err == f"tui-dl: forgot the preferences in {xdg}\n"
    fresh = started[-1]
    assert fresh.config.fps == 30.0 and fresh.config.setup is None and fresh.seed == 0
    assert not xdg.exists()
