"""When the terminal goes away, the process goes away: the app in a real pty, ended by SIGTERM and SIGHUP
(a closed window, a dropped SSH session), restores the terminal modes and exits within seconds; with
stdout not a terminal it does not start at all.

Every wait polls a condition against a generous deadline (the machine may be busy), never a fixed sleep.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

DEADLINE = 30.0  # seconds: generous, the condition ends the wait long before
ALTERNATE_SCREEN_ON, ALTERNATE_SCREEN_OFF = b"\x1b[?1049h", b"\x1b[?1049l"
MOUSE_OFF, CURSOR_SHOWN = b"\x1b[?1000l", b"\x1b[?25h"
ROOT = Path(__file__).resolve().parents[2]


def environment(tmp_path: Path) -> dict[str, str]:
    """This checkout first on the path, a terminal type, preferences kept out of the user's home, no driver
    of textual-serve's."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "XDG_CONFIG_HOME": str(tmp_path)}
    env.pop("TEXTUAL_DRIVER", None)
    return env


def read_until(master: int, output: bytearray, condition, deadline: float) -> None:
    """Read the pty into output until condition(output) holds or the deadline passes."""
    end = time.monotonic() + deadline
    while not condition(output) and time.monotonic() < end:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                output += os.read(master, 65536)
            except OSError:  # the child closed its side
                return


APP = (sys.executable, "-m", "tui_dl", "--no-mouse")


def drawn(out: bytearray) -> bool:
    """The app has switched to the alternate screen and drawn its first pane."""
    return ALTERNATE_SCREEN_ON in out and b"Learning rate" in out


@contextlib.contextmanager
def in_pty(tmp_path: Path, command: Sequence[str] = APP, ready=drawn, env: dict[str, str] | None = None,
           **popen: Any) -> Iterator[tuple[subprocess.Popen, int, bytearray]]:
    """command in a 120 x 36 pty, once ready(output) holds: (process, pty master, output so far). On the way
    out the master is closed (if the test has not) and a process still running is killed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    popen.setdefault("start_new_session", True)
    process = subprocess.Popen(list(command), stdin=slave, stdout=slave, stderr=slave,
                               env=env or environment(tmp_path), **popen)
    os.close(slave)
    output = bytearray()
    try:
        read_until(master, output, ready, DEADLINE)
        assert ready(output), bytes(output[-500:])
        yield process, master, output
    finally:
        with contextlib.suppress(OSError):  # closed by the test: a terminal window that went away
            os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()


def process_state(pid: int) -> str:
    """R running, S sleeping, T stopped (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]


def wait_gone(process: subprocess.Popen, deadline: float = DEADLINE) -> float:
    """Seconds until the process ended (it is killed, and the test fails, past the deadline)."""
    start = time.monotonic()
    while process.poll() is None:
        if time.monotonic() - start > deadline:
            process.kill()
            process.wait()
            raise AssertionError(f"still running {deadline:g} s after the signal")
        time.sleep(0.02)
    return time.monotonic() - start


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGQUIT])
def test_a_signal_restores_the_terminal_and_ends_the_app(tmp_path, signum):
    with in_pty(tmp_path) as (process, master, output):
        mark = len(output)
        process.send_signal(signum)
        read_until(master, output, lambda out: process.poll() is not None and ALTERNATE_SCREEN_OFF in out[mark:],
                   DEADLINE)
        wait_gone(process)
        read_until(master, output, lambda out: False, 0.2)  # what was still in flight
    assert process.returncode == 128 + signum
    reset = bytes(output[mark:])
    assert ALTERNATE_SCREEN_OFF in reset and CURSOR_SHOWN in reset, reset[-300:]


def test_the_mouse_tracking_is_turned_off_on_sighup(tmp_path):
    """With the mouse on (the default), SIGHUP turns mouse tracking off again."""
    with in_pty(tmp_path, APP[:-1], ready=lambda out: b"\x1b[?1000h" in out and b"Learning rate" in out) as (
            process, master, output):
        mark = len(output)
        process.send_signal(signal.SIGHUP)
        read_until(master, output, lambda out: MOUSE_OFF in out[mark:] and process.poll() is not None, DEADLINE)
        wait_gone(process)
    assert MOUSE_OFF in output[mark:] and ALTERNATE_SCREEN_OFF in output[mark:]


def test_a_hangup_after_the_terminal_closed_ends_the_app(tmp_path):
    """The window is gone first (nothing can be restored), then SIGHUP: the process still ends at once."""
    with in_pty(tmp_path) as (process, master, _):
        os.close(master)
        process.send_signal(signal.SIGHUP)
        wait_gone(process)
    assert process.returncode == 128 + signal.SIGHUP


def test_without_a_terminal_on_stdout_the_app_does_not_start(tmp_path):
    """`tui-dl | head -1`: one line pointing to export and snapshot, exit status 2, at once."""
    result = subprocess.run([sys.executable, "-m", "tui_dl"], stdin=subprocess.DEVNULL, capture_output=True,
                            env=environment(tmp_path), timeout=DEADLINE, check=False)
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.decode() == (
        "tui-dl: error: the app needs a terminal and stdout is not one: for the data use `tui-dl export ...`, "
        "for a picture `tui-dl snapshot PANE -o FILE.svg`\n")


def test_without_a_terminal_on_stdin_the_app_does_not_start(tmp_path):
    """`tui-dl < /dev/null` in a terminal: no key would ever arrive (q neither) and the input thread spun."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    try:
        result = subprocess.run([sys.executable, "-m", "tui_dl"], stdin=subprocess.DEVNULL, stdout=slave,
                                stderr=subprocess.PIPE, env=environment(tmp_path), timeout=DEADLINE, check=False)
    finally:
        os.close(slave)
        os.close(master)
    assert result.returncode == 2
    assert result.stderr.decode() == (
        "tui-dl: error: the app needs a terminal and stdin is not one: for the data use `tui-dl export ...`, "
        "for a picture `tui-dl snapshot PANE -o FILE.svg`\n")


def test_without_a_terminal_on_stderr_the_app_does_not_start_and_says_so_on_the_terminal(tmp_path):
    """`tui-dl 2>log`: Textual draws on stderr, so the screen stayed blank and the log grew by 27 kB/s."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    log = tmp_path / "err.log"
    try:
        with open(log, "wb") as stderr:
            status = subprocess.run([sys.executable, "-m", "tui_dl"], stdin=slave, stdout=slave, stderr=stderr,
                                    env=environment(tmp_path), timeout=DEADLINE, check=False).returncode
        output = bytearray()
        read_until(master, output, lambda out: out.endswith(b"\n"), DEADLINE)
    finally:
        os.close(slave)
        os.close(master)
    line = ("tui-dl: error: the app needs a terminal and stderr is not one: for the data use `tui-dl export ...`, "
            "for a picture `tui-dl snapshot PANE -o FILE.svg`\n")
    assert status == 2 and log.read_text() == line
    assert output.decode().replace("\r\n", "\n") == line  # and on the terminal, where the user looks


def test_ctrl_c_ends_a_long_export_with_one_line_and_status_130():
    command = [sys.executable, "-m", "tui_dl", "export", "path", "--surface", "quadratic", "--optimizer", "sgd",
               "--steps", "10000000"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def cpu_seconds() -> float:  # user time of the process (Linux): past its start-up once it is computing
        with open(f"/proc/{process.pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[11]) / os.sysconf("SC_CLK_TCK")

    try:
        deadline = time.monotonic() + 60
        while cpu_seconds() < 1.0 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.poll() is None, process.stderr.read()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert err.strip().splitlines() == ["tui-dl: interrupted (Ctrl+C); anything written to stdout so far is incomplete"]


STUCK_SHUTDOWN = """
import time
import textual.app

async def stuck(self):  # a shutdown that never ends, as Textual's did on a dead writer thread
    while True:
        time.sleep(3600)

textual.app.App._shutdown = stuck
from tui_dl.cli import main
raise SystemExit(main(["--no-mouse"]))
"""


def test_a_signal_ends_the_app_even_when_its_shutdown_hangs(tmp_path):
    """Whatever keeps the shutdown from ending, the process ends QUIT_GRACE_S after the signal, restoring
    the terminal modes on its way out."""
    with in_pty(tmp_path, [sys.executable, "-c", STUCK_SHUTDOWN]) as (process, master, output):
        mark = len(output)
        process.send_signal(signal.SIGTERM)
        read_until(master, output, lambda out: process.poll() is not None, DEADLINE)
        wait_gone(process)
        read_until(master, output, lambda out: False, 0.2)
    assert process.returncode == 128 + signal.SIGTERM
    reset = bytes(output[mark:])
    assert ALTERNATE_SCREEN_OFF in reset and CURSOR_SHOWN in reset and MOUSE_OFF in reset, reset[-300:]


def test_sigcont_without_a_suspend_leaves_the_app_as_it_is(tmp_path):
    """A closed terminal sends SIGCONT with SIGHUP: Textual's driver restarted application mode on it (a
    second output thread, every mode set again), which is how a closing terminal hung the app."""
    with in_pty(tmp_path) as (process, master, output):
        process.send_signal(signal.SIGCONT)
        os.write(master, b"?")  # the help screen: drawn after the signal's handler has run
        read_until(master, output, lambda out: b"esc close" in out, DEADLINE)
        assert b"esc close" in output, bytes(output[-500:])
        process.send_signal(signal.SIGTERM)
        wait_gone(process)
    assert output.count(ALTERNATE_SCREEN_ON) == 1


def test_a_suspended_app_resumes_on_sigcont(tmp_path):
    """SIGTSTP (a `kill -TSTP`) leaves the alternate screen and stops; SIGCONT then brings the app back."""
    with in_pty(tmp_path) as (process, master, output):
        process.send_signal(signal.SIGTSTP)
        read_until(master, output, lambda out: ALTERNATE_SCREEN_OFF in out and process_state(process.pid) == "T",
                   DEADLINE)
        assert process_state(process.pid) == "T"
        process.send_signal(signal.SIGCONT)
        read_until(master, output, lambda out: out.count(ALTERNATE_SCREEN_ON) == 2, DEADLINE)
        assert output.count(ALTERNATE_SCREEN_ON) == 2
        process.send_signal(signal.SIGTERM)
        wait_gone(process)
    assert process.returncode == 128 + signal.SIGTERM


def test_a_job_stopped_then_continued_in_the_background_comes_back_with_fg(tmp_path):
    """In a shell with job control: `kill -TSTP`, then `kill -CONT` while the job is in the background
    (it cannot take the terminal: SIGTTOU stops it again), then `fg`: the app draws and takes keys again
    (it ran blind, in cooked mode, 2 of 2 before)."""

    def controlling_terminal() -> None:  # the pty becomes the shell's terminal, as a terminal window's is
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    shell = ["bash", "--norc", "--noprofile", "-i"]
    with in_pty(tmp_path, shell, ready=lambda out: b"READY$ " in out, env={**environment(tmp_path), "PS1": "READY$ "},
                start_new_session=False, preexec_fn=controlling_terminal) as (bash, master, output):
        os.write(master, f"exec 2>&1; {sys.executable} -m tui_dl --no-mouse\n".encode())
        read_until(master, output, drawn, DEADLINE)
        app = int(subprocess.run(["pgrep", "-P", str(bash.pid)], capture_output=True, text=True).stdout.split()[0])
        try:
            os.kill(app, signal.SIGTSTP)
            read_until(master, output, lambda out: process_state(app) == "T" and out.count(b"READY$ ") >= 2,
                       DEADLINE)
            assert process_state(app) == "T", bytes(output[-300:])
            os.kill(app, signal.SIGCONT)  # in the background: it stops again on the terminal
            read_until(master, output, lambda out: process_state(app) == "T", DEADLINE)
            mark = len(output)
            os.write(master, b"fg\n")
            read_until(master, output, lambda out: drawn(out[mark:]), DEADLINE)
            assert ALTERNATE_SCREEN_ON in output[mark:], bytes(output[-300:])
            os.write(master, b"q")  # keys are read again
            read_until(master, output, lambda out: out.count(b"READY$ ") >= 3, DEADLINE)
            assert output.count(b"READY$ ") >= 3, bytes(output[-300:])
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(app, signal.SIGKILL)
