"""Draw at most so often: the panes' plots and border texts share the UI thread with everything else."""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic
from typing import Any


class Throttle:
    """Call `draw` at most once per `interval` seconds; after a burst of requests the last one is drawn.

    A plot costs a few ms to build, so four panes redrawn on every 30 fps frame would take the whole
    UI thread. The current pane redraws often, the others now and then; 0 (tests) draws at once.
    """

    def __init__(self, owner: Any, draw: Callable[[], None]) -> None:
        self.owner = owner  # whose timer delays a drawing
        self.draw = draw
        self.interval = 0.0
        self._last = -1e9
        self._timer: Any = None  # the pending drawing's Timer, None when nothing waits

    def request(self, late: float = 0.0) -> None:
        """Draw now if the last drawing is old enough, else once when it is, or `late` seconds after.

        With `late`, a request that finds the drawing due before the timer fires draws it then, in
        the same screen update as whatever made that request (a pane's border with its plots).
        """
        wait = self._last + self.interval - monotonic()
        if wait <= 0:
            self._flush()
        elif self._timer is None:
            self._timer = self.owner.set_timer(wait + late, self._fire)

    def reset(self) -> None:
        """Forget the last drawing and drop a pending one: the next request draws at once.

        A restarted experiment's first frame answers a key press; waiting out the interval of the
        previous drawing would add up to a whole interval to what the user sees as the key's latency.
        """
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._last = -1e9

    def hold(self, seconds: float) -> None:
        """No drawing for `seconds` (when throttled at all); a pending one waits until then.

        While a restarted pane draws its first frame, the other panes' drawings would share its
        screen update and delay it; tests (interval 0) never wait.
        """
        if not self.interval:
            return
        now = monotonic()
        self._last = max(self._last, now + seconds - self.interval)
        if self._timer is not None:
            self._timer.stop()
            self._timer = self.owner.set_timer(self._last + self.interval - now, self._fire)

    def _fire(self) -> None:
        self._timer = None  # this timer is done: nothing to stop
        self._flush()

    def _flush(self) -> None:
        if self._timer is not None:  # drawn ahead of its timer (a `late` request)
            self._timer.stop()
            self._timer = None
        self._last = monotonic()
        self.draw()
