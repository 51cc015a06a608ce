"""`tui-dl serve` ends its browser sessions: when a session's socket closes, and when the server stops.

A real server on a free port, a real websocket client (aiohttp, which textual-serve uses), and the
process tree read from /proc (Linux). Every wait polls a condition with a generous deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

pytest.importorskip("textual_serve")
aiohttp = pytest.importorskip("aiohttp")
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process tree in /proc")
DEADLINE = 30.0


def children(pid: int) -> list[int]:
    """Every living descendant of pid."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                state, parent = stat.read().rsplit(")", 1)[1].split()[:2]
        except OSError:
            continue
        if int(parent) == pid and state != "Z":
            found += [int(entry), *children(int(entry))]
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(condition, deadline: float = DEADLINE):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    return condition()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serving():
    """A real `tui-dl serve` on a free port: (process, port); stopped (and killed if need be) afterwards."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tui_dl", "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def listening() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    try:
        assert wait_for(listening), "the server never listened"
        yield server, port
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            wait_for(lambda: server.poll() is not None)
        if server.poll() is None:
            server.kill()


def with_session(server: subprocess.Popen, port: int, act=None) -> list[int]:
    """Open a browser session and wait for its process; act(sessions) if given (then wait for the server to
    end), close the socket. Returns the session's processes."""

    async def scenario() -> list[int]:
        session = aiohttp.ClientSession()
        ws = await session.ws_connect(f"http://127.0.0.1:{port}/ws?width=80&height=24")
        await ws.send_str('["resize", {"width": 80, "height": 24}]')
        sessions = await asyncio.to_thread(wait_for, lambda: children(server.pid))
        if act is not None:
            act(sessions)
            await asyncio.to_thread(wait_for, lambda: server.poll() is not None)
        await ws.close()
        await session.close()
        return sessions

    return asyncio.run(scenario())


def gone(pids: list[int]) -> bool:
    return wait_for(lambda: not any(alive(pid) for pid in pids))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL])
def test_stopping_the_server_ends_it_and_every_open_session(signum):
    with serving() as (server, port):
        sessions = with_session(server, port, lambda pids: server.send_signal(signum))
        assert sessions, "no session process started"
        assert server.poll() is not None, f"the server outlived {signum.name}"
        assert gone(sessions), "a session outlived its server"


def test_closing_the_socket_ends_the_session_and_the_server_goes_on():
    with serving() as (server, port):
        sessions = with_session(server, port)
        assert len(sessions) == 1  # the app itself, no shell in between
        assert gone(sessions), "the session outlived its socket"
        assert server.poll() is None


def test_a_session_that_does_not_answer_does_not_keep_the_server_alive():
    def stop_the_session_then_the_server(pids: list[int]) -> None:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)  # a session too busy to read textual-serve's quit
        server.send_signal(signal.SIGTERM)

    with serving() as (server, port):
        sessions = with_session(server, port, stop_the_session_then_the_server)
        assert server.poll() is not None, "the server waited for a session that never answers"
        for pid in sessions:
            os.kill(pid, signal.SIGCONT)  # its hang-up is waiting: it quits as soon as it runs
        assert gone(sessions), "a session outlived its server"
