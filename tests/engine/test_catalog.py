"""Every registered component declares exactly its parameters, with the signature's defaults."""

from __future__ import annotations

import inspect

import pytest

from tui_dl.engine.catalog import CATALOGS

COMPONENTS = [component for catalog in CATALOGS.values() for component in catalog]
# positional data each kind's function takes before its parameters
DATA_ARGS = {"schedule": 1, "optimizer": 0, "initializer": 2, "activation": 1, "surface": 1, "dataset": 1}


@pytest.mark.parametrize("component", COMPONENTS, ids=[f"{c.kind}:{c.name}" for c in COMPONENTS])
def test_specs_match_the_signature(component):
    signature = inspect.signature(component.fn)
    names = [name for name, parameter in signature.parameters.items()
             if parameter.kind is not inspect.Parameter.KEYWORD_ONLY][DATA_ARGS[component.kind]:]
    assert [spec.name for spec in component.params] == names
    # keyword-only arguments are the engine's, not parameters a learner sets: an optimizer's variable shapes
    assert {name for name, parameter in signature.parameters.items()
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY} <= ({"shapes"} if component.meta.get("per_variable")
                                                                      else set())
    for spec in component.params:
        declared = signature.parameters[spec.name].default
        if declared is not inspect.Parameter.empty:
            assert spec.default == (tuple(declared) if isinstance(declared, list) else declared), spec.name
        assert spec.validate(spec.default) == spec.default, spec.name
        assert spec.help, f"{component.name}.{spec.name} has no help"
    assert component.summary, component.name


def test_catalogs_hold_what_reference_md_lists():
    assert set(CATALOGS["schedule"].names()) >= {
        "exponential_decay", "piecewise_constant_decay", "polynomial_decay", "inverse_time_decay",
        "cosine_decay", "cosine_decay_restarts", "step_lr", "multi_step_lr", "constant_lr", "linear_lr",
        "exponential_lr", "polynomial_lr", "cosine_annealing_lr", "cosine_annealing_warm_restarts",
        "cyclic_lr", "one_cycle_lr", "reduce_lr_on_plateau", "constant", "legacy_decay"}
    assert set(CATALOGS["optimizer"].names()) >= {
        "sgd", "adagrad", "rmsprop", "adam", "adamw", "nadam", "adamax",
        "keras_sgd", "keras_adagrad", "keras_rmsprop", "keras_adam"}
    assert set(CATALOGS["initializer"].names()) >= {
        "variance_scaling", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "lecun_normal",
        "lecun_uniform", "orthogonal", "random_normal", "random_uniform", "zeros", "ones", "constant",
        "xavier_normal", "xavier_uniform", "kaiming_normal", "kaiming_uniform", "normal", "xavier_simple"}
    assert set(CATALOGS["activation"].names()) >= {
        "linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "softplus", "swish"}
    assert set(CATALOGS["surface"].names()) >= {
        "quadratic", "rosenbrock", "banana", "beale", "himmelblau", "rastrigin", "ackley", "booth", "saddle"}
