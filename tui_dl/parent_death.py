"""A served session ends with its server: the kernel sends SIGHUP to the app when its parent process dies.

`tui-dl serve` starts one app process per browser session (textual-serve, with the app's output on a
pipe). If the server dies (SIGTERM, SIGKILL, a closed terminal), nothing else would end those
sessions: they were found still running at full CPU after their server had gone. On Linux
`prctl(PR_SET_PDEATHSIG, SIGHUP)` asks the kernel to send SIGHUP to this process when its parent
exits, and the app quits on SIGHUP as on SIGTERM. Elsewhere this is a no-op (the server still ends
its sessions when it stops normally).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def hang_up_with_parent() -> bool:
    """Ask for SIGHUP when the parent process dies; True if the kernel took it (Linux only).

    The parent may already be gone between fork and this call: then SIGHUP is sent at once.
    """
    if not sys.platform.startswith("linux"):
        return False
    parent = os.getppid()
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGHUP, 0, 0, 0) != 0:
        return False
    if os.getppid() != parent:  # the server died before the request: do what it would have done
        os.kill(os.getpid(), signal.SIGHUP)
    return True
