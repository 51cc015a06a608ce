"""Training: Keras's EarlyStopping and regularizers, with the PyTorch loop or layer that does the same."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tui_dl.app.frameworks.code import Description, call, compact, num
from tui_dl.params import count


def early_stopping(p: Mapping[str, Any]) -> Description:
    patience = p.get("patience")
    if patience is None:
        return _no_early_stopping(p)
    keras = call("keras.callbacks.EarlyStopping", **{k: v for k, v in p.items() if k != "patience"},
                 patience=patience if patience is not None else 0)
    delta = num(p.get("min_delta", 0.0))
    torch = ("best, wait = math.inf, 0  # PyTorch has no built-in early stopping\n"
             "for epoch in range(epochs):\n"
             "    val_loss = train_one_epoch_and_validate()\n"
             f"    if val_loss < best - {delta}:\n"
             "        best, wait = val_loss, 0\n"
             "        best_state = copy.deepcopy(model.state_dict())\n"
             "    else:\n"
             "        wait += 1\n"
             f"        if wait >= {patience}:\n"
             "            break")
    formula = (f"stop at the first epoch with {count(patience, 'epoch')} in a row without an improvement"
               f" larger than {delta} of {p.get('monitor', 'val_loss')}",
               "with best epoch b and no baseline it stops at b + patience")
    return Description("EarlyStopping", formula, "Keras (keras.callbacks.EarlyStopping)", keras, torch)


def _no_early_stopping(p: Mapping[str, Any]) -> Description:
    """patience none: no callback at all (Keras's EarlyStopping(patience=0) would stop at the first epoch
    without an improvement, and the loop's `wait >= None` would not run)."""
    keras = "callbacks = []  # no keras.callbacks.EarlyStopping: every epoch is trained"
    torch = ("for epoch in range(epochs):  # no early stopping: every epoch is trained\n"
             "    val_loss = train_one_epoch_and_validate()")
    formula = ("no early stopping: patience is none, so every epoch is trained",
               f"patience N: stop N epochs after the best epoch of {p.get('monitor', 'val_loss')}"
               " (a variant's patience=N: that variant alone)")
    return Description("EarlyStopping", formula, "Keras (keras.callbacks.EarlyStopping)", keras, torch,
                       ("Keras's own default patience is 0: stop at the first epoch without an improvement.",))


def regularizer(spec: str, p: Mapping[str, Any]) -> Description:
    l1, l2 = p.get("l1", 0.0), p.get("l2", 0.0)
    dropout, decay = p.get("dropout", 0.0), p.get("weight_decay", 0.0)
    formula, keras, torch = [], [], []
    if l2:
        formula.append(f"loss += {compact(l2)} · Σ w²  (kernels only; gradient 2·{compact(l2)}·w)")
        keras.append(f"keras.layers.Dense(units, kernel_regularizer=keras.regularizers.L2({num(l2)}))")
        torch.append(f"loss = loss + {num(l2)} * sum((w ** 2).sum() for w in kernels)")
    if l1:
        formula.append(f"loss += {compact(l1)} · Σ |w|")
        keras.append(f"keras.layers.Dense(units, kernel_regularizer=keras.regularizers.L1({num(l1)}))")
        torch.append(f"loss = loss + {num(l1)} * sum(w.abs().sum() for w in kernels)")
    if dropout:
        keep = compact(1 - dropout)
        formula.append(f"train: keep each hidden unit with p = {keep}, scale kept ones by 1/{keep}")
        keras.append(f"keras.layers.Dropout({num(dropout)})")
        torch.append(f"torch.nn.Dropout(p={num(dropout)})")
    if decay:
        formula.append(f"θ ← θ − lr·{compact(decay)}·θ each step (decoupled weight decay)")
        keras.append(f"keras.optimizers.AdamW(weight_decay={num(decay)})")
        torch.append(f"torch.optim.AdamW(model.parameters(), weight_decay={num(decay)})")
    if p.get("patience") is not None:
        formula.append(f"early stopping with patience {p['patience']}")
        keras.append(f"keras.callbacks.EarlyStopping(patience={p['patience']})")
        torch.append("# early stopping: see the loop under the patience parameter")
    if not formula:
        formula.append("no regularization: the plain loss")
        keras.append("keras.layers.Dense(units)")
        torch.append("torch.nn.Linear(fan_in, units)")
    notes = ("L2 is the squared norm, Keras's convention; PyTorch's SGD weight_decay=2λ gives the same gradient.",)
    return Description(f"variant {spec}", tuple(formula), "Keras (kernel_regularizer, inverted dropout)",
                       "\n".join(keras), "\n".join(torch), notes)
