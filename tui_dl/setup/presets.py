"""Named presets by their command-line names: `tui-dl --preset paths-rosenbrock-valley`.

Each pane model offers its presets (the palette's Preset commands); this module names them for the
command line and finds one by its slug or its palette name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_dl.app.model_types import Preset
    from tui_dl.app.runner.model import PaneModel


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


def unknown_preset(name: str) -> str | None:
    """Why `--preset name` cannot be used (one line listing every name), or None if it can."""
    from tui_dl.app.runner import make_models

    models = make_models()
    if find_preset(models, name) is not None:
        return None
    return f"unknown preset {name!r}: expected one of: {', '.join(slug for slug, _, _ in all_presets(models))}"
