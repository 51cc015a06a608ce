"""Every test runs with a temporary XDG config home: no test reads or writes the real preferences.

The suite runs with one BLAS thread, as the command line does (tui_dl/blas_threads.py): imported
here, before any test module imports numpy.
"""

from __future__ import annotations

import pytest

from tui_dl import blas_threads  # noqa: F401


@pytest.fixture(autouse=True)
def _private_config_home(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))
