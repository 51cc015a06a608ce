"""What an experiment costs before it runs: the memory it holds and the work of one step.

Every experiment module has a `cost(config, ...)` that computes a `Cost` from its parameters
alone, before anything is allocated: the bytes of the arrays it holds at its peak (state,
history, work buffers and the temporaries of one step) and the multiply-adds of one step (an
epoch of training, an optimizer step on a surface, a layer of the initialization experiment).
The estimates are checked against tracemalloc's peak in tests/engine/test_cost.py.

Two uses, one mechanism:

- the app refuses a live setting over `LIVE` (`check_live`): the pane keeps its previous run and
  says the estimate and the way out (smaller values, or the headless export);
- an export refuses work that cannot fit in the memory available (`check_fits`) before it
  allocates anything.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from tui_dl.params import ParamError

FLOAT64 = 8


@dataclass(frozen=True)
class Cost:
    """An experiment's estimated peak memory and work.

    Attributes:
        bytes: peak bytes of the arrays the experiment holds (state, history, buffers, temporaries).
        step_work: multiply-adds (or elementwise operations) of one step.
        steps: steps to the end (the experiment's horizon).
        unit: what one step is (`step`, `epoch`, `layer`).
        knobs: the settings that drive the cost, named as the user sets them (`hidden`, `seeds`).
    """

    bytes: float
    step_work: float
    steps: int
    unit: str
    knobs: tuple[str, ...]

    def text(self) -> str:
        """`about 10.3 GB and 2.1e11 multiply-adds per epoch`."""
        return f"about {format_bytes(self.bytes)} and {format_work(self.step_work)} multiply-adds per {self.unit}"

    def plus(self, other: Cost) -> Cost:
        """Two experiments run side by side: their bytes and work add up (self's steps, unit and knobs)."""
        return Cost(self.bytes + other.bytes, self.step_work + other.step_work, self.steps, self.unit,
                    tuple(dict.fromkeys(self.knobs + other.knobs)))

    def way_out(self) -> str:
        """`lower hidden, seeds or grid`."""
        names = list(self.knobs)
        return "lower " + (", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0])


@dataclass(frozen=True)
class Budget:
    """Limits of an experiment: bytes held and multiply-adds a step."""

    bytes: float
    step_work: float

    def exceeded_by(self, cost: Cost) -> bool:
        """Whether cost goes over either limit."""
        return cost.bytes > self.bytes or cost.step_work > self.step_work

    def text(self) -> str:
        """`500 MB, 2e10`."""
        return f"{format_bytes(self.bytes)}, {format_work(self.step_work)}"


# One pane of the live view: four panes may each hold this much, and a step of this work takes
# about a second on one core (training runs at 15-27e9 multiply-adds a second on this project's
# 2-core test machine, benchmarks/train.py), so a pane still moves every second at the slowest.
LIVE = Budget(bytes=500e6, step_work=2e10)


def format_bytes(size: float) -> str:
    """`512 MB`, `10.3 GB`, `80 kB`, `1.34 TB` (powers of 1000, 3 significant digits; past 1000 PB in
    bytes, `2.1e21 B`)."""
    if size >= 1e18:
        return f"{format_work(size)} B"
    for unit, scale in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size:.0f} B"


def format_work(work: float) -> str:
    """`2.1e11`, `5e9`, `300`."""
    if work < 1000:
        return f"{work:.0f}"
    mantissa, exponent = f"{work:.1e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def check_live(cost: Cost, export: str) -> None:
    """Refuse (ParamError) a live setting over LIVE: the estimate, the limit and the way out."""
    if LIVE.exceeded_by(cost):
        free = available_memory()
        if free is None or cost.bytes <= free:
            alternative = f"or use {export}"
        else:
            alternative = f"it would not fit headless either ({format_bytes(free)} available)"
        # the way out first: a narrow panel cuts the end of a long line
        raise ParamError(f"too heavy to run live: {cost.way_out()}, {alternative} "
                         f"({cost.text()}; limit {LIVE.text()})")


def available_memory() -> int | None:
    """Bytes this process can still allocate: MemAvailable, within a cgroup's memory limit (Linux); None if unknown."""
    figures = [value for value in (_meminfo_available(), _cgroup_headroom()) if value is not None]
    return min(figures) if figures else None


def check_fits(cost: Cost, what: str) -> None:
    """Refuse (ParamError) work whose memory exceeds what is available, before anything is allocated."""
    free = available_memory()
    if free is not None and cost.bytes > free:
        raise ParamError(f"{what} needs {cost.text()}, more than the {format_bytes(free)} of memory available; "
                         f"{cost.way_out()}")


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as file:
            for line in file:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _cgroup_headroom() -> int | None:
    """memory.max - memory.current of this process's cgroup (v2), None without a limit."""
    try:
        with open("/proc/self/cgroup", encoding="ascii") as file:
            path = next(line.strip().split(":", 2)[2] for line in file if line.startswith("0::"))
        base = os.path.join("/sys/fs/cgroup", path.lstrip("/"))
        with open(os.path.join(base, "memory.max"), encoding="ascii") as file:
            limit = file.read().strip()
        if limit == "max":
            return None
        with open(os.path.join(base, "memory.current"), encoding="ascii") as file:
            return max(int(limit) - int(file.read()), 0)
    except (OSError, ValueError, StopIteration, IndexError):
        return None


def array_bytes(*shape: float, itemsize: int = FLOAT64) -> float:
    """Bytes of an array of this shape."""
    return math.prod(shape) * itemsize
