"""Lessons without the UI: every step's setup builds, every text exists in every language, and each
verdict's numbers back (or refute) its claim as computed by the real engine."""

from __future__ import annotations

import functools
import io
import re
import string
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest

from tui_dl.app.runner import make_models
from tui_dl.cli import main
from tui_dl.lessons.catalog import (
    LANGUAGES,
    TEXT_FIELDS,
    all_steps,
    choose_language,
    find_start,
    lesson_title,
    lessons,
    step_text,
)
from tui_dl.lessons.verdicts import VERDICTS
from tui_dl.params import ParamError
from tui_dl.setup.presets import find_preset

STEPS = {step.key: step for step in all_steps()}


@functools.cache
def frame_after(key: str, steps: int):
    """The step's pane set up as the lesson does, after `steps` steps of its experiment."""
    step = STEPS[key]
    models = make_models()
    _, preset = find_preset(models, step.preset)
    preset.apply()
    model = models[step.pane]
    for name, value in step.settings.items():
        model.set(name, value)
    job = model.checked_job()
    state = job.init(np.random.default_rng(0))
    return job.frame(job.step(state, steps) if job.horizon else state)


def verdict(key: str, steps: int) -> dict:
    values = VERDICTS[STEPS[key].verdict](frame_after(key, steps))
    assert values is not None
    return values


def numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]


def test_the_four_sections_of_the_note_in_order():
    assert [lesson.id for lesson in lessons()] == ["learning-rate", "initialization", "overfitting", "optimizers"]
    assert all(len(lesson.steps) >= 3 for lesson in lessons())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_step_has_every_text_and_its_verdict_names_only_what_its_function_gives(language):
    for lesson in lessons():
        assert lesson_title(lesson.id, language)
        for step in lesson.steps:
            text = step_text(step, language)
            assert all(getattr(text, "try_" if name == "try" else name) for name in TEXT_FIELDS), step.key
            names = {field for _, field, _, _ in string.Formatter().parse(text.verdict) if field}
            values = VERDICTS[step.verdict](frame_after(step.key, 60))
            assert values is not None and names <= set(values), (step.key, names - set(values or {}))
            assert text.verdict.format_map(values)


def test_the_korean_texts_are_korean_and_the_english_ones_are_not():
    hangul = re.compile(r"[\uac00-\ud7a3]")
    for step in all_steps():
        assert hangul.search(step_text(step, "ko").claim), step.key
        assert not hangul.search(step_text(step, "en").claim), step.key


def test_every_step_builds_within_the_live_limit():
    for key in STEPS:
        frame_after(key, 1)


def test_a_rate_too_large_diverges_while_adam_arrives():
    values = verdict("learning-rate.too-high", 100)
    assert values["first"] == "SGD" and values["first_distance"] > 10 * values["start_distance"]
    assert values["last"] == "Adam" and values["last_distance"] < 0.1


def test_only_adagrad_s_effective_step_never_rises():
    table = dict(part.split(": ", 1) for part in verdict("optimizers.adagrad-shrinks", 60)["table"].split(" · "))
    rises = {label.split()[0]: int(text.rsplit("\u2191", 1)[1]) for label, text in table.items()}
    first, last = (numbers(table["Adagrad 0.01"].split("\u2191")[0])[i] for i in (0, -1))
    assert rises["Adagrad"] == 0 and last < first / 3
    assert rises["RMSprop"] > 5 and rises["Adam"] > 5  # a moving average rises and falls


def test_n01_saturates_sigmoid_and_n001_squeezes_it_to_a_point():
    values = verdict("initialization.fixed-std", 10)
    assert values["layer"] == 5 and values["share"] > 0.5 and values["second_std"] < 0.02


def test_he_keeps_relu_outputs_even_and_xavier_lets_them_shrink():
    table = dict(part.split(": ", 1) for part in verdict("initialization.he", 10)["table"].split(" · "))
    he, xavier = (numbers(table[name]) for name in ("He", "Xavier"))
    assert 0.5 < he[1] / he[0] < 2 and xavier[1] / xavier[0] < 0.5


def test_weight_decay_narrows_the_gap_between_validation_and_training_loss():
    table = dict(part.split(": ", 1) for part in verdict("overfitting.weight-decay", 100)["table"].split(" · "))
    val = {label: numbers(text)[0] for label, text in table.items()}
    gap = {label: np.subtract(*numbers(text)) for label, text in table.items()}
    assert gap["L2 1e-3"] < 0.7 * gap["none"] and val["L2 1e-3"] < val["none"]  # 0.131 against 0.222
    assert val["L2 0.01"] > 1.5 * val["none"]  # too strong: it underfits


def test_early_stopping_stops_before_the_end_at_a_better_validation_loss():
    values = verdict("overfitting.early-stopping", 60)
    stops = re.findall(r"\u2716(\d+) \u25c6(\d+) ([\d.]+)", values["table"])
    assert stops and all(int(stop) < 60 and int(best) < int(stop) for stop, best, _ in stops)
    assert all(float(loss) < values["none_loss"] for _, _, loss in stops)


def test_momentum_damps_the_zigzag_the_note_says_it_follows():
    flips = dict(part.split(": ") for part in verdict("optimizers.momentum-zigzag", 100)["flips"].split(" · "))
    assert int(flips["SGD"]) == 100 and int(flips["Momentum"]) < 20


def test_momentum_crosses_the_ridge_that_holds_sgd_in_the_shallow_well():
    values = verdict("optimizers.momentum-escapes", 300)
    assert (values["crossed"], values["stayed"]) == ("Momentum", "SGD")


def test_on_rastrigin_momentum_helps_or_hurts_by_its_value():
    counts = dict(part.split(": ") for part in verdict("optimizers.momentum-basins", 2000)["table"].split(" · "))
    assert counts == {"momentum 0": "16", "momentum 0.5": "16", "momentum 0.9": "4", "momentum 0.98": "64"}


def test_the_sweep_s_largest_rates_diverge_and_its_smallest_barely_move():
    values = verdict("learning-rate.too-low-too-high", 30)
    assert values["diverged"] == "31.6, 100" and values["slow"] == "1e-4, 3.16e-4"
    assert 0.1 < values["best"] < 1 and 0.1 < values["suggested"] < 1


def test_momentum_leaves_the_saddle_far_faster_than_sgd():
    losses = dict(part.split(": ") for part in verdict("optimizers.saddle", 60)["table"].split(" · "))
    assert float(losses["Momentum"]) < 100 * float(losses["SGD"]) < 0


@pytest.mark.parametrize(("environ", "language"), [
    ({"LANG": "ko_KR.UTF-8"}, "ko"), ({"LC_ALL": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, "ko"),
    ({"LC_ALL": "C", "LANG": "ko_KR.UTF-8"}, "en"), ({"LC_MESSAGES": "ko_KR", "LANG": "en_GB"}, "ko"),
    ({"LANG": "de_DE.UTF-8"}, "en"), ({}, "en")])
def test_the_language_follows_the_locale_as_gettext_reads_it(environ, language):
    assert choose_language(None, environ) == language
    assert choose_language("en", environ) == "en"


def test_a_step_is_found_by_its_lesson_or_its_full_name_and_a_bad_one_is_refused():
    assert find_start(None) == 0 and all_steps()[find_start("initialization")].key == "initialization.fixed-std"
    assert all_steps()[find_start("optimizers.adam")].key == "optimizers.adam"
    with pytest.raises(ParamError, match=r"unknown lesson 'nope': expected one of learning-rate, initialization"):
        find_start("nope")


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("language", "title"), [("en", "Learning rate and its schedules"), ("ko", "학습률과")])
def test_lesson_list_prints_every_step_in_the_language(language, title):
    status, out, _ = run(["lesson", "--list", "--lang", language])
    lines = out.splitlines()
    assert status == 0 and lines[0].startswith(f"1. learning-rate: {title}")
    assert sum(line.startswith("   ") for line in lines) == len(all_steps())


def test_an_unknown_lesson_is_one_line_and_status_2():
    status, out, err = run(["lesson", "momentum"])
    assert status == 2 and out == "" and err.startswith("tui-dl: error: unknown lesson 'momentum'")
    assert len(err.splitlines()) == 1
