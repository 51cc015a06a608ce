"""Every flag of the app refuses a bad value as its export twin does: one line naming the value and what
is allowed, exit status 2, and no app started; every good value is accepted.
"""

from __future__ import annotations

import json

import pytest

from tui_dl import cli

# (the app's argv, its twin's argv) with the same bad value
TWINS = [
    (["--seed", "-1"], ["export", "train", "--dataset", "xor", "--seed", "-1"]),
    (["--seed", "abc"], ["export", "init", "--init", "he_normal", "--activation", "relu", "--seed", "abc"]),
    (["--seed", "1.5"], ["export", "lr-range", "--seed", "1.5"]),
    (["--seed", str(2**64)], ["export", "schedule-race", "--seed", str(2**64)]),
    (["snapshot", "lr", "-o", "x.svg", "--seed", "-1"], ["export", "train", "--dataset", "xor", "--seed", "-1"]),
    (["snapshot", "lr", "-o", "x.svg", "--steps", "0"], ["export", "schedule", "step_lr", "--steps", "0"]),
    (["snapshot", "lr", "-o", "x.svg", "--steps", "abc"], ["export", "path", "--surface", "booth",
                                                            "--optimizer", "adam", "--steps", "abc"]),
    # an integer past the float range: an OverflowError's traceback (seventh tester), now shortened
    (["--seed", "9" * 400], ["export", "train", "--dataset", "xor", "--seed", "9" * 400]),
    (["snapshot", "lr", "-o", "x.svg", "--steps", "9" * 400], ["export", "path", "--surface", "booth",
                                                               "--optimizer", "adam", "--steps", "9" * 400]),
]
# flags without a twin: their own line, in the same words
OWN = [
    (["--fps", "0"], "bad value '0' for --fps: expected a float in [1, 240]"),
    (["--fps", "0.0001"], "bad value '0.0001' for --fps: expected a float in [1, 240]"),
    (["--fps", "abc"], "bad value 'abc' for --fps: expected a float in [1, 240]"),
    (["--fps", "nan"], "bad value 'nan' for --fps: expected a float in [1, 240]"),
    (["snapshot", "lr", "-o", "x.svg", "--size", "30x10"], "bad value '30x10' for --size: expected WxH"),
    (["serve", "--port", "0"], "bad value '0' for --port: expected a port, an integer in [1, 65535]"),
    (["--preset", "nope"], "unknown preset 'nope': expected one of: "),
    (["--fps", "9" * 400], f"bad value '{'9' * 40}…' (400 characters) for --fps: expected a float in [1, 240]"),
    (["export", "train", "--dataset", "xor", "--set", "lr=" + "9" * 5000],
     f"bad value '{'9' * 40}…' (5000 characters) for lr: expected a float in (0, inf)"),
    (["export", "train", "--dataset", "xor", "--set", "hidden=8," + "9" * 400],
     f"bad value '8,{'9' * 38}…' (402 characters) for hidden: expected a comma-separated list of integers"),
]


def refusal(capsys, argv: list[str]) -> str:
    """The one line of a refused command line (argparse exits; an export returns its status)."""
    try:
        code = cli.main(argv)
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("tui-dl: error: "), err
    return err


@pytest.mark.parametrize(("app", "twin"), TWINS)
def test_an_app_flag_refuses_a_value_with_its_export_twins_line(capsys, app, twin):
    assert refusal(capsys, app) == refusal(capsys, twin)


@pytest.mark.parametrize(("argv", "message"), OWN)
def test_a_flag_without_a_twin_refuses_in_the_same_words(capsys, monkeypatch, argv, message):
    monkeypatch.setattr(cli, "has_terminal", lambda: True)  # checked as in a terminal (else: "needs a terminal")
    assert message in refusal(capsys, argv)


def test_the_top_level_seed_reaches_every_export_that_draws(capsys):
    argv = ["export", "init", "--init", "he_normal", "--activation", "relu", "--layers", "1", "--width", "10",
            "--samples", "10", "--bins", "2"]
    assert cli.main(["--seed", "5", *argv]) == 0
    given_first = json.loads(capsys.readouterr().out)
    assert cli.main([*argv, "--seed", "5"]) == 0
    assert given_first == json.loads(capsys.readouterr().out) and given_first["seed"] == 5


@pytest.mark.parametrize(("argv", "given"), [
    (["--config", "nonexist.toml"], "--config"),
    (["--preset", "nosuch"], "--preset"),
    (["--reset", "--fps", "5"], "--reset, --fps"),
    (["--ascii", "--no-mouse", "--demo", "--lang", "ko"], "--ascii, --no-mouse, --demo, --lang"),
])
def test_app_options_before_export_are_refused_not_ignored(capsys, argv, given):
    """`tui-dl --config FILE export ...` ran with the defaults and said nothing."""
    verb = "applies" if "," not in given else "apply"
    assert refusal(capsys, [*argv, "export", "schedule", "constant"]).rstrip() == (
        f"tui-dl: error: {given} {verb} to the app (and snapshot, serve, lesson), not to export: an export takes "
        "its values with --set and its own options (tui-dl export TARGET --help)")
