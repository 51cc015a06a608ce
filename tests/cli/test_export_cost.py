"""Exports refuse work that cannot fit in the memory available, before allocating anything, and show
their progress on stderr when it is a terminal (the numbers unchanged by the chunks the bar needs)."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import importlib
import io
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
import tracemalloc

import pytest

from tui_dl.cli import main
from tui_dl.engine import cost
from tui_dl.export import common

from .test_terminal_exit import DEADLINE, ROOT, read_until

# a small case of every export target that runs an experiment
TARGETS = {
    "schedule": ["schedule", "cosine_decay", "--steps", "50"],
    "path": ["path", "--surface", "quadratic", "--optimizer", "adam", "--steps", "50"],
    "init": ["init", "--init", "he_normal", "--activation", "relu", "--samples", "20"],
    "race": ["race", "--surface", "quadratic", "--steps", "50"],
    "basins": ["basins", "--surface", "himmelblau", "--optimizer", "sgd", "--grid", "5", "--steps", "20"],
    "train": ["train", "--dataset", "spiral", "--epochs", "3", "--set", "hidden=8"],
    "lr-range": ["lr-range", "--dataset", "spiral", "--iterations", "20", "--set", "hidden=8"],
    "lr-sweep": ["lr-sweep", "--dataset", "spiral", "--epochs", "3", "--count", "4", "--set", "hidden=8"],
    "schedule-race": ["schedule-race", "--dataset", "spiral", "--epochs", "3", "--set", "hidden=8"],
    "search": ["search", "--dataset", "spiral", "--epochs", "3", "--samples", "4", "--set", "hidden=8",
               "--search", "lr=1e-4:1e-1"],
}


class TerminalText(io.StringIO):
    """stderr as a terminal that keeps what is written to it."""

    def isatty(self) -> bool:
        return True


def run(argv: list[str], terminal: bool = False) -> tuple[int, str, str]:
    """main(["export", *argv]): its status, stdout and stderr (a terminal's with terminal)."""
    out, err = io.StringIO(), TerminalText() if terminal else io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["export", *argv])
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("target", list(TARGETS))
def test_every_export_is_refused_before_it_allocates_when_memory_is_short(target, monkeypatch):
    monkeypatch.setattr(cost, "available_memory", lambda: 1000)
    run(TARGETS[target])  # the modules it imports, once (they count when the test runs alone)
    tracemalloc.start()
    status, out, err = run(TARGETS[target])
    allocated = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert status == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"tui-dl: error: tui-dl export {target} needs about ")
    assert "more than the 1 kB of memory available; lower " in lines[0]
    assert allocated < 8e6  # the arguments and the estimate: no experiment


@pytest.mark.parametrize("target", list(TARGETS))
def test_every_export_runs_when_it_fits(target, monkeypatch):
    monkeypatch.setattr(cost, "available_memory", lambda: 4e9)
    status, out, _ = run(TARGETS[target])
    assert status == 0 and out


def test_the_issue_s_heavy_network_is_refused_on_a_machine_without_the_memory(monkeypatch):
    monkeypatch.setattr(cost, "available_memory", lambda: 8e9)
    status, _, err = run(["train", "--dataset", "spiral", "--set", "hidden=4096,4096,4096,4096", "--epochs", "1"])
    assert status == 2
    assert err.startswith("tui-dl: error: tui-dl export train needs about 14.")
    assert err.endswith("more than the 8 GB of memory available; lower hidden, seeds, val_samples or variants\n")


def test_a_terminal_without_a_size_still_gets_the_bar(tmp_path):
    master, slave = pty.openpty()  # 0 x 0: as a pty nobody sized
    process = subprocess.Popen(
        [sys.executable, "-m", "tui_dl", "export", "basins", "--surface", "rastrigin", "--optimizer", "sgd",
         "--grid", "300", "--steps", "3000"], stdout=subprocess.DEVNULL, stderr=slave, stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    os.close(slave)
    output = bytearray()
    try:
        read_until(master, output, lambda text: b" step/s]" in text, DEADLINE)
    finally:
        process.kill()
        process.wait()
        os.close(master)
    assert b"tui-dl export basins:" in output, bytes(output[-300:])


@pytest.mark.parametrize("target", ["path", "train", "basins", "init"])
def test_progress_chunks_give_the_same_numbers(target, monkeypatch):
    _, plain, _ = run(TARGETS[target])
    monkeypatch.setattr("tui_dl.export.common.PROGRESS_UPDATES", 7)  # many small chunks
    steps = []
    real_advance = common.advance

    def counted(step, *args, **kwargs):
        return real_advance(lambda state, n: steps.append(n) or step(state, n), *args, **kwargs)

    module = importlib.import_module(f"tui_dl.export.{target}")
    monkeypatch.setattr(module, "advance", counted)
    _, chunked, _ = run(TARGETS[target], terminal=True)
    assert chunked == plain and len(steps) > 1  # in chunks, not one step(state, steps)


def test_a_long_export_shows_its_progress_on_a_terminal_and_ends_on_ctrl_c(tmp_path):
    """stderr a pty, stdout a file: the bar (tqdm) on stderr, clean csv on stdout, one line after Ctrl+C."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 10, 120, 0, 0))
    out_path = tmp_path / "path.csv"
    with open(out_path, "wb") as out_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "tui_dl", "export", "path", "--surface", "quadratic", "--optimizer", "sgd",
             "--steps", "10000000"], stdout=out_file, stderr=slave, stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    os.close(slave)
    output = bytearray()
    try:
        read_until(master, output, lambda text: b" step/s]" in text, DEADLINE)
        assert b"tui-dl export path:" in output and b"/10000000 [" in output, bytes(output[-300:])
        process.send_signal(signal.SIGINT)
        process.wait(timeout=DEADLINE)
        read_until(master, output, lambda text: text.endswith(b"incomplete\r\n"), DEADLINE)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    assert process.returncode == 130
    assert output.decode().splitlines()[-1] == (
        "tui-dl: interrupted (Ctrl+C); anything written to stdout so far is incomplete")
    assert out_path.read_bytes() == b""  # the csv is written at the end: nothing half-made, no bar in it


def test_a_long_step_moves_the_bar_while_it_runs(monkeypatch):
    """One epoch of a wide network takes a minute: the bar moves within it (done_so_far read from another
    thread) instead of waiting for its end without a word."""
    stderr = TerminalText()
    monkeypatch.setattr(sys, "stderr", stderr)
    state = {"batches": 0}

    def one_long_epoch(state, steps):
        assert steps == 1
        for batch in range(1, 11):
            state["batches"] = batch
            if batch == 3:  # the batches wait until the bar has drawn this one
                read_until_written(stderr, " 0.30/1 [")
        return state

    common.advance(one_long_epoch, state, 1, "epoch", argparse.Namespace(target="train"),
            done_so_far=lambda state: state["batches"] / 10)
    drawn = stderr.getvalue()
    assert "\rtui-dl export train:  30%|" in drawn and drawn.endswith(" " * 80 + "\r")  # then gone


def read_until_written(stream: io.StringIO, text: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while text not in stream.getvalue():
        assert time.monotonic() < deadline, stream.getvalue()[-300:]
        time.sleep(0.01)


@pytest.mark.parametrize("target", ["train", "search", "lr-sweep", "schedule-race"])
def test_the_epoch_exports_tell_the_bar_the_epochs_done(target, monkeypatch):
    module = importlib.import_module(f"tui_dl.export.{target.replace('-', '_')}")
    read = []

    def spied(step, state, steps, unit, args, *, done_so_far):
        def counted(state, n):
            state = step(state, n)
            read.append(done_so_far(state))
            return state
        return common.advance(counted, state, steps, unit, args, done_so_far=done_so_far)

    monkeypatch.setattr(module, "advance", spied)
    status, out, _ = run(TARGETS[target], terminal=True)
    assert status == 0 and out and read == [1.0, 2.0, 3.0]


def test_ctrl_c_in_a_long_step_leaves_the_bar_as_it_was_and_stops_its_thread(monkeypatch):
    stderr = TerminalText()
    monkeypatch.setattr(sys, "stderr", stderr)
    state = {"batches": 0}

    def interrupted_epoch(state, steps):
        state["batches"] = 4
        read_until_written(stderr, " 0.40/1 [")
        raise KeyboardInterrupt

    threads = threading.active_count()
    with pytest.raises(KeyboardInterrupt):
        common.advance(interrupted_epoch, state, 1, "epoch", argparse.Namespace(target="train"),
                       done_so_far=lambda state: state["batches"] / 10)
    drawn = stderr.getvalue()
    assert drawn.endswith("\n") and drawn.rstrip("\n").endswith("epoch]")  # Ctrl+C's line goes below the bar
    assert threading.active_count() == threads  # the ticker has ended: nothing draws after Ctrl+C


def test_a_heavy_export_that_fits_says_what_it_takes_on_a_terminal(monkeypatch):
    monkeypatch.setattr(common, "HEAVY_BYTES", 1)  # every export is heavy
    monkeypatch.setattr(cost, "available_memory", lambda: 4e9)
    status, out, err = run(TARGETS["train"], terminal=True)
    assert status == 0 and out
    assert re.fullmatch(r"tui-dl: export train takes about [0-9.]+ [kM]B and [0-9.e+]+ multiply-adds per "
                        r"epoch; Ctrl\+C stops it", err.splitlines()[0])
    assert run(TARGETS["train"])[2] == ""  # stderr not a terminal: nothing (a script's log stays clean)
