"""Golden rates of the schedules added after schedules.json, made by running the code tui-dl shows.

For each case the scheduler is built by executing the torch code the formula panel shows for it
(`tui_dl.app.frameworks.schedules.schedule_code`) on a real optimizer, so a record proves both that
the engine computes what torch, transformers and timm compute and that the shown code runs. The
fixture keeps that code; tests/engine/test_schedule_golden.py checks the panel still shows exactly
it. From the repository root, in the scratch venv that has torch==2.13.0, transformers and timm:

    python tests/golden/make_schedule_golden.py

It rewrites tests/golden/schedules_shown_code.json.
"""

from __future__ import annotations

import bisect
import math
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

import torch  # noqa: E402
import transformers  # noqa: E402


def _import_timm_scheduler():
    """timm.scheduler without timm/__init__.py, which imports timm.layers and so torchvision (whose wheels
    here are CUDA builds that do not load next to torch 2.13+cpu); timm.scheduler itself needs only torch."""
    import importlib.metadata
    import importlib.util
    import types

    location = Path(importlib.util.find_spec("timm").submodule_search_locations[0])
    package = types.ModuleType("timm")
    package.__path__ = [str(location)]
    package.__version__ = importlib.metadata.version("timm")
    sys.modules["timm"] = package

    return package


timm = _import_timm_scheduler()

from tui_dl.app.frameworks.schedules import TIMM_SCHEDULES, schedule_code  # noqa: E402
from tui_dl.engine.schedules import SCHEDULES  # noqa: E402

GENERATOR = "python tests/golden/make_schedule_golden.py"
TORCH_VERSION_EXPECTED = "2.13.0"

LIN = "linear_lr(start_factor=0.1, total_iters=5)"
# (id, name, the values set (the rest at their defaults), steps, optimizer: sgd | sgd_momentum | adam)
CASES = [
    # torch LambdaLR and MultiplicativeLR, the factor an expression in epoch
    ("lambda_exp", "lambda_lr", {"lr": 0.1, "lr_lambda": "0.95 ** epoch"}, 60, "sgd"),
    ("lambda_warmup_min", "lambda_lr", {"lr": 0.5, "lr_lambda": "min(1.0, (epoch + 1) / 10)"}, 30, "sgd"),
    ("lambda_floor_div", "lambda_lr", {"lr": 1.0, "lr_lambda": "0.5 ** (epoch // 10)"}, 50, "sgd"),
    ("lambda_cos_if", "lambda_lr",
     {"lr": 0.1, "lr_lambda": "0.5 * (1 + cos(pi * epoch / 50)) if epoch < 50 else 0.01"}, 70, "sgd"),
    ("lambda_math_sqrt", "lambda_lr", {"lr": 0.2, "lr_lambda": "1 / math.sqrt(max(epoch, 1))"}, 40, "sgd"),
    ("lambda_bool_mod", "lambda_lr",
     {"lr": 0.1, "lr_lambda": "math.exp(-epoch / 20) + 0.5 * (epoch % 7 == 0 and epoch > 0)"}, 40, "sgd"),
    ("lambda_chain_compare", "lambda_lr",
     {"lr": 0.1, "lr_lambda": "1.0 if 5 <= epoch < 15 else (0.1 if not epoch < 15 else 0.5)"}, 25, "sgd"),
    ("lambda_log_abs_round", "lambda_lr",
     {"lr": 0.01, "lr_lambda": "log(epoch + 2) * abs(round(epoch / 3) - 3) + floor(epoch / 4) - ceil(-epoch / 5)"},
     30, "sgd"),
    ("mult_const", "multiplicative_lr", {"lr": 0.1, "lr_lambda": "0.95"}, 60, "sgd"),
    ("mult_every_10", "multiplicative_lr", {"lr": 1.0, "lr_lambda": "0.5 if epoch % 10 == 0 else 1.0"}, 50, "sgd"),
    ("mult_up_then_down", "multiplicative_lr",
     {"lr": 0.01, "lr_lambda": "1 + 0.05 * epoch if epoch < 20 else 0.9"}, 50, "sgd"),
    ("mult_max", "multiplicative_lr", {"lr": 0.3, "lr_lambda": "max(0.5, 1 - epoch / 100)"}, 80, "sgd"),
    # torch SequentialLR: a part after a milestone restarts at its own epoch 0 (closed form where it has one)
    ("seq_linear_cosine", "sequential_lr",
     {"lr": 0.1, "schedulers": f"{LIN} + cosine_annealing_lr(T_max=45)", "milestones": (5,)}, 60, "sgd"),
    ("seq_constant_exp", "sequential_lr",
     {"lr": 0.1, "schedulers": "constant_lr(factor=0.5, total_iters=3) + exponential_lr(gamma=0.9)",
      "milestones": (10,)}, 30, "sgd"),
    ("seq_three_parts_restarts", "sequential_lr",
     {"lr": 0.2, "schedulers": f"{LIN} + step_lr(step_size=5, gamma=0.5) + "
      "cosine_annealing_warm_restarts(T_0=7, T_mult=2, eta_min=0.001)", "milestones": (5, 20)}, 80, "sgd"),
    ("seq_exp_multiplicative", "sequential_lr",
     {"lr": 0.1, "schedulers": "exponential_lr(gamma=0.9) + multiplicative_lr(lr_lambda=0.95)", "milestones": (10,)},
     30, "sgd"),
    ("seq_lambdas", "sequential_lr",
     {"lr": 0.1, "schedulers": "lambda_lr(lr_lambda=0.9 ** epoch) + lambda_lr(lr_lambda=min(1, (epoch + 1) / 5))",
      "milestones": (8,)}, 25, "sgd"),
    ("seq_linear_transformers", "sequential_lr",
     {"lr": 0.05, "schedulers": f"{LIN} + cosine_schedule_with_warmup(num_warmup_steps=0, num_training_steps=40)",
      "milestones": (5,)}, 50, "sgd"),
    ("seq_cosine_climbs_back", "sequential_lr",
     {"lr": 0.1, "schedulers": "cosine_annealing_lr(T_max=10, eta_min=0.01) + constant_lr(factor=0.5, total_iters=5)",
      "milestones": (25,)}, 40, "sgd"),
    ("seq_poly_multistep", "sequential_lr",
     {"lr": 0.1, "schedulers": "polynomial_lr(total_iters=8, power=2.0) + multi_step_lr(milestones=3,8, gamma=0.5)",
      "milestones": (10,)}, 30, "sgd"),
    ("seq_warm_restarts_first", "sequential_lr",
     {"lr": 0.1, "schedulers": "cosine_annealing_warm_restarts(T_0=6) + exponential_lr(gamma=0.8)",
      "milestones": (15,)}, 30, "sgd"),
    ("seq_milestone_zero", "sequential_lr",
     {"lr": 0.1, "schedulers": f"{LIN} + exponential_lr(gamma=0.9)", "milestones": (0,)}, 20, "sgd"),
    ("seq_unsorted_milestones", "sequential_lr",
     {"lr": 0.1, "schedulers": f"{LIN} + exponential_lr(gamma=0.9) + step_lr(step_size=3)", "milestones": (12, 6)},
     25, "sgd"),
    # torch ChainedScheduler: every part steps on the rate the others left
    ("chain_doc_example", "chained_scheduler",
     {"lr": 1.0, "schedulers": "constant_lr(factor=0.1, total_iters=2) + exponential_lr(gamma=0.9)"}, 20, "sgd"),
    ("chain_linear_cosine_eta", "chained_scheduler",
     {"lr": 0.1, "schedulers": f"{LIN} + cosine_annealing_lr(T_max=30, eta_min=0.01)"}, 70, "sgd"),
    ("chain_step_then_lambda", "chained_scheduler",
     {"lr": 0.1, "schedulers": "step_lr(step_size=4, gamma=0.5) + lambda_lr(lr_lambda=0.97 ** epoch)"}, 20, "sgd"),
    ("chain_lambda_then_exp", "chained_scheduler",
     {"lr": 0.1, "schedulers": "lambda_lr(lr_lambda=1 + epoch / 10) + exponential_lr(gamma=0.9)"}, 20, "sgd"),
    ("chain_mult_poly", "chained_scheduler",
     {"lr": 0.1, "schedulers": "multiplicative_lr(lr_lambda=0.99) + polynomial_lr(total_iters=20, power=0.5)"},
     30, "sgd"),
    ("chain_restarts_exp", "chained_scheduler",
     {"lr": 0.1, "schedulers": "cosine_annealing_warm_restarts(T_0=10) + exponential_lr(gamma=0.95)"}, 35, "sgd"),
    ("chain_transformers_exp", "chained_scheduler",
     {"lr": 0.1, "schedulers": "linear_schedule_with_warmup(num_warmup_steps=5, num_training_steps=30) + "
      "exponential_lr(gamma=0.97)"}, 35, "sgd"),
    ("chain_three", "chained_scheduler",
     {"lr": 0.1, "schedulers": "constant_lr(factor=0.5, total_iters=4) + multi_step_lr(milestones=6,6,12) + "
      "linear_lr(start_factor=0.5, end_factor=1.0, total_iters=8)"}, 20, "sgd"),
    # OneCycleLR's epochs * steps_per_epoch, and the momentum CyclicLR and OneCycleLR cycle
    ("one_cycle_epochs", "one_cycle_lr",
     {"max_lr": 0.1, "total_steps": None, "epochs": 10, "steps_per_epoch": 8}, 80, "sgd_momentum"),
    ("one_cycle_both_forms", "one_cycle_lr",
     {"max_lr": 0.1, "total_steps": 50, "epochs": 10, "steps_per_epoch": 8}, 50, "sgd_momentum"),
    ("one_cycle_adam_beta1", "one_cycle_lr",
     {"max_lr": 0.01, "total_steps": 60, "base_momentum": 0.8, "max_momentum": 0.9}, 60, "adam"),
    ("one_cycle_three_phase_linear", "one_cycle_lr",
     {"max_lr": 0.2, "total_steps": 90, "three_phase": True, "anneal_strategy": "linear", "pct_start": 0.25},
     90, "sgd_momentum"),
    ("one_cycle_no_momentum", "one_cycle_lr", {"max_lr": 0.1, "total_steps": 40, "cycle_momentum": False}, 40, "sgd"),
    ("cyclic_momentum", "cyclic_lr", {"base_lr": 0.001, "max_lr": 0.1, "step_size_up": 10}, 60, "sgd_momentum"),
    ("cyclic_momentum_tri2_asym", "cyclic_lr",
     {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 6, "step_size_down": 14, "mode": "triangular2",
      "base_momentum": 0.85, "max_momentum": 0.95}, 90, "sgd_momentum"),
    ("cyclic_momentum_exp_adam", "cyclic_lr",
     {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 8, "mode": "exp_range", "gamma": 0.98}, 70, "adam"),
    # transformers
    ("hf_constant_warmup", "constant_schedule_with_warmup", {"lr": 0.1, "num_warmup_steps": 10}, 30, "sgd"),
    ("hf_constant_no_warmup", "constant_schedule_with_warmup", {"lr": 0.1, "num_warmup_steps": 0}, 10, "sgd"),
    ("hf_linear", "linear_schedule_with_warmup", {"lr": 0.1, "num_warmup_steps": 10, "num_training_steps": 50},
     60, "sgd"),
    ("hf_linear_no_warmup", "linear_schedule_with_warmup", {"lr": 0.3, "num_warmup_steps": 0,
                                                            "num_training_steps": 25}, 30, "sgd"),
    ("hf_cosine", "cosine_schedule_with_warmup", {"lr": 0.1, "num_warmup_steps": 10, "num_training_steps": 60},
     70, "sgd"),
    ("hf_cosine_cycles", "cosine_schedule_with_warmup",
     {"lr": 0.1, "num_warmup_steps": 5, "num_training_steps": 60, "num_cycles": 1.5}, 70, "sgd"),
    ("hf_hard_restarts", "cosine_with_hard_restarts_schedule_with_warmup",
     {"lr": 0.1, "num_warmup_steps": 5, "num_training_steps": 65, "num_cycles": 3}, 80, "sgd"),
    ("hf_polynomial", "polynomial_decay_schedule_with_warmup",
     {"lr": 0.1, "num_warmup_steps": 10, "num_training_steps": 50}, 60, "sgd"),
    ("hf_polynomial_square", "polynomial_decay_schedule_with_warmup",
     {"lr": 0.1, "num_warmup_steps": 4, "num_training_steps": 40, "lr_end": 0.01, "power": 2.0}, 50, "sgd"),
    ("hf_inverse_sqrt", "inverse_sqrt_schedule", {"lr": 0.1, "num_warmup_steps": 10}, 60, "sgd"),
    ("hf_inverse_sqrt_timescale", "inverse_sqrt_schedule", {"lr": 0.1, "num_warmup_steps": 10, "timescale": 25},
     60, "sgd"),
    ("hf_inverse_sqrt_no_warmup", "inverse_sqrt_schedule", {"lr": 0.1, "num_warmup_steps": 0, "timescale": 7},
     30, "sgd"),
    ("hf_wsd", "wsd_schedule", {"lr": 0.1, "num_warmup_steps": 10, "num_decay_steps": 20, "num_training_steps": 60},
     70, "sgd"),
    ("hf_wsd_linear_min", "wsd_schedule",
     {"lr": 0.1, "num_warmup_steps": 8, "num_decay_steps": 16, "num_stable_steps": 10, "num_training_steps": None,
      "decay_type": "linear", "min_lr_ratio": 0.1}, 45, "sgd"),
    ("hf_wsd_sqrt", "wsd_schedule",
     {"lr": 0.1, "num_warmup_steps": 10, "num_decay_steps": 25, "num_training_steps": 50, "warmup_type": "1-sqrt",
      "decay_type": "1-sqrt", "min_lr_ratio": 0.05}, 60, "sgd"),
    ("hf_wsd_cosine_warmup", "wsd_schedule",
     {"lr": 0.1, "num_warmup_steps": 12, "num_decay_steps": 20, "num_training_steps": 50, "warmup_type": "cosine",
      "num_cycles": 0.25}, 60, "sgd"),
    ("hf_wsd_stable_wins", "wsd_schedule",
     {"lr": 0.1, "num_warmup_steps": 5, "num_decay_steps": 10, "num_training_steps": 100, "num_stable_steps": 5},
     30, "sgd"),
    ("hf_cosine_min_lr_rate", "cosine_with_min_lr_schedule_with_warmup",
     {"lr": 0.1, "num_warmup_steps": 10, "num_training_steps": 60, "min_lr_rate": 0.1}, 70, "sgd"),
    ("hf_cosine_min_lr", "cosine_with_min_lr_schedule_with_warmup",
     {"lr": 0.1, "num_warmup_steps": 5, "num_training_steps": 40, "min_lr": 0.003, "min_lr_rate": None,
      "num_cycles": 1.0}, 50, "sgd"),
    # timm
    ("timm_cosine", "cosine_lr_scheduler", {"lr": 0.1, "t_initial": 50}, 70, "sgd"),
    ("timm_cosine_warmup", "cosine_lr_scheduler",
     {"lr": 0.1, "t_initial": 50, "lr_min": 1e-4, "warmup_t": 5, "warmup_lr_init": 1e-3}, 60, "sgd"),
    ("timm_cosine_warmup_prefix", "cosine_lr_scheduler",
     {"lr": 0.1, "t_initial": 40, "warmup_t": 8, "warmup_lr_init": 1e-3, "warmup_prefix": True}, 60, "sgd"),
    ("timm_cosine_cycles", "cosine_lr_scheduler",
     {"lr": 0.1, "t_initial": 10, "cycle_mul": 2.0, "cycle_decay": 0.5, "cycle_limit": 3, "lr_min": 0.001}, 80, "sgd"),
    ("timm_cosine_mul_15", "cosine_lr_scheduler",
     {"lr": 0.1, "t_initial": 8, "cycle_mul": 1.5, "cycle_limit": 5, "warmup_t": 3, "warmup_prefix": True}, 90, "sgd"),
    ("timm_cosine_restarts_k", "cosine_lr_scheduler",
     {"lr": 0.1, "t_initial": 12, "cycle_limit": 4, "cycle_decay": 0.8, "k_decay": 2.0}, 60, "sgd"),
    ("timm_cosine_updates", "cosine_lr_scheduler",
     {"lr": 0.05, "t_initial": 30, "warmup_t": 5, "t_in_epochs": False}, 40, "sgd"),
    ("timm_step", "step_lr_scheduler", {"lr": 0.1, "decay_t": 10.0, "decay_rate": 0.5}, 50, "sgd"),
    ("timm_step_warmup", "step_lr_scheduler",
     {"lr": 0.1, "decay_t": 10.0, "decay_rate": 0.5, "warmup_t": 5, "warmup_lr_init": 0.01}, 50, "sgd"),
    ("timm_step_warmup_no_prefix", "step_lr_scheduler",
     {"lr": 0.1, "decay_t": 7.5, "decay_rate": 0.7, "warmup_t": 4, "warmup_prefix": False, "t_in_epochs": False},
     50, "sgd"),
]

# ReduceLROnPlateau with NaN and inf metrics: torch's is_better is False for NaN, so a NaN epoch is a bad epoch
PLATEAU_CASES = [
    ("plateau_nan", {"lr": 0.1, "patience": 2, "factor": 0.5}, "1,nan,nan,nan,0.5,0.5,nan,0.4,0.4,0.4,0.4,0.4"),
    ("plateau_issue_example", {"lr": 0.1, "patience": 1}, "1,nan,nan,nan,0.5,0.5"),
    ("plateau_inf_max", {"lr": 0.1, "mode": "max", "patience": 1, "factor": 0.3},
     "0.5,inf,0.9,nan,inf,1,1,1"),
    ("plateau_neg_inf_min", {"lr": 0.1, "patience": 0, "threshold_mode": "abs", "threshold": 0.1},
     "1,-inf,0,nan,-inf,0"),
]


class _Model:
    def __init__(self, params):
        self.params = params

    def parameters(self):
        return list(self.params)


def make_optimizer(kind, lr):
    params = [torch.zeros(2, requires_grad=True)]
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr)
    return torch.optim.SGD(params, lr=lr, momentum=0.9 if kind == "sgd_momentum" else 0.0)


def shown_torch_code(name, params):
    _, code, _ = schedule_code(name, params)
    assert not code.lstrip().startswith("#"), (name, code)
    return code


def build(code, optimizer):
    scope = {"torch": torch, "math": math, "bisect": bisect, "transformers": transformers, "timm": timm,
             "optimizer": optimizer}
    return eval(code, scope)


def momentum_of(group):
    return group["betas"][0] if "betas" in group else group["momentum"]


def run(name, params, code, n, kind):
    lr0 = params.get("lr", params.get("base_lr", params.get("max_lr")))
    optimizer = make_optimizer(kind, lr0)
    scheduler = build(code, optimizer)
    group = optimizer.param_groups[0]
    rates, momenta = [], []
    for t in range(n):
        if t > 0:
            if name in TIMM_SCHEDULES:
                (scheduler.step if params["t_in_epochs"] else scheduler.step_update)(t)
            else:
                scheduler.step()
        rates.append(float(group["lr"]))
        momenta.append(float(momentum_of(group)))
        optimizer.step()
    return rates, momenta


def jsonable(values):
    return {key: list(value) if isinstance(value, tuple) else value for key, value in values.items()}


def cases():
    out = []
    for case_id, name, values, n, kind in CASES:
        params = SCHEDULES[name].resolve(values)
        code = shown_torch_code(name, params)
        rates, momenta = run(name, params, code, n, kind)
        assert all(math.isfinite(r) for r in rates), case_id
        case = {"id": case_id, "name": name, "params": jsonable(params), "code": code, "optimizer": kind,
                "steps": list(range(n)), "lr": rates}
        if params.get("cycle_momentum"):
            case["momentum"] = momenta
        out.append(case)
    spec = SCHEDULES["reduce_lr_on_plateau"].spec("metrics")
    for case_id, values, metrics_text in PLATEAU_CASES:
        params = SCHEDULES["reduce_lr_on_plateau"].resolve(values)
        code = shown_torch_code("reduce_lr_on_plateau", params)
        metrics = spec.parse(metrics_text)
        optimizer = make_optimizer("sgd", params["lr"])
        scheduler = build(code, optimizer)
        rates = []
        for metric in metrics:
            rates.append(float(optimizer.param_groups[0]["lr"]))
            optimizer.step()
            scheduler.step(metric)
        rates.append(float(optimizer.param_groups[0]["lr"]))
        out.append({"id": case_id, "name": "reduce_lr_on_plateau", "params": jsonable(params), "code": code,
                    "optimizer": "sgd", "metrics": metrics_text, "steps": list(range(len(metrics) + 1)),
                    "lr": rates})
    return out


def main():
    import make_golden as base

    if not torch.__version__.startswith(TORCH_VERSION_EXPECTED):
        print(f"warning: torch {torch.__version__}, the fixtures were made with {TORCH_VERSION_EXPECTED}")
    meta = {
        "generator": GENERATOR,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "timm": timm.__version__,
        "numpy": np.__version__,
        "protocol": "The scheduler is what `code` (the torch code tui-dl's formula panel shows for `name` with "
        "`params`) evaluates to, with `optimizer` = torch.optim.SGD([a 2-vector], lr) (optimizer 'sgd'; "
        "'sgd_momentum': momentum=0.9; 'adam': torch.optim.Adam) and lr = params['lr'] (base_lr or max_lr where "
        "the schedule has no lr). torch and transformers schedulers: lr[t] is param_groups[0]['lr'] after t "
        "scheduler.step() calls, each after an optimizer.step(). timm: lr[0] after construction, lr[t] after "
        "scheduler.step(t) (t_in_epochs) or scheduler.step_update(t). momentum[t] (cycle_momentum): the group's "
        "momentum, or betas[0] for Adam, at the same moments. reduce_lr_on_plateau: lr[e] before "
        "scheduler.step(metrics[e]), metrics as `--set metrics=` text (nan, inf), and one more after the last.",
        "notes": [
            "torch 2.13 OneCycleLR takes total_steps when it is given and ignores epochs and steps_per_epoch "
            "(one_cycle_both_forms); it refuses neither form.",
            "SequentialLR calls _update_lr(0) on the part starting at a milestone: its closed form at epoch 0 "
            "where it has one, else get_lr (MultiplicativeLR multiplies the rate left by the previous part: "
            "seq_exp_multiplicative).",
        ],
    }
    base.write_fixture("schedules_shown_code.json", meta, cases())


if __name__ == "__main__":
    main()
