"""Optimizers: torch.optim and keras.optimizers calls with the selected values, and their update rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tui_dl.app.frameworks.code import call

TORCH_OPTIMIZERS = {"sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW",
                    "nadam": "NAdam", "adamax": "Adamax", "radam": "RAdam", "adadelta": "Adadelta",
                    "rprop": "Rprop", "asgd": "ASGD", "adafactor": "Adafactor", "lbfgs": "LBFGS", "muon": "Muon"}
KERAS_OPTIMIZERS = {"keras_sgd": "SGD", "keras_adagrad": "Adagrad", "keras_rmsprop": "RMSprop",
                    "keras_adam": "Adam", "keras_adamw": "AdamW", "keras_nadam": "Nadam", "keras_adamax": "Adamax",
                    "keras_adadelta": "Adadelta", "keras_lion": "Lion", "keras_ftrl": "Ftrl", "keras_lamb": "Lamb",
                    "keras_adafactor": "Adafactor", "keras_muon": "Muon"}
# the `schedulefree` package (pip install schedulefree): torch optimizers that need train() before training
SCHEDULE_FREE_OPTIMIZERS = {"sgd_schedule_free": "SGDScheduleFree", "adamw_schedule_free": "AdamWScheduleFree"}
# the other framework's closest optimizer (catalog name), None where it has none
_KERAS_OF = {name: f"keras_{name}" for name in TORCH_OPTIMIZERS if f"keras_{name}" in KERAS_OPTIMIZERS}
_KERAS_OF.update(radam=None, rprop=None, asgd=None, lbfgs=None)
_TORCH_OF = {keras: torch for torch, keras in _KERAS_OF.items() if keras}
_TORCH_OF.update(keras_lion=None, keras_ftrl=None, keras_lamb=None)
_MISSING = {
    "radam": "# Keras 3 has no RAdam (keras.optimizers has Adam, AdamW, Nadam, Lamb ...)",
    "rprop": "# Keras 3 has no Rprop",
    "asgd": "# Keras 3 has no ASGD",
    "lbfgs": "# Keras 3 has no L-BFGS (its optimizers take one gradient a step, no closure)",
    "keras_lion": "# torch.optim has no Lion (PyTorch 2.13); Keras's is the reference here",
    "keras_ftrl": "# torch.optim has no Ftrl (PyTorch 2.13); Keras's is the reference here",
    "keras_lamb": "# torch.optim has no Lamb (PyTorch 2.13); Keras's is the reference here",
    "sgd_schedule_free": "# Keras 3 has no schedule-free optimizer; the reference is the schedulefree package",
    "adamw_schedule_free": "# Keras 3 has no schedule-free optimizer; the reference is the schedulefree package",
}
# torch parameter -> keras parameter
_TO_KERAS = {"lr": "learning_rate", "eps": "epsilon"}
_TO_KERAS_OF = {"rmsprop": {"alpha": "rho"}, "adafactor": {"beta2_decay": "beta_2_decay", "d": "clip_threshold"}}
OPTIMIZER_FORMULAS = {
    "sgd": ("b ← μ·b + (1 − dampening)·g (b = g at t = 1);  θ ← θ − lr·(g + μ·b if nesterov else b)",),
    "adagrad": ("S ← S + g²;  θ ← θ − lr/(1 + (t−1)·lr_decay) · g / (√S + eps)",),
    "rmsprop": ("v ← α·v + (1 − α)·g²;  θ ← θ − lr · g / (√v + eps)",),
    "adam": ("m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²",
             "θ ← θ − lr · m̂ / (√v̂ + eps),  m̂ = m/(1−β1^t), v̂ = v/(1−β2^t)"),
    "adamw": ("θ ← θ·(1 − lr·weight_decay), then the Adam step",),
    "nadam": ("Adam with Nesterov momentum and the schedule μ_t = β1(1 − ½·0.96^(t·momentum_decay))",),
    "adamax": ("m ← β1·m + (1−β1)·g;  u ← max(β2·u, |g| + eps);  θ ← θ − lr/(1−β1^t) · m/u",),
    "radam": ("m, v as Adam;  ρ∞ = 2/(1−β2) − 1,  ρ_t = ρ∞ − 2t·β2^t/(1−β2^t)",
              "ρ_t > 5: θ ← θ − lr · m̂ · r_t·√(1−β2^t)/(√v + eps),  r_t = √((ρ_t−4)(ρ_t−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρ_t))",
              "else:   θ ← θ − lr · m̂  (the first steps: no adaptive scaling)"),
    "adadelta": ("v ← ρ·v + (1−ρ)·g²;  Δ = √(u + eps)/√(v + eps) · g;  u ← ρ·u + (1−ρ)·Δ²;  θ ← θ − lr·Δ",),
    "rprop": ("s = sign(g·g_prev): step ← clamp(step · (etaplus if s > 0, etaminus if s < 0, 1), step_sizes)",
              "θ ← θ − sign(g)·step, with g ← 0 where the sign flipped;  lr is only the initial step"),
    "asgd": ("θ ← θ·(1 − λ·η) − η·g;  ax ← θ while t ≤ t0, then ax ← ax + (θ − ax)/(t − t0)",
             "η ← lr / (1 + λ·lr·t)^α;  the path drawn is θ; ax is the average torch keeps in its state"),
    "sgd_schedule_free": (
        "c = (k+1)^r·lr_max^weight_lr_power / Σ weights;  lr_t = lr·min(1, (k+1)/warmup_steps)",
        "y ← lerp(y, z, c) + lr_t·(β(1−c) − 1)·g;  z ← z − lr_t·g  (g taken at y, the path drawn)",
        "x = lerp(y, z, 1 − 1/β): the average optimizer.eval() puts in the weights (in the state)"),
    "adamw_schedule_free": (
        "v ← β2·v + (1−β2)·g²;  ĝ = g/(√(v/(1−β2^(k+1))) + eps) + wd·y;  c, lr_t as schedule-free SGD",
        "y ← lerp(y, z, c) + lr_t·(β1(1−c) − 1)·ĝ;  z ← z − lr_t·ĝ  (g taken at y, the path drawn)",
        "x = lerp(y, z, 1 − 1/β1): the average optimizer.eval() puts in the weights (in the state)"),
    "lbfgs": ("d = −H·g: two-loop recursion over the last history_size pairs s = t·d, y = g − g_prev (y·s > 1e-10)",
              "θ ← θ + t·d;  t = lr (first: min(1, 1/Σ|g|)·lr), or where the strong Wolfe line search stops",
              "up to max_iter iterations and max_eval evaluations of the closure per step(closure)"),
    "muon": ("B ← lerp(B, g, 1 − momentum);  U = lerp(g, B, momentum) if nesterov else B  (2-D weights)",
             "O = NS(U): X ← X/‖X‖, then ns_steps × X ← a·X + (b·A + c·A²)·X, A = X·Xᵀ, in bfloat16",
             "θ ← θ·(1 − lr·wd) − lr·√max(1, rows/cols)·O;  biases: torch AdamW (Muon takes only 2-D parameters)"),
    "keras_muon": ("m ← momentum·m + g;  U = g + momentum·m if nesterov else m  (2-D variables)",
                   "θ ← θ − lr·NS5(U)·√max(rows, cols)·rms_rate  (NS5 in the variables' precision)",
                   "other variables (biases): Keras's AdamW step at lr·adam_lr_ratio, adam_weight_decay"),
    "keras_sgd": ("m ← momentum·m − lr·g;  θ ← θ + m  (nesterov: θ ← θ + momentum·m − lr·g)",),
    "keras_adagrad": ("S ← S + g² (S starts at 0.1);  θ ← θ − lr · g / √(S + epsilon)",),
    "keras_rmsprop": ("v ← ρ·v + (1 − ρ)·g²;  θ ← θ − lr · g / √(v + epsilon)",),
    "keras_adam": ("θ ← θ − lr·√(1−β2^t)/(1−β1^t) · m / (√v + epsilon)  (bias correction in the rate)",),
    "keras_adamw": ("θ ← θ − lr·weight_decay·θ, then the Keras Adam step",),
    "keras_nadam": ("Adam with Nesterov momentum and μ_t = β1(1 − ½·0.96^t)",),
    "keras_adamax": ("u ← max(β2·u, |g|);  θ ← θ − lr/(1−β1^t) · m/(u + epsilon)",),
    "keras_adadelta": ("as torch Adadelta, with learning_rate 0.001 (torch: 1.0), ρ 0.95, epsilon 1e-7",
                       "v ← ρ·v + (1−ρ)·g²;  Δ = √(u + ε)·g/√(v + ε);  u ← ρ·u + (1−ρ)·Δ²;  θ ← θ − lr·Δ"),
    "adafactor": ("ρ = min(lr, 1/√t);  α = max(eps2, RMS(θ))·ρ;  w = t^beta2_decay",
                  "matrix: R, C ← lerp(R, C; row, column means of g², w);  v = R·C / max(mean(R), eps1)",
                  "vector (a surface's point): v ← lerp(v, g², w);  θ ← θ − α/max(1, RMS(u)/d) · u,"
                  "  u = g/√max(v, eps1²)"),
    "keras_lion": ("θ ← θ − lr · sign(β1·m + (1−β1)·g);  m ← β2·m + (1−β2)·g",),
    "keras_ftrl": ("n' = n + g²;  z ← z + g + 2·l2s·θ − (n'^−p − n^−p)/lr · θ",
                   "θ = (clip(z, −l1, l1) − z) / (n'^−p/lr + 2·(l2 + β/(2·lr))),  p = learning_rate_power"),
    "keras_lamb": ("u = m̂ / (√v̂ + epsilon)  (Adam's direction);  θ ← θ − lr · (‖θ‖/‖u‖) · u",
                   "norms over each whole variable (kernel, bias; a surface's point is one variable)"),
    "keras_adafactor": ("ρ = min(lr, 1/√t);  α = max(ε2, RMS(θ))·ρ;  b = 1 − t^beta_2_decay",
                        "matrix: r, c ← b·(r, c) + (1−b)·(row, column means of g² + ε1);  v = (r/mean(r)) ⊗ c",
                        "vector (a surface's point): v ← b·v + (1−b)·(g² + ε1);  θ ← θ − α · clip_RMS(g/√v)"),
}


def optimizer_name(name: str) -> str:
    """The framework's class name: Adam for adam, Keras Adam for keras_adam, else the catalog name."""
    if name in TORCH_OPTIMIZERS:
        return TORCH_OPTIMIZERS[name]
    if name in SCHEDULE_FREE_OPTIMIZERS:
        return SCHEDULE_FREE_OPTIMIZERS[name]
    return f"Keras {KERAS_OPTIMIZERS[name]}" if name in KERAS_OPTIMIZERS else name


def _torch_muon(p: Mapping[str, Any]) -> str:
    """torch Muon over the 2-D parameters and AdamW over the rest (torch.optim.Muon refuses them)."""
    muon = call("torch.optim.Muon", "[p for p in params if p.ndim == 2]", **p)
    adamw = call("torch.optim.AdamW", "[p for p in params if p.ndim != 2]", lr=p["lr"])
    return (f"params = list(model.parameters())\noptimizers = [\n    {muon.replace(chr(10), chr(10) + '    ')},\n"
            f"    {adamw},  # Muon takes only 2-D parameters\n]")


def _muon_code(name: str, p: Mapping[str, Any], notes: list[str]) -> tuple[str, str]:
    """(Keras code, PyTorch code) of torch Muon or Keras Muon, the other framework's as its closest."""
    notes.append("torch runs the Newton-Schulz iteration in bfloat16, Keras in the variables' precision; torch scales"
                 " by sqrt(max(1, rows/cols)) of its (fan_out, fan_in) weight, Keras by sqrt(max(rows, cols)) * "
                 "rms_rate: the steps differ.")
    if name == "muon":
        a, b, c = p["ns_coefficients"]
        keras = call("keras.optimizers.Muon", learning_rate=p["lr"], weight_decay=p["weight_decay"],
                     momentum=p["momentum"], nesterov=p["nesterov"], muon_a=a, muon_b=b, muon_c=c,
                     ns_steps=p["ns_steps"], rms_rate=0.2 if p["adjust_lr_fn"] == "match_rms_adamw" else None)
        return keras, _torch_muon(p)
    torch = _torch_muon({"lr": p["learning_rate"], "weight_decay": p["weight_decay"], "momentum": p["momentum"],
                         "nesterov": p["nesterov"], "ns_coefficients": (p["muon_a"], p["muon_b"], p["muon_c"]),
                         "ns_steps": p["ns_steps"],
                         "adjust_lr_fn": "match_rms_adamw" if p["rms_rate"] is not None else None})
    return call("keras.optimizers.Muon", **p), torch


def optimizer_code(name: str, p: Mapping[str, Any]) -> tuple[str, str, list[str]]:
    """(Keras code, PyTorch code, notes): the selected optimizer in its framework with every selected value,
    and the other framework's closest optimizer (a comment where it has none)."""
    notes: list[str] = []
    if name in ("muon", "keras_muon"):
        keras, torch = _muon_code(name, p, notes)
        return keras, torch, notes
    if name in SCHEDULE_FREE_OPTIMIZERS:
        build = call(f"schedulefree.{SCHEDULE_FREE_OPTIMIZERS[name]}", "model.parameters()", **p)
        torch = (f"import schedulefree\noptimizer = {build}\n"
                 "optimizer.train()  # weights = y, where gradients are taken; optimizer.eval() sets them to x")
        notes.append("Call optimizer.train() before training steps and optimizer.eval() before evaluating or "
                     "saving: the path drawn is y, the loss a model in eval mode shows is at x.")
        return _MISSING[name], torch, notes
    if name in TORCH_OPTIMIZERS:
        torch = call(f"torch.optim.{TORCH_OPTIMIZERS[name]}", "model.parameters()", **p)
        counterpart = _KERAS_OF.get(name)
        if counterpart is None:
            return _MISSING[name], torch, notes
        rename = {**_TO_KERAS, **_TO_KERAS_OF.get(name, {})}
        kw: dict[str, Any] = {}
        for key, value in p.items():
            if key == "betas":
                kw["beta_1"], kw["beta_2"] = value
            elif key == "eps" and name == "adafactor":
                if value[0] is not None:
                    kw["epsilon_1"] = value[0]
                kw["epsilon_2"] = value[1]
                notes.append("Keras adds epsilon_1 to g² (default 1e-30); torch floors the variance with eps1.")
            elif key == "decoupled_weight_decay":
                if value and p.get("weight_decay"):
                    notes.append("Keras's weight_decay is always decoupled, as decoupled_weight_decay=True here.")
            elif key in ("dampening", "lr_decay", "momentum_decay"):
                if value:
                    notes.append(f"Keras has no {key}.")
            elif key == "weight_decay":
                if value:
                    kw[key] = value
                    if name not in ("adamw", "adafactor") and not p.get("decoupled_weight_decay"):
                        notes.append("torch's weight_decay here is coupled L2 (added to g); Keras's is decoupled.")
            else:
                kw[rename.get(key, key)] = value
        keras = call(f"keras.optimizers.{KERAS_OPTIMIZERS[counterpart]}", **kw)
        if name in ("adam", "adamw", "rmsprop", "adagrad", "adamax", "nadam", "adadelta"):
            notes.append("Keras places epsilon differently and defaults it to 1e-7 (REFERENCE.md): paths differ"
                         " slightly.")
        return keras, torch, notes
    if name in KERAS_OPTIMIZERS:
        keras = call(f"keras.optimizers.{KERAS_OPTIMIZERS[name]}", **p)
        counterpart = _TORCH_OF.get(name)
        if counterpart is None:
            return keras, _MISSING[name], notes
        back = {v: k for k, v in {**_TO_KERAS, **_TO_KERAS_OF.get(counterpart, {})}.items()}
        kw = {}
        for key, value in p.items():
            if key in ("beta_1", "beta_2"):
                kw["betas"] = (p.get("beta_1", 0.9), p.get("beta_2", 0.999))
            elif key in ("epsilon_1", "epsilon_2"):
                kw["eps"] = (p.get("epsilon_1", 1e-30), p.get("epsilon_2", 1e-3))
            elif key == "relative_step":
                continue  # torch has none (and Keras 3 takes the same minimum again anyway)
            elif key == "initial_accumulator_value" or (key == "weight_decay" and not value):
                continue
            else:
                kw[back.get(key, key)] = value
        torch = call(f"torch.optim.{TORCH_OPTIMIZERS[counterpart]}", "model.parameters()", **kw)
        notes.append("The torch optimizer follows the PyTorch update rule, not exactly this Keras one.")
        return keras, torch, notes
    return "", "", notes
