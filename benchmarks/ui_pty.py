"""Run `tui-dl` in a pseudo-terminal and read what it writes, as an SSH link would carry it.

`Terminal` is a minimal screen emulator: enough of the escape sequences Textual emits (cursor moves,
colors, erases, a few modes) to know what the screen shows, so a benchmark can tell when the first
complete frame is on it. It is not a general terminal (no scrolling regions, no wide characters).
Asked to (`sync=True`), it answers the query for synchronized output (DEC mode 2026) as the modern
terminals that support it do; Textual then wraps every screen update in `\x1b[?2026h` ... `\x1b[?2026l`,
and `PtyApp.frames` counts the updates written. Unasked, it stays silent like an older terminal, and
Textual writes its updates unwrapped.
"""

from __future__ import annotations

import codecs
import fcntl
import os
import pty
import re
import select
import signal
import struct
import termios
import time
from collections.abc import Callable

# CSI (with parameters), OSC / DCS / APC strings, two-byte escapes; the rest is text
SYNC_QUERY = ("?2026$", "p")  # CSI ? 2026 $ p: does the terminal support synchronized output?
SYNC_REPLY = "\x1b[?2026;2$y"  # mode 2026 is supported and reset (Textual checks for a setting > 0)
SYNC_END = b"\x1b[?2026l"  # the end of a synchronized update: one per screen update written

_TOKEN = re.compile(
    r"\x1b\[([0-9;?<=>!$ ]*)([@-~])"  # CSI: parameters, final byte
    r"|\x1b[\]P_^][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC, DCS, APC, PM strings
    r"|\x1b[()][0-9A-Za-z]|\x1b[^\[\]P_^()]",  # charset selection, other two-byte escapes
    re.S,
)


class Terminal:
    """A width x height grid of characters that escape sequences and text are applied to."""

    def __init__(self, width: int, height: int, sync: bool = False) -> None:
        self.width, self.height = width, height
        self.rows = [[" "] * width for _ in range(height)]
        self.x = self.y = 0
        self._tail = ""
        self.sync = sync
        """Whether to say that synchronized output is supported, when asked."""
        self.replies: list[str] = []
        """Answers to the app's queries, for the owner to write back and clear."""

    def feed(self, data: str) -> None:
        """Apply a chunk of output (an escape sequence cut at the end waits for the next chunk)."""
        data = self._tail + data
        cut = data.rfind("\x1b")
        last = _TOKEN.match(data, cut) if cut >= 0 else None
        if cut >= 0 and (last is None or last.end() == len(data)):  # perhaps cut short: wait for the rest
            data, self._tail = data[:cut], data[cut:]
        else:
            self._tail = ""
        position = 0
        for match in _TOKEN.finditer(data):
            self._text(data[position:match.start()])
            self._escape(match.group(1), match.group(2))
            position = match.end()
        self._text(data[position:])

    def _text(self, text: str) -> None:
        for char in text:
            if char == "\r":
                self.x = 0
            elif char == "\n":
                self.y = min(self.y + 1, self.height - 1)
            elif char >= " ":
                if self.x < self.width:
                    self.rows[self.y][self.x] = char
                self.x += 1

    def _escape(self, params: str | None, final: str | None) -> None:
        if (params, final) == SYNC_QUERY and self.sync:
            self.replies.append(SYNC_REPLY)
        if final is None or params is None or params.startswith(("?", "<", "=", ">")):
            return  # private modes (alternate screen, mouse, sync output): no effect on the grid
        numbers = [int(p) if p.isdigit() else 0 for p in params.split(";")]
        first = numbers[0] if numbers else 0
        if final in "Hf":
            row = numbers[0] if numbers and numbers[0] else 1
            col = numbers[1] if len(numbers) > 1 and numbers[1] else 1
            self.y, self.x = min(row, self.height) - 1, min(col, self.width) - 1
        elif final == "J" and first == 2:
            self.rows = [[" "] * self.width for _ in range(self.height)]
        elif final == "K":
            start = 0 if first in (1, 2) else self.x
            end = self.x + 1 if first == 1 else self.width
            self.rows[self.y][start:end] = [" "] * (end - start)
        elif final in "ABCD":
            step = max(first, 1)
            dy, dx = {"A": (-step, 0), "B": (step, 0), "C": (0, step), "D": (0, -step)}[final]
            self.y = min(max(self.y + dy, 0), self.height - 1)
            self.x = min(max(self.x + dx, 0), self.width - 1)

    def text(self) -> str:
        """What the screen shows, one line per row."""
        return "\n".join("".join(row) for row in self.rows)


class PtyApp:
    """A child process on a pty of a given size; the parent reads and writes its master side."""

    def __init__(self, argv: list[str], size: tuple[int, int], env: dict[str, str], sync: bool = False) -> None:
        self.size = size
        self.started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # child: size the terminal before the app asks for it
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
            os.execve(argv[0], argv, env)
        self.pid, self.fd = pid, fd
        self.bytes = 0
        self.frames = 0
        """Synchronized updates ended so far (0 unless sync: the app wraps its updates only if told it may)."""
        self._last = b""  # the end of the previous chunk, where a SYNC_END may begin
        self.terminal = Terminal(*size, sync=sync)
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.closed = False
        self.capture: list[bytes] | None = None
        """Set to a list to keep what is read from now on."""

    def read(self, timeout: float) -> bytes:
        """What the app wrote within timeout seconds (b"" if nothing; sets closed at EOF)."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return b""
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:  # EIO: the child closed the pty
            data = b""
        if not data:
            self.closed = True
        self.bytes += len(data)
        # the tail is shorter than SYNC_END, so a match ends in data and was not counted before
        seen = self._last + data
        self.frames += seen.count(SYNC_END)
        self._last = seen[-(len(SYNC_END) - 1):]
        if self.capture is not None:
            self.capture.append(data)
        self.terminal.feed(self._decoder.decode(data))
        if self.terminal.replies:
            os.write(self.fd, "".join(self.terminal.replies).encode())
            self.terminal.replies.clear()
        return data

    def read_until(self, condition: Callable[[str], bool], timeout: float) -> float | None:
        """Seconds since the start when the screen first satisfies condition, None on timeout or exit.

        The screen is checked when the app pauses writing (nothing more to read), so a frame that
        arrives in several chunks is judged whole; the time is that of its last chunk.
        """
        end = time.perf_counter() + timeout
        last = None
        while time.perf_counter() < end and not self.closed:
            if self.read(0.05):
                last = time.perf_counter()
                if select.select([self.fd], [], [], 0.005)[0]:
                    continue  # more of the frame is waiting
                if condition(self.terminal.text()):
                    return last - self.started
        return None

    def count_bytes(self, seconds: float) -> int:
        """Bytes written during the next `seconds` seconds."""
        before = self.bytes
        end = time.perf_counter() + seconds
        while time.perf_counter() < end and not self.closed:
            self.read(min(0.05, max(end - time.perf_counter(), 0)))
        return self.bytes - before

    def count_frames(self, seconds: float) -> int:
        """Synchronized updates ended during the next `seconds` seconds (see `frames`)."""
        before = self.frames
        self.count_bytes(seconds)
        return self.frames - before

    def quit(self, key: bytes = b"q", timeout: float = 10.0) -> bool:
        """Press key and wait for the exit; True if it exited by itself (else it is killed)."""
        os.write(self.fd, key)
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            self.read(0.05)  # keep draining, or a full pty buffer would block the app's last writes
            done, _ = os.waitpid(self.pid, os.WNOHANG)
            if done:
                os.close(self.fd)
                return True
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)
        return False
