"""Any terminal: `--ascii` and NO_COLOR pictures, the app flags, the SSH frame rate, leaving on SIGTERM.

The snapshots show the Optimizer paths and Overfitting panes maximized: several series each, so
the per-series markers that replace color are visible. Update with `--snapshot-update` only after
looking at the report.
"""

from __future__ import annotations

import asyncio
import signal
import xml.etree.ElementTree as ET

import pytest
from textual.app import App

from tui_dl import cli
from tui_dl.app import AppConfig, make_app
from tui_dl.app.app import TuiDlApp
from tui_dl.app.glyphs import ascii_wanted, glyph_mode, to_ascii
from tui_dl.app_commands import FPS, SSH_FPS, default_fps

SIZE = (120, 36)


def snapshot_of(drive, snap_compare, app, keys):
    """Snapshot of app after keys (pane choice, maximize) and 20 steps."""

    async def run_before(pilot) -> None:
        await drive.settle(pilot)
        await drive.press(pilot, *keys)
        await drive.steps(pilot, 20)

    return snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_ascii_snapshot(drive, snap_compare):
    app = make_app(AppConfig(autoplay=False, ascii=True, export_dir=drive.export_dir))
    assert snapshot_of(drive, snap_compare, app, ["4", "z"])


def test_no_color_snapshot(drive, snap_compare, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")  # Textual reads (and removes) it when the app is made
    app = make_app(AppConfig(autoplay=False, export_dir=drive.export_dir))
    assert app.no_color and glyph_mode(app) == "mono"
    assert snapshot_of(drive, snap_compare, app, ["3", "z"])


def test_ascii_screen_has_only_ascii_characters(drive):
    """Every cell of every pane, border, legend and the status line, on the dashboard."""
    svg = {}

    async def scenario(pilot, app) -> None:
        await drive.steps(pilot, 12)
        svg["text"] = app.export_screenshot()

    app = make_app(AppConfig(autoplay=False, ascii=True, export_dir=drive.export_dir))

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await drive.settle(pilot)
            await scenario(pilot, app)

    asyncio.run(main())
    root = ET.fromstring(svg["text"])
    cells = "".join("".join(node.itertext()) for node in root.iter("{http://www.w3.org/2000/svg}text"))
    shown = cells.replace("\xa0", " ")
    assert "Optimizer paths" in shown and "+--" in shown  # the panes are there, framed in ASCII
    assert shown.isascii(), sorted({c for c in shown if not c.isascii()})


def test_to_ascii_keeps_the_shape_and_the_width():
    assert to_ascii("┌─┬─┐") == "+-+-+" and to_ascii("│├┼┤") == "|+++" and to_ascii("└┴┘╭╮╰╯") == "+" * 7
    assert to_ascii("▁▄█ ⠁⣿ ▌▐ ● ◆ ✖ · σ ‖") == "_=# .: || @ # x . s |"
    assert to_ascii("plain text 1e-3") == "plain text 1e-3"
    assert to_ascii("中") == "中"  # wide: no one-cell stand-in, left alone


def test_ascii_turns_itself_on_in_the_linux_console():
    assert ascii_wanted(False, {"TERM": "linux"})
    assert not ascii_wanted(False, {"TERM": "xterm-256color"})
    assert ascii_wanted(True, {})


def test_fps_is_lower_over_ssh_unless_given():
    ssh = {"SSH_CONNECTION": "10.0.0.2 50000 10.0.0.1 22"}
    assert default_fps(None, ssh) == SSH_FPS < FPS == default_fps(None, {})
    assert default_fps(24.0, ssh) == 24.0


@pytest.fixture
def launched(monkeypatch, tmp_path):
    """The AppConfig that `tui-dl ...` would run the app with (the app is not started)."""
    configs: list[AppConfig] = []
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no remembered fps from the real preferences
    monkeypatch.setattr(TuiDlApp, "run", lambda self, **kwargs: configs.append(self.config))
    monkeypatch.setattr(cli, "has_terminal", lambda: True)
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    return configs


def test_cli_app_flags(launched, monkeypatch):
    assert cli.main([]) == 0
    assert launched[-1].fps == FPS and not launched[-1].ascii and launched[-1].mouse
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.2 50000 10.0.0.1 22")
    monkeypatch.setenv("TERM", "linux")
    assert cli.main([]) == 0
    assert launched[-1].fps == SSH_FPS and launched[-1].ascii
    assert cli.main(["--ascii", "--no-mouse", "--fps", "20"]) == 0
    assert launched[-1].ascii and not launched[-1].mouse and launched[-1].fps == 20


def test_no_mouse_reaches_textual(monkeypatch):
    seen = {}
    monkeypatch.setattr(App, "run", lambda self, **kwargs: seen.update(kwargs))
    make_app(AppConfig(mouse=False)).run()
    assert seen["mouse"] is False
    make_app(AppConfig()).run(mouse=True)  # the caller's word wins
    assert seen["mouse"] is True


def test_sigterm_quits_like_q_so_the_terminal_is_restored(drive):
    """A plain SIGTERM would end Python at once, leaving mouse tracking on; the app exits cleanly instead."""

    async def scenario(pilot, app) -> None:
        app._quit_on_signal(signal.SIGTERM, None)
        await pilot.pause()
        await pilot.pause()

    app = drive.run(scenario)
    assert app.return_code == 128 + signal.SIGTERM
