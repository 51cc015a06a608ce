"""The driver's output thread may die (its terminal went away): writes and close must not wait for it.

Each check runs in a thread of its own and the test waits for that thread against a generous deadline: a
wait that never ends fails the test instead of hanging the suite.
"""

from __future__ import annotations

import threading

import pytest
from textual.drivers._writer_thread import MAX_QUEUED_WRITES, WriterThread

from tui_dl.app.terminal_driver import TerminalDriver, deliver

DEADLINE = 60.0
# the writer thread dies of its EIO, as in the app (where its traceback goes to the terminal that is gone)
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


class GoneTerminal:
    """A file whose terminal hung up: every write raises EIO, as a closed pty's does."""

    def __init__(self) -> None:
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        raise OSError(5, "Input/output error")

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return 1


def finishes(function) -> bool:
    """Whether function() returns within the deadline (run in a daemon thread)."""
    done = threading.Event()
    thread = threading.Thread(target=lambda: (function(), done.set()), daemon=True)
    thread.start()
    thread.join(DEADLINE)
    return done.is_set()


def dead_writer() -> WriterThread:
    writer = WriterThread(GoneTerminal())
    writer.start()
    writer.write("first")  # the thread writes it, gets EIO and dies
    writer.join(DEADLINE)
    assert not writer.is_alive()
    return writer


def test_writes_to_a_dead_writer_are_dropped_and_never_wait():
    writer = dead_writer()
    results: list[bool] = []
    assert finishes(lambda: results.extend(deliver(writer, "x") for _ in range(3 * MAX_QUEUED_WRITES)))
    assert results == [False] * (3 * MAX_QUEUED_WRITES)


def test_a_live_writer_gets_every_write_in_order():
    written: list[str] = []

    class Terminal(GoneTerminal):
        def write(self, text: str) -> int:
            written.append(text)
            return len(text)

    writer = WriterThread(Terminal())
    writer.start()
    texts = [f"line {index}\n" for index in range(5 * MAX_QUEUED_WRITES)]
    assert finishes(lambda: [deliver(writer, text) for text in texts])
    assert deliver(writer, None)
    writer.join(DEADLINE)
    assert written == texts


def test_write_and_close_return_when_the_writer_thread_died_with_a_full_queue():
    """The hang of a closed terminal: Textual's own write and close waited for room in this queue forever."""
    driver = TerminalDriver.__new__(TerminalDriver)  # no terminal needed: only the writer thread is used
    driver._writer_thread = dead_writer()
    for _ in range(MAX_QUEUED_WRITES):  # the queue is full, as it was in the hang
        driver._writer_thread._queue.put_nowait("x")
    assert finishes(lambda: driver.write("more"))
    assert finishes(driver.close)
