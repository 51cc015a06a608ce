"""The live view refuses a setting over the cost model's limit (engine/cost.py): one line with the
estimate and the way out, the previous run kept, and nothing allocated."""

from __future__ import annotations

import re
import tracemalloc

import pytest

from tui_dl.app.runner.initialization import InitModel
from tui_dl.app.runner.race import RaceModel
from tui_dl.app.runner.schedules import ScheduleModel
from tui_dl.app.runner.training import TrainModel
from tui_dl.engine import cost as cost_module
from tui_dl.params import ParamError

from .test_params import panel, row, select

REFUSAL = re.compile(r"too heavy to run live: lower .+, (or use tui-dl export [\w-]+|it would not fit headless either "
                     r"\([\d.]+ [kMG]B available\)) \(about [\d.]+ [kMG]B and [\d.e]+ multiply-adds per (\w+); "
                     r"limit 500 MB, 2e10\)$")


@pytest.mark.parametrize(("model", "key", "value", "export"), [
    (TrainModel, "hidden", "4096,4096,4096,4096,4096,4096,4096,4096,4096,4096", "train"),
    (TrainModel, "seeds", "10", None),  # with the heavy-but-allowed network below
    (InitModel, "samples", "10000", "init"),
])
def test_a_heavy_setting_is_refused_with_its_estimate_and_the_old_one_kept(model, key, value, export, monkeypatch):
    monkeypatch.setattr(cost_module, "available_memory", lambda: 64e9)  # the export would fit
    pane = model()
    if key == "seeds":
        pane.set("hidden", "1000,1000")  # allowed alone
        export = "train"
    if model is InitModel:
        pane.set("width", "700")
    before = dict(pane.settings)
    tracemalloc.start()
    with pytest.raises(ParamError) as refused:
        pane.set(key, value)
    allocated = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    message = str(refused.value)
    assert REFUSAL.match(message), message
    assert f"or use tui-dl export {export} (" in message and key in message.split(", or use")[0]
    assert pane.settings == before
    assert allocated < 20e6  # estimated, never allocated


def test_the_refused_network_is_estimated_above_twenty_gigabytes():
    with pytest.raises(ParamError, match=r"about (\d\d+(\.\d+)? GB)"):
        TrainModel().set("hidden", ",".join(["4096"] * 10))


@pytest.mark.parametrize("model", [TrainModel, InitModel, RaceModel, ScheduleModel])
def test_every_pane_s_default_job_carries_its_cost_and_its_export(model):
    job = model().checked_job()
    assert job.cost is not None and 0 < job.cost.bytes < 100e6
    assert job.export.startswith("tui-dl export ")


def test_the_overfitting_pane_says_the_refusal_and_keeps_running(drive):
    async def scenario(pilot, app):
        runner = app.runners["train"]
        await drive.press(pilot, "3", "z")
        generation = runner.generation
        await select(drive, pilot, app, "hidden")
        await drive.press(pilot, "enter")
        panel(app).query_one("Input").value = ""
        await drive.press(pilot, *",".join(["4096"] * 10), "enter")
        assert REFUSAL.match(panel(app).error), panel(app).error
        assert row(app, "train", "hidden").value == (100, 100)
        assert runner.generation == generation and runner.error is None
        position = runner.position
        await drive.steps(pilot, 2)
        assert runner.position == position + 2 and runner.generation == generation  # the previous run goes on

    drive.run(scenario)


def test_a_view_over_the_limit_is_refused_by_switch_view_like_a_value():
    model = TrainModel()
    model.set("hidden", "400,400")  # the curves' 4 runs fit; the search's 16 samples do not
    with pytest.raises(ParamError, match=r"^too heavy to run live: lower samples, hidden or val_samples"):
        model.switch_view("search")
    assert model.settings["view"] == "curves" and model.checked_job() is not None


def test_v_skips_a_view_over_the_limit_says_why_and_the_run_goes_on(drive):
    """hidden=400,400 then v v (into the search) ended the app with a ParamError traceback (eighth tester)."""
    async def scenario(pilot, app):
        runner, pane = app.runners["train"], app.pane("train")
        await drive.press(pilot, "3", "z")
        await select(drive, pilot, app, "hidden")
        await drive.press(pilot, "enter")
        panel(app).query_one("Input").value = "400,400"
        await drive.press(pilot, "enter")
        await drive.steps(pilot, 1)
        generation = runner.generation
        await drive.press(pilot, "v", "v")
        assert pane.view == "loss" and runner.model.settings["view"] == "curves"
        assert panel(app).error.startswith("search view: too heavy to run live: lower samples, hidden")
        assert runner.generation == generation and runner.error is None and app.is_running
        position = runner.position
        await drive.steps(pilot, 1)
        assert runner.position == position + 1  # the curves run on

    drive.run(scenario)


def test_v_in_the_learning_rate_pane_goes_on_past_a_refused_view(drive, monkeypatch):
    checked = ScheduleModel.checked_job

    def refuse_the_race(model):
        if model.settings["view"] == "race":
            raise ParamError("too heavy to run live: (the race, in this test)")
        return checked(model)

    monkeypatch.setattr(ScheduleModel, "checked_job", refuse_the_race)

    async def scenario(pilot, app):
        runner, pane = app.runners["lr"], app.pane("lr")
        await drive.press(pilot, "1", "z", "v")
        await drive.wait_for(pilot, lambda: runner.frame is not None and runner.model.settings["view"] == "step")
        assert pane.view == "step"
        assert panel(app).error == "race view: too heavy to run live: (the race, in this test)"
        assert runner.error is None and app.is_running

    drive.run(scenario)
