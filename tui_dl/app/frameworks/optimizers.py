"""Optimizers: torch.optim and keras.optimizers calls with the selected values, and their update rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tui_dl.app.frameworks.code import call

TORCH_OPTIMIZERS = {"sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW",
                    "nadam": "NAdam", "adamax": "Adamax"}
KERAS_OPTIMIZERS = {"keras_sgd": "SGD", "keras_adagrad": "Adagrad", "keras_rmsprop": "RMSprop",
                    "keras_adam": "Adam", "keras_adamw": "AdamW", "keras_nadam": "Nadam", "keras_adamax": "Adamax"}
# torch parameter -> keras parameter
_TO_KERAS = {"lr": "learning_rate", "eps": "epsilon", "alpha": "rho"}
OPTIMIZER_FORMULAS = {
    "sgd": ("b ← μ·b + (1 − dampening)·g (b = g at t = 1);  θ ← θ − lr·(g + μ·b if nesterov else b)",),
    "adagrad": ("S ← S + g²;  θ ← θ − lr/(1 + (t−1)·lr_decay) · g / (√S + eps)",),
    "rmsprop": ("v ← α·v + (1 − α)·g²;  θ ← θ − lr · g / (√v + eps)",),
    "adam": ("m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²",
             "θ ← θ − lr · m̂ / (√v̂ + eps),  m̂ = m/(1−β1^t), v̂ = v/(1−β2^t)"),
    "adamw": ("θ ← θ·(1 − lr·weight_decay), then the Adam step",),
    "nadam": ("Adam with Nesterov momentum and the schedule μ_t = β1(1 − ½·0.96^(t·momentum_decay))",),
    "adamax": ("m ← β1·m + (1−β1)·g;  u ← max(β2·u, |g| + eps);  θ ← θ − lr/(1−β1^t) · m/u",),
    "keras_sgd": ("m ← momentum·m − lr·g;  θ ← θ + m  (nesterov: θ ← θ + momentum·m − lr·g)",),
    "keras_adagrad": ("S ← S + g² (S starts at 0.1);  θ ← θ − lr · g / √(S + epsilon)",),
    "keras_rmsprop": ("v ← ρ·v + (1 − ρ)·g²;  θ ← θ − lr · g / √(v + epsilon)",),
    "keras_adam": ("θ ← θ − lr·√(1−β2^t)/(1−β1^t) · m / (√v + epsilon)  (bias correction in the rate)",),
    "keras_adamw": ("θ ← θ − lr·weight_decay·θ, then the Keras Adam step",),
    "keras_nadam": ("Adam with Nesterov momentum and μ_t = β1(1 − ½·0.96^t)",),
    "keras_adamax": ("u ← max(β2·u, |g|);  θ ← θ − lr/(1−β1^t) · m/(u + epsilon)",),
}


def optimizer_name(name: str) -> str:
    """The framework's class name: Adam for adam, Keras Adam for keras_adam, else the catalog name."""
    if name in TORCH_OPTIMIZERS:
        return TORCH_OPTIMIZERS[name]
    return f"Keras {KERAS_OPTIMIZERS[name]}" if name in KERAS_OPTIMIZERS else name


def optimizer_code(name: str, p: Mapping[str, Any]) -> tuple[str, str, list[str]]:
    notes: list[str] = []
    if name in TORCH_OPTIMIZERS:
        torch = call(f"torch.optim.{TORCH_OPTIMIZERS[name]}", "model.parameters()", **p)
        kw: dict[str, Any] = {}
        for key, value in p.items():
            if key == "betas":
                kw["beta_1"], kw["beta_2"] = value
            elif key in ("dampening", "lr_decay", "momentum_decay", "decoupled_weight_decay"):
                if value:
                    notes.append(f"Keras has no {key}.")
            elif key == "weight_decay":
                if value:
                    kw[key] = value
                    if name != "adamw":
                        notes.append("torch's weight_decay here is coupled L2 (added to g); Keras's is decoupled.")
            else:
                kw[_TO_KERAS.get(key, key)] = value
        keras_name = {"nadam": "Nadam"}.get(name, TORCH_OPTIMIZERS[name])
        keras = call(f"keras.optimizers.{keras_name}", **kw)
        if name in ("adam", "adamw", "rmsprop", "adagrad", "adamax", "nadam"):
            notes.append("Keras places epsilon differently and defaults it to 1e-7 (REFERENCE.md): paths differ"
                         " slightly.")
        return keras, torch, notes
    if name in KERAS_OPTIMIZERS:
        keras = call(f"keras.optimizers.{KERAS_OPTIMIZERS[name]}", **p)
        back = {v: k for k, v in _TO_KERAS.items()}
        kw = {}
        for key, value in p.items():
            if key in ("beta_1", "beta_2"):
                kw["betas"] = (p.get("beta_1", 0.9), p.get("beta_2", 0.999))
            elif key == "initial_accumulator_value" or (key == "weight_decay" and not value):
                continue
            else:
                kw[back.get(key, key)] = value
        torch_name = TORCH_OPTIMIZERS[name.removeprefix("keras_")]
        torch = call(f"torch.optim.{torch_name}", "model.parameters()", **kw)
        notes.append("The torch optimizer follows the PyTorch update rule, not exactly this Keras one.")
        return keras, torch, notes
    return "", "", notes
