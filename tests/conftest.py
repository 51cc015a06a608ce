"""Every test runs with a temporary XDG config home: no test reads or writes the real preferences."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_config_home(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))
