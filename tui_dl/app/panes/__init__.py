"""The four panes, in dashboard order (keys 1-4)."""

from __future__ import annotations

from tui_dl.app.panes.initialization import InitializationPane
from tui_dl.app.panes.learning_rate import LearningRatePane
from tui_dl.app.panes.optimizer_paths import OptimizerPathsPane
from tui_dl.app.panes.overfitting import OverfittingPane

PANES = (LearningRatePane, InitializationPane, OverfittingPane, OptimizerPathsPane)

__all__ = ["PANES", "InitializationPane", "LearningRatePane", "OptimizerPathsPane", "OverfittingPane"]
