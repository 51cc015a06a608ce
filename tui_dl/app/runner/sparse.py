"""The learning-rate pane's rare-features view: each feature's effective step size against how often it occurs.

Logistic regression on sparse binary features (engine/experiments/sparse_features.py), trained by
SGD, Adagrad, RMSprop and Adam at once on the same mini-batches. The view draws each optimizer's
step size per feature against the feature's frequency, and the size of each update |delta theta|
over the run, where Adagrad's ever-growing sum makes its steps shrink. One step is one mini-batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui_dl.app.model_types import ParamRow, Selection
from tui_dl.app.runner.model import Job
from tui_dl.engine.experiments import costs, sparse_features
from tui_dl.params import ParamSpec

RATES = {runner.label: float(runner.params["lr"]) for runner in sparse_features.RUNNERS}
SPECS = {
    "features": sparse_features.FEATURES,
    "samples": sparse_features.SAMPLES,
    "batch_size": sparse_features.BATCH,
    "most": sparse_features.MOST_SPEC,
    "least": sparse_features.LEAST_SPEC,
    "steps": ParamSpec("steps", "int", 3000, low=1, high=1_000_000, scale="log",
                       help="mini-batches every optimizer takes (a long run shows Adagrad's steps shrinking)"),
    **{f"{label.lower()}_lr": ParamSpec(f"{label.lower()}_lr", "float", lr, low=0.0, low_open=True, scale="log",
                                        help=f"{label}'s learning rate (its other settings: the defaults)")
       for label, lr in RATES.items()},
}


@dataclass(frozen=True)
class SparseFrame:
    """What the rare-features view draws: the engine's snapshot and the horizon in steps."""

    sparse: Any
    horizon: int
    view: str = "sparse"


def defaults() -> dict[str, Any]:
    """24 features present 0.5 to 0.002 of the time (most, least), 4000 samples, batches of 32, 3000 steps."""
    return {name: spec.default for name, spec in SPECS.items()}


def config(settings: dict[str, Any]) -> sparse_features.SparseConfig:
    """The engine's config of the view's settings."""
    knobs = settings["sparse"]
    runners = tuple(sparse_features.SparseRunner(r.label, r.optimizer,
                                                 {**r.params, "lr": knobs[f"{r.label.lower()}_lr"]})
                    for r in sparse_features.RUNNERS)
    return sparse_features.SparseConfig(features=knobs["features"], samples=knobs["samples"],
                                        batch_size=knobs["batch_size"], runners=runners, most=knobs["most"],
                                        least=knobs["least"])


def rows(settings: dict[str, Any]) -> list[ParamRow]:
    """The data set's and the run's knobs, then each optimizer's rate."""
    knobs = settings["sparse"]
    return [ParamRow(f"sparse.{name}", name.removesuffix("_lr") + (" lr" if name.endswith("_lr") else ""), spec,
                     knobs[name], "rates" if name.endswith("_lr") else "sparse data")
            for name, spec in SPECS.items()]


def job(settings: dict[str, Any]) -> Job:
    """A mini-batch of every optimizer per step."""
    sparse_config = config(settings)
    sparse_features.check(sparse_config)  # before any worker: least must stay below most
    horizon = settings["sparse"]["steps"]

    def frame(state: Any) -> SparseFrame:
        return SparseFrame(sparse_features.snapshot(state), horizon)

    return Job(init=lambda rng: sparse_features.init(sparse_config, rng), step=sparse_features.step, frame=frame,
               position=lambda f: f.sparse.step, horizon=horizon,
               cost=costs.sparse_features_cost(sparse_config, horizon))


def selection(settings: dict[str, Any], frame: Any = None) -> Selection:
    """The formula panel: what each optimizer's effective step is, and why rare features get more."""
    knobs = settings["sparse"]
    extra = {
        "summary": f"logistic regression on {knobs['features']} binary features present {knobs['most']:g} to"
                   f" {knobs['least']:g} of the time,"
                   " SGD, Adagrad, RMSprop and Adam on the same batches",
        "convention": "effective step of feature j: SGD lr; Adagrad lr / (sqrt(sum of g_j^2) + eps); RMSprop "
                      "lr / (sqrt(avg g_j^2) + eps); Adam lr / (sqrt(v_hat_j) + eps). A feature absent from a "
                      "sample has g_j = 0 there, so the rarer it is the smaller its sum and the larger its step.",
        "keras": "keras.optimizers.Adagrad(learning_rate=0.5, initial_accumulator_value=0.0, epsilon=1e-10)",
        "torch": "torch.optim.Adagrad(model.parameters(), lr=0.5)  # model = torch.nn.Linear(24, 1)",
    }
    return Selection("note", "sparse_features", {k: v for k, v in knobs.items()}, "rare features", extra)
