"""The newer schedules against torch, transformers and timm, built from the code tui-dl shows.

tests/golden/schedules_shown_code.json was made by tests/golden/make_schedule_golden.py, which runs the
torch code of the formula panel (LambdaLR with the expression, SequentialLR and ChainedScheduler of
catalogue parts, OneCycleLR and CyclicLR with their momentum, transformers' get_*_schedule*, timm's
CosineLRScheduler and StepLRScheduler, ReduceLROnPlateau with NaN metrics). The suite needs none of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tui_dl.app.frameworks.schedules import schedule_code
from tui_dl.engine.schedules import SCHEDULES, schedule_momentum

GOLDEN = json.loads((Path(__file__).resolve().parent.parent / "golden" / "schedules_shown_code.json").read_text())
CASES = GOLDEN["cases"]
RTOL = 1e-12  # float64 on both sides; torch's recursive rules and our closed forms round differently


def _params(case: dict) -> dict:
    params = SCHEDULES[case["name"]].resolve(case["params"])
    if "metrics" in case:
        params["metrics"] = SCHEDULES["reduce_lr_on_plateau"].spec("metrics").parse(case["metrics"])
    return params


def _relative_error(ours: np.ndarray, theirs: np.ndarray) -> float:
    return float(np.max(np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-300), initial=0.0))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_rate_matches_the_package(case):
    ours = SCHEDULES[case["name"]](np.asarray(case["steps"]), **_params(case))
    np.testing.assert_allclose(ours, case["lr"], rtol=RTOL, atol=1e-15)


@pytest.mark.parametrize("case", [c for c in CASES if "momentum" in c], ids=lambda c: c["id"])
def test_momentum_matches_torch(case):
    ours = schedule_momentum(case["name"], np.asarray(case["steps"]), _params(case))
    np.testing.assert_allclose(ours, case["momentum"], rtol=RTOL, atol=1e-15)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_the_panel_still_shows_the_code_that_made_the_record(case):
    params = SCHEDULES[case["name"]].resolve(case["params"])
    assert schedule_code(case["name"], params)[1] == case["code"]


def test_every_new_schedule_has_golden_cases():
    covered = {case["name"] for case in CASES}
    new = {"lambda_lr", "multiplicative_lr", "sequential_lr", "chained_scheduler", "cosine_lr_scheduler",
           "step_lr_scheduler", *(c.name for c in SCHEDULES if c.family == "transformers")}
    assert new <= covered


def test_largest_error_is_at_rounding_level():
    """The closing numbers of the fixture: how many rates were compared and the largest relative error."""
    errors, compared = [], 0
    for case in CASES:
        theirs = np.asarray(case["lr"])
        ours = SCHEDULES[case["name"]](np.asarray(case["steps"]), **_params(case))
        errors.append(_relative_error(ours, theirs))
        compared += len(theirs)
    assert compared > 3000
    assert max(errors) < 1e-12
