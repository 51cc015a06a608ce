"""Learning-rate schedules: Keras's and PyTorch's class names, formulas with values, exact equivalents.

Where the other framework has no built-in with the same curve, the code is an exact LambdaLR (torch)
or says that a LearningRateSchedule subclass is needed (Keras).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tui_dl.app.frameworks.code import call, compact, num
from tui_dl.engine.expressions import compile_expression
from tui_dl.engine.torch_schedulers import resolve_parts
from tui_dl.params import count

KERAS_SCHEDULES = {
    "exponential_decay": "ExponentialDecay", "piecewise_constant_decay": "PiecewiseConstantDecay",
    "polynomial_decay": "PolynomialDecay", "inverse_time_decay": "InverseTimeDecay",
    "cosine_decay": "CosineDecay", "cosine_decay_restarts": "CosineDecayRestarts",
}
TORCH_SCHEDULES = {
    "step_lr": "StepLR", "multi_step_lr": "MultiStepLR", "constant_lr": "ConstantLR", "linear_lr": "LinearLR",
    "exponential_lr": "ExponentialLR", "polynomial_lr": "PolynomialLR", "cosine_annealing_lr": "CosineAnnealingLR",
    "cosine_annealing_warm_restarts": "CosineAnnealingWarmRestarts", "cyclic_lr": "CyclicLR",
    "one_cycle_lr": "OneCycleLR", "reduce_lr_on_plateau": "ReduceLROnPlateau", "lambda_lr": "LambdaLR",
    "multiplicative_lr": "MultiplicativeLR", "sequential_lr": "SequentialLR", "chained_scheduler": "ChainedScheduler",
}
TRANSFORMERS_SCHEDULES = {name: f"get_{name}" for name in (
    "constant_schedule_with_warmup", "linear_schedule_with_warmup", "cosine_schedule_with_warmup",
    "cosine_with_hard_restarts_schedule_with_warmup", "polynomial_decay_schedule_with_warmup", "inverse_sqrt_schedule",
    "wsd_schedule", "cosine_with_min_lr_schedule_with_warmup")}
TIMM_SCHEDULES = {"cosine_lr_scheduler": "CosineLRScheduler", "step_lr_scheduler": "StepLRScheduler"}
KERAS_CALLBACKS = {"keras_reduce_lr_on_plateau": "ReduceLROnPlateau"}
_NO_KERAS = "# no Keras built-in: subclass keras.optimizers.schedules.LearningRateSchedule with the formula above"
_KS = "keras.optimizers.schedules."
_TS = "torch.optim.lr_scheduler."
_LAMBDA_NOTE = "LambdaLR multiplies the optimizer's lr by the lambda: set the optimizer's lr to the rate at step 0."


def schedule_name(name: str) -> str:
    """The framework's class name (CosineDecayRestarts, StepLR), or the catalog name."""
    return (KERAS_SCHEDULES.get(name) or TORCH_SCHEDULES.get(name) or TRANSFORMERS_SCHEDULES.get(name)
            or TIMM_SCHEDULES.get(name) or KERAS_CALLBACKS.get(name) or name)


def base_rate(name: str, params: Mapping[str, Any]) -> float:
    """The rate a schedule starts from (what a LambdaLR's optimizer lr must be)."""
    for key in ("initial_learning_rate", "lr", "learning_rate", "base_lr"):
        if key in params:
            return float(params[key])
    if name == "piecewise_constant_decay":
        return float(params["values"][0])
    if name == "one_cycle_lr":
        return float(params["max_lr"]) / float(params["div_factor"])
    if name in ("cosine_lr_scheduler", "step_lr_scheduler") and params.get("warmup_t"):
        return float(params["warmup_lr_init"])
    return 1.0


def schedule_formula(name: str, p: Mapping[str, Any]) -> list[str]:
    g = {k: compact(v) for k, v in p.items()}
    formulas: dict[str, Callable[[], list[str]]] = {
        "constant": lambda: [f"lr(s) = {g['learning_rate']}"],
        "legacy_decay": lambda: [f"lr(s) = {g['learning_rate']} / (1 + {g['decay']}·s)"],
        "exponential_decay": lambda: [
            f"lr(s) = {g['initial_learning_rate']} · {g['decay_rate']}^({'⌊s/' if p['staircase'] else 's/'}"
            f"{g['decay_steps']}{'⌋' if p['staircase'] else ''})"],
        "piecewise_constant_decay": lambda: [
            "lr(s) = values[i] for boundaries[i-1] < s ≤ boundaries[i]",
            f"boundaries {g['boundaries']}, values {g['values']}"],
        "polynomial_decay": lambda: [
            f"lr(s) = ({g['initial_learning_rate']} − {g['end_learning_rate']}) · (1 − s'/D)^{g['power']}"
            f" + {g['end_learning_rate']}",
            (f"s' = s, D = {g['decay_steps']}·⌈s/{g['decay_steps']}⌉ (cycle)" if p["cycle"]
             else f"s' = min(s, {g['decay_steps']}), D = {g['decay_steps']}")],
        "inverse_time_decay": lambda: [
            f"lr(s) = {g['initial_learning_rate']} / (1 + {g['decay_rate']}·{'⌊s/' if p['staircase'] else 's/'}"
            f"{g['decay_steps']}{'⌋' if p['staircase'] else ''})"],
        "cosine_decay": lambda: [
            f"lr(s) = {g['warmup_target'] if p['warmup_target'] is not None else g['initial_learning_rate']}"
            f" · ((1 − {g['alpha']})·½(1 + cos(π·min(s', {g['decay_steps']})/{g['decay_steps']})) + {g['alpha']})",
            (f"after a linear warmup from {g['initial_learning_rate']} over {count(g['warmup_steps'], 'step')},"
             f" s' = s − {g['warmup_steps']}" if p["warmup_target"] is not None else "s' = s (no warmup)")],
        "cosine_decay_restarts": lambda: [
            f"period k lasts {g['first_decay_steps']}·{g['t_mul']}^k steps; f ∈ [0, 1) is the place in it",
            f"lr(s) = {g['initial_learning_rate']} · ((1 − {g['alpha']})·½·{g['m_mul']}^k·(1 + cos πf)"
            f" + {g['alpha']})"],
        "step_lr": lambda: [f"lr(e) = {g['lr']} · {g['gamma']}^⌊e/{g['step_size']}⌋"],
        "multi_step_lr": lambda: [f"lr(e) = {g['lr']} · {g['gamma']}^(number of milestones ≤ e)",
                                  f"milestones {g['milestones']}"],
        "constant_lr": lambda: [f"lr(e) = {g['lr']}·{g['factor']} for e < {g['total_iters']}, then {g['lr']}"],
        "linear_lr": lambda: [f"lr(e) = {g['lr']} · ({g['start_factor']} + ({g['end_factor']} − {g['start_factor']})"
                              f" · min(e, {g['total_iters']})/{g['total_iters']})"],
        "exponential_lr": lambda: [f"lr(e) = {g['lr']} · {g['gamma']}^e"],
        "polynomial_lr": lambda: [f"lr(e) = {g['lr']} · (1 − min(e, {g['total_iters']})/{g['total_iters']})^"
                                  f"{g['power']}"],
        "cosine_annealing_lr": lambda: [f"lr(e) = {g['eta_min']} + ({g['lr']} − {g['eta_min']}) · ½(1 + cos(π e/"
                                        f"{g['T_max']}))", "it climbs back after T_max (no clamp)"],
        "cosine_annealing_warm_restarts": lambda: [
            f"lr(e) = {g['eta_min']} + ({g['lr']} − {g['eta_min']}) · ½(1 + cos(π T_cur/T_i))",
            f"T_0 = {g['T_0']}; T_i is multiplied by {g['T_mult']} at each restart"],
        "cyclic_lr": lambda: [f"triangles between {g['base_lr']} and {g['max_lr']}:"
                              f" {count(g['step_size_up'], 'step')} up,"
                              f" {g['step_size_down'] if p['step_size_down'] else g['step_size_up']} down",
                              f"mode {p['mode']} (triangular2 halves the height each cycle; exp_range × gamma^s)"],
        "one_cycle_lr": lambda: [
            f"warm up from {g['max_lr']}/{g['div_factor']} to {g['max_lr']} over the first {g['pct_start']} of"
            f" {count(g['total_steps'], 'step')},",
            f"then anneal ({p['anneal_strategy']}) to {g['max_lr']}/{g['div_factor']}/{g['final_div_factor']}"],
        "reduce_lr_on_plateau": lambda: [
            f"lr ← max(lr·{g['factor']}, {g['min_lr']}) after more than {count(g['patience'], 'epoch')} without"
            f" improvement", f"(better: {p['threshold_mode']} threshold {g['threshold']}, mode {p['mode']})"],
    }
    formulas.update(_more_formulas(p, g))
    return formulas.get(name, lambda: [name])()


def _more_formulas(p: Mapping[str, Any], g: Mapping[str, str]) -> dict[str, Callable[[], list[str]]]:
    """Formulas of torch's lambda and composed schedulers, transformers' and timm's schedules."""
    warm = "e < {w}: lr·e/{w}".format(w=g.get("num_warmup_steps", "w"))
    progress = f"p = (e − {g.get('num_warmup_steps')})/({g.get('num_training_steps')} − {g.get('num_warmup_steps')})"
    return {
        "lambda_lr": lambda: [f"lr(e) = {g['lr']} · f(e),  f(e) = {p['lr_lambda']}"],
        "multiplicative_lr": lambda: [f"lr(0) = {g['lr']},  lr(e) = lr(e−1) · f(e),  f(e) = {p['lr_lambda']}"],
        "sequential_lr": lambda: [f"parts one after another from lr = {g['lr']}: {p['schedulers']}",
                                  f"milestones {g['milestones']}: each part restarts at its own epoch 0"],
        "chained_scheduler": lambda: [f"every part steps each epoch on the shared rate (lr = {g['lr']}):",
                                      str(p["schedulers"])],
        "constant_schedule_with_warmup": lambda: [f"{warm}, then {g['lr']}"],
        "linear_schedule_with_warmup": lambda: [
            f"{warm}; then lr·max(0, ({g['num_training_steps']} − e)/({g['num_training_steps']} − "
            f"{g['num_warmup_steps']}))"],
        "cosine_schedule_with_warmup": lambda: [f"{warm}; then lr·max(0, ½(1 + cos(2π·{g['num_cycles']}·p)))",
                                                progress],
        "cosine_with_hard_restarts_schedule_with_warmup": lambda: [
            f"{warm}; then lr·½(1 + cos(π·(({g['num_cycles']}·p) mod 1))), 0 from p ≥ 1", progress],
        "polynomial_decay_schedule_with_warmup": lambda: [
            f"{warm}; then ({g['lr']} − {g['lr_end']})·(1 − p)^{g['power']} + {g['lr_end']}; {g['lr_end']} after "
            f"{g['num_training_steps']}", progress],
        "inverse_sqrt_schedule": lambda: [
            f"{warm}; then lr / √((e + shift)/τ), τ = timescale ({g['timescale']}: none is num_warmup_steps or"
            " 10000), shift = τ − num_warmup_steps"],
        "wsd_schedule": lambda: [
            f"warmup ({p['warmup_type']}) over {g['num_warmup_steps']}, stable at lr, decay ({p['decay_type']})"
            f" over {g['num_decay_steps']}", f"to {g['min_lr_ratio']}·lr (stable: num_stable_steps "
            f"{g['num_stable_steps']}, else what num_training_steps {g['num_training_steps']} leaves)"],
        "cosine_with_min_lr_schedule_with_warmup": lambda: [
            f"{warm}; then lr·max(0, c·(1 − r) + r), c = ½(1 + cos(2π·{g['num_cycles']}·p)),"
            f" r = {g['min_lr_rate'] if p['min_lr'] is None else g['min_lr'] + '/lr'}", progress],
        "cosine_lr_scheduler": lambda: [
            f"t < {g['warmup_t']}: {g['warmup_lr_init']} + t·(lr − {g['warmup_lr_init']})/{g['warmup_t']}; then"
            f" period i of {g['t_initial']}·{g['cycle_mul']}^i steps:",
            f"lr_min + ½({g['lr']}·{g['cycle_decay']}^i − lr_min)(1 + cos(π t_cur^k/t_i^k)), lr_min = {g['lr_min']}"
            f" after {count(g['cycle_limit'], 'period')}"],
        "keras_reduce_lr_on_plateau": lambda: [
            f"lr ← max(lr·{g['factor']}, {g['min_lr']}) after {count(g['patience'], 'epoch')} without improvement"
            f" (wait ≥ patience), while lr > {g['min_lr']}",
            f"improves: {p['monitor']} ∓ |{g['min_delta']}| beats the best (mode {p['mode']}, absolute);"
            f" cooldown {g['cooldown']}"],
        "step_lr_scheduler": lambda: [
            f"t < {g['warmup_t']}: linear warmup from {g['warmup_lr_init']}; then {g['lr']}·{g['decay_rate']}^⌊t/"
            f"{g['decay_t']}⌋ (t from the warmup's end: {p['warmup_prefix']})"],
    }


def _lambda(name: str, p: Mapping[str, Any]) -> str:
    """An exact torch LambdaLR lambda for a Keras-only schedule (factor relative to base_rate)."""
    b = base_rate(name, p)
    i = num(b)
    bodies = {
        "legacy_decay": f"1 / (1 + {num(p.get('decay'))} * s)",
        "exponential_decay": f"{num(p.get('decay_rate'))} ** ({'s // ' if p.get('staircase') else 's / '}"
                             f"{num(p.get('decay_steps'))})",
        "piecewise_constant_decay": f"{list(p.get('values', ()))}[bisect.bisect_left({list(p.get('boundaries', ()))},"
                                    f" s)] / {i}",
        "inverse_time_decay": f"1 / (1 + {num(p.get('decay_rate'))} * {'(s // ' if p.get('staircase') else '(s / '}"
                              f"{num(p.get('decay_steps'))}))",
        "polynomial_decay": f"(({i} - {num(p.get('end_learning_rate'))}) * (1 - min(s, {num(p.get('decay_steps'))})"
                            f" / {num(p.get('decay_steps'))}) ** {num(p.get('power'))} + "
                            f"{num(p.get('end_learning_rate'))}) / {i}",
        "cosine_decay": f"(1 - {num(p.get('alpha'))}) * 0.5 * (1 + math.cos(math.pi * min(s, "
                        f"{num(p.get('decay_steps'))}) / {num(p.get('decay_steps'))})) + {num(p.get('alpha'))}",
    }
    body = bodies.get(name, "...  # the formula above, divided by the rate at step 0")
    return f"{_TS}LambdaLR(optimizer, lr_lambda=lambda s: {body})"


def schedule_code(name: str, p: Mapping[str, Any]) -> tuple[str, str, list[str]]:
    """(keras code, torch code, notes) for a schedule."""
    notes: list[str] = []
    kw = dict(p)
    if name in KERAS_SCHEDULES:
        keras = call(_KS + KERAS_SCHEDULES[name], **kw)
        torch = _lambda(name, p)
        notes.append(_LAMBDA_NOTE + f" Here lr={num(base_rate(name, p))}.")
        if name == "exponential_decay" and p["staircase"]:
            torch = call(_TS + "StepLR", "optimizer", step_size=p["decay_steps"], gamma=p["decay_rate"])
            notes = [f"optimizer lr={num(p['initial_learning_rate'])}; exact: StepLR is a staircase exponential."]
        elif name == "cosine_decay_restarts":
            if p["m_mul"] == 1.0 and float(p["t_mul"]).is_integer():
                torch = call(_TS + "CosineAnnealingWarmRestarts", "optimizer", T_0=p["first_decay_steps"],
                             T_mult=int(p["t_mul"]), eta_min=p["alpha"] * p["initial_learning_rate"])
                notes = [f"optimizer lr={num(p['initial_learning_rate'])}; exact while m_mul = 1 and t_mul is an"
                         " integer."]
            else:
                torch = "# no exact torch equivalent: m_mul shrinks each restart's peak (or t_mul is not an integer)"
                notes = ["torch's CosineAnnealingWarmRestarts restarts at the full rate, with an integer T_mult."]
        elif name == "cosine_decay" and p["warmup_target"] is None and p["alpha"] == 0.0:
            torch = call(_TS + "CosineAnnealingLR", "optimizer", T_max=p["decay_steps"], eta_min=0.0)
            notes = [f"optimizer lr={num(p['initial_learning_rate'])}; equal up to decay_steps: torch climbs back"
                     " after it, Keras stays at the floor."]
        return keras, torch, notes
    if name in TORCH_SCHEDULES:
        torch = torch_scheduler_code(name, p)
        notes.append(f"torch.optim.SGD(model.parameters(), lr={num(p.get('lr', base_rate(name, p)))}) or any"
                     " optimizer; call scheduler.step() once per epoch (or per batch).")
        if name in ("cyclic_lr", "one_cycle_lr") and p.get("cycle_momentum"):
            notes.append("cycle_momentum=True overwrites the optimizer's momentum (Adam: betas[0]) at every step,"
                         " so the optimizer needs one (SGD(..., momentum=0.9)).")
        if name == "one_cycle_lr" and p.get("total_steps") is not None and p.get("epochs") is not None:
            notes.append("torch ignores epochs and steps_per_epoch while total_steps is given.")
        keras = _keras_for_torch(name, p)
        return keras, torch, notes
    if name in TRANSFORMERS_SCHEDULES:
        return (_NO_KERAS + " (transformers' schedules are torch LambdaLRs)", torch_scheduler_code(name, p),
                [f"import transformers; optimizer = torch.optim.AdamW(model.parameters(), lr={num(p['lr'])});"
                 " call scheduler.step() after every optimizer.step()."])
    if name in TIMM_SCHEDULES:
        call_ = "scheduler.step(epoch)" if p["t_in_epochs"] else "scheduler.step_update(num_updates)"
        return (_NO_KERAS, torch_scheduler_code(name, p),
                [f"import timm.scheduler; optimizer = torch.optim.SGD(model.parameters(), lr={num(p['lr'])});"
                 f" after each {'epoch' if p['t_in_epochs'] else 'update'} call {call_} with the new count"
                 " (timm sets the rate of that t)."])
    if name in KERAS_CALLBACKS:
        return keras_plateau_code(p), _NO_TORCH_PLATEAU, [
            f"optimizer = keras.optimizers.SGD(learning_rate={num(p['learning_rate'])}) or any optimizer;"
            " model.fit(..., validation_data=..., callbacks=[reduce_lr]): it reads the monitored value from each"
            " epoch's logs."]
    if name == "constant":
        return (f"keras.optimizers.SGD(learning_rate={num(p['learning_rate'])})",
                f"torch.optim.SGD(model.parameters(), lr={num(p['learning_rate'])})", [])
    if name == "legacy_decay":
        return (call(_KS + "InverseTimeDecay", initial_learning_rate=p["learning_rate"], decay_steps=1,
                     decay_rate=p["decay"]), _lambda(name, p),
                ["Keras 2's `decay=` argument; Keras 3 ignores it (with a warning): use InverseTimeDecay."])
    return "", "", []


_NO_TORCH_PLATEAU = ("# no exact torch equivalent: torch.optim.lr_scheduler.ReduceLROnPlateau waits patience + 1 bad"
                     " epochs,\n# its threshold is relative by default, a NaN first value never becomes the best,"
                     "\n# and it restarts its count (and cooldown) even when min_lr stops the reduction")


def keras_plateau_code(p: Mapping[str, Any]) -> str:
    """The Keras callback, as `reduce_lr = keras.callbacks.ReduceLROnPlateau(...)`."""
    kw = {k: v for k, v in p.items() if k not in ("learning_rate", "metrics")}
    return "reduce_lr = " + call("keras.callbacks." + KERAS_CALLBACKS["keras_reduce_lr_on_plateau"], **kw)


def torch_scheduler_code(name: str, p: Mapping[str, Any]) -> str:
    """The torch code that builds the scheduler `name` (a torch, transformers or timm one) on `optimizer`."""
    kw = {k: v for k, v in p.items() if k not in ("lr", "metrics")}
    if name == "one_cycle_lr":
        kw = {k: v for k, v in kw.items() if not (k in ("total_steps", "epochs", "steps_per_epoch") and v is None)}
    if name in ("lambda_lr", "multiplicative_lr"):
        return (f"{_TS}{TORCH_SCHEDULES[name]}(optimizer, lr_lambda=lambda epoch: "
                f"{compile_expression(p['lr_lambda'], 'lr_lambda').code})")
    if name in ("sequential_lr", "chained_scheduler"):
        parts = [torch_scheduler_code(part, params) for part, params in resolve_parts(p["schedulers"])]
        inner = "".join("\n" + _indent(part) + "," for part in parts)
        if name == "sequential_lr":
            return (f"{_TS}SequentialLR(\n    optimizer,\n    schedulers=[{inner}\n    ],\n"
                    f"    milestones={num(list(p['milestones']))},\n)")
        return f"{_TS}ChainedScheduler(\n    [{inner}\n    ],\n    optimizer=optimizer,\n)"
    if name in TRANSFORMERS_SCHEDULES:
        return call("transformers." + TRANSFORMERS_SCHEDULES[name], "optimizer", **kw)
    if name in TIMM_SCHEDULES:
        return call("timm.scheduler." + TIMM_SCHEDULES[name], "optimizer", **kw)
    return call(_TS + TORCH_SCHEDULES[name], "optimizer", **kw)


def _indent(code: str) -> str:
    return "\n".join("        " + line for line in code.splitlines())


def _keras_for_torch(name: str, p: Mapping[str, Any]) -> str:
    """The Keras schedule equal to a PyTorch one, where Keras has one."""
    lr = p.get("lr")
    if name == "step_lr":
        return call(_KS + "ExponentialDecay", initial_learning_rate=lr, decay_steps=p["step_size"],
                    decay_rate=p["gamma"], staircase=True)
    if name == "exponential_lr":
        return call(_KS + "ExponentialDecay", initial_learning_rate=lr, decay_steps=1, decay_rate=p["gamma"])
    if name == "multi_step_lr":
        milestones = sorted(p["milestones"])
        return call(_KS + "PiecewiseConstantDecay", boundaries=[m - 1 for m in milestones],
                    values=[lr * p['gamma'] ** i for i in range(len(milestones) + 1)])
    if name == "constant_lr":
        return call(_KS + "PiecewiseConstantDecay", boundaries=[p["total_iters"] - 1],
                    values=[lr * p['factor'], lr])
    if name == "linear_lr":
        return call(_KS + "PolynomialDecay", initial_learning_rate=lr * p['start_factor'],
                    decay_steps=p["total_iters"], end_learning_rate=lr * p['end_factor'], power=1.0)
    if name == "polynomial_lr":
        return call(_KS + "PolynomialDecay", initial_learning_rate=lr, decay_steps=p["total_iters"],
                    end_learning_rate=0.0, power=p["power"])
    if name == "cosine_annealing_lr":
        return call(_KS + "CosineDecay", initial_learning_rate=lr, decay_steps=p["T_max"],
                    alpha=p['eta_min'] / lr)
    if name == "cosine_annealing_warm_restarts":
        return call(_KS + "CosineDecayRestarts", initial_learning_rate=lr, first_decay_steps=p["T_0"],
                    t_mul=float(p["T_mult"]), m_mul=1.0, alpha=p['eta_min'] / lr)
    if name == "reduce_lr_on_plateau":
        return call("keras.callbacks.ReduceLROnPlateau", monitor="val_loss", factor=p["factor"],
                    patience=p["patience"] + 1, min_lr=p["min_lr"], cooldown=p["cooldown"])
    return _NO_KERAS
