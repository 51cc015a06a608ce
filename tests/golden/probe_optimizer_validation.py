"""Where tui-dl's optimizer specs and the frameworks disagree on what a value may be: a probe, not a fixture.

Each numeric hyperparameter of each optimizer is set, alone, to edge values (negative, 0, 1, above 1, nan, inf;
each element of a pair), the framework's optimizer is built with it and takes two steps, and the answer (accepted,
or the exception) is printed next to tui-dl's wherever they differ. The differences left are decisions, tested in
tests/engine/test_optimizers.py: nan and inf are refused everywhere, and so are values a framework takes but that
leave its update undefined (Keras Adam's beta_1 = 1, an RMSprop decay above 1). In the scratch venv:

    KERAS_BACKEND=torch python tests/golden/probe_optimizer_validation.py
"""

import math
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
warnings.filterwarnings("ignore")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import schedulefree  # noqa: E402
import torch  # noqa: E402

from tui_dl.app.frameworks.optimizers import (  # noqa: E402
    KERAS_OPTIMIZERS,
    SCHEDULE_FREE_OPTIMIZERS,
    TORCH_OPTIMIZERS,
)
from tui_dl.engine.optimizers import OPTIMIZERS  # noqa: E402
from tui_dl.params import ParamError  # noqa: E402

keras.config.set_floatx("float64")
VALUES = [-1.0, -1e-3, 0.0, 0.5, 1.0, 1.5, 10.0, math.nan, math.inf]
INTS = [-1, 0, 1, 5, 99, 100, 1000]

def framework_accepts(name, params):
    """True, or the framework's exception, for two steps of the optimizer built with params."""
    try:
        if name in KERAS_OPTIMIZERS:
            kw = dict(params)
            opt = getattr(keras.optimizers, KERAS_OPTIMIZERS[name])(**kw)
            shapes = [(3, 4), (4,)] if "muon" in name else [(4,)]
            vs = [keras.Variable(np.ones(s) * 0.5, dtype="float64") for s in shapes]
            for _ in range(2):
                opt.apply([torch.ones(s, dtype=torch.float64) * 0.3 for s in shapes], vs)
            return True
        if name in SCHEDULE_FREE_OPTIMIZERS:
            p = torch.nn.Parameter(torch.ones(4, dtype=torch.float64))
            opt = getattr(schedulefree, SCHEDULE_FREE_OPTIMIZERS[name])([p], **params)
            opt.train()
            for _ in range(2):
                p.grad = torch.ones(4, dtype=torch.float64) * 0.3
                opt.step()
            opt.eval()
            return True
        cls = getattr(torch.optim, TORCH_OPTIMIZERS[name])
        shape = (3, 4) if name == "muon" else (4,)
        p = torch.nn.Parameter(torch.ones(shape, dtype=torch.float64))
        opt = cls([p], **params)
        def closure():
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss
        for _ in range(2):
            if name == "lbfgs":
                opt.step(closure)
            else:
                p.grad = torch.ones(shape, dtype=torch.float64) * 0.3
                opt.step()
        return True
    except Exception as error:
        return f"{type(error).__name__}: {str(error)[:80]}"

def ours_accepts(name, values):
    """True, or tui-dl's one-line refusal."""
    try:
        OPTIMIZERS[name].resolve(values)
        return True
    except ParamError as e:
        return str(e)[:90]

def candidates(spec, default):
    """The edge values to try for one spec: each of VALUES (or INTS), or each element of a pair set to them."""
    if spec.kind == "float":
        return VALUES
    if spec.kind == "int":
        return INTS
    if spec.kind != "floats":
        return []
    out = []
    for i in range(spec.length or 2):
        for value in VALUES:
            base = [1e-3 if b is None and not spec.none_items else b for b in default]
            base[i] = value
            out.append(tuple(base))
    return out


def main():
    for component in OPTIMIZERS:
        name, defaults = component.name, component.resolve({})
        for spec in component.params:
            for value in candidates(spec, defaults[spec.name]):
                theirs = framework_accepts(name, {**defaults, spec.name: value})
                ours = ours_accepts(name, {spec.name: value})
                if (theirs is True) != (ours is True):
                    answers = ["ok" if answer is True else answer for answer in (theirs, ours)]
                    print(f"{name} | {spec.name} | {value!r} | framework: {answers[0]} | tui-dl: {answers[1]}")


if __name__ == "__main__":
    main()
