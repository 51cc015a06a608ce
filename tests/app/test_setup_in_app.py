"""Setups in the app and on the command line: --config, a bad file, `w`, --preset, --reset, what is remembered.

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
from tui_dl.cli import main
from tui_dl.engine.surfaces import SURFACES
from tui_dl.setup.file import LoadedSetup, load_setup, save_setup
from tui_dl.setup.preferences import Preferences, load_preferences
from tui_dl.setup.presets import find_preset, preset_slug
from tui_dl.setup.session import DEFAULT_SETUP

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
    assert load_setup(target, loaded) == LoadedSetup(1)
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
    assert load_setup(foreign, make_models()) == LoadedSetup(0)


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

    app = run_app(drive, replace(CONFIG, preferences=prefs, theme="nord"), scenario)
    target = (tmp_path / DEFAULT_SETUP).resolve()
    assert load_preferences(prefs) == Preferences(theme="gruvbox", saved_setup=target)
    assert notes(app)[-1] == f"setup written to {tmp_path / DEFAULT_SETUP} (a plain tui-dl resumes it; " \
                             "tui-dl --reset forgets it)"


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


def test_cli_refuses_a_bad_config_as_snapshot_does(xdg, started, capsys, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[overfitting]\nlr = -1\n")
    with pytest.raises(SystemExit) as exit_:
        main(["--config", str(path)])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == f"tui-dl: error: {path}:2: overfitting.lr = -1: expected a float in (0, inf)\n"
    assert started == []  # no app
    assert main(["snapshot", "paths", "--config", str(path), "-o", str(tmp_path / "x.svg")]) == 2
    assert capsys.readouterr().err == f"tui-dl: error: {path}:2: overfitting.lr = -1: expected a float in (0, inf)\n"
    assert not (tmp_path / "x.svg").exists()


def test_cli_flags_are_not_remembered(xdg, started, capsys, tmp_path):
    path, _ = a_setup(tmp_path)
    assert main(["--fps", "12", "--config", str(path)]) == 0
    assert (started[0].config.fps, started[0].config.setup, started[0].seed) == (12.0, path, 5)
    assert not xdg.exists()  # neither the rate nor the file is remembered
    assert main([]) == 0
    again = started[-1]
    assert (again.config.fps, again.config.setup, again.config.resumed, again.seed) == (30.0, None, None, 0)
    assert again.runners["paths"].model.settings == make_models()["paths"].settings
    assert capsys.readouterr().err == ""


def test_older_preferences_of_fps_and_last_setup_are_ignored(xdg, started, tmp_path):
    path, _ = a_setup(tmp_path)
    xdg.parent.mkdir(parents=True)
    xdg.write_text(f'fps = 5.0\nlast_setup = "{path}"\ntheme = "nord"\n')
    assert main([]) == 0
    assert (started[0].config.fps, started[0].config.setup, started[0].config.theme) == (30.0, None, "nord")


def saved_with_w(drive, tmp_path, xdg) -> Path:
    """A setup saved with `w` in an app that keeps preferences (the overfitting pane's epochs set to 77)."""
    async def scenario(pilot, app):
        app.runners["train"].model.set("epochs", 77)
        await drive.press(pilot, "w")

    run_app(drive, replace(CONFIG, preferences=xdg, export_dir=tmp_path), scenario)
    return tmp_path / DEFAULT_SETUP


def test_the_setup_saved_with_w_is_resumed_from_anywhere_and_named_in_the_top_line(
        drive, xdg, started, tmp_path, monkeypatch, capsys):
    saved = saved_with_w(drive, tmp_path, xdg)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main([]) == 0
    config = replace(started[-1].config, autoplay=False)
    assert (config.setup, config.resumed) == (saved.resolve(), saved.resolve())
    assert capsys.readouterr().err == ""

    async def scenario(pilot, app):
        assert app.runners["train"].model.settings["epochs"] == 77
        line = str(app.query_one("#status").content)
        # at 120 columns the file name does not fit beside the pane's progress, which stays: the short form
        assert line.startswith("tui-dl seed 0  ■ paused  │ resumed; --reset forgets  │ Learning rate: step 0/1000")
        assert line.endswith("│ ? help")
        await drive.press(pilot, "w")  # this session's setup: written back, no question

    app = run_app(drive, config, scenario)

    async def wide(pilot, app):
        line = str(app.query_one("#status").content)
        assert f"│ setup {saved.resolve()}, remembered; --reset forgets  │ Learning rate: " in line

    run_app(drive, config, wide, size=(250, 40))
    assert notes(app)[-1].startswith(f"setup written to {saved.resolve()} (a plain tui-dl resumes it")
    assert not (elsewhere / DEFAULT_SETUP).exists()
    assert main(["--reset"]) == 0
    assert capsys.readouterr().err == f"tui-dl: forgot the preferences in {xdg} (the remembered setup and theme)\n"
    fresh = started[-1]
    assert (fresh.config.setup, fresh.config.resumed, fresh.seed) == (None, None, 0)
    assert not xdg.exists() and saved.exists()  # the file itself is the user's: kept


def test_a_theme_and_nothing_else_remembered_is_named_too(drive):
    async def scenario(pilot, app):
        assert "theme nord, remembered; --reset forgets" in str(app.query_one("#status").content)

    run_app(drive, replace(CONFIG, theme="nord"), scenario)

    async def plain(pilot, app):
        assert "remembered" not in str(app.query_one("#status").content)

    run_app(drive, CONFIG, plain)


def test_a_remembered_setup_edited_badly_starts_the_defaults_and_w_leaves_it_alone(
        drive, xdg, started, tmp_path, capsys):
    saved = saved_with_w(drive, tmp_path, xdg)
    saved.write_text(saved.read_text().replace("epochs = 77", "epochs = 0"))
    broken = saved.read_text()
    assert main([]) == 0
    lines = broken.splitlines()
    table = lines.index("[overfitting]")  # other tables have an epochs too (the schedule race's)
    number = next(i for i, text in enumerate(lines, 1) if i > table and text.startswith("epochs"))
    line = f"{saved.resolve()}:{number}"
    assert capsys.readouterr().err == (f"tui-dl: remembered setup {line}: overfitting.epochs = 0: expected an integer "
                                       "in [1, 1000000] (starting with the defaults; tui-dl --reset forgets it)\n")
    config = started[-1].config

    async def scenario(pilot, app):
        assert "remembered" not in str(app.query_one("#status").content)  # nothing was resumed
        await drive.press(pilot, "w")  # the default file is the broken one: w asks first
        assert saved.read_text() == broken

    run_app(drive, replace(config, export_dir=tmp_path), scenario)


def test_what_was_remembered_gives_way_to_the_pane_s_progress_in_a_narrow_terminal(drive):
    from tui_dl.app.widgets.status import StatusLine

    remembered = ["setup /home/teacher/a/very/long/path/to/the/lessons/of/week/three/tui-dl-setup.toml"]
    for width, kept in ((160, "/tui-dl-setup.toml, remembered; --reset forgets"),
                        (100, "resumed; --reset forgets"), (70, None)):
        line = StatusLine()
        line._size = None
        text = _status_text(line, width, remembered)
        assert "│ Overfitting: epoch 12/200" in text and text.endswith("│ ? help") and len(text) <= width, text
        assert (kept in text) if kept else "remembered" not in text and "resumed" not in text, text


def _status_text(line, width, remembered):
    """StatusLine.show at this width, as text."""
    from textual.geometry import Size

    shown = []
    line.update = lambda content, **_: shown.append(str(content))
    type(line).size = property(lambda self: Size(width, 1))
    try:
        line.show(0, False, "Overfitting", "epoch 12/200", "1 epoch/frame", "loss, linear scale", remembered)
    finally:
        del type(line).size
    return shown[-1]


def test_a_seed_given_on_the_command_line_wins_over_the_setup_file_s(xdg, started, tmp_path):
    """`--seed 7 --config FILE` started with the file's seed 0 and said nothing."""
    path, _ = a_setup(tmp_path, seed=5)
    assert main(["--seed", "7", "--config", str(path)]) == 0
    assert started[-1].seed == 7 and all(runner.seed == 7 for runner in started[-1].runners.values())
    assert main(["--config", str(path)]) == 0
    assert started[-1].seed == 5  # not given: the file's
    assert main(["--seed", "0", "--config", str(path)]) == 0
    assert started[-1].seed == 0  # given, even as the default value
