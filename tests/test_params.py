"""ParamSpec parsing, checking, describing and stepping; Catalog lookups."""

from __future__ import annotations

import math

import pytest

from tui_dl.params import Catalog, ParamError, ParamSpec, parse_assignments

RATE = ParamSpec("lr", "float", 0.1, low=0.0, low_open=True, scale="log")
COUNT = ParamSpec("steps", "int", 10, low=1, high=100)
BETAS = ParamSpec("betas", "floats", (0.9, 0.999), low=0.0, high=1.0, high_open=True, length=2)
MODE = ParamSpec("mode", "choice", "min", choices=("min", "max"))
FLAG = ParamSpec("cycle", "bool", False)
TARGET = ParamSpec("warmup_target", "float", None, low=0.0, optional=True)


@pytest.mark.parametrize("spec, text, value", [
    (RATE, "0.5", 0.5), (RATE, "1e-3", 1e-3), (COUNT, "42", 42), (COUNT, "1e2", 100),
    (BETAS, "0.5, 0.9", (0.5, 0.9)), (MODE, "max", "max"), (FLAG, "true", True), (FLAG, "False", False),
    (TARGET, "none", None), (TARGET, "0.2", 0.2),
])
def test_parse_accepts(spec, text, value):
    assert spec.parse(text) == value


@pytest.mark.parametrize("spec, text, message", [
    (RATE, "0", "bad value '0' for lr: expected a float in (0, inf)"),
    (RATE, "abc", "bad value 'abc' for lr: expected a float in (0, inf)"),
    (RATE, "nan", "bad value 'nan' for lr"),
    (COUNT, "0", "bad value '0' for steps: expected an integer in [1, 100]"),
    (COUNT, "2.5", "bad value '2.5' for steps"),
    (BETAS, "0.9", "expected a comma-separated list of 2 floats, each in [0, 1)"),
    (BETAS, "0.9,", "bad value '0.9,' for betas"),
    (MODE, "median", "bad value 'median' for mode: expected one of: min, max"),
    (FLAG, "yes", "bad value 'yes' for cycle: expected true or false"),
    (RATE, "none", "bad value 'none' for lr"),
])
def test_parse_refuses_with_one_line_naming_the_parameter(spec, text, message):
    with pytest.raises(ParamError) as error:
        spec.parse(text)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_allowed_phrases():
    assert TARGET.allowed() == "a float in [0, inf) (or none)"
    assert COUNT.allowed() == "an integer in [1, 100]"


def test_nudge_log_scale_follows_1_2_5():
    values = [1e-3]
    for _ in range(4):
        values.append(RATE.nudge(values[-1], +1))
    assert values == [1e-3, 2e-3, 5e-3, 1e-2, 2e-2]
    assert RATE.nudge(0.03, -1) == 0.02
    assert RATE.nudge(0.03, +1) == 0.05


def test_nudge_linear_choice_bool_and_clamp():
    assert COUNT.nudge(10, +1) == 11
    assert COUNT.nudge(100, +1) == 100  # clamped: stays at the bound
    assert MODE.nudge("min", +1) == "max" and MODE.nudge("max", +1) == "min"
    assert FLAG.nudge(False, +1) is True
    fraction = ParamSpec("alpha", "float", 0.0, low=0.0, high=1.0, step=0.05)
    assert fraction.nudge(0.1, +1) == 0.15
    assert fraction.nudge(0.0, -1) == 0.0


def test_catalog_lookup_and_resolve():
    catalog = Catalog("widget")

    @catalog.register(RATE, MODE, family="demo", color="blue")
    def spin(x, lr=0.1, mode="min"):
        """Spin a widget."""
        return x * lr

    component = catalog["spin"]
    assert component.summary == "Spin a widget."
    assert component.meta["color"] == "blue"
    assert component(2.0, lr=0.5) == 1.0
    assert component.resolve({"lr": "0.2"}, text=True) == {"lr": 0.2, "mode": "min"}
    with pytest.raises(ParamError, match="unknown widget 'spun'; choose from: spin"):
        catalog["spun"]
    with pytest.raises(ParamError, match="unknown parameter 'speed' for widget 'spin'; choose from: lr, mode"):
        component.resolve({"speed": 1})


def test_parse_assignments():
    assert parse_assignments(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(ParamError, match="expected KEY=VALUE"):
        parse_assignments(["novalue"])


def test_list_elements_may_be_none_only_where_declared():
    pair = ParamSpec("eps", "floats", (None, 1e-3), low=0.0, length=2, none_items=True, help="torch Adafactor's")
    assert pair.parse("none,0.01") == (None, 0.01) and pair.parse("1e-30, 1e-3") == (1e-30, 1e-3)
    assert pair.validate([None, 0.001]) == (None, 0.001) and pair.format((None, 0.001)) == "none,0.001"
    assert pair.allowed() == "a comma-separated list of 2 floats, each in [0, inf) or none"
    for bad in ("none", "-1,none", "none,none,1"):
        with pytest.raises(ParamError, match=f"bad value '{bad}' for eps"):
            pair.parse(bad)
    plain = ParamSpec("betas", "floats", (0.9, 0.999), low=0.0, high=1.0, length=2)
    with pytest.raises(ParamError, match=r"bad value 'none,0\.9' for betas"):
        plain.parse("none,0.9")


@pytest.mark.parametrize("text", ["inf", "-inf", "1e309", "Infinity"])
def test_no_number_is_infinite_where_an_interval_is_printed_open_at_infinity(text):
    rate = ParamSpec("lr", "float", 1e-3, low=0.0, low_open=True)
    with pytest.raises(ParamError, match=r"for lr: expected a float in \(0, inf\)"):
        rate.parse(text)
    with pytest.raises(ParamError, match="expected a finite float"):
        ParamSpec("shift", "float", 0.0).parse(text)


def test_integers_are_read_exactly_and_in_ascii_digits_only():
    seed = ParamSpec("seed", "int", 0, low=0)
    assert seed.parse("9007199254740993") == 9007199254740993 and seed.parse("1e3") == 1000
    with pytest.raises(ParamError):
        seed.parse("\u0663")  # an Arabic-Indic three


@pytest.mark.parametrize("text", ["1_0", "1_000", "0.0_1", "1e1_0"])
def test_digit_separators_are_not_numbers(text):
    """Python's int and float read `1_0` as 10; a value typed as 1_0 is a typo."""
    with pytest.raises(ParamError, match=f"bad value '{text}' for seed"):
        ParamSpec("seed", "float", 0.0).parse(text)
    with pytest.raises(ParamError):
        ParamSpec("seeds", "ints", (1,)).parse(f"1,{text}")


@pytest.mark.parametrize(("spec", "text"), [(ParamSpec("lr", "float", 1e-3, low=0.0, low_open=True), "1e309"),
                                            (ParamSpec("lr", "float", 1e-3, low=0.0, low_open=True), "-0.0"),
                                            (ParamSpec("hidden", "ints", (8,), low=1), "8, 1e400")])
def test_an_error_shows_the_value_as_it_was_typed(spec, text):
    with pytest.raises(ParamError) as error:
        spec.parse(text)
    assert f"bad value '{text}' for {spec.name}" in str(error.value)


def test_the_smallest_float_has_a_legend_label():
    from tui_dl.engine.experiments.variants import compact_number, parse_variant

    assert compact_number(5e-324) == "4.94e-324" and compact_number(9.999e-4) == "1e-3"
    assert parse_variant("l2=5e-324").label == "L2 4.94e-324"


def test_a_long_value_is_shortened_in_its_one_line():
    """5000 nines made a 5000-character line; in the pane the rule it broke went off the screen."""
    with pytest.raises(ParamError) as error:
        ParamSpec("hidden", "ints", (8,), low=1).parse("9" * 5000)
    assert str(error.value) == (f"bad value '{'9' * 40}…' (5000 characters) for hidden: expected a "
                                "comma-separated list of integers, each in [1, inf)")
    assert str(ParamError(f"bad value '{'x' * 80}' for y")) == f"bad value '{'x' * 80}' for y"  # 80 is kept


def test_a_subnormal_float_is_shown_as_typed():
    """6 digits wrote 1e-320 as 9.99989e-321 (in the panel and in errors)."""
    spec = ParamSpec("l2", "float", 0.0, low=0.0)
    assert spec.format(spec.parse("1e-320")) == "1e-320" and spec.format(5e-324) == "5e-324"
    assert spec.format(1e-5) == "1e-05" and spec.format(0.123456789) == "0.123457"


def test_minus_zero_is_zero():
    value = ParamSpec("noise", "float", 0.1, low=0.0).parse("-0")
    assert value == 0.0 and math.copysign(1.0, value) == 1.0


def test_a_boolean_is_not_a_number():
    """float(True) is 1.0: `batch_size = true` in a setup file trained with batches of 1, without a word."""
    import numpy as np

    for value in (True, False, np.True_, [5, True]):
        with pytest.raises(ParamError, match=r"^bad value .* for steps: expected an integer in \[1, 100\]$"):
            COUNT.validate(value)
    assert COUNT.validate(np.int64(7)) == 7 and RATE.validate(np.float32(0.5)) == 0.5


@pytest.mark.parametrize(("value", "shown"), [([[8], 8], "[8],8"), ([8, "x"], "8,x"), ([{"a": 1}], "{'a': 1}")])
def test_a_value_of_another_kind_is_one_line_not_a_formatting_error(value, shown):
    spec = ParamSpec("hidden", "ints", (100,), low=1, high=4096)
    with pytest.raises(ParamError) as error:
        spec.validate(value)
    assert str(error.value) == f"bad value {shown!r} for hidden: expected {spec.allowed()}"


@pytest.mark.parametrize("value", ["9" * 400, int("9" * 400), "-" + "9" * 400, [8, int("9" * 400)], 10**5000],
                         ids=["text", "int", "negative", "list", "int of 5000 digits"])
def test_an_integer_past_the_float_range_is_one_line_not_an_overflow(value):
    """int('9' * 400) is exact, float() of it an OverflowError: typing 400 nines in the app crashed it."""
    ints = ParamSpec("hidden", "ints", (100,), low=1, high=4096)
    for spec in (COUNT, RATE, ints):
        with pytest.raises(ParamError) as error:
            spec.validate(value if spec is ints or not isinstance(value, list) else value[1])
        message = str(error.value)
        assert message.endswith(f"for {spec.name}: expected {spec.allowed()}") and len(message) < 200
    assert ParamSpec("seed", "int", 0, low=0).validate(str(10**400)) == 10**400  # no upper bound: exact
    with pytest.raises(ParamError, match=r"^bad value 'an integer of about 5000 digits' for steps: "):
        COUNT.validate(10**5000)  # more digits than str() writes
