"""What Keras and PyTorch call each component, its exact formula, and the code that makes it.

`describe(selection)` is what the formula panel (`f`) shows: the formula with the current values,
the convention it follows, and copyable Keras 3 and PyTorch code. Where one framework has no
exact built-in equivalent, the code says so and gives the exact workaround (a LambdaLR, a
VarianceScaling, a loop). Plain Python: no engine computation (only its parsers of a lambda's
expression and of a composition's parts), no Textual.
"""

from __future__ import annotations

from tui_dl.app.frameworks.code import Description, call, compact, num
from tui_dl.app.frameworks.initializers import init_code, init_std
from tui_dl.app.frameworks.lr_finder import effective_step, range_test, schedule_race
from tui_dl.app.frameworks.optimizers import OPTIMIZER_FORMULAS, optimizer_code, optimizer_name
from tui_dl.app.frameworks.schedules import (
    KERAS_CALLBACKS,
    KERAS_SCHEDULES,
    TIMM_SCHEDULES,
    TORCH_SCHEDULES,
    TRANSFORMERS_SCHEDULES,
    base_rate,
    schedule_code,
    schedule_formula,
    schedule_name,
)
from tui_dl.app.frameworks.training import early_stopping, regularizer
from tui_dl.app.model_types import Selection

__all__ = ["KERAS_SCHEDULES", "TORCH_SCHEDULES", "Description", "base_rate", "call", "compact", "describe", "num",
           "optimizer_name", "schedule_name"]


def describe(selection: Selection) -> Description:
    """Formula, convention and code for a selected component."""
    kind, name, p = selection.kind, selection.name, dict(selection.params)
    if kind == "schedule":
        keras, torch, notes = schedule_code(name, p)
        convention = ("Keras (step = optimizer.iterations)" if name in KERAS_SCHEDULES or name == "legacy_decay"
                      else "PyTorch (e = scheduler.last_epoch)" if name in TORCH_SCHEDULES
                      else "transformers (e = optimizer steps, a torch LambdaLR)" if name in TRANSFORMERS_SCHEDULES
                      else "timm (t = the epoch or update count given to step)" if name in TIMM_SCHEDULES
                      else "Keras callback (e = the epoch, on_epoch_end)" if name in KERAS_CALLBACKS else "both")
        formula = schedule_formula(name, p)
        if "step" in selection.extra and "rate" in selection.extra:
            formula.append(f"now: lr({selection.extra['step']}) = {selection.extra['rate']:.6g}")
        return Description(schedule_name(name), tuple(formula), convention, keras, torch, tuple(notes))
    if kind == "optimizer":
        keras, torch, notes = optimizer_code(name, p)
        convention = ("Keras" if name.startswith("keras_") else "PyTorch, the schedulefree package"
                      if name.endswith("_schedule_free") else "PyTorch")
        formula = OPTIMIZER_FORMULAS.get(name, (name,))
        values = "values: " + ", ".join(f"{k}={compact(v)}" for k, v in p.items())
        return Description(selection.label or name, (*formula, values), convention, keras, torch, tuple(notes))
    if kind == "initializer":
        fan_in = int(selection.extra.get("fan_in", 100))
        fan_out = int(selection.extra.get("fan_out", fan_in))
        dist, std = init_std(name, p, fan_in, fan_out)
        formula = [f"W ~ {dist}", f"fan_in = {fan_in}, fan_out = {fan_out}"]
        if std is not None:
            formula.append(f"std(W) = {std:.4g}")
        keras, torch, notes = init_code(name, p)
        family = selection.extra.get("family", "")
        convention = {"keras": "Keras", "pytorch": "PyTorch", "textbook": "textbook (Deep Learning from Scratch)"}
        return Description(selection.label or name, tuple(formula), convention.get(family, family), keras, torch,
                           tuple(notes))
    if kind == "early_stopping":
        return early_stopping(p)
    if kind == "lr_range":
        return range_test(selection.label, p, selection.extra)
    if kind == "step_size":
        return effective_step(name, selection.label, p, selection.extra)
    if kind == "schedule_race":
        return schedule_race(name, selection.extra)
    if kind == "regularizer":
        return regularizer(name, p)
    summary = str(selection.extra.get("summary", name))
    values = ", ".join(f"{k}={compact(v)}" for k, v in p.items())
    formula = (summary, values) if values else (summary,)
    return Description(selection.label or name, formula, str(selection.extra.get("convention", "-")),
                       str(selection.extra.get("keras", "# not a Keras object")),
                       str(selection.extra.get("torch", "# not a PyTorch object")))
