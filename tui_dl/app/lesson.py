"""Lesson mode (`tui-dl lesson [NAME]`): the study note's claims one step at a time, with a caption bar.

Each step (tui_dl/lessons: lessons.toml and the texts of the chosen language) sets its pane up and
shows it maximized with the clock running. The bar under the status line says the claim, the verdict
line computed from the running experiment a few times a second (verdicts.py), the correction where
the note is wrong, what to look at and a key to try, in that order: a small terminal's bar is cut.
`.` and `,` go to the next and the previous step (across lessons), `esc` leaves the lesson and keeps
the setup for free play.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import Static

from tui_dl.app.model_types import Preset
from tui_dl.app.runner import SPEEDS
from tui_dl.lessons.catalog import Step, all_steps, lesson_title, lessons, step_text, ui_text
from tui_dl.lessons.verdicts import VERDICTS
from tui_dl.setup.presets import find_preset

if TYPE_CHECKING:
    from tui_dl.app.app import TuiDlApp

VERDICT_INTERVAL = 0.25  # seconds between verdict updates: a step's numbers move with its experiment


class LessonBar(Static):
    """The caption of the current step, under the status line (hidden once the lesson is left)."""

    DEFAULT_CSS = """
    LessonBar {
        height: auto; max-height: 30%; padding: 0 1; background: $accent 20%; color: $text;
    }
    Screen.-too-small LessonBar { display: none; }
    """


def step_preset(app: TuiDlApp, step: Step) -> Preset:
    """The step's setup as a Preset: its pane preset, then its panel values."""
    models = {kind: runner.model for kind, runner in app.runners.items()}
    found = find_preset(models, step.preset)
    if found is None:
        raise LookupError(f"lesson step {step.key}: no preset {step.preset!r}")
    _, preset = found
    model = models[step.pane]

    def apply() -> None:
        preset.apply()
        for key, value in step.settings.items():
            model.set(key, value)

    return Preset(preset.name, preset.help, apply)


def show_view(app: TuiDlApp, kind: str, view: str) -> None:
    """Cycle the pane's `v` views until it shows view (a no-op for "" or a view it has not)."""
    pane = app.pane(kind)
    if not view or view not in pane.VIEWS:
        return
    for _ in pane.VIEWS:
        if pane.view == view:
            return
        pane.action_cycle_view()


def caption(step: Step, language: str, verdict: str) -> Text:
    """The bar's lines: where we are, the claim, the verdict, the correction, what to look at, what to try."""
    steps = all_steps()
    number = [lesson.id for lesson in lessons()].index(step.lesson) + 1
    text = step_text(step, language)
    lines = Text()
    lines.append(f"{ui_text('lesson', language)} {number} · {lesson_title(step.lesson, language)} · "
                 f"{ui_text('step', language)} {steps.index(step) + 1}/{len(steps)}", style="bold")
    lines.append(f"   {ui_text('keys', language)}\n", style="dim")
    # most important first: a small terminal's bar ends where its height does
    for name, body, style in (("claim", text.claim, "bold"), ("verdict", verdict, "bold"),
                              ("correction", text.correction, "bold"), ("look", text.look, ""), ("try", text.try_, "")):
        if body:
            lines.append(f"{ui_text(name, language)}: ", style="bold")
            lines.append(f"{body}\n", style=style)
    lines.rstrip()
    return lines


def verdict_line(step: Step, language: str, frame: Any) -> str:
    """The step's verdict template filled from frame, or `computing ...` while it has too little to say."""
    values = VERDICTS[step.verdict](frame) if frame is not None else None
    if values is None:
        return ui_text("computing", language)
    return step_text(step, language).verdict.format_map(values)


class LessonMode:
    """The lesson's position, its bar and the timer that keeps the verdict current."""

    def __init__(self, app: TuiDlApp, bar: LessonBar, language: str, start: int = 0) -> None:
        self.app = app
        self.bar = bar
        self.language = language
        self.steps = all_steps()
        self.index = start
        self.active = True
        self.started = False
        """The first step is on screen (start runs after the app's first refresh)."""
        self._verdict = ""

    @property
    def step(self) -> Step:
        """The step on screen."""
        return self.steps[self.index]

    def start(self) -> None:
        """Show the first step and keep its verdict current."""
        self.show(self.index)
        self.app.set_interval(VERDICT_INTERVAL, self.refresh_verdict)
        self.started = True

    def show(self, index: int) -> None:
        """Set up step index (clamped): its preset and values, its pane maximized and running, its caption."""
        self.index = min(max(index, 0), len(self.steps) - 1)
        step = self.step
        self.app.apply_preset(step.pane, step_preset(self.app, step), announce=False)
        show_view(self.app, step.pane, step.view)
        if step.speed:
            runner = self.app.runners[step.pane]
            runner.faster(SPEEDS.index(step.speed) - runner.speed_index)
        self.app.maximized = True
        self.app.paused = False
        self._verdict = ""
        self.refresh_verdict()

    def move(self, direction: int) -> None:
        """The next (1) or previous (-1) step; the first and last stay where they are."""
        if self.active:
            self.show(self.index + direction)

    def refresh_verdict(self) -> None:
        """Recompute the verdict from the step's pane and redraw the bar if it changed."""
        if not self.active:
            return
        verdict = verdict_line(self.step, self.language, self.app.runners[self.step.pane].frame)
        if verdict != self._verdict:
            self._verdict = verdict
            self.bar.update(caption(self.step, self.language, verdict))

    def leave(self) -> None:
        """End the lesson: the bar goes, the setup stays for free play."""
        self.active = False
        self.bar.display = False
        self.app.notify(ui_text("left", self.language), timeout=4)
