"""The lessons and their texts: lessons.toml (what each step sets up) and text/<language>.toml (what it says).

A lesson follows one section of the study note; each step sets one pane up (a preset, panel values, a
view), says the note's claim in its own words, what to look at and a key to try, and, where the note
is wrong, the correction with the frameworks' names. Its verdict line is a template filled with the
numbers a function of verdicts.py computes from the running experiment.

Standard library only (tomllib): `tui-dl lesson --list` prints the lessons without importing Textual.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from tui_dl.params import ParamError

HERE = Path(__file__).parent
LANGUAGES = ("en", "ko")
DEFAULT_LANGUAGE = "en"
TEXT_FIELDS = ("claim", "look", "try", "verdict")  # every step has these; `correction` where the note is wrong


@dataclass(frozen=True)
class StepText:
    """What a step says, in one language. verdict is a str.format template over the verdict's numbers."""

    claim: str
    look: str
    try_: str
    verdict: str
    correction: str = ""


@dataclass(frozen=True)
class Step:
    """One step: the pane it shows, how it is set up, the function of its verdict, and its texts by language.

    Attributes:
        lesson, id: the lesson's id and the step's (`optimizers`, `momentum-zigzag`).
        pane: the pane kind (lr, init, train, paths), shown maximized.
        preset: the pane preset applied first (its command-line slug, as `--preset` takes it).
        settings: panel values set after the preset (`{"view": "step"}`).
        view: what the pane draws (one of its `v` views), or "" to keep it.
        verdict: the name of the function in verdicts.py.
        speed: steps (or epochs) a frame to run at, or 0 for the pane's own.
    """

    lesson: str
    id: str
    pane: str
    preset: str
    settings: Mapping[str, Any]
    view: str
    verdict: str
    speed: float = 0

    @property
    def key(self) -> str:
        """`lesson.step`."""
        return f"{self.lesson}.{self.id}"


@dataclass(frozen=True)
class Lesson:
    """One section of the note and its steps."""

    id: str
    steps: tuple[Step, ...] = field(default_factory=tuple)


@cache
def lessons() -> tuple[Lesson, ...]:
    """Every lesson in order, from lessons.toml."""
    with open(HERE / "lessons.toml", "rb") as file:
        document = tomllib.load(file)
    return tuple(
        Lesson(entry["id"], tuple(
            Step(entry["id"], step["id"], step["pane"], step["preset"], dict(step.get("set", {})),
                 step.get("view", ""), step["verdict"], step.get("speed", 0))
            for step in entry["step"]))
        for entry in document["lesson"])


def all_steps() -> list[Step]:
    """Every step of every lesson, in order (what `.` walks through, across lessons)."""
    return [step for lesson in lessons() for step in lesson.steps]


@cache
def _texts(language: str) -> dict[str, Any]:
    with open(HERE / "text" / f"{language}.toml", "rb") as file:
        return tomllib.load(file)


def lesson_title(lesson: str, language: str) -> str:
    """The lesson's title in language."""
    return _texts(language)[lesson]["title"]


def step_text(step: Step, language: str) -> StepText:
    """The step's texts in language."""
    entry = _texts(language)[step.lesson][step.id]
    return StepText(entry["claim"], entry["look"], entry["try"], entry["verdict"], entry.get("correction", ""))


def ui_text(name: str, language: str) -> str:
    """A line of the lesson bar itself (`[ui]` of the text file): key hints, `computing ...`."""
    return _texts(language)["ui"][name]


def find_start(name: str | None) -> int:
    """Index in all_steps() of the lesson (`optimizers`) or step (`optimizers.adam`) name; 0 for None.

    Raises ParamError naming the allowed names.
    """
    steps = all_steps()
    if name is None:
        return 0
    for index, step in enumerate(steps):
        if name in (step.lesson, step.key):
            return index
    allowed = ", ".join(lesson.id for lesson in lessons())
    raise ParamError(f"unknown lesson {name!r}: expected one of {allowed} (or LESSON.STEP, see tui-dl lesson --list)")


def choose_language(asked: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """`--lang`, else the locale as gettext reads it: LC_ALL, then LC_MESSAGES, then LANG (ko_KR.UTF-8 -> ko)."""
    if asked is not None:
        if asked not in LANGUAGES:
            raise ParamError(f"bad value {asked!r} for --lang: expected one of {', '.join(LANGUAGES)}")
        return asked
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "")
        if value:  # the first one set decides, as in POSIX
            code = value.split(".")[0].split("_")[0].lower()
            return code if code in LANGUAGES else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def listing(language: str) -> str:
    """The lessons and their steps as `tui-dl lesson --list` prints them."""
    lines = []
    for number, lesson in enumerate(lessons(), 1):
        lines.append(f"{number}. {lesson.id}: {lesson_title(lesson.id, language)}")
        for index, step in enumerate(lesson.steps, 1):
            lines.append(f"   {number}.{index} {step.key}: {step_text(step, language).claim}")
    return "\n".join(lines) + "\n"
