"""Golden trajectories of torch optimizers driven by CyclicLR and OneCycleLR with cycle_momentum (the default).

Writes tests/golden/cycled_momentum.json, read by tests/engine/test_cycled_momentum_golden.py. Run it in an
environment with torch (the test suite does not need it):

    python tests/golden/make_cycled_momentum_golden.py

Each case builds a torch optimizer on one float64 parameter of 2 (a point on a surface, or a 2-16-3 MLP's
flattened weights for the training case), then the scheduler (whose constructor already writes the first
rate and momentum into the param group), and for each step records the group's lr and its momentum
(param_groups[0]['momentum'], or betas[0] for the Adam family), sets the gradient, calls optimizer.step()
and scheduler.step(), and records the parameters after the step. The engine must follow the same
trajectory with the momentum fed to `Optimizer.update(..., momentum=)`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from make_golden import SURFACES  # the surfaces' gradients, as the optimizer goldens use them
from torch.optim import lr_scheduler

HERE = Path(__file__).resolve().parent
OPTIMIZERS = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
              "adamw": torch.optim.AdamW, "nadam": torch.optim.NAdam, "radam": torch.optim.RAdam,
              "adamax": torch.optim.Adamax}
SCHEDULERS = {"cyclic_lr": lr_scheduler.CyclicLR, "one_cycle_lr": lr_scheduler.OneCycleLR}


# (id, optimizer, its params, schedule, its params, surface, start, steps)
CASES = [
    ("sgd_m09_one_cycle", "sgd", {"lr": 0.01, "momentum": 0.9}, "one_cycle_lr",
     {"max_lr": 0.3, "total_steps": 60}, "quadratic", [-7.0, 2.0], 60),
    ("sgd_m0_cyclic_triangular2", "sgd", {"lr": 0.01}, "cyclic_lr",
     {"base_lr": 0.01, "max_lr": 0.2, "step_size_up": 8, "mode": "triangular2"}, "quadratic", [-7.0, 2.0], 40),
    ("sgd_nesterov_one_cycle_linear", "sgd", {"lr": 0.01, "momentum": 0.5, "nesterov": True, "weight_decay": 0.01},
     "one_cycle_lr", {"max_lr": 0.002, "total_steps": 50, "anneal_strategy": "linear", "base_momentum": 0.7,
                      "max_momentum": 0.99}, "rosenbrock", [-1.2, 1.0], 50),
    ("sgd_dampening_cyclic_exp_range", "sgd", {"lr": 0.01, "momentum": 0.9, "dampening": 0.3}, "cyclic_lr",
     {"base_lr": 1e-4, "max_lr": 1e-3, "step_size_up": 5, "step_size_down": 9, "mode": "exp_range", "gamma": 0.97},
     "rosenbrock", [-1.2, 1.0], 45),
    ("rmsprop_one_cycle_three_phase", "rmsprop", {"lr": 0.01, "momentum": 0.5}, "one_cycle_lr",
     {"max_lr": 0.05, "total_steps": 40, "three_phase": True}, "rosenbrock", [-1.2, 1.0], 40),
    ("rmsprop_m0_centered_cyclic", "rmsprop", {"lr": 0.01, "centered": True}, "cyclic_lr",
     {"base_lr": 0.001, "max_lr": 0.05, "step_size_up": 6}, "quadratic", [-7.0, 2.0], 30),
    ("adam_cyclic", "adam", {"lr": 0.01}, "cyclic_lr",
     {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 10}, "rosenbrock", [-1.2, 1.0], 50),
    ("adam_amsgrad_one_cycle", "adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.01}, "one_cycle_lr",
     {"max_lr": 0.1, "total_steps": 45, "pct_start": 0.4}, "rosenbrock", [-1.2, 1.0], 45),
    ("adamw_cyclic_triangular2", "adamw", {"lr": 0.01, "betas": [0.5, 0.99]}, "cyclic_lr",
     {"base_lr": 0.01, "max_lr": 0.3, "step_size_up": 4, "step_size_down": 6, "mode": "triangular2",
      "base_momentum": 0.6, "max_momentum": 0.95}, "quadratic", [-7.0, 2.0], 40),
    ("nadam_one_cycle", "nadam", {"lr": 0.01}, "one_cycle_lr",
     {"max_lr": 0.05, "total_steps": 40}, "rosenbrock", [-1.2, 1.0], 40),
    ("nadam_decoupled_cyclic", "nadam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
     "cyclic_lr", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 7}, "quadratic", [-7.0, 2.0], 35),
    ("radam_one_cycle", "radam", {"lr": 0.01}, "one_cycle_lr",
     {"max_lr": 0.1, "total_steps": 40, "anneal_strategy": "linear"}, "rosenbrock", [-1.2, 1.0], 40),
    ("adamax_cyclic", "adamax", {"lr": 0.01}, "cyclic_lr",
     {"base_lr": 0.01, "max_lr": 0.2, "step_size_up": 5}, "quadratic", [-7.0, 2.0], 30),
]


def torch_kwargs(params):
    kwargs = dict(params)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    return kwargs


def group_momentum(group):
    return float(group["betas"][0]) if "betas" in group else float(group["momentum"])


def surface_case(case_id, name, params, schedule, schedule_params, surface, start, steps):
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = OPTIMIZERS[name]([param], foreach=False, **torch_kwargs(params))
    scheduler = SCHEDULERS[schedule](optimizer, **schedule_params)
    rates, momenta, path = [], [], []
    for _ in range(steps):
        group = optimizer.param_groups[0]
        rates.append(float(group["lr"]))
        momenta.append(group_momentum(group))
        param.grad = torch.tensor(SURFACES[surface](param.detach().tolist()), dtype=torch.float64)
        optimizer.step()
        scheduler.step()
        path.append(param.detach().tolist())
    return {"id": case_id, "optimizer": name, "optimizer_params": params, "schedule": schedule,
            "schedule_params": schedule_params, "surface": surface, "start": start, "lr": rates,
            "momentum": momenta, "trajectory": path}


def mlp_case():
    """A 2-16-3 tanh MLP, full-batch softmax cross-entropy on 24 fixed points, SGD(momentum 0.9) + OneCycleLR: the
    training loop's path (the weights laid out as the engine's flat row, mlp.py: every kernel (in, out), then every
    bias)."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(24, 2))
    y = (np.arange(24) % 3).astype(np.int64)
    w1, b1 = rng.normal(scale=0.5, size=(2, 16)), np.zeros(16)
    w2, b2 = rng.normal(scale=0.5, size=(16, 3)), np.zeros(3)
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (w1, b1, w2, b2)]
    optimizer = torch.optim.SGD(tensors, lr=0.01, momentum=0.9, foreach=False)
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=0.5, total_steps=30)
    xt, yt = torch.tensor(x), torch.tensor(y)
    losses, path = [], []
    for _ in range(30):
        optimizer.zero_grad()
        hidden = torch.tanh(xt @ tensors[0] + tensors[1])
        loss = torch.nn.functional.cross_entropy(hidden @ tensors[2] + tensors[3], yt)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(float(loss.detach()))
        path.append(np.concatenate([tensors[i].detach().numpy().ravel() for i in (0, 2, 1, 3)]).tolist())
    return {"id": "mlp_sgd_one_cycle", "x": x.tolist(), "y": y.tolist(),
            "initial": np.concatenate([w1.ravel(), w2.ravel(), b1, b2]).tolist(), "sizes": [2, 16, 3],
            "optimizer": "sgd", "optimizer_params": {"lr": 0.01, "momentum": 0.9}, "schedule": "one_cycle_lr",
            "schedule_params": {"max_lr": 0.5, "total_steps": 30}, "loss": losses, "trajectory": path}


def refusals():
    """What torch says for an optimizer without momentum or betas under cycle_momentum=True."""
    out = {}
    for name, cls in (("adagrad", torch.optim.Adagrad), ("adadelta", torch.optim.Adadelta)):
        optimizer = cls([torch.zeros(1, requires_grad=True)], lr=0.1)
        try:
            lr_scheduler.CyclicLR(optimizer, base_lr=0.01, max_lr=0.1)
        except ValueError as error:
            out[name] = str(error)
    return out


def main():
    torch.set_default_dtype(torch.float64)  # the optimizer state scalars (step, NAdam's mu_product) too, as make_golden
    cases = [surface_case(*case) for case in CASES]
    meta = {"generator": "python tests/golden/make_cycled_momentum_golden.py", "torch": torch.__version__,
            "dtype": "float64, with torch.set_default_dtype(torch.float64) so that the optimizer state scalars "
            "(step, NAdam's mu_product) are float64 too (under float32 they round NAdam's steps by ~1e-10)",
            "refusals": refusals()}
    text = json.dumps({"meta": meta, "cases": cases, "mlp": mlp_case()}, separators=(",", ":"), allow_nan=False)
    path = HERE / "cycled_momentum.json"
    path.write_text(text + "\n")
    print(f"wrote {path.name}: {len(cases)} surface cases + 1 MLP case, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
