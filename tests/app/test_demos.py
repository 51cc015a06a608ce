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


def test_the_theory_preset_races_the_closed_form_optima_beside_the_learners_and_measures_their_rates():
    models = make_models()
    kind, preset = find_preset(models, "paths-the-best-step-and-momentum")
    preset.apply()
    model = models[kind]
    assert model.view == "theory" and model.settings["surface"] == "quadratic"
    frame = _run(model, model.settings["steps"])
    assert frame.race.labels == ("SGD", "Momentum", "best GD", "best HB")
    best = verdicts.optimal_settings(frame)
    assert best["kappa"] == pytest.approx(20) and best["gd_lr"] == pytest.approx(2 / 2.1)
    assert (best["momentum_lr"], best["momentum"]) == pytest.approx((1.3358, 0.4026), abs=1e-4)
    assert (best["gd_rate"], best["momentum_rate"]) == pytest.approx((0.9048, 0.6345), abs=1e-4)
    rates = verdicts.measured_rates(frame)
    assert rates["best GD"] == pytest.approx(best["gd_rate"], rel=1e-9)
    assert rates["SGD"] == pytest.approx(0.905, abs=1e-3)  # the textbook's 0.95 is all but optimal
    assert rates["best HB"] == pytest.approx(best["momentum_rate"], rel=0.03)
    assert rates["Momentum"] == pytest.approx(0.9**0.5, abs=3e-3)  # lr 0.1, momentum 0.9: every mode at sqrt(m)
    assert verdicts.phase_optimum(frame) == pytest.approx((1.3, 0.425, 22))
    lr_cells, momentum_cells = verdicts.theory_offsets(frame)
    assert abs(lr_cells) <= 1 and abs(momentum_cells) <= 1


def test_the_theory_view_says_why_a_surface_without_a_strict_minimum_has_no_optimum():
    model = make_models()["paths"]
    model.set("view", "theory")
    model.set("surface", "saddle")
    frame = _run(model, 3)
    assert frame.theory is None and frame.phase is None and "no strict minimum" in frame.theory_note
    assert verdicts.optimal_settings(frame) == {} and verdicts.phase_optimum(frame) is None
    assert frame.race.labels == ("SGD", "Momentum", "AdaGrad", "Adam")


def test_the_rare_features_preset_gives_adagrad_larger_steps_for_rare_features_and_sgd_equal_ones():
    models = make_models()
    kind, preset = find_preset(models, "lr-adagrad-and-rare-features")
    preset.apply()
    model = models[kind]
    assert kind == "lr" and model.view == "sparse" and model.unit == "step"
    frame = _run(model, model.settings["sparse"]["steps"])
    snap = frame.sparse
    assert snap.labels == ("SGD", "Adagrad", "RMSprop", "Adam") and snap.step == 3000
    assert snap.seen.max() / snap.seen.min() > 100
    ratios = verdicts.rare_feature_steps(frame)
    assert ratios["SGD"] == 1.0 and ratios["Adagrad"] > 10  # 12.6
    shrunk = verdicts.update_shrinkage(frame)
    assert shrunk["Adagrad"] < 0.2 < 0.6 < shrunk["SGD"]  # 0.15 against 0.78


def test_the_rare_features_view_loads_from_a_setup_file_with_its_knobs(tmp_path):
    from tui_dl.setup.file import load_setup

    path = tmp_path / "sparse.toml"
    path.write_text('[learning_rate]\nview = "sparse"\n"sparse.features" = 12\n"sparse.adagrad_lr" = 0.05\n')
    models = make_models()
    load_setup(path, models)
    model = models["lr"]
    assert model.view == "sparse" and model.settings["sparse"]["features"] == 12
    frame = _run(model, 5)
    assert frame.sparse.step_size.shape == (4, 12)
    assert model.checked_job().cost.steps == 3000
