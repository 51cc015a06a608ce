"""The learning-rate pane's views besides the overlay: schedule race, effective step size, LR range test.

Pilot tests through make_app (seed 0, clock off, time moved by `n`), plus the model and the formula
panel's Keras range-test callback checked against the engine's numbers.
"""

from __future__ import annotations

import ast

import numpy as np
import pytest

from tui_dl.app.frameworks import describe
from tui_dl.app.frameworks.lr_finder import KERAS_RANGE_TEST
from tui_dl.app.panes.lr_plots import race_legend
from tui_dl.app.runner import make_models
from tui_dl.engine.schedules import SCHEDULES
from tui_dl.ticks import compact


def status_text(app) -> str:
    return str(app.query_one("#status").content)


def note_text(app) -> str:
    return app.panes[0].query_one("#note").content.plain


def plotted(app):
    """The data the current view's plot was last given."""
    pane = app.panes[0]
    return pane.plots()[pane.view].data


async def select(drive, pilot, app, key: str) -> None:
    """Move the learning-rate panel's selection to key."""
    panel = app.panes[0].panel
    for _ in range(len(panel.rows)):
        if panel.selected.key == key:
            return
        await drive.press(pilot, "down")
    raise AssertionError(f"no row {key}")


async def type_value(drive, pilot, app, key: str, text: str) -> None:
    """Select key and type text into it (the pane must be maximized)."""
    await select(drive, pilot, app, key)
    await drive.press(pilot, "enter")
    app.panes[0].panel.query_one("Input").value = ""
    await drive.press(pilot, *text, "enter")


async def run_to_the_end(drive, pilot, app) -> None:
    """The rest of the learning-rate pane's experiment at once (`n` would train every pane as long)."""
    runner = app.runners["lr"]
    runner.request(runner.horizon)
    await drive.settle(pilot)


def test_v_cycles_the_views_each_running_its_own_experiment(drive):
    async def scenario(pilot, app):
        pane, runner = app.panes[0], app.runners["lr"]
        assert pane.view == "schedules" and runner.speed == 5

        await drive.press(pilot, "v")  # the schedule race: the three slots train for the overlay's 1000 steps
        assert (pane.view, runner.model.unit, runner.horizon, runner.position, runner.speed) == (
            "race", "epoch", 200, 0, 1)
        assert "schedule race" in status_text(app) and "epoch 0/200" in status_text(app)
        keys = [row.key for row in pane.panel.rows]
        assert {"optimizer", "dataset", "batch_size", "steps", "slot.1.schedule"} <= set(keys)
        await drive.steps(pilot, 3)
        race = runner.frame.race
        assert plotted(app)[0] is runner.frame and race.train_loss.shape == (3, 3)
        assert np.isfinite(race.train_loss).all() and "epoch 3/200" in pane.border_subtitle
        first = race.train_loss.copy()
        await drive.steps(pilot, 2)
        assert plotted(app)[0].race.train_loss.shape == (3, 5)
        np.testing.assert_array_equal(plotted(app)[0].race.train_loss[:, :3], first)  # the same runs, further on
        # each racer meets exactly the schedule the overlay draws, one rate per optimizer iteration
        for run, (_, slot) in enumerate(runner.model.active()):
            np.testing.assert_allclose(race.lr[run], SCHEDULES[slot["name"]](np.arange(1000), **slot["params"]))

        await drive.press(pilot, "v")  # effective step sizes of Adagrad, RMSprop, Adam and SGD
        assert (pane.view, runner.horizon, runner.position) == ("step", 100, 0)
        await drive.steps(pilot, 3)
        race = plotted(app)[0].race
        assert race.labels == ("Adagrad 0.01", "RMSprop 1e-3", "Adam 1e-3", "SGD 0.1")
        np.testing.assert_allclose(race.step_median[3], 0.1, rtol=1e-6)  # SGD's step is its rate
        assert (race.step_p10 <= race.step_median).all() and (race.step_median <= race.step_p90).all()
        assert race.step_median[0, 2] < race.step_median[0, 0]  # Adagrad's sum of squares only grows
        assert "effective step, log scale" in status_text(app)

        await drive.press(pilot, "v")  # the LR range test, one iteration per step
        assert (pane.view, runner.model.unit, runner.horizon, runner.speed) == ("range", "iteration", 100, 1)
        await drive.steps(pilot, 5)
        assert plotted(app)[0].test.iteration == 5 and "iteration 5/100" in status_text(app)
        assert np.isnan(plotted(app)[0].test.suggestion).all()  # too few points after skip_start and skip_end
        await run_to_the_end(drive, pilot, app)
        test = plotted(app)[0].test
        assert test.finished and np.isfinite(test.suggestion).all()
        np.testing.assert_array_equal(test.suggestion, test.rates[test.suggestion_index])
        for run, label in enumerate(test.labels):
            assert f"{label}: │ suggested lr {compact(test.suggestion[run], 2)}" in note_text(app)

        await drive.press(pilot, "v")  # the rate sweep: 13 SGD rates trained side by side, an epoch per step
        assert (pane.view, runner.model.unit, runner.horizon, runner.speed) == ("sweep", "epoch", 30, 1)
        await drive.steps(pilot, 2)
        assert plotted(app)[0].sweep.losses.shape == (13, 3) and "rate sweep" in status_text(app)
        assert "range test suggests" in note_text(app)

        await drive.press(pilot, "v")  # rare features: SGD, Adagrad, RMSprop, Adam, a mini-batch per step
        assert (pane.view, runner.model.unit, runner.horizon, runner.speed) == ("sparse", "step", 3000, 20)
        await drive.steps(pilot, 2)
        assert plotted(app)[0].sparse.update.shape == (2, 4) and "rare features" in status_text(app)
        assert "Adagrad" in note_text(app)

        await drive.press(pilot, "v")  # back to the overlay, at its own pace
        assert (pane.view, runner.model.unit, runner.horizon, runner.speed) == ("schedules", "step", 1000, 5)
        assert type(runner.frame).__name__ == "ScheduleFrame"

    drive.run(scenario)


def test_the_race_follows_the_slots_edited_in_the_panel(drive):
    async def scenario(pilot, app):
        runner = app.runners["lr"]
        await drive.press(pilot, "z", "v")
        await select(drive, pilot, app, "slot.1.initial_learning_rate")
        generation = runner.generation
        await drive.press(pilot, "right")  # 1e-3 -> 2e-3: the race restarts with it
        assert runner.generation == generation + 1 and runner.position == 0
        await drive.steps(pilot, 1)
        assert runner.frame.race.lr[0, 0] == 0.002
        await type_value(drive, pilot, app, "slot.2.schedule", "off")
        await drive.steps(pilot, 1)
        frame = runner.frame
        assert frame.slots == (0, 2) and frame.race.labels == ("1 CosineDecayRestarts", "3 ExponentialDecay")

    drive.run(scenario)


def test_a_diverging_run_is_marked_and_the_others_go_on(drive):
    async def scenario(pilot, app):
        runner = app.runners["lr"]
        await drive.press(pilot, "z", "v")
        await type_value(drive, pilot, app, "optimizer", "sgd")
        await type_value(drive, pilot, app, "slot.1.initial_learning_rate", "1e5")
        await drive.steps(pilot, 3)
        race = runner.frame.race
        assert race.diverged_epoch[0] >= 0 and (race.diverged_epoch[1:] == -1).all()
        assert f"1 CosineDecayRestarts: diverged at epoch {race.diverged_epoch[0] + 1}" in note_text(app)
        assert "SGD for every schedule" in note_text(app)

    drive.run(scenario)


def test_g_toggles_each_views_own_scale(drive):
    async def scenario(pilot, app):
        pane = app.panes[0]
        await drive.press(pilot, "g")
        assert pane.log_scale and "schedules, log scale" in status_text(app)
        await drive.press(pilot, "v", "n")
        assert not pane.log_scale and plotted(app)[1] is False
        await drive.press(pilot, "g")
        assert plotted(app)[1] is True and "schedule race, log scale" in status_text(app)
        await drive.press(pilot, "v", "n")  # step sizes span decades: that view starts on a log axis
        assert pane.log_scale and plotted(app)[1] is True
        await drive.press(pilot, "g")
        assert plotted(app)[1] is False and "effective step, linear scale" in status_text(app)

    drive.run(scenario)


def test_f_explains_the_range_test_and_the_step_sizes(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "z", "v", "v")
        await select(drive, pilot, app, "adaptive.3.lr")
        await drive.press(pilot, "n", "f")
        description = app.screen.description
        assert description.title == "Effective step size: run 3 (Adam)"
        assert any("√(1−β2^t)" in line for line in description.formula)
        assert any(line.startswith("now (epoch 1): median") for line in description.formula)
        assert 'exp_avg_sq' in description.torch and "_velocities" in description.keras
        await drive.press(pilot, "escape", "v", "f")
        description = app.screen.description
        assert description.title == "LR range test: sweep 1 (Adam)"
        assert "lr_i = 1e-07 · (10/1e-07)^(i/(100−1)),  i = 0 … 99, one mini-batch of 32 each" in description.formula[0]
        assert "LRFinder(model, optimizer, criterion)" in description.torch
        assert "end_lr=10.0" in description.torch and "num_iter=100" in description.torch
        assert "learn.lr_find(start_lr=1e-07, end_lr=10.0, num_it=100" in description.torch
        assert "class LRRangeTest(keras.callbacks.Callback)" in description.keras
        await drive.press(pilot, "k")
        assert app.clipboard == description.keras

    drive.run(scenario)


def test_a_range_that_does_not_grow_is_refused(drive):
    async def scenario(pilot, app):
        runner = app.runners["lr"]
        await drive.press(pilot, "z", "v", "v", "v")
        generation = runner.generation
        await type_value(drive, pilot, app, "range.start_lr", "100")
        assert app.panes[0].panel.error == "bad range 100 .. 10: start_lr must be below end_lr"
        assert runner.model.settings["range"]["start_lr"] == 1e-7 and runner.generation == generation

    drive.run(scenario)


def test_the_pane_follows_a_view_chosen_elsewhere(drive):
    """A setup file or another caller may set the model's view: the pane shows what the model runs."""

    async def scenario(pilot, app):
        app.runners["lr"].model.set("view", "range")
        app._restart("lr")
        await drive.settle(pilot)
        assert app.panes[0].view == "range" and "range test" in status_text(app)

    drive.run(scenario)


# ---------------------------------------------------------------------- without the app
def run_job(model, steps: int):
    job = model.job()
    state = job.init(np.random.default_rng(0))
    return job.frame(job.step(state, steps) if steps else state)


def test_slots_that_cannot_race_are_named_and_none_left_is_no_error():
    model = make_models()["lr"]
    model.set("view", "race")
    next(p for p in model.presets() if p.name == "LR: reduce on plateau").apply()  # next to a constant rate
    frame = run_job(model, 1)
    assert frame.race.labels == ("2 constant",) and frame.slots == (1,)
    assert "slot 1 (reduce_lr_on_plateau) follows a metric" in race_legend(frame).plain
    model.set("slot.2.schedule", "off")
    job = model.job()
    assert job.horizon == 0
    frame = run_job(model, 0)
    assert frame.race is None and "every slot is off" in race_legend(frame).plain


def test_the_step_view_needs_one_optimizer():
    model = make_models()["lr"]
    model.set("view", "step")
    for i in range(1, 4):
        model.set(f"adaptive.{i}.optimizer", "off")
    with pytest.raises(Exception, match="at least one optimizer must race"):
        model.set("adaptive.4.optimizer", "off")
    assert model.settings["adaptive"][3]["name"] == "sgd"


class FakeCallback:
    """keras.callbacks.Callback as the range-test code uses it."""

    def __init__(self) -> None:
        self.model = None


class FakeRate:
    def __init__(self) -> None:
        self.value = None

    def assign(self, value: float) -> None:
        self.value = value


class FakeKeras:
    class callbacks:  # noqa: N801 - the module path keras.callbacks
        Callback = FakeCallback


def keras_finder(description):
    """The LRRangeTest callback and the line that builds it, evaluated with a stand-in for keras."""
    scope = {"keras": FakeKeras, "np": np}
    exec(compile(KERAS_RANGE_TEST, "<keras>", "exec"), scope)
    line = description.keras.split("finder = ", 1)[1]
    build = line[: line.index(")\n") + 1]
    return eval(compile(ast.parse(build, mode="eval"), "<build>", "eval"), {**scope, "len": lambda x: 150, "x": None})


@pytest.mark.parametrize("suggest", ["descent", "steepest"])
def test_the_keras_callback_computes_what_the_engine_computes(suggest):
    """Fed Keras's running means of the engine's batch losses, the formula panel's callback recovers each
    batch's loss, smooths it, stops and suggests exactly as the engine's range test (150 samples, 32 a batch:
    the fifth batch of an epoch has 22)."""
    model = make_models()["lr"]
    model.set("view", "range")
    model.set("range.suggest", suggest)
    test = run_job(model, 100).test
    description = describe(model.selection("sweep.1.optimizer"))
    for run in range(len(test.labels)):
        finder = keras_finder(description)
        rate = FakeRate()
        finder.model = type("Model", (), {"optimizer": type("Opt", (), {"learning_rate": rate})(),
                                          "stop_training": False})()
        sizes = [32, 32, 32, 32, 22]
        length = int(test.diverged_iteration[run]) + 1 if test.diverged_iteration[run] >= 0 else test.iteration
        seen_rates = []
        for i in range(length):
            batch = i % 5
            if batch == 0:
                finder.on_epoch_begin(i // 5)
                start = i
            finder.on_train_batch_begin(batch)
            seen_rates.append(rate.value)
            losses = test.loss[run, start: i + 1]
            mean = float(np.dot(losses, sizes[: batch + 1]) / sum(sizes[: batch + 1]))
            finder.on_train_batch_end(batch, {"loss": mean})
            assert finder.model.stop_training == (i == length - 1)
        np.testing.assert_allclose(seen_rates, test.rates[:length], rtol=1e-12)
        np.testing.assert_allclose(finder.losses, test.loss[run, :length], rtol=1e-9)
        np.testing.assert_allclose(finder.smoothed, test.smoothed[run, :length], rtol=1e-9)
        suggestion = finder.suggestion(10, 5, before_minimum=suggest == "descent")
        assert suggestion == test.suggestion[run]


def test_the_pane_cycles_the_views_the_model_runs():
    from tui_dl.app.panes.learning_rate import LearningRatePane
    from tui_dl.app.runner.lr_views import VIEWS

    assert LearningRatePane.VIEWS == VIEWS


def test_the_overlay_draws_the_momentum_a_cycling_schedule_sets():
    """OneCycleLR and CyclicLR cycle momentum by default: the frame has it, the legend names its value now; a slot
    that does not cycle has a NaN row, and without cycling slots there is no strip at all."""
    from tui_dl.app.panes.learning_rate import schedule_legend
    from tui_dl.engine.schedules import one_cycle_momentum

    model = make_models()["lr"]
    assert run_job(model, 0).momenta is None  # the default slots do not cycle momentum
    next(p for p in model.presets() if p.name == "LR: one cycle vs cyclic").apply()
    model.set("slot.3.schedule", "constant")
    frame = run_job(model, 300)
    expected = one_cycle_momentum(np.arange(1001), total_steps=1000)
    np.testing.assert_allclose(frame.momenta[0], expected, rtol=1e-15)
    assert frame.momenta[0, 300] == pytest.approx(0.85)  # the rate's peak (pct_start 0.3) is the momentum's low
    assert frame.momenta[1, 0] == 0.9 and np.isnan(frame.momenta[2]).all()
    legend = schedule_legend(frame).plain
    assert "1 OneCycleLR lr 1e-2 momentum 0.85" in legend
    assert f"2 CyclicLR lr {compact(frame.rates[1, 300])} momentum {compact(frame.momenta[1, 300])}" in legend
    assert "3 constant lr 0.01" in legend and legend.count("momentum") == 2


def test_a_race_slot_cycling_momentum_over_an_optimizer_without_one_is_named():
    model = make_models()["lr"]
    next(p for p in model.presets() if p.name == "LR: one cycle vs cyclic").apply()
    model.set("view", "race")
    model.set("optimizer", "adagrad")
    frame = run_job(model, 0)
    assert frame.race is None
    assert ("slot 1 (one_cycle_lr) cannot race: it cycles the optimizer's momentum and adagrad has no momentum or "
            "betas to set") in race_legend(frame).plain
