"""The cost model: each experiment's estimate against tracemalloc's peak of the real experiment,
and the refusals built on it (live limit, memory available)."""

from __future__ import annotations

import tracemalloc
from dataclasses import replace

import numpy as np
import pytest

from tui_dl.engine import cost as cost_module
from tui_dl.engine.cost import LIVE, Cost, check_fits, check_live, format_bytes, format_work
from tui_dl.engine.experiments import basins, costs, initialization, optimizer_race, training
from tui_dl.engine.experiments.variants import parse_variant
from tui_dl.engine.optimizers import OPTIMIZERS, training_names
from tui_dl.params import ParamError


def _peak(work) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _train(config: training.TrainConfig) -> None:
    state = training.init(config, np.random.default_rng(0))
    training.step(state, 2)
    training.snapshot(state)


TRAINING_CASES = {
    "default": training.TrainConfig(epochs=2),
    "wide": training.TrainConfig(hidden=(400, 400), epochs=2),
    "digits, seeds": training.TrainConfig(dataset="digits", hidden=(128, 64), seeds=3, batch_size=16, epochs=2),
    "dropout, batch norm, decay, float64": training.TrainConfig(
        hidden=(200, 200), dtype="float64", epochs=2,
        variants=tuple(parse_variant(v) for v in ("none", "dropout=0.5", "batch_norm", "weight_decay=1e-3"))),
    "restore, sgd, big batch": training.TrainConfig(
        hidden=(300,), optimizer="sgd", restore_best_weights=True, patience=3, batch_size=512, epochs=2,
        dataset_params={"train_samples": 3000}),
    "regression": training.TrainConfig(dataset="sine", hidden=(256, 256), epochs=2),
}


@pytest.mark.parametrize("name", list(TRAINING_CASES))
def test_the_training_estimate_is_the_measured_peak_or_up_to_twice_it(name):
    config = TRAINING_CASES[name]
    estimate = costs.training_cost(config).bytes
    measured = _peak(lambda: _train(config))
    assert 0.9 * measured <= estimate <= 2.0 * measured, (estimate, measured)


def test_the_training_estimate_grows_with_what_drives_it():
    base = costs.training_cost(training.TrainConfig())
    wider = costs.training_cost(training.TrainConfig(hidden=(200, 200)))
    seeds = costs.training_cost(training.TrainConfig(seeds=4))
    assert wider.bytes > base.bytes and wider.step_work > 3 * base.step_work
    # the decision grid is drawn for each variant's first seed only
    assert 2 * base.bytes < seeds.bytes < 4 * base.bytes and 2 * base.step_work < seeds.step_work < 4 * base.step_work
    assert (base.steps, base.unit) == (200, "epoch")


def test_the_issue_s_heavy_network_is_estimated_in_gigabytes_without_allocating_it():
    config = training.TrainConfig(hidden=(4096,) * 10)
    measured = _peak(lambda: costs.training_cost(config))
    estimate = costs.training_cost(config)
    assert measured < 5e6  # the estimate itself allocates no network
    assert estimate.bytes > 20e9 and estimate.step_work > 1e12


@pytest.mark.parametrize("name", training_names())  # LBFGS runs on surfaces only
def test_every_optimizer_holds_at_most_what_the_estimate_allows(name):
    """params + grads + state slots + UPDATE_TEMPORARIES arrays of the parameters' size bound every update."""
    runs, size = 3, 100_000
    component = OPTIMIZERS[name]
    optimizer = component.fn(**component.defaults())
    config = training.TrainConfig(optimizer=name)

    def two_updates() -> None:
        params = np.ones((runs, size), np.float32)
        grads = np.full((runs, size), 0.1, np.float32)
        state = optimizer.init(params)
        for _ in range(2):
            params, state = optimizer.update(grads, state, params, 0.01)

    unit = runs * size * 4
    allowed = (2 + costs.optimizer_slots(config) + costs.UPDATE_TEMPORARIES) * unit
    assert _peak(two_updates) <= allowed * 1.02


def test_the_initialization_estimate_is_the_measured_peak_or_up_to_twice_it():
    config = initialization.InitConfig(width=300, samples=2000, layers=4)
    measured = _peak(lambda: initialization.run(config, np.random.default_rng(0)))
    estimate = costs.initialization_cost(config)
    assert 0.9 * measured <= estimate.bytes <= 2.0 * measured, (estimate.bytes, measured)
    assert estimate.step_work == len(config.runs) * 2000 * 300**2 and estimate.unit == "layer"


def test_a_race_s_history_is_estimated_from_its_steps():
    config = optimizer_race.RaceConfig()
    steps = 20_000

    def race() -> None:
        state = optimizer_race.init(config)
        optimizer_race.step(state, steps)
        optimizer_race.snapshot(state)

    measured = _peak(race)
    estimate = costs.descent_cost(len(config.racers), steps, ("steps",)).bytes
    assert 0.9 * measured <= estimate <= 2.0 * measured, (estimate, measured)


def test_a_basin_sweep_is_estimated_from_its_starts():
    """The momentum view's five maps of 250,000 starts held 190 bytes a start; 128 were estimated."""
    config = basins.BasinConfig("rastrigin", {}, "sgd", {"lr": 0.01}, grid=150)

    def sweep() -> None:
        state = basins.sweep_init(config, "momentum", basins.MOMENTA)
        basins.step(state, 5)
        basins.sweep_snapshot(state)

    measured = _peak(sweep)
    estimate = costs.descent_cost(150**2 * len(basins.MOMENTA), 5, (), recorded=0).bytes
    assert 0.9 * measured <= estimate <= 2.0 * measured, (estimate, measured)


# ------------------------------------------------------------------ refusals
HEAVY = Cost(12.4e9, 3.1e11, 200, "epoch", ("hidden", "seeds"))


def test_the_live_refusal_names_the_way_out_the_estimate_and_the_limit(monkeypatch):
    monkeypatch.setattr(cost_module, "available_memory", lambda: 24.7e9)
    with pytest.raises(ParamError) as refused:
        check_live(HEAVY, "tui-dl export train")
    assert str(refused.value) == (
        "too heavy to run live: lower hidden or seeds, or use tui-dl export train "
        "(about 12.4 GB and 3.1e11 multiply-adds per epoch; limit 500 MB, 2e10)")
    monkeypatch.setattr(cost_module, "available_memory", lambda: 8e9)  # the export would be refused too
    with pytest.raises(ParamError, match=r"lower hidden or seeds, it would not fit headless either \(8 GB available\)"):
        check_live(HEAVY, "tui-dl export train")
    check_live(replace(HEAVY, bytes=LIVE.bytes, step_work=LIVE.step_work), "tui-dl export train")  # at the limit: ok


def test_the_default_experiments_are_far_below_the_live_limit():
    for cost in (costs.training_cost(training.TrainConfig()),
                 costs.initialization_cost(initialization.InitConfig()),
                 costs.training_cost(training.TrainConfig(dataset="digits", seeds=4))):
        assert cost.bytes < LIVE.bytes / 4 and cost.step_work < LIVE.step_work / 4


def test_an_export_that_cannot_fit_is_refused_before_it_allocates(monkeypatch):
    monkeypatch.setattr(cost_module, "available_memory", lambda: 3_100_000_000)
    with pytest.raises(ParamError) as refused:
        check_fits(HEAVY, "export train")
    assert str(refused.value) == ("export train needs about 12.4 GB and 3.1e11 multiply-adds per epoch, more than the "
                                  "3.1 GB of memory available; lower hidden or seeds")
    check_fits(replace(HEAVY, bytes=3e9), "export train")
    monkeypatch.setattr(cost_module, "available_memory", lambda: None)  # unknown: not refused
    check_fits(HEAVY, "export train")


def test_this_machine_s_available_memory_is_known_and_plausible():
    free = cost_module.available_memory()
    assert free is not None and 10e6 < free < 100e12


@pytest.mark.parametrize(("size", "text"), [(512 * 2**20, "537 MB"), (12.4e9, "12.4 GB"), (80_000, "80 kB"),
                                            (999, "999 B"), (1e9, "1 GB"), (1.34e12, "1.34 TB"),
                                            (999.4e12, "999 TB"), (5e15, "5 PB"), (2.1e21, "2.1e21 B")])
def test_bytes_are_written_in_three_significant_digits(size, text):
    assert format_bytes(size) == text


@pytest.mark.parametrize(("work", "text"), [(3.1e11, "3.1e11"), (2e10, "2e10"), (300, "300"), (1234, "1.2e3")])
def test_work_is_written_as_a_short_power_of_ten(work, text):
    assert format_work(work) == text
