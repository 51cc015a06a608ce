"""The runner without the UI: workers run inline, messages are collected; generations, speeds, errors."""

from __future__ import annotations

import ast
import tracemalloc
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tui_dl.app.model_types import Selection
from tui_dl.app.runner import SPEEDS, FrameReady, Job, PaneModel, Runner, make_models, speed_text
from tui_dl.app.runner.core import CHUNK_WORK
from tui_dl.engine.cost import Cost
from tui_dl.params import ParamError


class Counter(PaneModel):
    """A toy experiment: the state counts steps; horizon 10."""

    kind = "toy"
    default_speed = 1 / 4

    def defaults(self):
        return {"fail": False}

    def rows(self):
        return []

    def _apply(self, settings, key, value):
        settings[key] = value

    def job(self):
        fail = self.settings["fail"]

        def step(state, n):
            if fail == "param":
                raise ParamError("bad value 'x' for y: expected z")
            if fail:
                raise FloatingPointError("boom")
            return {"step": state["step"] + n, "seed_draw": state["seed_draw"]}

        return Job(init=lambda rng: {"step": 0, "seed_draw": float(rng.random())}, step=step,
                   frame=lambda s: dict(s), position=lambda f: f["step"], horizon=10)

    def selection(self, key, frame=None):
        return Selection("note", "toy")


class Inline:
    """Runs each launched worker at once (or holds it) and keeps what they post."""

    def __init__(self, hold: bool = False) -> None:
        self.hold = hold
        self.held: list = []
        self.posted: list[FrameReady] = []

    def launch(self, work, group: str) -> None:
        if self.hold:
            self.held.append(work)
        else:
            work()

    def release(self) -> None:
        held, self.held = self.held, []
        for work in held:
            work()


def make_runner(hold: bool = False) -> tuple[Runner, Inline]:
    inline = Inline(hold)
    runner = Runner("toy", Counter(), inline.launch, inline.posted.append, seed=3)
    return runner, inline


def deliver(runner: Runner, inline: Inline) -> list[bool]:
    accepted = [runner.accept(m) for m in inline.posted]
    inline.posted.clear()
    return accepted


def test_restart_runs_init_with_the_seed_and_steps_add_up():
    runner, inline = make_runner()
    runner.restart()
    assert deliver(runner, inline) == [True]
    assert runner.frame == {"step": 0, "seed_draw": float(np.random.default_rng(3).random())}
    runner.request(2)
    runner.request(3)
    while inline.posted:
        deliver(runner, inline)
    assert runner.position == 5 and runner.idle


def test_requests_while_busy_are_taken_together_when_the_worker_is_back():
    runner, inline = make_runner(hold=True)
    runner.restart()
    runner.request(1)
    runner.request(4)
    inline.release()
    deliver(runner, inline)  # the init frame arrives; the five steps go out as one worker
    assert len(inline.held) == 1
    inline.release()
    deliver(runner, inline)
    assert runner.position == 5


def test_a_frame_posted_just_before_a_restart_is_dropped():
    runner, inline = make_runner(hold=True)
    runner.restart()
    inline.release()
    deliver(runner, inline)
    runner.request(4)
    inline.release()  # the step finishes and posts ...
    runner.restart(seed=9)  # ... and the restart comes before its message is taken
    inline.release()
    assert deliver(runner, inline) == [False, True]
    assert runner.position == 0 and runner.generation == 2


def test_a_restart_discards_the_older_generations_frames():
    runner, inline = make_runner(hold=True)
    runner.restart()
    inline.release()
    deliver(runner, inline)
    runner.request(4)
    runner.restart(seed=9)  # the step worker is still out
    inline.release()  # both the old step and the new init finish; the old one sees it was replaced
    accepted = deliver(runner, inline)
    assert accepted == [True]
    assert runner.position == 0 and runner.seed == 9 and runner.generation == 2


def test_fractional_speed_takes_a_step_every_few_frames_and_stops_at_the_horizon():
    runner, inline = make_runner()
    runner.restart()
    deliver(runner, inline)
    assert runner.speed == 1 / 4
    for _ in range(8):
        runner.tick()
        deliver(runner, inline)
    assert runner.position == 2
    runner.faster(+1)
    runner.faster(+1)
    runner.faster(+1)
    assert runner.speed == 2
    for _ in range(20):
        runner.tick()
        deliver(runner, inline)
    assert runner.position == 10 and runner.finished


def test_speed_ladder_is_clamped_and_printed():
    runner, _ = make_runner()
    for _ in range(30):
        runner.faster(+1)
    assert runner.speed == SPEEDS[-1]
    for _ in range(30):
        runner.faster(-1)
    assert runner.speed == SPEEDS[0]
    assert speed_text(1 / 16, "step") == "1/16 step/frame"
    assert speed_text(1, "epoch") == "1 epoch/frame" and speed_text(20, "epoch") == "20 epochs/frame"


def test_an_engine_error_is_reported_not_raised():
    runner, inline = make_runner()
    runner.model.settings["fail"] = True
    runner.restart()
    deliver(runner, inline)
    runner.request(1)
    deliver(runner, inline)
    assert runner.error == "FloatingPointError: boom" and runner.idle
    runner.request(1)  # nothing more is launched after an error
    assert not inline.posted


def test_a_bad_combination_found_in_a_worker_is_its_one_line_without_a_class_name():
    runner, inline = make_runner()
    runner.model.settings["fail"] = "param"
    runner.restart()
    deliver(runner, inline)
    runner.request(1)
    deliver(runner, inline)
    assert runner.error == "bad value 'x' for y: expected z"


def test_a_job_refused_at_restart_is_the_runners_one_line_not_a_raise(monkeypatch):
    """A restart with settings no edit checked (the view v switched to, before it was checked) raised the
    live limit's ParamError into the app, which ended with a traceback."""
    runner, inline = make_runner()
    runner.restart()
    deliver(runner, inline)
    monkeypatch.setattr(Counter, "checked_job", lambda model: (_ for _ in ()).throw(ParamError("too heavy")))
    runner.restart()
    assert runner.error == "too heavy" and runner.frame is None and not inline.posted
    runner.request(1)
    runner.tick()
    assert not inline.posted  # nothing launched
    monkeypatch.undo()
    runner.restart()  # settings that fit again run again
    assert runner.error is None and deliver(runner, inline) == [True]


def test_a_newer_frame_replaces_a_waiting_one_of_the_same_pane():
    old, new, other = FrameReady("lr", 1, None, 1), FrameReady("lr", 2, None, 2), FrameReady("init", 2, None, 3)
    assert old.can_replace(new) and not new.can_replace(old) and not old.can_replace(other)


@pytest.mark.parametrize("kind", ["lr", "init", "train", "paths"])
def test_every_pane_model_builds_its_default_job_and_a_frame(kind):
    model = make_models()[kind]
    job = model.job()
    state = job.init(np.random.default_rng(0))
    state = job.step(state, 1) if job.horizon else state
    frame = job.frame(state)
    assert job.position(frame) == (1 if job.horizon else 0)
    assert {row.key for row in model.rows()}  # every model has rows
    for row in model.rows():  # and every row's value passes its own spec
        assert row.spec.parse(row.spec.format(row.value)) == row.value or row.spec.kind in ("floats", "ints")


def test_presets_load_and_build_within_the_live_limit():
    for model in make_models().values():
        for preset in model.presets():
            preset.apply()
            model.checked_job()


def test_widgets_and_panes_never_import_the_experiments():
    """RULE 3: only app/runner imports tui_dl.engine.experiments."""
    app = Path(__file__).resolve().parents[2] / "tui_dl" / "app"
    offenders = []
    for path in app.rglob("*.py"):
        if "runner" in path.relative_to(app).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("tui_dl.engine.experiments")]
    assert offenders == []


def test_frames_while_a_worker_is_out_are_skipped_not_saved_up():
    runner, inline = make_runner(hold=True)
    runner.faster(+3)  # 1/4 -> 2 steps a frame
    runner.restart()
    inline.release()
    deliver(runner, inline)
    runner.tick()  # 2 steps go out
    for _ in range(10):  # a slow worker: these frames pass without earning steps
        runner.tick()
    inline.release()
    deliver(runner, inline)
    assert runner.position == 2 and not inline.held and runner.idle


class Heavy(Counter):
    """The toy experiment with a cost: each step is worth a chunk of its own, and its state holds `size` bytes."""

    size = 0

    def job(self):
        base = super().job()
        size = self.size
        self.steps_taken = 0

        def step(state, n):
            self.steps_taken += n
            return {**base.step(state, n), "payload": state["payload"]}

        def init(rng):
            return {**base.init(rng), "payload": np.ones(size, dtype=np.uint8)}

        return replace(base, init=init, step=step, cost=Cost(size, CHUNK_WORK, 10, "epoch", ("size",)))


def test_a_replaced_heavy_run_stops_after_its_current_step_and_leaves_nothing_behind():
    tracemalloc.start()
    try:
        model = Heavy()
        model.size = 50_000_000
        inline = Inline(hold=True)
        runner = Runner("toy", model, inline.launch, inline.posted.append, seed=3)
        runner.restart()
        inline.release()
        deliver(runner, inline)
        runner.request(8)  # eight steps of a chunk each, in one worker
        model.size = 1000
        runner.restart()  # the heavy worker has not run yet: it finds itself replaced after one step
        old_steps, new_init = inline.held
        inline.held = []
        old_steps()
        assert model.steps_taken == 1 and inline.posted == []  # nothing posted: its state is dropped at once
        new_init()
        assert deliver(runner, inline) == [True]
        del old_steps, new_init
        assert tracemalloc.get_traced_memory()[0] < 5_000_000  # the 50 MB are gone
    finally:
        tracemalloc.stop()


def test_a_heavy_request_posts_a_frame_after_each_chunk():
    """1000 steps a frame of a run whose steps take a chunk each showed nothing for minutes: each worker now takes
    one chunk, posts its frame, and the next chunk follows at once."""
    model = Heavy()
    inline = Inline(hold=True)
    runner = Runner("toy", model, inline.launch, inline.posted.append, seed=3)
    runner.restart()
    inline.release()
    deliver(runner, inline)
    runner.request(4)
    positions = []
    while inline.held:
        inline.release()
        deliver(runner, inline)
        positions.append(runner.position)
    assert positions == [1, 2, 3, 4] and model.steps_taken == 4 and runner.idle


def test_an_error_names_a_row_as_its_key_does():
    """The 'basin grid' row's error said 'for grid' (the export's --grid)."""
    model = make_models()["paths"]
    with pytest.raises(ParamError, match=r"^bad value '99999' for basin_grid: expected an integer in \[2, 500\]$"):
        model.set("basin_grid", "99999")
    for view in model.views:  # every row of a single parameter is named by its key's last part
        model.settings["view"] = view
        for row in model.rows():
            assert row.spec.name == row.key.split(".")[-1], row.key


def test_the_basin_map_is_computed_only_in_the_basins_view():
    """With basin grid 500 the paths view stepped 250,000 starts it never drew: 25 steps a second at
    '1000 steps/frame' (tenth tester)."""
    model = make_models()["paths"]
    model.set("basin_grid", 500)
    costs = {}
    for view in ("paths", "basins"):
        model.set("view", view)
        job = model.checked_job()
        frame = job.frame(job.step(job.init(np.random.default_rng(0)), 1))
        costs[view] = job.cost.step_work
        assert (frame.basins is None) == (view != "basins")
    assert frame.basins.minimum.shape == (500, 500)
    assert costs["basins"] > 50 * costs["paths"]


def test_the_speed_shown_is_what_a_frame_takes_when_a_chunk_is_fewer_steps():
    """'1000 steps/frame' over a run that drew 4 steps a second (tenth tester): a chunk of a heavy run is what
    each drawn frame takes."""
    model = Heavy()  # each step a chunk
    runner = Runner("toy", model, Inline().launch, lambda message: None, seed=3)
    runner.restart()
    runner.speed_index = SPEEDS.index(5)
    assert runner.speed_shown() == f"1 {model.unit}/frame, its fastest"
    runner.speed_index = SPEEDS.index(1)
    assert runner.speed_shown() == f"1 {model.unit}/frame"
    light = Runner("toy", Counter(), Inline().launch, lambda message: None, seed=3)
    light.restart()
    light.speed_index = SPEEDS.index(5)
    assert light.speed_shown() == f"5 {model.unit}s/frame"
