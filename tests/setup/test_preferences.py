"""What is remembered between starts: the file, its place under XDG, and what older versions wrote in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_dl.setup.preferences import (
    Preferences,
    forget_preferences,
    load_preferences,
    preferences_path,
    save_preferences,
    update_preferences,
)
from tui_dl.setup.toml_io import SetupError


def test_preferences_path_follows_xdg(tmp_path):
    assert preferences_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "tui-dl" / "preferences.toml"
    home = Path.home() / ".config" / "tui-dl" / "preferences.toml"
    assert preferences_path({"XDG_CONFIG_HOME": "relative/dir"}) == home  # the XDG spec ignores relative paths
    assert preferences_path({}) == home


def test_preferences_save_update_and_forget(tmp_path):
    path = tmp_path / "cfg" / "tui-dl" / "preferences.toml"
    assert load_preferences(path) == Preferences()
    save_preferences(path, Preferences(theme="nord"))
    assert update_preferences(path, saved_setup=tmp_path / "s.toml") == Preferences("nord", tmp_path / "s.toml")
    assert load_preferences(path) == Preferences("nord", tmp_path / "s.toml")
    assert path.read_text() == ("# tui-dl preferences: what a plain tui-dl resumes (tui-dl --reset forgets them)\n"
                                f'theme = "nord"\nsaved_setup = "{tmp_path / "s.toml"}"\n')
    assert forget_preferences(path) and not path.exists()
    assert not forget_preferences(path)


def test_preferences_of_the_wrong_type_are_ignored(tmp_path):
    path = tmp_path / "preferences.toml"
    path.write_text('theme = 3\nsaved_setup = ""\n')
    assert load_preferences(path) == Preferences()
    path.write_text("theme = \n")
    with pytest.raises(SetupError, match=r"preferences\.toml:1: TOML syntax error"):
        load_preferences(path)
    assert update_preferences(path, theme="nord") == Preferences(theme="nord")  # a broken file is replaced


def test_what_older_versions_remembered_is_ignored_and_dropped_at_the_next_write(tmp_path):
    path = tmp_path / "preferences.toml"
    path.write_text('fps = 5.0\nlast_setup = "/somewhere/setup.toml"\ntheme = "nord"\n')
    assert load_preferences(path) == Preferences(theme="nord")  # not the rate, not a file loaded with --config
    update_preferences(path, theme="gruvbox")
    assert "fps" not in path.read_text() and "last_setup" not in path.read_text()
