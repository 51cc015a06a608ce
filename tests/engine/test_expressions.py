"""The factor of LambdaLR and MultiplicativeLR: an allow-listed expression in epoch, evaluated vectorized."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tui_dl.engine.expressions import compile_expression
from tui_dl.params import ParamError

EPOCHS = np.arange(0, 40)


@pytest.mark.parametrize("source", [
    "0.95 ** epoch",
    "min(1.0, (epoch + 1) / 10)",
    "0.5 ** (epoch // 10)",
    "0.5 * (1 + math.cos(math.pi * epoch / 50)) if epoch < 30 else 0.01",
    "1 / math.sqrt(max(epoch, 1))",
    "math.exp(-epoch / 20) + 0.5 * (epoch % 7 == 0 and epoch > 0)",
    "1.0 if 5 <= epoch < 15 else (0.1 if not epoch < 15 else 0.5)",
    "abs(round(epoch / 3) - 3) + math.floor(epoch / 4) - math.ceil(-epoch / 5) + int(-epoch / 3) + float(epoch)",
    "max(0.1, 1 - epoch / 20, 0.2 * (epoch > 30))",
    "math.log(epoch + 1) + math.log2(epoch + 1) + math.log10(epoch + 1) + math.tanh(epoch) + math.sin(epoch)",
    "-epoch + +epoch - (epoch != 3) + (epoch == 3) * 2 ** -1 + math.e",
])
def test_equals_python_on_the_shown_lambda(source):
    expression = compile_expression(source)
    python = eval(f"lambda epoch: {expression.code}", {"math": math})  # the lambda the code panel shows
    np.testing.assert_allclose(expression(EPOCHS), [python(int(e)) for e in EPOCHS], rtol=1e-15, atol=1e-300)


def test_bare_math_names_are_written_with_math_in_the_shown_code():
    assert compile_expression("cos(pi * epoch) * exp(-e)").code == "math.cos(math.pi * epoch) * math.exp(-math.e)"


@pytest.mark.parametrize(("source", "why"), [
    ("0.95 ** step", "unknown name 'step'"),
    ("__import__('os')", "unknown function '__import__'"),
    ("__import__('os').system('true')", "unknown function"),
    ("epoch.real", "unknown name 'epoch.real'"),
    ("(lambda: 1)()", "unknown function"),
    ("[1, 2][0]", "subscript is not allowed"),
    ("epoch if True else 1", "True is not a number"),
    ("'a' * 3", "'a' is not a number"),
    ("min(epoch)", "min() takes 2 or more arguments"),
    ("math.cos(epoch, 1)", "cos() takes 1 argument"),
    ("epoch @ 2", "operator not allowed"),
    ("epoch in (1, 2)", "comparison not allowed"),
    ("lambda epoch: 0.9", "give the body only"),
    ("epoch +", "not a Python expression"),
    ("", "expected 1 to 300 characters"),
    ("x := 3", "not a Python expression"),
    ("10" * 20, "larger than 2**53"),
])
def test_refused_in_one_line_naming_the_expression_and_what_is_allowed(source, why):
    with pytest.raises(ParamError) as error:
        compile_expression(source, "lr_lambda")
    message = str(error.value)
    assert message.startswith(f"bad lr_lambda {source!r}") and why in message, message
    assert "allowed: an expression in epoch" in message and "\n" not in message


def test_where_python_raises_the_factor_is_nan():
    values = compile_expression("1 / epoch + math.log(epoch - 1) * 0 + (epoch - 3) ** 0.5 * 0")(np.arange(5))
    assert np.isnan(values[:3]).all() and np.isfinite(values[3:]).all()
    assert np.isnan(compile_expression("10.0 ** epoch")(np.array([400]))).all()  # Python: OverflowError


def test_a_branch_not_taken_may_be_undefined():
    np.testing.assert_array_equal(compile_expression("1 if epoch == 0 else 1 / epoch")(np.arange(3)), [1, 1, 0.5])
