"""torch's LambdaLR, MultiplicativeLR, SequentialLR and ChainedScheduler, equal to torch 2.13.

LambdaLR and MultiplicativeLR take their factor as an expression in `epoch` (tui_dl.engine.expressions)
and are closed forms over the step array like the other schedules.

SequentialLR and ChainedScheduler compose other schedulers through the optimizer's shared
`param_group["lr"]`, and torch's composition has behaviour no closed form of the parts gives:
constructing a scheduler steps it once on the shared rate; SequentialLR resets that rate, undoes one
epoch of every part and starts the first again; at a milestone it calls the next part's
`_update_lr(0)`, which uses the part's closed form where it has one (a fresh start at its step 0 from
the optimizer's initial rate) and otherwise its recursive `get_lr` at epoch 0 (MultiplicativeLR
multiplies whatever rate the previous part left; CosineAnnealingWarmRestarts keeps its own T_cur);
ChainedScheduler steps every part in turn, each recursive rule applied to the rate the part before it
just wrote (ConstantLR divides by its factor at total_iters, LambdaLR overwrites with base * f(e)).
So this module is a small port of `torch/optim/lr_scheduler.py` for one parameter group: the same
state, the same branches, the same float operations in the same order, stepped once per epoch in
Python (a composed curve of 100 000 steps takes about a second; the parts' lambdas are evaluated
vectorized once, up front).

A composition is written as torch writes it: `lr`, `schedulers` (the parts, joined with `+`, each a
catalogue name with its parameters in parentheses, e.g. `linear_lr(start_factor=0.1, total_iters=5) +
cosine_annealing_lr(T_max=95)`), and SequentialLR's `milestones`. The parts share the optimizer's lr.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from tui_dl.engine.expressions import ALLOWED, compile_expression, expression_check
from tui_dl.params import ParamError, ParamSpec, count, split_top_level, starts_assignment


# ------------------------------------------------------------------------------------ the port
class Group:
    """One optimizer param group: the rate schedulers read and write, and torch's `initial_lr`."""

    def __init__(self, lr: float) -> None:
        self.lr = float(lr)
        self.initial_lr: float | None = None


class Scheduler:
    """torch.optim.lr_scheduler.LRScheduler for one param group (`__init__`, `step`, `_update_lr`)."""

    has_closed_form = False

    def __init__(self, group: Group) -> None:
        self.group = group
        if group.initial_lr is None:  # group.setdefault("initial_lr", group["lr"])
            group.initial_lr = group.lr
        self.base = group.initial_lr
        self.last_epoch = -1
        self.is_initial = False
        self.initial_step()

    def initial_step(self) -> None:
        self.step_count = 0
        self.is_initial = True
        try:
            self.step()
        finally:
            self.is_initial = False

    def step(self) -> None:
        self.step_count += 1
        self.update_lr(None)

    def update_lr(self, epoch: int | None) -> None:
        if epoch is None:
            self.last_epoch += 1
            value = self.get_lr()
        else:
            self.last_epoch = epoch
            value = self.closed_form() if self.has_closed_form else self.get_lr()
        self.group.lr = value

    def get_lr(self) -> float:
        raise NotImplementedError

    def closed_form(self) -> float:
        raise NotImplementedError


def _factor(table: np.ndarray, epoch: int) -> float:
    """A lambda's value at epoch, from the table evaluated up front (NaN where Python would raise)."""
    return float(table[epoch])


class LambdaLR(Scheduler):
    def __init__(self, group: Group, table: np.ndarray) -> None:
        self.table = table
        super().__init__(group)

    def get_lr(self) -> float:
        return self.base * _factor(self.table, self.last_epoch)


class MultiplicativeLR(Scheduler):
    def __init__(self, group: Group, table: np.ndarray) -> None:
        self.table = table
        super().__init__(group)

    def get_lr(self) -> float:
        if not self.is_initial:
            return self.group.lr * _factor(self.table, self.last_epoch)
        return self.group.lr


class StepLR(Scheduler):
    has_closed_form = True

    def __init__(self, group: Group, step_size: int, gamma: float = 0.1) -> None:
        self.step_size, self.gamma = step_size, gamma
        super().__init__(group)

    def get_lr(self) -> float:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self.group.lr
        return self.group.lr * self.gamma

    def closed_form(self) -> float:
        return self.base * self.gamma ** (self.last_epoch // self.step_size)


class MultiStepLR(Scheduler):
    has_closed_form = True

    def __init__(self, group: Group, milestones: Any, gamma: float = 0.1) -> None:
        self.milestones, self.gamma = Counter(milestones), gamma
        super().__init__(group)

    def get_lr(self) -> float:
        if self.last_epoch not in self.milestones:
            return self.group.lr
        return self.group.lr * self.gamma ** self.milestones[self.last_epoch]

    def closed_form(self) -> float:
        return self.base * self.gamma ** bisect_right(sorted(self.milestones.elements()), self.last_epoch)


class ConstantLR(Scheduler):
    has_closed_form = True

    def __init__(self, group: Group, factor: float = 1.0 / 3, total_iters: int = 5) -> None:
        self.factor, self.total_iters = factor, total_iters
        super().__init__(group)

    def get_lr(self) -> float:
        if self.last_epoch == 0:
            return self.group.lr * self.factor
        if self.last_epoch != self.total_iters:
            return self.group.lr
        return self.group.lr * (1.0 / self.factor)

    def closed_form(self) -> float:
        return self.base * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))


class LinearLR(Scheduler):
    has_closed_form = True

    def __init__(self, group: Group, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5) -> None:
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(group)

    def get_lr(self) -> float:
        if self.last_epoch == 0:
            return self.group.lr * self.start_factor
        if self.is_initial or self.last_epoch > self.total_iters:
            return self.group.lr
        return self.group.lr * (1.0 + (self.end_factor - self.start_factor) / (
            self.total_iters * self.start_factor + (self.last_epoch - 1) * (self.end_factor - self.start_factor)))

    def closed_form(self) -> float:
        return self.base * (self.start_factor + (self.end_factor - self.start_factor)
                            * min(self.total_iters, self.last_epoch) / self.total_iters)


class ExponentialLR(Scheduler):
    has_closed_form = True

    def __init__(self, group: Group, gamma: float) -> None:
        self.gamma = gamma
        super().__init__(group)

    def get_lr(self) -> float:
        if self.is_initial:
            return self.group.lr
        return self.group.lr * self.gamma

    def closed_form(self) -> float:
        return self.base * self.gamma**self.last_epoch


class PolynomialLR(Scheduler):
    has_closed_form = True

    def __init__(self, group: Group, total_iters: int = 5, power: float = 1.0) -> None:
        self.total_iters, self.power = total_iters, power
        super().__init__(group)

    def get_lr(self) -> float:
        if self.is_initial or self.last_epoch > self.total_iters:
            return self.group.lr
        decay_factor = ((1.0 - self.last_epoch / self.total_iters)
                        / (1.0 - (self.last_epoch - 1) / self.total_iters)) ** self.power
        return self.group.lr * decay_factor

    def closed_form(self) -> float:
        return self.base * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power


class CosineAnnealingLR(Scheduler):
    has_closed_form = True

    def __init__(self, group: Group, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(group)

    def get_lr(self) -> float:
        if self.is_initial:
            return self.group.lr
        if self.step_count == 1 and self.last_epoch > 0:
            return self.eta_min + (self.base - self.eta_min) * (
                1 + math.cos(self.last_epoch * math.pi / self.T_max)) / 2
        if (self.last_epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            return self.group.lr + (self.base - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
        return ((1 + math.cos(math.pi * self.last_epoch / self.T_max))
                / (1 + math.cos(math.pi * (self.last_epoch - 1) / self.T_max))
                * (self.group.lr - self.eta_min) + self.eta_min)

    def closed_form(self) -> float:
        return self.eta_min + (self.base - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2


class CosineAnnealingWarmRestarts(Scheduler):
    def __init__(self, group: Group, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> None:  # noqa: N803
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur: float = -1
        super().__init__(group)

    def get_lr(self) -> float:
        return self.eta_min + (self.base - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2

    def step(self, epoch: int | None = None) -> None:
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        elif epoch >= self.T_0:
            if self.T_mult == 1:
                self.T_cur = epoch % self.T_0
            else:
                n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                self.T_i = self.T_0 * self.T_mult ** (n)
        else:
            self.T_i = self.T_0
            self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        self.group.lr = self.get_lr()


class SequentialLR:
    """torch SequentialLR.__init__ and step() (the parts are already built on the same group)."""

    def __init__(self, group: Group, schedulers: list[Scheduler], milestones: list[int]) -> None:
        self.group, self.schedulers, self.milestones = group, schedulers, list(milestones)
        self.last_epoch = 0
        group.lr = group.initial_lr  # type: ignore[assignment]
        for scheduler in schedulers:  # recursive_undo
            scheduler.last_epoch -= 1
        schedulers[bisect_right(self.milestones, 0)].initial_step()

    def step(self) -> None:
        self.last_epoch += 1
        idx = bisect_right(self.milestones, self.last_epoch)
        scheduler = self.schedulers[idx]
        if idx > 0 and self.milestones[idx - 1] == self.last_epoch:
            scheduler.update_lr(0)
        else:
            scheduler.step()


class ChainedScheduler:
    """torch ChainedScheduler: every part steps, in order, on the shared rate."""

    def __init__(self, schedulers: list[Scheduler]) -> None:
        self.schedulers = schedulers

    def step(self) -> None:
        for scheduler in self.schedulers:
            scheduler.step()


# ------------------------------------------------------------------------- the parts' text
def parse_parts(text: str, what: str = "schedulers") -> list[tuple[str, dict[str, str]]]:
    """`linear_lr(start_factor=0.1, total_iters=5) + cosine_annealing_lr(T_max=95)` as [(name, {key: text})]."""
    parts = []
    for piece in split_top_level(text, "+"):
        piece = piece.strip()
        name, paren, rest = piece.partition("(")
        name = name.strip()
        if not name.isidentifier() or (paren and not rest.rstrip().endswith(")")) or (
                not paren and rest) or _depth_broken(piece):
            raise ParamError(f"bad {what} {text!r}: expected NAME(KEY=VALUE, ...) + NAME(...), e.g. "
                             "linear_lr(start_factor=0.1, total_iters=5) + cosine_annealing_lr(T_max=95)")
        inside = rest.rstrip()[:-1] if paren else ""
        values: dict[str, str] = {}
        key = None
        for arg in split_top_level(inside, ",") if inside.strip() else []:
            if starts_assignment(arg):
                key, _, value = arg.partition("=")
                key = key.strip()
                if key in values:
                    raise ParamError(f"bad {what} {text!r}: {key} is given twice in {name}")
                values[key] = value.strip()
            elif key is not None:
                values[key] += "," + arg.strip()
            else:
                raise ParamError(f"bad {what} {text!r}: expected KEY=VALUE in {name}(...), got {arg.strip()!r}")
        parts.append((name, values))
    return parts


def _depth_broken(piece: str) -> bool:
    depth = 0
    for char in piece:
        depth += char in "(["
        depth -= char in ")]"
        if depth < 0:
            return True
    return depth != 0


# ------------------------------------------------------------------- parts from the catalogue
# name -> build(group, params, factors) where factors(fn) is the part's lambda as a table
PartBuilder = Callable[[Group, Mapping[str, Any], Callable[[Callable[..., np.ndarray]], np.ndarray]], Scheduler]


def _lambda_table(name: str) -> Callable[..., Scheduler]:
    def build(group: Group, params: Mapping[str, Any], table: Callable[..., np.ndarray]) -> Scheduler:
        return LambdaLR(group, table(name, params))
    return build


def _without_lr(cls: type[Scheduler]) -> Callable[..., Scheduler]:
    def build(group: Group, params: Mapping[str, Any], table: Callable[..., np.ndarray]) -> Scheduler:
        return cls(group, **{k: v for k, v in params.items() if k != "lr"})
    return build


PARTS: dict[str, Callable[..., Scheduler]] = {
    "step_lr": _without_lr(StepLR),
    "multi_step_lr": _without_lr(MultiStepLR),
    "constant_lr": _without_lr(ConstantLR),
    "linear_lr": _without_lr(LinearLR),
    "exponential_lr": _without_lr(ExponentialLR),
    "polynomial_lr": _without_lr(PolynomialLR),
    "cosine_annealing_lr": _without_lr(CosineAnnealingLR),
    "cosine_annealing_warm_restarts": _without_lr(CosineAnnealingWarmRestarts),
    "lambda_lr": lambda group, params, table: LambdaLR(group, table("lambda_lr", params)),
    "multiplicative_lr": lambda group, params, table: MultiplicativeLR(group, table("multiplicative_lr", params)),
}
WHY_NOT = {
    "cyclic_lr": "it sets the optimizer's rate to base_lr itself",
    "one_cycle_lr": "it sets the optimizer's rate from max_lr itself",
    "reduce_lr_on_plateau": "torch refuses it (its step needs a metric)",
    "sequential_lr": "nest compositions by writing the parts out",
    "chained_scheduler": "nest compositions by writing the parts out",
}


PARTS_HINT = ("torch schedulers", "lambda_lr", "multiplicative_lr", "transformers' schedules")


def register_lambda_part(name: str) -> None:
    """A schedule that is a LambdaLR in its package (transformers' get_*_schedule*) can be a part."""
    PARTS[name] = _lambda_table(name)


def resolve_parts(text: str, what: str = "schedulers") -> list[tuple[str, dict[str, Any]]]:
    """The parts with their parameters parsed and checked by the catalogue, or a ParamError."""
    from tui_dl.engine.schedules import SCHEDULES

    resolved = []
    for name, values in parse_parts(text, what):
        if name not in PARTS:
            if name in SCHEDULES:
                family = SCHEDULES[name].family
                why = WHY_NOT.get(name, f"a {family} schedule is not a torch LRScheduler" if family != "pytorch"
                                  else "it is not a torch scheduler")
                raise ParamError(f"bad {what}: {name} cannot be a part ({why}); parts: {', '.join(PARTS)}")
            raise ParamError(f"bad {what}: unknown schedule {name!r}; parts: {', '.join(PARTS)}")
        if "lr" in values:
            raise ParamError(f"bad {what}: {name} takes no lr here, every part uses the optimizer's lr")
        resolved.append((name, SCHEDULES[name].resolve(values, text=True)))
    return resolved


def _tables(horizon: int, lr: float) -> Callable[[str, Mapping[str, Any]], np.ndarray]:
    """The factor of a lambda part at epochs 0..horizon (the optimizer's lr where the factor needs it)."""
    from tui_dl.engine.schedules import SCHEDULES

    epochs = np.arange(horizon + 1)

    def table(name: str, params: Mapping[str, Any]) -> np.ndarray:
        factor = SCHEDULES[name].meta["factor"]
        return np.asarray(factor(epochs, **{**params, "lr": lr}), dtype=np.float64)

    return table


def _run(step: Any, lr: float, text: str, make: Callable[[Group, list[Scheduler]], Any]) -> np.ndarray:
    s = np.asarray(step, dtype=np.int64)
    horizon = int(np.max(s, initial=0))
    group = Group(lr)
    table = _tables(horizon, lr)
    parts = [PARTS[name](group, params, table) for name, params in resolve_parts(text)]
    composite = make(group, parts)
    history = np.empty(horizon + 1)
    history[0] = group.lr
    with np.errstate(all="ignore"):
        for epoch in range(1, horizon + 1):
            try:
                composite.step()
            except (ZeroDivisionError, OverflowError, ValueError):  # torch raises here: undefined from now on
                history[epoch:] = np.nan
                break
            history[epoch] = group.lr
    return history[s]


# --------------------------------------------------------------------------- the schedules
LR = ParamSpec("lr", "float", 0.1, low=0.0, low_open=True, scale="log", help="the optimizer's base learning rate")


def lambda_spec(default: str, text: str) -> ParamSpec:
    return ParamSpec("lr_lambda", "text", default, help=text, text_allowed=ALLOWED,
                     text_check=expression_check("lr_lambda"))


def lambda_lr(step: Any, lr: float, lr_lambda: str) -> np.ndarray:
    """torch LambdaLR: lr * f(epoch), f written as an expression in epoch."""
    return lr * compile_expression(lr_lambda, "lr_lambda")(step)


def lambda_factor(step: Any, lr_lambda: str, **_: Any) -> np.ndarray:
    return compile_expression(lr_lambda, "lr_lambda")(step)


def multiplicative_lr(step: Any, lr: float, lr_lambda: str) -> np.ndarray:
    """torch MultiplicativeLR: the rate is multiplied by f(epoch) at every epoch after the first."""
    s = np.asarray(step, dtype=np.int64)
    horizon = int(np.max(s, initial=0))
    factors = compile_expression(lr_lambda, "lr_lambda")(np.arange(1, horizon + 1))
    return np.cumprod(np.concatenate([[float(lr)], factors]))[s]


def check_sequential(params: dict[str, Any]) -> None:
    parts = resolve_parts(params["schedulers"])
    milestones = params["milestones"]
    if len(milestones) != len(parts) - 1:
        raise ParamError(f"bad milestones {list(milestones)}: {count(len(parts), 'scheduler')} need "
                         f"{count(len(parts) - 1, 'milestone')} (torch SequentialLR)")


def check_chained(params: dict[str, Any]) -> None:
    resolve_parts(params["schedulers"])


def sequential_lr(step: Any, lr: float, schedulers: str, milestones: Any) -> np.ndarray:
    """torch SequentialLR: the parts one after another, switching at the milestones."""
    return _run(step, lr, schedulers, lambda group, parts: SequentialLR(group, parts, list(milestones)))


def chained_scheduler(step: Any, lr: float, schedulers: str) -> np.ndarray:
    """torch ChainedScheduler: every part steps at every epoch, each on the rate the others left."""
    return _run(step, lr, schedulers, lambda group, parts: ChainedScheduler(parts))
