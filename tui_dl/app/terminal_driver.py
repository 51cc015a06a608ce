"""Textual's Linux driver, made safe for a terminal that goes away while the app draws.

Two faults of `textual.drivers.linux_driver.LinuxDriver` (Textual 8.2) left the app asleep forever, deaf
to SIGTERM and SIGHUP, when its terminal window closed or its SSH session dropped (2 of 8 tries of `tmux
kill-session` a second after `s`):

- Output goes through a writer thread with a queue of 30 writes. When the terminal is gone, the thread's
  write raises (EIO) and the thread dies; the app goes on drawing, the queue fills, and the next write, or
  the `None` that `close()` puts to stop the thread, waits for room that never comes.
- A closed terminal sends SIGCONT along with SIGHUP, and the driver's SIGCONT handler restarts
  application mode although the app was never suspended: a second writer thread, every terminal mode set
  again.

`TerminalDriver` hands writes to the thread only while it lives, stops it without waiting on a full queue,
resumes on SIGCONT only after its own SIGTSTP (and again on the next SIGCONT if the first one found it in
the background), and does the work of both signals on the event loop, not inside the code they interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import termios
import threading
from collections.abc import Callable
from queue import Full
from typing import Any

from textual.drivers._writer_thread import WriterThread
from textual.drivers.linux_driver import LinuxDriver

POLL_S = 0.1
"""How often a write waiting for room in the queue looks whether the writer thread still lives (seconds)."""
JOIN_S = 2.0
"""How long closing waits for the writer thread to write out what is queued (seconds)."""


def deliver(writer: WriterThread, text: str | None) -> bool:
    """Put text (None: stop) on the writer thread's queue; False, dropping it, once the thread is dead.

    `WriterThread.write` blocks on a full queue forever; this waits only while the thread can still take
    it. The queue is the thread's `_queue` (Textual has no public way to put without blocking).
    """
    queue = writer._queue  # private: see the docstring
    while writer.is_alive():
        try:
            queue.put(text, timeout=POLL_S)
            return True
        except Full:
            continue
    return False


class TerminalDriver(LinuxDriver):
    """LinuxDriver whose writes and close never wait on a dead writer thread, and that resumes on SIGCONT
    only after a suspend (SIGTSTP)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._stopped_by_sigtstp = False
        super().__init__(*args, **kwargs)

    def write(self, data: str) -> None:
        """Write data to the terminal; dropped once the terminal is gone (its writer thread died)."""
        assert self._writer_thread is not None, "Driver must be in application mode"
        deliver(self._writer_thread, data)

    def close(self) -> None:
        """Stop the writer thread after what is queued, without waiting on a thread that cannot write."""
        writer = self._writer_thread
        if writer is not None and deliver(writer, None):
            writer.join(JOIN_S)

    def _sigtstp_application(self, *args: Any) -> None:
        _on_the_loop(self._suspend)

    def _sigcont_application(self, *args: Any) -> None:
        _on_the_loop(self._resume)

    def _suspend(self) -> None:
        self._stopped_by_sigtstp = True
        LinuxDriver._sigtstp_application(self)

    def _resume(self) -> None:
        if not self._stopped_by_sigtstp:  # a SIGCONT of its own (a closed terminal sends one) resumes nothing
            return
        LinuxDriver._sigcont_application(self)
        writer = self._writer_thread
        if writer is not None and writer.is_alive():  # back in application mode; in the background it is
            self._stopped_by_sigtstp = False  # not (SIGTTOU stopped it again): the SIGCONT of `fg` resumes


def _on_the_loop(callback: Callable[[], None]) -> None:
    """Run a signal's work on the event loop's next turn, not inside the code the signal interrupted.

    Textual's SIGTSTP handler writes to the output queue: run inside a write that held the queue's lock, it
    waited for that lock forever (the app froze, `q` ignored, 1 in 5 `kill -TSTP` in a test).
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # before or after the app's loop: nothing else is running
        callback()
        return
    loop.call_soon_threadsafe(callback)


QUIT_GRACE_S = 5.0
"""After a quit signal, how long the app may take to end before it is ended at once (seconds)."""
TERMINAL_RESET = ("\x1b[<u\x1b[?1049l\x1b[?25h\x1b[?1004l\x1b[?2004l"  # keyboard, screen, cursor, focus, paste
                  "\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l")  # mouse tracking and its encodings


class QuitWatchdog:
    """Ends the process QUIT_GRACE_S after a quit signal, whatever it is doing, unless the app ended first.

    A quit signal asks the app to end as `q` does, restoring the terminal; should that take longer than
    the grace (a shutdown waiting on something that will never come), the watchdog restores what it can
    (the tty attributes and the escape sequences of TERMINAL_RESET, written by a thread given half a
    second: a full terminal must not block the exit) and calls `os._exit(status)`.

    Its thread is started before any signal: a signal handler only sets an Event (starting a thread there
    takes threading's own lock, which the interrupted code may hold, as when it was starting a worker).
    """

    def __init__(self, grace: float = QUIT_GRACE_S) -> None:
        self.grace = grace
        self._armed, self._done = threading.Event(), threading.Event()
        self._status, self._fileno, self._attrs = 0, None, None
        self._thread = threading.Thread(target=self._watch, name="tui-dl-quit-watchdog", daemon=True)

    def start(self) -> QuitWatchdog:
        self._thread.start()
        return self

    def arm(self, status: int, fileno: int | None, attrs: list[Any] | None) -> None:
        """A quit signal came (safe in a signal handler; the first call counts)."""
        if not self._armed.is_set():
            self._status, self._fileno, self._attrs = status, fileno, attrs
            self._armed.set()

    def cancel(self) -> None:
        """The app ended: the watchdog ends without touching anything."""
        self._done.set()
        self._armed.set()

    def _watch(self) -> None:
        self._armed.wait()
        if self._done.wait(self.grace):
            return
        if self._fileno is not None:
            if self._attrs is not None:
                with contextlib.suppress(termios.error, OSError):
                    termios.tcsetattr(self._fileno, termios.TCSANOW, self._attrs)
            writer = threading.Thread(target=_write_quietly, args=(self._fileno, TERMINAL_RESET.encode()),
                                      daemon=True)
            writer.start()
            writer.join(0.5)
        os._exit(self._status)


def _write_quietly(fileno: int, data: bytes) -> None:
    with contextlib.suppress(OSError):
        os.write(fileno, data)
