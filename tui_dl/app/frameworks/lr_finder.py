"""The learning-rate pane's experiments in framework terms: the LR range test, effective step sizes, a schedule race.

The range test follows torch-lr-finder (`LRFinder.range_test`); fastai's `lr_find` is the same test
with its own smoothing. Keras 3 has no LR finder, so its code is a callback that runs the test in
`model.fit`. The effective step size is read from each framework's optimizer state.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tui_dl.app.frameworks.code import Description, call, compact, num
from tui_dl.app.frameworks.optimizers import optimizer_code, optimizer_name
from tui_dl.app.frameworks.schedules import base_rate, schedule_code
from tui_dl.params import count

RATE_KEYS = ("lr", "learning_rate")

KERAS_RANGE_TEST = '''\
# Keras 3 has no LR finder: this callback runs torch-lr-finder's test inside model.fit
class LRRangeTest(keras.callbacks.Callback):
    def __init__(self, start_lr, end_lr, num_iter, smooth_f, diverge_th, samples, batch_size):
        super().__init__()
        self.rates = start_lr * (end_lr / start_lr) ** (np.arange(num_iter) / (num_iter - 1))
        self.smooth_f, self.diverge_th = smooth_f, diverge_th
        self.samples, self.batch_size = samples, batch_size
        self.losses, self.smoothed = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.mean, self.seen = 0.0, 0  # logs["loss"] is the running mean over the epoch's samples

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate.assign(self.rates[len(self.losses)])

    def on_train_batch_end(self, batch, logs=None):
        n = min(self.batch_size, self.samples - batch * self.batch_size)
        loss = ((self.seen + n) * logs["loss"] - self.seen * self.mean) / n  # this batch's own loss
        self.mean, self.seen = logs["loss"], self.seen + n
        s = loss if not self.smoothed else self.smooth_f * loss + (1 - self.smooth_f) * self.smoothed[-1]
        self.losses.append(loss)
        self.smoothed.append(s)
        stop = not np.isfinite(s) or s > self.diverge_th * min(self.smoothed)
        if stop or len(self.losses) == len(self.rates):
            self.model.stop_training = True

    def suggestion(self, skip_start, skip_end, before_minimum):
        """The rate at the steepest descent of the smoothed loss (torch-lr-finder's plot)."""
        window = np.array(self.smoothed[skip_start: len(self.smoothed) - skip_end])
        if before_minimum:  # only up to the lowest loss, so a noisy drop after it cannot win
            window = window[: int(np.argmin(window)) + 1]
        return self.rates[skip_start + int(np.argmin(np.gradient(window)))]
'''


def _with_rate(name: str, params: Mapping[str, Any], rate: float) -> dict[str, Any]:
    """Optimizer parameters with the rate set (lr for torch names, learning_rate for keras_*)."""
    key = "learning_rate" if name.startswith("keras_") else "lr"
    return {key: rate, **{k: v for k, v in params.items() if k not in RATE_KEYS}}


def sweep_rate(p: Mapping[str, Any], index: int) -> float:
    """The rate of iteration index of the sweep: start (end/start)^(i/(K-1))."""
    start, end, count = float(p["start_lr"]), float(p["end_lr"]), int(p["iterations"])
    return start * (end / start) ** (index / (count - 1))


def range_test(label: str, p: Mapping[str, Any], extra: Mapping[str, Any]) -> Description:
    """The LR range test with its current values, and torch-lr-finder / fastai / Keras code."""
    g = {k: compact(v) for k, v in p.items()}
    name = str(extra.get("optimizer", "adam"))
    count = int(p["iterations"])
    where = ("up to the lowest smoothed loss" if p["suggest"] == "descent"
             else "anywhere in the window (torch-lr-finder)")
    formula = [
        f"lr_i = {g['start_lr']} · ({g['end_lr']}/{g['start_lr']})^(i/({count}−1)),  i = 0 … {count - 1},"
        f" one mini-batch of {extra.get('batch_size', 32)} each",
        f"loss_i: that batch's loss before its update;  smoothed_i = {g['smooth_f']}·loss_i +"
        f" {compact(1 - float(p['smooth_f']))}·smoothed_(i−1),  smoothed_0 = loss_0",
        f"stop at the first i with smoothed_i > {g['diverge_th']} · min(smoothed_0 … smoothed_i), or a non-finite"
        " loss",
        f"suggestion: lr at the steepest descent (min of np.gradient(smoothed)) for i in [{g['skip_start']},"
        f" stop − {g['skip_end']}), {where}",
    ]
    if "iteration" in extra:
        formula.append(_range_now(p, extra))
    optimizer_keras, optimizer_torch, _ = optimizer_code(name, _with_rate(name, extra.get("optimizer_params", {}),
                                                                          float(p["start_lr"])))
    knobs = {"start_lr": p["start_lr"], "end_lr": p["end_lr"], "num_iter": count, "smooth_f": p["smooth_f"],
             "diverge_th": p["diverge_th"]}
    torch = "\n".join([
        "from torch_lr_finder import LRFinder  # pip install torch-lr-finder",
        f"optimizer = {optimizer_torch}",
        "lr_finder = LRFinder(model, optimizer, criterion)",
        call("lr_finder.range_test", "train_loader", **{k: v for k, v in knobs.items() if k != "start_lr"},
             step_mode="exp"),
        call("ax, suggested_lr = lr_finder.plot", skip_start=p["skip_start"], skip_end=p["skip_end"],
             suggest_lr=True),
        "lr_finder.reset()  # back to the initial weights and optimizer state",
        "",
        "# fastai: the same sweep (a debiased average with beta 0.98, stops at 4 x best)",
        f"learn.lr_find(start_lr={num(p['start_lr'])}, end_lr={num(p['end_lr'])}, num_it={count},"
        " suggest_funcs=(steep,))",
    ])
    keras = "\n".join([
        KERAS_RANGE_TEST,
        call("finder = LRRangeTest", "samples=len(x)", **knobs, batch_size=extra.get("batch_size", 32)),
        f"model.compile(optimizer={optimizer_keras}, loss=loss)",
        f"model.fit(x, y, batch_size={extra.get('batch_size', 32)}, epochs=1000, callbacks=[finder])",
        f"suggested_lr = finder.suggestion({p['skip_start']}, {p['skip_end']},"
        f" before_minimum={p['suggest'] == 'descent'})",
    ])
    notes = ("torch-lr-finder sets the optimizer's rate to start_lr and multiplies it each batch; its plot's"
             " suggestion is the steepest point anywhere (suggest = steepest here).",
             "fastai suggests `valley` by default; `steep` is the steepest descent.")
    return Description(f"LR range test: {label} ({optimizer_name(name)})", tuple(formula),
                       "torch-lr-finder (LRFinder.range_test, step_mode='exp')", keras, torch, notes)


def _range_now(p: Mapping[str, Any], extra: Mapping[str, Any]) -> str:
    """`now: iteration 68/100, suggested lr 2.6e-2 (iteration 61)`, and where the sweep stopped."""
    text = f"now: iteration {extra['iteration']}/{p['iterations']}"
    suggestion = extra.get("suggestion", math.nan)
    if math.isfinite(suggestion):
        text += f", suggested lr {compact(suggestion)} (iteration {extra['suggestion_index']})"
    else:
        text += ", no suggestion yet (too few points after skip_start and skip_end)"
    stopped = int(extra.get("diverged_iteration", -1))
    if stopped >= 0:
        text += f"; stopped at iteration {stopped} (lr {compact(sweep_rate(p, stopped))})"
    return text


# ---------------------------------------------------------------------- effective step size
# family -> (formula, torch expression per parameter p with its group and state s, Keras expression per
# variable index i of `opt`)
_STEP_FAMILIES: dict[str, tuple[str, str, str]] = {
    "sgd": ("η_eff = lr for every parameter (momentum changes the direction, not this factor)",
            'torch.full_like(p, group["lr"])',
            "np.full(model.trainable_variables[i].shape, lr)"),
    "adagrad": ("η_eff = lr / (1 + (t−1)·lr_decay) / (√S + eps),  S = Σ g²: it only shrinks",
                'group["lr"] / (1 + (s["step"] - 1) * group["lr_decay"]) / (s["sum"].sqrt() + group["eps"])',
                "lr / np.sqrt(np.asarray(opt._accumulators[i]) + opt.epsilon)"),
    "rmsprop": ("η_eff = lr / (√v + eps),  v = α·v + (1−α)·g²  (centered: √(v − ḡ²))",
                'group["lr"] / (s["square_avg"].sqrt() + group["eps"])',
                "lr / np.sqrt(np.asarray(opt._velocities[i]) + opt.epsilon)"),
    "adam": ("η_eff = lr/(1−β1^t) / (√v/√(1−β2^t) + eps), multiplying m  (torch)",
             'group["lr"] / (1 - b1 ** t) / (s["exp_avg_sq"].sqrt() / math.sqrt(1 - b2 ** t) + group["eps"])',
             "lr * math.sqrt(1 - opt.beta_2 ** t) / (1 - opt.beta_1 ** t)"
             " / (np.sqrt(np.asarray(opt._velocities[i])) + opt.epsilon)"),
}
_FAMILY = {"sgd": "sgd", "keras_sgd": "sgd", "adagrad": "adagrad", "keras_adagrad": "adagrad", "rmsprop": "rmsprop",
           "keras_rmsprop": "rmsprop", "adam": "adam", "adamw": "adam", "keras_adam": "adam", "keras_adamw": "adam"}
_KERAS_FORMULAS = {
    "adagrad": "η_eff = lr / √(S + epsilon),  S = initial_accumulator_value + Σ g²  (Keras)",
    "rmsprop": "η_eff = lr / √(v + epsilon),  v = ρ·v + (1−ρ)·g²  (Keras)",
    "adam": "η_eff = lr·√(1−β2^t)/(1−β1^t) / (√v + epsilon), multiplying m  (Keras)",
}


def effective_step(name: str, label: str, p: Mapping[str, Any], extra: Mapping[str, Any]) -> Description:
    """What the step-size view plots for one optimizer, with the code that reads it from a real optimizer."""
    family = _FAMILY.get(name)
    values = ", ".join(f"{k}={compact(v)}" for k, v in p.items())
    if family is None:
        formula = [f"η_eff: the factor {optimizer_name(name)} multiplies its update direction by, per parameter"
                   " (Optimizer.step_size in tui_dl/engine/optimizers.py)"]
        torch = keras = f"# no snippet for {name}: read its state as Optimizer.step_size does"
    else:
        text, torch_expr, keras_expr = _STEP_FAMILIES[family]
        keras_text = _KERAS_FORMULAS.get(family, text)
        formula = [keras_text if name.startswith("keras_") else text]
        torch = "\n".join([
            "# after optimizer.step(): every parameter's effective step, then its percentiles",
            "steps = []",
            "for group in optimizer.param_groups:",
            *(['    b1, b2 = group["betas"]'] if family == "adam" else []),
            "    for p in group[\"params\"]:",
            "        s = optimizer.state[p]",
            *(['        t = float(s["step"])'] if family == "adam" else []),
            f"        steps.append(({torch_expr}).flatten())",
            "torch.quantile(torch.cat(steps), torch.tensor([0.1, 0.5, 0.9]))",
        ])
        keras = "\n".join([
            "# after model.fit(...) or each train step: every variable's effective step, then its percentiles",
            "opt = model.optimizer",
            "t, lr = float(opt.iterations), float(opt.learning_rate)",
            f"steps = [({keras_expr}).ravel() for i in range(len(model.trainable_variables))]",
            "np.quantile(np.concatenate(steps), [0.1, 0.5, 0.9])",
        ])
    formula.append("plotted per epoch: its median over every weight and bias (solid), the 10th and 90th"
                   " percentiles (dim)")
    formula.append(f"values: {values}")
    if "median" in extra:
        formula.append(f"now (epoch {extra['epoch']}): median {compact(extra['median'])}, 10% {compact(extra['p10'])},"
                       f" 90% {compact(extra['p90'])}")
    notes = ("The decay is built in: Adagrad's S only grows, so its steps only shrink; RMSprop and Adam"
             " forget old gradients and settle; SGD's step is the rate itself.",
             "Keras places epsilon differently and defaults it to 1e-7 (REFERENCE.md); the Keras code reads"
             " private slots of Keras 3's optimizers (_velocities, _accumulators).")
    convention = "Keras" if name.startswith("keras_") else "PyTorch"
    return Description(f"Effective step size: {label} ({optimizer_name(name)})", tuple(formula), convention, keras,
                       torch, notes)


# ---------------------------------------------------------------------- schedule race
def schedule_race(optimizer: str, extra: Mapping[str, Any]) -> Description:
    """The race: every slot's schedule drives the same training; code for the first slot."""
    slots = list(extra.get("slots", ()))
    formula = [
        f"every run: the same data ({extra.get('dataset')}), network, batches and optimizer"
        f" ({optimizer_name(optimizer)}); only the schedule differs",
        f"lr at optimizer iteration t = the slot's schedule at t: {count(extra.get('steps'), 'step')} ="
        f" {count(extra.get('epochs'), 'epoch')} × {count(extra.get('batches'), 'batch', 'batches')}"
        f" of {extra.get('batch_size')}",
        "plotted: the training loss per epoch (Keras's History 'loss': the mean over the epoch's batches)",
        "a run whose loss is not finite stops there, marked ✖ diverged",
    ]
    if not slots:
        return Description("schedule race", tuple(formula), "-", "# every slot is off", "# every slot is off")
    label, name, params = slots[0]
    schedule_keras, schedule_torch, _ = schedule_code(name, params)
    rate = base_rate(name, params)  # a torch scheduler scales the optimizer's rate: it starts at the schedule's
    keras_optimizer, torch_optimizer, _ = optimizer_code(optimizer, _with_rate(optimizer, {}, rate))
    batch, epochs = extra.get("batch_size"), extra.get("epochs")
    keras = "\n".join([
        f"schedule = {schedule_keras}",
        f"optimizer = {keras_optimizer.replace(f'learning_rate={num(rate)}', 'learning_rate=schedule')}",
        "model.compile(optimizer=optimizer, loss=loss)",
        f"history = model.fit(x, y, batch_size={batch}, epochs={epochs})",
        'history.history["loss"]  # the curve of this run',
    ])
    torch = "\n".join([
        f"optimizer = {torch_optimizer}",
        f"scheduler = {schedule_torch}",
        f"for epoch in range({epochs}):",
        "    for x, y in loader:  # batch_size " + str(batch),
        "        optimizer.zero_grad()",
        "        loss = criterion(model(x), y)",
        "        loss.backward()",
        "        optimizer.step()",
        "        scheduler.step()  # once per batch: the schedule counts optimizer iterations",
    ])
    others = ", ".join(other for other, _, _ in slots[1:])
    notes = (f"Code for {label}; the other runs ({others or 'none'}) differ only in the"
             " schedule.", "Select a slot's row and press f for its own formula and code.")
    return Description("schedule race", tuple(formula), "Keras: schedule(optimizer.iterations); PyTorch:"
                       " scheduler.step() after every optimizer.step()", keras, torch, notes)


