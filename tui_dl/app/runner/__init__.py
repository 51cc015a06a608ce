"""The only bridge between the app and `tui_dl.engine.experiments` (RULE 3).

`core.Runner` drives any pane model's job in thread workers; one module per pane holds the model
that turns the pane's settings into an experiment configuration.
"""

from __future__ import annotations

from tui_dl.app.runner.core import SPEEDS, FrameReady, Runner, speed_text
from tui_dl.app.runner.model import Job, PaneModel


def make_models() -> dict[str, PaneModel]:
    """A fresh model per pane, by kind, in dashboard order."""
    from tui_dl.app.runner.initialization import InitModel
    from tui_dl.app.runner.race import RaceModel
    from tui_dl.app.runner.schedules import ScheduleModel
    from tui_dl.app.runner.training import TrainModel

    return {model.kind: model for model in (ScheduleModel(), InitModel(), TrainModel(), RaceModel())}


__all__ = ["SPEEDS", "FrameReady", "Job", "PaneModel", "Runner", "make_models", "speed_text"]
