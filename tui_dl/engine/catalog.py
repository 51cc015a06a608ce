"""Every catalog of the engine by kind, for the CLI, `--list`, config files and the UI panel."""

from __future__ import annotations

from tui_dl.engine.activations import ACTIVATIONS
from tui_dl.engine.datasets import DATASETS
from tui_dl.engine.initializers import INITIALIZERS
from tui_dl.engine.optimizers import OPTIMIZERS
from tui_dl.engine.schedules import SCHEDULES
from tui_dl.engine.surfaces import SURFACES
from tui_dl.params import Catalog

CATALOGS: dict[str, Catalog] = {
    catalog.kind: catalog for catalog in (SCHEDULES, OPTIMIZERS, INITIALIZERS, ACTIVATIONS, SURFACES, DATASETS)
}
