"""`tui-dl export ... --plot`: every target as a plotext chart, from the outside."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tui_dl.cli import EXPORT_TARGETS, main
from tui_dl.export import Export
from tui_dl.export.plots import DEFAULT_SIZE, chart_size, use_colour, write_chart
from tui_dl.export.plots.charts import CHARTS
from tui_dl.export.plots.figure import Panel, Series, render, ticks

SMALL_TRAINING = ("--set", "train_samples=64", "--set", "val_samples=32", "--set", "hidden=8")

# target -> (arguments, texts the chart must show: title, axes, every run's label)
CASES = {
    "schedule": (["cosine_decay_restarts", "--set", "initial_learning_rate=0.1", "--set", "first_decay_steps=100",
                  "--steps", "400"],
                 ["cosine_decay_restarts (keras): learning rate per step", "step", "lr", "0.1", "300"]),
    "path": (["--surface", "rosenbrock", "--optimizer", "adam", "--set", "lr=0.1", "--steps", "30"],
             ["paths on rosenbrock", "loss per step", "adam", "SS start", "MM minimum"]),
    "init": (["--init", "normal_1", "--convention", "keras", "--activation", "sigmoid", "--layers", "3",
              "--width", "20", "--samples", "100"],
             ["layer 1", "layer 2", "layer 3", "activation std per layer (normal_1, sigmoid)",
              "gradient norm per layer", "activation", "count"]),
    "race": (["--surface", "himmelblau", "--optimizer", "sgd:lr=0.01", "--optimizer", "adam:lr=0.1",
              "--start", "-1,0", "--steps", "30"],
             ["paths on himmelblau", "loss per step", "sgd:lr=0.01", "adam:lr=0.1", "start", "minimum"]),
    "basins": (["--surface", "himmelblau", "--optimizer", "adam", "--set", "lr=0.1", "--grid", "8", "--steps", "100"],
               ["basins of adam on himmelblau after 100 steps", "start x", "start y", "00 minimum (3, 2): "]),
    "train": (["--dataset", "xor", "--variant", "none", "--variant", "l2=1e-3", "--epochs", "3", *SMALL_TRAINING],
              ["loss per epoch: train dotted, val solid", "epoch", "none train", "none val", "L2 1e-3 train",
               "L2 1e-3 val"]),
    "lr-range": (["--iterations", "30", *SMALL_TRAINING],
                 ["LR range test (adam)", "learning rate", "smoothed loss", "suggested lr", "1e-7"]),
    "lr-sweep": (["--epochs", "3", "--count", "5", *SMALL_TRAINING],
                 ["loss per epoch at each rate (sgd)", "loss after 3 epochs against the rate", "lr 0.0001", "lr 100",
                  "range test suggests", "learning rate"]),
    "schedule-race": (["--schedule", "constant", "--schedule", "cosine_decay", "--epochs", "3", *SMALL_TRAINING],
                      ["train loss per epoch", "learning rate per iteration", "constant", "cosine_decay"]),
    "search": (["--samples", "8", "--epochs", "2", "--dataset", "spiral", *SMALL_TRAINING],
               ["random search: 8 samples, best first by val acc", "best 5: val acc", " to ", "others (3)",
                "weight_decay"]),
}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_target_has_a_chart():
    assert set(CHARTS) == set(EXPORT_TARGETS) == set(CASES)


@pytest.mark.parametrize("target", CASES)
def test_plot_draws_the_target_at_the_default_size_without_colour(capsys, target):
    arguments, texts = CASES[target]
    code, out, _ = run(capsys, "export", target, *arguments, "--plot")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == DEFAULT_SIZE[1] and {len(line) for line in lines} == {DEFAULT_SIZE[0]}
    assert "\x1b" not in out  # stdout is not a terminal: plain text for logs and pipes
    assert not out.startswith("{") and "," not in lines[-1]  # neither json nor a csv row
    for text in texts:
        assert text in out, text
    assert any(0x2801 <= ord(c) <= 0x28FF for c in out) or target in ("basins", "search")  # lines; scatters: glyphs


@pytest.mark.parametrize("target", CASES)
def test_every_target_fits_the_smallest_size(capsys, target):
    code, out, _ = run(capsys, "export", target, *CASES[target][0], "--plot-size", "40x10")
    assert code == 0 and [len(line) for line in out.splitlines()] == [40] * 10


@pytest.mark.parametrize("target", ["schedule", "race"])
def test_plot_size_sets_the_size_and_implies_plot(capsys, target):
    arguments, texts = CASES[target]
    code, out, _ = run(capsys, "export", target, *arguments, "--plot-size", "72x18")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 18 and {len(line) for line in lines} == {72}
    assert texts[0] in out


def test_plot_wins_over_format(capsys):
    code, out, _ = run(capsys, "export", "schedule", "step_lr", "--steps", "50", "--format", "json", "--plot")
    assert code == 0 and "step_lr (pytorch): learning rate per step" in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


@pytest.mark.parametrize("size", ["10x5", "100", "wide", "100x30x2", "2000x30"])
def test_a_bad_plot_size_is_one_line_and_exit_2(capsys, size):
    code, out, err = run(capsys, "export", "schedule", "constant", "--plot-size", size)
    assert code == 2 and out == ""
    expected = f"bad value {size!r} for --plot-size: expected WxH, e.g. 100x30, from 40x10 to 1000x500"
    assert err == f"tui-dl: error: {expected}\n"


def test_bad_input_with_plot_keeps_the_usual_error(capsys):
    code, out, err = run(capsys, "export", "schedule", "cosine", "--plot")
    assert code == 2 and out == "" and err.startswith("tui-dl: error: unknown schedule 'cosine'")


def test_a_diverged_path_plots_and_keeps_its_note(capsys):
    code, out, err = run(capsys, "export", "path", "--surface", "quadratic", "--optimizer", "sgd", "--set", "lr=5",
                         "--steps", "200", "--plot")
    assert code == 0
    assert err == "tui-dl: note: sgd diverged at step 162 (non-finite position or loss): later rows are nan\n"
    assert len(out.splitlines()) == DEFAULT_SIZE[1]
    assert "sgd (diverged at step 162)" in out and "MM minimum" in out


def test_runs_that_blow_up_leave_the_axes_to_the_others(capsys):
    # the textbook SGD and Momentum diverge on himmelblau after passing 1e50: the axes stay near the surface
    code, out, err = run(capsys, "export", "race", "--surface", "himmelblau", "--steps", "30", "--plot")
    assert code == 0 and "SGD diverged" in err
    assert "SGD (diverged at step" in out and "Adam" in out
    lines = out.splitlines()
    frame = lines[1].index("┌")
    paths_ticks = [line[:frame].strip() for line in lines[2:-3] if line[:frame].strip()]
    assert paths_ticks and all(abs(float(tick)) < 100 for tick in paths_ticks)  # not 1e57: the surface's scale


def test_a_schedule_undefined_past_its_end_plots_its_defined_part(capsys):
    code, out, err = run(capsys, "export", "schedule", "one_cycle_lr", "--set", "total_steps=50", "--steps", "80",
                         "--plot")
    assert code == 0 and "undefined from step 51" in err and "(no finite values)" not in out


def test_an_all_nan_series_is_absent_and_an_empty_panel_says_so():
    nan = [np.nan, np.inf, None]
    text = render([[Panel("both", "x", "y", [Series("gone", [0, 1, 2], nan), Series("kept", [0, 1, 2], [1, 2, 3])]),
                    Panel("empty", "x", "y", [Series("gone", [0, 1, 2], nan)])]], (80, 16), colour=False)
    assert "kept" in text and "gone" not in text and "empty (no finite values)" in text
    assert len(text.splitlines()) == 16


def test_a_line_out_to_1e300_is_cut_at_the_axes():
    series = [Series("ok", [0, 1, 2], [0, 1, 0]), Series("away", [0, 1, 2], [0.5, 1e300, 1e301], clip="y")]
    text = render([[Panel("clip", "x", "y", series)]], (60, 14), colour=False)
    assert "1e300" not in text and "e30" not in text  # the axes are the first series'


def test_thinning_a_long_line_keeps_its_picture(monkeypatch):
    from tui_dl.export.plots import figure

    x = np.arange(20_000)
    panels = [[Panel("noisy", "x", "y", [Series("", x, np.cos(x / 3000) + 0.05 * np.sin(x * 1.3))])]]
    thinned = render(panels, (70, 14), colour=False)
    assert len(figure._thin(x.astype(float), np.cos(x / 3000), 16 * 70)[0]) <= 4 * 16 * 70
    monkeypatch.setattr(figure, "_thin", lambda x, y, columns: (x, y))
    every_point = render(panels, (70, 14), colour=False)
    assert sum(a != b for a, b in zip(thinned, every_point, strict=True)) <= 5  # a dot here and there, of 980 cells


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_gets_colour_unless_no_color(monkeypatch):
    export = Export(("step", "lr"), [], {"schedule": "constant", "family": "", "step": np.arange(5),
                                         "lr": np.full(5, 0.1)})
    monkeypatch.delenv("NO_COLOR", raising=False)
    stream = _Terminal()
    assert use_colour(stream) and chart_size(stream) == DEFAULT_SIZE  # no terminal behind it: the default
    write_chart(export, "schedule", stream, (60, 12))
    assert "\x1b[" in stream.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    stream = _Terminal()
    write_chart(export, "schedule", stream, (60, 12))
    assert "\x1b" not in stream.getvalue() and len(stream.getvalue().splitlines()) == 12


def test_a_terminal_chart_fills_the_terminal_but_its_last_line():
    termios = pytest.importorskip("termios")
    import fcntl
    import os
    import struct

    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 90, 0, 0))
    with open(follower, "w") as stream:
        assert chart_size(stream) == (90, 23)
    os.close(leader)


def test_ticks_are_short_and_round():
    """The same ticks and labels as the app's canvas (tui_dl.ticks), within the chart's fixed ends."""
    assert ticks(1e-7, 10, 6, log=True) == ([1e-7, 1e-5, 1e-3, 1e-1, 10.0], ["1e-7", "1e-5", "1e-3", "0.1", "10"])
    assert ticks(1, 10, 4, integer=True)[1] == ["1", "5", "10"]
    assert ticks(0, 0.1, 6)[1] == ["0", "0.02", "0.04", "0.06", "0.08", "0.1"]
    assert ticks(0, 2.5e6, 3)[1] == ["0", "2e6"]


def test_plot_does_not_import_textual():
    code = textwrap.dedent(
        """
        import io, contextlib, sys
        from tui_dl.cli import main
        with contextlib.redirect_stdout(io.StringIO()) as out:
            status = main(["export", "schedule", "exponential_decay", "--steps", "20", "--plot"])
        assert status == 0 and "exponential_decay" in out.getvalue()
        print("textual" in sys.modules, "plotext" in sys.modules)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True"]  # plotext is loaded for the chart, textual never
