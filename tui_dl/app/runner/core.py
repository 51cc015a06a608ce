"""Drive one pane's experiment: a frame clock, thread workers, generations and coalescing messages.

RULE 3: the engine runs here, in thread workers, never in a widget. Each runner owns at most one
worker at a time (the experiment state is mutated in place by `step`, so two workers must never
share it); the worker hands the state back inside the `FrameReady` message, and the UI thread
keeps it until it launches the next worker. A restart bumps the generation: a worker of an older
generation stops after its current chunk of steps without posting (its state, however large, goes
at once), and a frame it posted just before the restart is dropped, so a result of a restarted run
never reaches the screen.
"""

from __future__ import annotations

import ctypes
import gc
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from textual.message import Message

from tui_dl.app.runner.model import Job, PaneModel
from tui_dl.params import ParamError

# a worker checks between chunks of about this many multiply-adds (some 50 ms) whether its run was replaced
CHUNK_WORK = 1e9
# Steps (or epochs) per frame, from one step every 16 frames to 1000 steps a frame: `[` and `]` walk it.
SPEEDS = (1 / 16, 1 / 8, 1 / 4, 1 / 2, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def speed_text(speed: float, unit: str) -> str:
    """`1/4 step/frame`, `20 epochs/frame`."""
    if speed < 1:
        return f"1/{round(1 / speed)} {unit}/frame"
    plural = unit if speed == 1 else f"{unit}s"
    return f"{speed:g} {plural}/frame"


def return_freed_memory() -> None:
    """Give the memory of a replaced run back to the system (glibc's malloc_trim; a no-op elsewhere).

    A replaced run's state may sit in a reference cycle until the next full collection, and its arrays
    come from heaps that glibc keeps mapped once freed (measured, scratch/rss_runner.py in the closing
    note: a 1000 x 1000 network replaced by a 100 x 100 one left 342 MB held against 70 before it).
    """
    gc.collect()  # a state in a reference cycle would otherwise wait for the next full collection
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc() -> Any:
    try:
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "malloc_trim") else None
    except (OSError, AttributeError):
        return None


_LIBC = _glibc()


class FrameReady(Message):
    """A worker finished: the new state and the frame to draw, or the error that stopped it."""

    def __init__(self, pane: str, generation: int, state: Any, frame: Any, error: str | None = None) -> None:
        super().__init__()
        self.pane = pane
        self.generation = generation
        self.state = state
        self.frame = frame
        self.error = error

    def can_replace(self, message: Message) -> bool:
        """A newer frame of the same pane supersedes this one while both wait in the queue."""
        return isinstance(message, FrameReady) and message.pane == self.pane and message.generation >= self.generation


@dataclass
class _Pending:
    """Work asked for while a worker was busy: steps to take once it is back."""

    steps: int = 0


class Runner:
    """The clock and worker of one pane: advances its model's job at a speed, from the UI thread.

    Args:
        key: the pane id (lr, init, train, paths).
        model: the pane's settings.
        launch: starts a thread worker (the App's `run_worker`), taking a callable and a group name.
        post: delivers a FrameReady to the UI thread (the App's `post_message`, thread-safe).
        seed: the seed of every run's Generator.
        later: runs a callable once the frame just accepted is on screen (the App's `call_after_refresh`);
            by default at once. A replaced run's memory is given back through it (see `accept`).
    """

    def __init__(self, key: str, model: PaneModel, launch: Callable[..., Any], post: Callable[[Message], Any],
                 seed: int, later: Callable[[Callable[[], Any]], Any] | None = None) -> None:
        self.key = key
        self.model = model
        self.seed = seed
        self.generation = 0
        self.speed_index = SPEEDS.index(model.default_speed)
        self._pace = model.default_speed  # the model's pace the speed was last set from
        self.position = 0
        self.finished = False
        self.busy = False
        self.frame: Any = None
        self.error: str | None = None
        self._launch = launch
        self._post = post
        self._later = later or (lambda call: call())
        self._replaced = False  # a run was dropped here by a restart: its memory is given back after the next frame
        self._job: Job | None = None
        self._state: Any = None
        self._credit = 0.0
        self._pending = _Pending()

    # ------------------------------------------------------------------ queries
    @property
    def speed(self) -> float:
        """Steps per frame."""
        return SPEEDS[self.speed_index]

    def speed_shown(self) -> str:
        """The speed as the top line says it: `20 epochs/frame`, or, where one chunk (about CHUNK_WORK) is fewer
        steps than the speed asks, what each drawn frame takes: `1 step/frame, its fastest` (a heavy run
        asked for 1000 steps a frame said so while it drew 4 steps a second)."""
        chunk = self._chunk_steps(self._job) if self._job is not None else sys.maxsize
        if chunk < self.speed:
            return f"{speed_text(chunk, self.model.unit)}, its fastest"
        return speed_text(self.speed, self.model.unit)

    @property
    def horizon(self) -> int:
        """The last step of the current job."""
        return self._job.horizon if self._job else 0

    @property
    def ready(self) -> bool:
        """A frame of the current generation has arrived and no worker is out."""
        return self.frame is not None and not self.busy

    @property
    def idle(self) -> bool:
        """No worker is out and no step is waiting (or none can be taken): tests wait for this."""
        stuck = self.finished or self.error is not None
        return not self.busy and (stuck or (self.frame is not None and not self._pending.steps))

    # ------------------------------------------------------------------ control
    def restart(self, seed: int | None = None) -> None:
        """Start the model's experiment again from step 0 (with a new seed if given)."""
        if seed is not None:
            self.seed = seed
        self.generation += 1
        self.position = 0
        self.finished = False
        self.frame = None
        self.error = None
        self._credit = 0.0
        self._pending = _Pending()
        self._replaced = self._replaced or self._state is not None  # a first start has nothing to give back
        self._state = None
        try:
            self._job = self.model.checked_job()
        except ParamError as error:  # settings the edits did not check (a view is checked when set): one line
            self.error = str(error)
            return
        if self.model.default_speed != self._pace:  # a model whose pace follows its view (step, epoch, iteration)
            self._pace = self.model.default_speed
            self.speed_index = SPEEDS.index(self._pace)
        self._start(self._job, None, 0)

    def faster(self, direction: int) -> None:
        """One notch up (direction > 0) or down the speed ladder."""
        self.speed_index = min(max(self.speed_index + direction, 0), len(SPEEDS) - 1)

    def tick(self) -> None:
        """One frame of the clock: earn `speed` steps, take the whole ones.

        While a worker is out the frame is skipped, not saved up: an experiment slower than the clock
        runs back to back in chunks of about `speed` steps, so its pane still updates after each chunk.
        """
        if self.finished or self.error or self.busy:
            return
        self._credit += self.speed
        whole = math.floor(self._credit)
        if whole:
            self._credit -= whole
            self.request(whole)

    def request(self, steps: int) -> None:
        """Take steps now, or as soon as the worker is back (requests add up)."""
        if self.finished or self.error:
            return
        self._pending.steps += steps
        self._flush()

    def accept(self, message: FrameReady) -> bool:
        """Take a worker's result on the UI thread; False if it belongs to an older generation."""
        if message.generation != self.generation:  # finished just before a restart: its state goes, after a frame
            message.state = message.frame = None
            self._later(return_freed_memory)
            return False
        self.busy = False
        if self._replaced:  # after the restarted run's first frame: the 5-15 ms collection is not the key's latency
            self._replaced = False
            self._later(return_freed_memory)
        if message.error is not None:
            self.error = message.error
            return True
        self._state = message.state
        self.frame = message.frame
        self.position = self._job.position(message.frame)
        self.finished = self.position >= self._job.horizon or self._job.done(message.frame)
        self._flush()
        return True

    # ------------------------------------------------------------------ workers
    def _flush(self) -> None:
        """Start a worker on the pending steps, at most one chunk of them: a frame after each chunk, so a heavy
        experiment at 1000 steps a frame shows its progress every second or so, not once in minutes."""
        if self.busy or self._state is None or self.finished or not self._pending.steps:
            return
        steps = min(self._pending.steps, self._job.horizon - self.position, self._chunk_steps(self._job))
        self._pending.steps = max(self._pending.steps - steps, 0) if steps > 0 else 0
        if steps > 0:
            self._start(self._job, self._state, steps)

    @staticmethod
    def _chunk_steps(job: Job) -> int:
        """Steps of about CHUNK_WORK multiply-adds (at least 1)."""
        work = job.cost.step_work if job.cost is not None else 0.0
        return max(1, int(CHUNK_WORK // work)) if work > 0 else sys.maxsize

    def _start(self, job: Job, state: Any, steps: int) -> None:
        self.busy = True
        # the worker takes the state out of this list: a replaced run's state is then freed when its worker
        # drops it, however long the worker's callable is kept
        handover = [state]
        work = partial(self._work, job, handover, steps, self.generation, self.seed)
        self._launch(work, group=f"runner-{self.key}")

    def _advance(self, job: Job, state: Any, steps: int, generation: int) -> Any:
        """In a worker thread: the steps (at most a chunk, _flush), or None once a restart made this generation
        old (its state goes now, not after a frame)."""
        state = job.step(state, steps)
        return None if generation != self.generation else state

    def _work(self, job: Job, handover: list[Any], steps: int, generation: int, seed: int) -> None:
        """In a worker thread: init or step the state taken from handover, then post the frame (or the error)
        back."""
        state = handover.pop()
        try:
            state = job.init(np.random.default_rng(seed)) if state is None else self._advance(job, state, steps,
                                                                                             generation)
            if state is None:  # replaced while it ran: its state goes now, not after the steps it was asked for
                return_freed_memory()
                return
            message = FrameReady(self.key, generation, state, job.frame(state))
        except ParamError as error:  # a combination the model's checks did not foresee: its one line, no class name
            message = FrameReady(self.key, generation, None, None, str(error))
        except Exception as error:  # a bug must not take the app down
            message = FrameReady(self.key, generation, None, None, f"{type(error).__name__}: {error}")
        self._post(message)
