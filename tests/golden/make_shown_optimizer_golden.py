"""Golden trajectories of the optimizers added after optimizers.json, made by running the code tui-dl shows.

For each case the optimizer is built by executing the code the formula panel shows for it
(`tui_dl.app.frameworks.optimizers.optimizer_code`, with `model.parameters()` standing for the one
parameter tensor), so a record proves both that the engine computes what the framework computes and
that the shown code runs and computes it. The fixture keeps that code; tests/app/test_frameworks.py
checks the panel still shows exactly it. From the repository root, in the scratch venv that has
torch==2.13.0, keras 3 and numpy (tui_dl itself is imported from the repository, its app code is
plain Python):

    KERAS_BACKEND=torch python tests/golden/make_shown_optimizer_golden.py

It rewrites tests/golden/optimizers_shown_code.json with the protocol of optimizers.json (fixed
gradients or a surface's gradient, float64, an optional per-step rate) and, for ASGD, the averaged
parameters `ax` torch keeps in its state next to the trajectory.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

import keras  # noqa: E402
import make_golden as base  # noqa: E402
import torch  # noqa: E402

from tui_dl.app.frameworks.optimizers import (  # noqa: E402
    KERAS_OPTIMIZERS,
    SCHEDULE_FREE_OPTIMIZERS,
    optimizer_code,
)
from tui_dl.engine.optimizers import OPTIMIZERS  # noqa: E402
from tui_dl.engine.surfaces import get_surface  # noqa: E402

GENERATOR = "KERAS_BACKEND=torch python tests/golden/make_shown_optimizer_golden.py"

# (id, optimizer, the values set (the rest at their defaults), surface or None, base of the per-step lr or None)
CASES = [
    # torch Adam's own decoupled_weight_decay flag (AdamW's rule inside Adam)
    ("adam_decoupled_wd", "adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, None, None),
    ("adam_decoupled_amsgrad_lr", "adam", {"weight_decay": 0.5, "amsgrad": True, "decoupled_weight_decay": True},
     None, 0.05),
    ("rosenbrock_adam_decoupled", "adam", {"lr": 0.05, "weight_decay": 0.2, "decoupled_weight_decay": True},
     "rosenbrock", None),
    # torch RAdam: plain momentum steps until rho_t > 5, then rectified
    ("radam_default", "radam", {}, None, None),
    ("radam_lr", "radam", {"lr": 0.01}, None, None),
    ("radam_betas", "radam", {"lr": 0.05, "betas": (0.5, 0.9), "eps": 1e-6}, None, None),
    ("radam_wd_coupled", "radam", {"lr": 0.01, "weight_decay": 0.1}, None, None),
    ("radam_wd_decoupled", "radam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, None, None),
    ("radam_schedule", "radam", {"betas": (0.8, 0.95), "weight_decay": 0.05, "decoupled_weight_decay": True},
     None, 0.05),
    ("rosenbrock_radam", "radam", {"lr": 1e-3}, "rosenbrock", None),
    ("quadratic_radam", "radam", {"lr": 0.3, "betas": (0.9, 0.99)}, "quadratic", None),
    # torch Adadelta (lr 1.0, rho 0.9, eps 1e-6) and Keras Adadelta (0.001, 0.95, 1e-7)
    ("adadelta_default", "adadelta", {}, None, None),
    ("adadelta_rho_eps", "adadelta", {"rho": 0.5, "eps": 1e-3}, None, None),
    ("adadelta_rho_one", "adadelta", {"rho": 1.0}, None, None),
    ("adadelta_wd", "adadelta", {"lr": 0.5, "weight_decay": 0.1}, None, None),
    ("adadelta_schedule", "adadelta", {"rho": 0.95}, None, 2.0),
    ("quadratic_adadelta", "adadelta", {"lr": 1.0, "eps": 1e-2}, "quadratic", None),
    ("rosenbrock_adadelta", "adadelta", {"lr": 1.0, "rho": 0.95, "eps": 1e-4}, "rosenbrock", None),
    ("keras_adadelta_default", "keras_adadelta", {}, None, None),
    ("keras_adadelta_paper", "keras_adadelta", {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6}, None, None),
    ("keras_adadelta_wd", "keras_adadelta", {"learning_rate": 1.0, "weight_decay": 0.1}, None, None),
    ("keras_adadelta_schedule", "keras_adadelta", {"rho": 0.8, "epsilon": 1e-3}, None, 1.0),
    ("quadratic_keras_adadelta", "keras_adadelta", {"learning_rate": 1.0, "epsilon": 1e-2}, "quadratic", None),
    # torch Rprop: the rate only sets the first step sizes
    ("rprop_default", "rprop", {}, None, None),
    ("rprop_etas_sizes", "rprop", {"lr": 0.1, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.4)}, None, None),
    ("rprop_schedule", "rprop", {"etas": (0.6, 1.1)}, None, 0.1),
    ("rosenbrock_rprop", "rprop", {"lr": 0.01}, "rosenbrock", None),
    ("quadratic_rprop", "rprop", {"lr": 0.5, "step_sizes": (1e-6, 2.0)}, "quadratic", None),
    # torch ASGD: eta lags the rate by a step; ax averages from t0 on
    ("asgd_default", "asgd", {}, None, None),
    ("asgd_averaging", "asgd", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 5.0}, None, None),
    ("asgd_wd", "asgd", {"lr": 0.02, "lambd": 0.1, "t0": 0.0, "weight_decay": 0.1}, None, None),
    ("asgd_schedule", "asgd", {"lambd": 0.5, "alpha": 1.0, "t0": 10.0}, None, 0.05),
    ("quadratic_asgd", "asgd", {"lr": 0.2, "lambd": 0.05, "t0": 10.0}, "quadratic", None),
    # Keras Lion
    ("keras_lion_default", "keras_lion", {}, None, None),
    ("keras_lion_betas", "keras_lion", {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9}, None, None),
    ("keras_lion_beta1_one", "keras_lion", {"learning_rate": 0.01, "beta_1": 1.0}, None, None),
    ("keras_lion_wd", "keras_lion", {"learning_rate": 0.01, "weight_decay": 0.5}, None, None),
    ("keras_lion_schedule", "keras_lion", {"beta_2": 0.5, "weight_decay": 0.1}, None, 0.02),
    ("rosenbrock_keras_lion", "keras_lion", {"learning_rate": 0.01}, "rosenbrock", None),
    ("quadratic_keras_lion", "keras_lion", {"learning_rate": 0.3, "beta_1": 0.95}, "quadratic", None),
    # Keras Ftrl
    ("keras_ftrl_default", "keras_ftrl", {}, None, None),
    ("keras_ftrl_l1_l2", "keras_ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.01,
                                        "l2_regularization_strength": 0.1}, None, None),
    ("keras_ftrl_shrinkage_beta", "keras_ftrl", {"learning_rate": 0.05, "learning_rate_power": -0.3,
                                                 "initial_accumulator_value": 0.5,
                                                 "l2_shrinkage_regularization_strength": 0.2, "beta": 0.1},
     None, None),
    ("keras_ftrl_power_zero", "keras_ftrl", {"learning_rate": 0.01, "learning_rate_power": 0.0}, None, None),
    ("keras_ftrl_wd", "keras_ftrl", {"learning_rate": 0.1, "weight_decay": 0.1, "l1_regularization_strength": 0.5},
     None, None),
    ("keras_ftrl_schedule", "keras_ftrl", {"l1_regularization_strength": 0.001, "beta": 1.0}, None, 0.2),
    ("quadratic_keras_ftrl", "keras_ftrl", {"learning_rate": 1.0}, "quadratic", None),
    # torch Adafactor, Keras Lamb and Adafactor reduce over whole variables: "layers" cases hold two kernels and
    # two biases
    ("adafactor_default", "adafactor", {}, None, None),
    ("adafactor_eps1", "adafactor", {"lr": 0.05, "eps": (1e-2, 1e-3)}, None, None),
    ("adafactor_layers", "adafactor", {}, "layers", None),
    ("adafactor_layers_opts", "adafactor", {"lr": 0.1, "beta2_decay": -0.5, "eps": (1e-20, 1e-2), "d": 1.5,
                                            "weight_decay": 0.1}, "layers", None),
    ("adafactor_layers_schedule", "adafactor", {"weight_decay": 0.5}, "layers", 0.5),
    ("rosenbrock_adafactor", "adafactor", {"lr": 0.05}, "rosenbrock", None),
    ("quadratic_adafactor", "adafactor", {"lr": 0.1}, "quadratic", None),
    ("keras_lamb_default", "keras_lamb", {}, None, None),
    ("keras_lamb_layers", "keras_lamb", {"learning_rate": 0.01}, "layers", None),
    ("keras_lamb_layers_wd", "keras_lamb", {"learning_rate": 0.01, "beta_1": 0.5, "weight_decay": 0.1}, "layers",
     None),
    ("keras_lamb_layers_schedule", "keras_lamb", {"beta_2": 0.9, "epsilon": 1e-3}, "layers", 0.05),
    ("rosenbrock_keras_lamb", "keras_lamb", {"learning_rate": 0.01}, "rosenbrock", None),
    ("quadratic_keras_lamb", "keras_lamb", {"learning_rate": 0.05}, "quadratic", None),
    ("keras_adafactor_default", "keras_adafactor", {}, None, None),
    ("keras_adafactor_layers", "keras_adafactor", {"learning_rate": 0.01}, "layers", None),
    ("keras_adafactor_layers_opts", "keras_adafactor", {"learning_rate": 0.1, "beta_2_decay": -0.5, "epsilon_1": 1e-8,
                                                        "epsilon_2": 1e-2, "clip_threshold": 0.5, "weight_decay": 0.1},
     "layers", None),
    ("keras_adafactor_layers_schedule", "keras_adafactor", {"relative_step": False}, "layers", 0.5),
    ("keras_adafactor_not_relative", "keras_adafactor", {"learning_rate": 0.5, "relative_step": False}, None, None),
    ("quadratic_keras_adafactor", "keras_adafactor", {"learning_rate": 0.1}, "quadratic", None),
    # Muon: torch (Newton-Schulz in bfloat16; biases to AdamW, as the shown code builds it) and Keras (full precision;
    # biases to its AdamW step), on kernels and biases
    ("muon_layers_default", "muon", {}, "layers", None),
    ("muon_layers_opts", "muon", {"lr": 0.02, "weight_decay": 0.05, "momentum": 0.9, "nesterov": False, "ns_steps": 3,
                                  "adjust_lr_fn": "match_rms_adamw"}, "layers", None),
    ("muon_layers_original", "muon", {"lr": 0.01, "adjust_lr_fn": "original", "eps": 1e-3,
                                      "ns_coefficients": (2.0, -1.5, 0.5)}, "layers", None),
    ("muon_layers_schedule", "muon", {"weight_decay": 0.0}, "layers", 0.02),
    ("keras_muon_layers_default", "keras_muon", {}, "layers", None),
    ("keras_muon_layers_opts", "keras_muon", {"learning_rate": 0.02, "momentum": 0.9, "nesterov": False,
                                              "rms_rate": None, "adam_lr_ratio": 0.1, "adam_beta_1": 0.8,
                                              "weight_decay": 0.1, "adam_weight_decay": 0.01, "ns_steps": 3},
     "layers", None),
    ("keras_muon_layers_schedule", "keras_muon", {"muon_a": 2.0, "muon_b": -1.5, "muon_c": 0.5, "epsilon": 1e-3},
     "layers", 0.01),
    # schedule-free SGD and AdamW (the schedulefree package): the weights are y in train mode; x (eval) recorded too
    ("sgd_schedule_free_default", "sgd_schedule_free", {}, None, None),
    ("sgd_schedule_free_opts", "sgd_schedule_free", {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1,
                                                     "warmup_steps": 6, "r": 1.0, "weight_lr_power": 1.0}, None, None),
    ("sgd_schedule_free_schedule", "sgd_schedule_free", {"warmup_steps": 3, "r": 0.5}, None, 0.05),
    ("sgd_schedule_free_layers", "sgd_schedule_free", {"lr": 0.05, "warmup_steps": 4}, "layers", None),
    ("quadratic_sgd_schedule_free", "sgd_schedule_free", {"lr": 0.5}, "quadratic", None),
    ("rosenbrock_sgd_schedule_free", "sgd_schedule_free", {"lr": 1e-3, "momentum": 0.95, "warmup_steps": 10},
     "rosenbrock", None),
    ("adamw_schedule_free_default", "adamw_schedule_free", {}, None, None),
    ("adamw_schedule_free_opts", "adamw_schedule_free", {"lr": 0.05, "betas": (0.5, 0.9), "eps": 1e-6,
                                                         "weight_decay": 0.1, "warmup_steps": 8, "r": 2.0,
                                                         "weight_lr_power": 0.0}, None, None),
    ("adamw_schedule_free_schedule", "adamw_schedule_free", {"weight_decay": 0.01, "warmup_steps": 2}, None, 0.1),
    ("adamw_schedule_free_layers", "adamw_schedule_free", {"lr": 0.02, "weight_decay": 0.05, "warmup_steps": 5},
     "layers", None),
    ("quadratic_adamw_schedule_free", "adamw_schedule_free", {"lr": 0.5, "warmup_steps": 5}, "quadratic", None),
    ("rosenbrock_adamw_schedule_free", "adamw_schedule_free", {"lr": 0.02, "betas": (0.95, 0.99)}, "rosenbrock",
     None),
]

# torch LBFGS calls its closure several times a step, so it runs on surfaces only: (id, values, surface, start or
# None for the surface's, base of the per-step lr or None, steps); the closure gives tui-dl's own f and gradient
LBFGS_CASES = [
    ("lbfgs_rosenbrock_default", {}, "rosenbrock", None, None, 12),
    ("lbfgs_rosenbrock_lr", {"lr": 0.1}, "rosenbrock", None, None, 12),
    ("lbfgs_rosenbrock_wolfe", {"line_search_fn": "strong_wolfe"}, "rosenbrock", None, None, 6),
    ("lbfgs_rosenbrock_wolfe_history", {"line_search_fn": "strong_wolfe", "history_size": 2, "max_iter": 4},
     "rosenbrock", (-2.0, 2.0), None, 12),
    ("lbfgs_rosenbrock_wolfe_evals", {"line_search_fn": "strong_wolfe", "max_iter": 10, "max_eval": 6,
                                      "history_size": 3}, "rosenbrock", None, None, 12),
    ("lbfgs_quadratic_one_iteration", {"lr": 0.5, "max_iter": 1}, "quadratic", None, None, 20),
    ("lbfgs_quadratic_wolfe", {"line_search_fn": "strong_wolfe", "max_iter": 2}, "quadratic", None, None, 6),
    ("lbfgs_himmelblau_history", {"lr": 0.2, "max_iter": 5, "history_size": 3}, "himmelblau", (-1.0, 0.5), None, 12),
    ("lbfgs_himmelblau_wolfe_tolerances", {"line_search_fn": "strong_wolfe", "tolerance_grad": 1e-3,
                                           "tolerance_change": 1e-4, "max_iter": 6}, "himmelblau", (0.5, -4.0), None,
     10),
    ("lbfgs_beale_wolfe", {"line_search_fn": "strong_wolfe", "max_iter": 8, "history_size": 5}, "beale", None, None,
     10),
    ("lbfgs_ackley_wolfe", {"line_search_fn": "strong_wolfe", "max_iter": 5}, "ackley", (1.3, -0.7), None, 8),
    ("lbfgs_booth_schedule", {"max_iter": 3}, "booth", None, 0.2, 15),
    ("lbfgs_saddle_wolfe", {"line_search_fn": "strong_wolfe", "max_iter": 3}, "saddle", (-1.0, 0.01), None, 3),
]

# the LAYERS cases: a small network's variables in the engine's order (kernels, then biases), Keras layout
LAYER_SHAPES = [[3, 4], [4, 2], [4], [2]]


def layer_case():
    """(theta0, gradients) of the LAYERS cases: drawn as fixed_gradients draws, for 26 parameters."""
    rng = np.random.default_rng(20261130)
    size = sum(int(np.prod(shape)) for shape in LAYER_SHAPES)
    theta0 = rng.normal(0.0, 0.5, size)
    grads = rng.choice([-1.0, 1.0], (base.N_STEPS, size)) * 10.0 ** rng.uniform(-3.0, 1.0, (base.N_STEPS, size))
    grads[rng.random((base.N_STEPS, size)) < 0.1] = 0.0
    grads[5, :] = 0.0  # a step without gradient
    grads[:3, 20:24] = 0.0  # the first bias sees nothing at first
    return theta0.tolist(), grads.tolist()


def split(flat, shapes):
    """A flat row as the list of its variables."""
    out, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(np.asarray(flat[start:start + size], dtype=np.float64).reshape(shape))
        start += size
    return out


class _Model:
    """`model` in the shown torch code: its parameters are the tensors under test."""

    def __init__(self, params):
        self.params = params

    def parameters(self):
        return list(self.params)


def shown_code(name, params):
    keras_code, torch_code, _ = optimizer_code(name, params)
    code = keras_code if name in KERAS_OPTIMIZERS else torch_code
    assert not code.lstrip().startswith("#"), (name, code)
    return code


def build(code, params=()):
    """The optimizer the shown code makes, with keras, torch and math as the panel's code expects: an expression,
    or statements that assign `optimizer` (the schedule-free ones also import schedulefree and call train())."""
    import math

    scope = {"keras": keras, "torch": torch, "math": math, "model": _Model(params)}
    if "optimizer = " in code or "optimizers = " in code:
        exec(code, scope)
        return scope.get("optimizer") or scope["optimizers"]
    return eval(code, scope)


def evaluation_point(optimizer, params):
    """The weights optimizer.eval() gives (schedule-free: x), after which train mode and y are put back exactly."""
    saved = [p.detach().clone() for p in params]
    optimizer.eval()
    point = torch.cat([p.detach().ravel() for p in params]).tolist()
    with torch.no_grad():
        for param, value in zip(params, saved, strict=True):
            param.copy_(value)
    for group in optimizer.param_groups:
        group["train_mode"] = True
    return point


def run_torch(code, theta0, grads, surface, rates, n_steps, shapes=None):
    """torch on one parameter tensor, or on the tensors `shapes` lays the row out in (fixed gradients only)."""
    shapes = shapes or [[len(theta0)]]
    params = [torch.tensor(part, requires_grad=True) for part in split(theta0, shapes)]
    optimizer = build(code, params)
    schedule_free = hasattr(optimizer, "eval")
    assert schedule_free or not optimizer.defaults.get("foreach"), "the single-tensor path (CPU default)"
    trajectory, averages = [], []
    for step in range(n_steps):
        if rates is not None:
            optimizer.param_groups[0]["lr"] = rates[step]
        flat = torch.cat([p.detach().ravel() for p in params]).tolist()
        gradient = base.gradient_at(step, flat, grads, surface)
        for param, part in zip(params, split(gradient, shapes), strict=True):
            param.grad = torch.tensor(part)
        optimizer.step()
        trajectory.append(torch.cat([p.detach().ravel() for p in params]).tolist())
        if "ax" in optimizer.state[params[0]]:
            averages.append(optimizer.state[params[0]]["ax"].tolist())
        if schedule_free:  # schedule-free: train() was called by the shown code
            averages.append(evaluation_point(optimizer, params))
    return trajectory, averages or None


def torch_layout(flat, shapes):
    """The row's variables as torch holds them: a kernel (fan_in, fan_out) is a Linear weight (fan_out, fan_in)."""
    return [part.T.copy() if part.ndim == 2 else part for part in split(flat, shapes)]


def run_torch_muon(code, theta0, grads, rates, n_steps, shapes):
    """torch Muon and AdamW as the shown code builds them, over the row's variables in torch's layout."""
    params = [torch.tensor(part, requires_grad=True) for part in torch_layout(theta0, shapes)]
    optimizers = build(code, params)
    trajectory = []
    for step in range(n_steps):
        if rates is not None:
            for optimizer in optimizers:
                optimizer.param_groups[0]["lr"] = rates[step]
        for param, part in zip(params, torch_layout(grads[step], shapes), strict=True):
            param.grad = torch.tensor(part)
        for optimizer in optimizers:
            optimizer.step()
        trajectory.append(np.concatenate([(p.detach().numpy().T if p.ndim == 2 else p.detach().numpy()).ravel()
                                          for p in params]).tolist())
    return trajectory, None


def run_keras(name, code, theta0, grads, surface, rates, n_steps, shapes=None):
    """Keras on one variable, or on the variables `shapes` lays the row out in (fixed gradients only)."""
    optimizer = build(code)
    shapes = shapes or [[len(theta0)]]
    variables = [keras.Variable(part, dtype="float64") for part in split(theta0, shapes)]
    trajectory = []
    for step in range(n_steps):
        if rates is not None:
            optimizer.learning_rate = rates[step]
        flat = np.concatenate([keras.ops.convert_to_numpy(v).ravel() for v in variables]).tolist()
        gradient = base.gradient_at(step, flat, grads, surface)
        optimizer.apply([torch.tensor(part) for part in split(gradient, shapes)], variables)
        trajectory.append(np.concatenate([keras.ops.convert_to_numpy(v).ravel() for v in variables]).tolist())
    for variable in variables:
        base.check_keras_precision(name, optimizer, variable, n_steps)
    return trajectory, None


def run_torch_closure(code, surface_name, start, rates, n_steps):
    """torch LBFGS from start on a tui-dl surface, its closure giving the surface's f and analytic gradient (the
    engine's own, so that only the optimizer is compared), with torch's counters after every step."""
    surface = get_surface(surface_name)
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = build(code, [param])

    def closure():
        point = param.detach().numpy()[None]
        param.grad = torch.tensor(surface.gradient(point)[0])
        return torch.tensor(surface.f(point)[0])

    trajectory, counters = [], []
    for step in range(n_steps):
        if rates is not None:
            optimizer.param_groups[0]["lr"] = rates[step]
        optimizer.step(closure)
        trajectory.append(param.detach().tolist())
        state = optimizer.state[param]
        counters.append([state["n_iter"], state["func_evals"]])
    return trajectory, counters


def jsonable(values):
    return {key: list(value) if isinstance(value, tuple) else value for key, value in values.items()}


def cases():
    grads = base.fixed_gradients()
    layer_theta0, layer_grads = layer_case()
    out = []
    for case_id, name, values, surface, lr_base in CASES:
        params = OPTIMIZERS[name].resolve(values)
        code = shown_code(name, params)
        shapes = LAYER_SHAPES if surface == "layers" else None
        if shapes:
            surface, theta0, case_grads = None, layer_theta0, layer_grads
        else:
            theta0 = base.SURFACE_START[surface] if surface else base.THETA0
            case_grads = None if surface else grads
        n_steps = base.N_SURFACE_STEPS if surface else base.N_STEPS
        rates = base.lr_sequence(lr_base) if lr_base is not None else None
        if name in KERAS_OPTIMIZERS:
            theta, ax = run_keras(name, code, theta0, case_grads, surface, rates, n_steps, shapes)
        elif name == "muon":
            theta, ax = run_torch_muon(code, theta0, case_grads, rates, n_steps, shapes)
        else:
            theta, ax = run_torch(code, theta0, case_grads, surface, rates, n_steps, shapes)
        assert np.all(np.isfinite(theta)), case_id
        case = {"id": case_id, "name": name, "params": jsonable(params), "code": code, "theta0": theta0,
                "grads": case_grads, "surface": surface, "lr": rates, "theta": theta}
        if shapes:
            case["shapes"] = shapes
        if ax is not None:
            case["x" if name in SCHEDULE_FREE_OPTIMIZERS else "ax"] = ax
        out.append(case)
    for case_id, values, surface, start, lr_base, n_steps in LBFGS_CASES:
        params = OPTIMIZERS["lbfgs"].resolve(values)
        code = shown_code("lbfgs", params)
        start = list(start or get_surface(surface).start)
        rates = base.lr_sequence(lr_base)[:n_steps] if lr_base is not None else None
        theta, counters = run_torch_closure(code, surface, start, rates, n_steps)
        assert np.all(np.isfinite(theta)), case_id
        out.append({"id": case_id, "name": "lbfgs", "params": jsonable(params), "code": code, "theta0": start,
                    "grads": None, "surface": surface, "closure": True, "lr": rates, "theta": theta,
                    "n_iter_func_evals": counters})
    return out


def main():
    if keras.backend.backend() != "torch":
        sys.exit("run with KERAS_BACKEND=torch")
    if not torch.__version__.startswith(base.TORCH_VERSION_EXPECTED):
        print(f"warning: torch {torch.__version__}, the fixtures were made with {base.TORCH_VERSION_EXPECTED}")
    keras.config.set_floatx("float64")
    previous_default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch's optimizer scalars (step, ASGD's eta and mu) in float64
    try:
        records = cases()
    finally:
        torch.set_default_dtype(previous_default)
        keras.config.set_floatx("float32")
    meta = base.base_meta(
        generator=GENERATOR,
        schedulefree=importlib.metadata.version("schedulefree"),
        dtype="float64",
        protocol="As optimizers.json: theta[t] is the parameter vector after update t+1, made with grads[t] (fixed "
        "cases) or with the analytic float64 gradient of the surface at theta[t-1] (theta0 for t=0); when lr is a "
        "list, lr[t] is set (torch: param_groups[0]['lr']; keras: optimizer.learning_rate) before update t+1. The "
        "optimizer is what `code` (the code tui-dl's formula panel shows for `name` with `params`) evaluates to, "
        "with model.parameters() = [the parameter tensor] and foreach left at its CPU default (single tensor). "
        "ax (ASGD): torch's state['ax'] after each update. x (schedule-free): the weights optimizer.eval() "
        "gives after each update (then y and train mode are restored exactly); theta is y, the weights in train "
        "mode. muon: the code builds torch Muon over the 2-D tensors and AdamW over the rest; a kernel of the row "
        "(fan_in, fan_out) is given to torch transposed, as a Linear weight (fan_out, fan_in), and read back "
        "transposed. closure (LBFGS): optimizer.step(closure) with a closure that sets the parameter's grad to the "
        "tui-dl surface's analytic gradient and returns its f (both float64 numpy, the engine's own functions); "
        "n_iter_func_evals: torch's state['n_iter'] and state['func_evals'] after each step. "
        "shapes (Lamb, Adafactor): the row theta is the "
        "variables of these shapes one after another (each flattened in C order), each a keras.Variable of its "
        "own; without shapes the row is one 1-D variable.",
        surfaces={"rosenbrock": "f(x, y) = (1 - x)^2 + 100 (y - x^2)^2", "quadratic": "f(x, y) = x^2 / 20 + y^2"},
        keras_precision=base.KERAS_PRECISION,
        notes=[
            "torch Rprop and ASGD initialize their state at the first step() with the group's lr of that moment "
            "(Rprop's step sizes, ASGD's eta): the *_schedule cases start at the warmup's first rate. Later rates "
            "do nothing to Rprop; ASGD's eta at step t+1 is computed at the end of step t from that step's lr.",
            "Keras Lion, Adadelta: the torch-backend classes (keras/src/backend/torch/optimizers/torch_lion.py, "
            "torch_adadelta.py); Keras Ftrl: the generic update_step of keras/src/optimizers/ftrl.py.",
            "The schedule-free cases run the schedulefree package (version in meta.schedulefree) with foreach at "
            "its default (True).",
            "torch Muon runs its Newton-Schulz iteration in bfloat16 (the engine emulates it: equal here to 1e-12); "
            "Keras Muon's keras.ops.norm casts a float64 matrix to float32 before taking the norm.",
            "torch (2.13) has no Lion or Ftrl and Keras 3 no RAdam, Rprop or ASGD: those panels show a comment "
            "on the other side, and only the framework's own code is run here.",
        ],
    )
    base.write_fixture("optimizers_shown_code.json", meta, records)


if __name__ == "__main__":
    main()
