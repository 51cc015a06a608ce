"""The demos the lessons need (issue 11): each reachable as a preset and a view, its verdict computed.

Too low / right / too high (the learning-rate pane's sweep view) and momentum over a ridge (the
optimizer paths pane's preset and momentum view), checked with the real engine: the numbers a
lesson's verdict line states come from app/runner/verdicts.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from tui_dl.app.runner import make_models, verdicts
from tui_dl.engine.experiments import basins
from tui_dl.setup.presets import find_preset


def _run(model, steps: int):
    """The model's job run to steps in this thread (what the runner's worker does), and its frame."""
    job = model.checked_job()
    return job.frame(job.step(job.init(np.random.default_rng(0)), steps))


@pytest.fixture(scope="module")
def ridge():
    """The preset `paths-momentum-over-a-ridge`, run to its 300 steps, in the momentum view."""
    models = make_models()
    kind, preset = find_preset(models, "paths-momentum-over-a-ridge")
    preset.apply()
    model = models[kind]
    assert model.view == "paths"  # the preset shows the race; its basins per momentum are one v away
    model.set("view", "momentum")
    return model, _run(model, model.settings["steps"])


def test_plain_sgd_stays_in_the_shallow_well_and_momentum_crosses_the_ridge(ridge):
    _, frame = ridge
    assert frame.race.surface == "two_wells" and frame.race.labels == ("SGD", "Momentum")
    assert verdicts.racer_minima(frame) == {"SGD": verdicts.LOCAL, "Momentum": verdicts.GLOBAL}
    assert verdicts.crossed_barrier(frame) == ("Momentum",)
    np.testing.assert_allclose(frame.race.path[-1, 0], [-1.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(frame.race.path[-1, 1], [2.0, 0.0], atol=1e-6)
    path = frame.race.path[:, 1]
    assert path[:, 0].max() > 0 and frame.race.path[:, 0, 0].max() < 0  # only momentum was ever past x = 0


def test_starts_at_the_global_minimum_per_momentum_equal_each_momentum_run_by_itself(ridge):
    _, frame = ridge
    counts = verdicts.global_by_momentum(frame)
    assert counts == {0.0: 1350, 0.5: 1400, 0.9: 1700, 0.98: 34}
    for momentum, count in counts.items():
        config = basins.BasinConfig("two_wells", {}, "sgd", {"lr": 0.05, "momentum": momentum}, 50)
        alone = basins.snapshot(basins.step(basins.init(config), 300))
        assert int(alone.counts[0]) == count
    assert frame.sweep.not_converged[3] == frame.sweep.moving[3] == 2410  # 0.98 still swings at 300: not judged
    assert verdicts.momentum_verdicts(frame.sweep) == {0.5: verdicts.HELPS, 0.9: verdicts.HELPS,
                                                       0.98: verdicts.UNDECIDED}


def test_on_rastrigin_momentum_09_hurts_and_098_helps():
    models = make_models()
    kind, preset = find_preset(models, "paths-momentum-on-rastrigin")
    preset.apply()
    model = models[kind]
    assert model.view == "momentum"
    frame = _run(model, model.settings["steps"])
    assert verdicts.global_by_momentum(frame) == {0.0: 16, 0.5: 16, 0.9: 4, 0.98: 64}
    assert verdicts.momentum_verdicts(frame.sweep) == {0.5: verdicts.SAME, 0.9: verdicts.HURTS,
                                                       0.98: verdicts.HELPS}


def test_the_momentum_view_says_why_there_is_no_sweep_for_an_optimizer_without_momentum():
    model = make_models()["paths"]
    model.set("view", "momentum")
    model.set("basins_of", 4)  # Adam
    frame = _run(model, 1)
    assert frame.sweep is None and "Adam (adam) has no momentum" in frame.sweep_note
    assert verdicts.global_by_momentum(frame) == {}


def test_the_rate_sweep_preset_runs_too_low_right_and_too_high():
    models = make_models()
    kind, preset = find_preset(models, "lr-too-low-right-too-high")
    preset.apply()
    model = models[kind]
    assert kind == "lr" and model.view == "sweep" and model.unit == "epoch"
    frame = _run(model, 30)
    lrs = frame.sweep.lrs
    assert verdicts.diverged_rates(frame) == pytest.approx(tuple(lrs[-2:]))  # 31.6 and 100
    assert verdicts.barely_moved_rates(frame) == pytest.approx(tuple(lrs[:2]))  # 1e-4 and 3.2e-4
    assert verdicts.best_rate(frame) == pytest.approx(0.316, rel=1e-2)
    assert verdicts.suggested_rate(frame) == pytest.approx(0.433, rel=1e-2)


def test_the_sweep_view_and_the_momentum_view_load_from_a_setup_file(tmp_path):
    from tui_dl.setup.file import load_setup

    path = tmp_path / "demo.toml"
    path.write_text('[learning_rate]\nview = "sweep"\n"rates.count" = 5\n\n'
                    '[optimizer_paths]\nview = "momentum"\nsurface = "two_wells"\n')
    models = make_models()
    load_setup(path, models)
    assert models["lr"].view == "sweep" and models["lr"].settings["rates"]["count"] == 5
    assert models["paths"].view == "momentum" and models["paths"].settings["surface"] == "two_wells"


def test_the_panes_follow_their_models_view_and_draw_the_new_views(drive):
    async def scenario(pilot, app):
        for kind, name in (("lr", "lr-too-low-right-too-high"), ("paths", "paths-momentum-on-rastrigin")):
            app.apply_preset(kind, find_preset({kind: app.runners[kind].model}, name)[1])
            await drive.settle(pilot)
        assert app.panes[0].view == "sweep" and app.panes[3].view == "momentum"
        await drive.steps(pilot, 2)
        lr_note = str(app.panes[0].query_one("#note").content)
        assert "none diverged" in lr_note or "diverged:" in lr_note
        assert "range test suggests 0.43" in lr_note
        paths_note = str(app.panes[3].query_one("#note").content)
        assert "global min from 1600 starts at step 2" in paths_note
        text = "\n".join(line for plot in app.panes[3].query("SweepMapPlot") for line in plot.lines())
        assert "momentum 0.98" in text or "μ 0.98" in text

    drive.run(scenario)
