"""Argument helpers shared by the export targets: --set routing, --format, --plot, counts."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from tui_dl.engine.cost import Cost, check_fits
from tui_dl.engine.experiments.costs import exported
from tui_dl.params import SEED, Component, ParamError, ParamSpec, parse_assignments


def add_set_option(parser: argparse.ArgumentParser, what: str) -> None:
    """The repeatable `--set KEY=VALUE` option."""
    parser.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
        help=f"set a parameter of the {what} (repeatable); lists are comma-separated, booleans true/false",
    )


def add_format_option(parser: argparse.ArgumentParser, default: str, choices: Sequence[str] = ("csv", "json")) -> None:
    """The `--format` option."""
    parser.add_argument("--format", choices=choices, default=default, help=f"output format (default {default})")


# chart sizes (width, height) in characters: the default when stdout is not a terminal, and the bounds
PLOT_SIZE_DEFAULT, PLOT_SIZE_MIN, PLOT_SIZE_MAX = (100, 30), (40, 10), (1000, 500)


def _size_text(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def add_plot_options(parser: argparse.ArgumentParser) -> None:
    """The `--plot` and `--plot-size WxH` options every export target has."""
    parser.add_argument("--plot", action="store_true",
                        help="draw the data as a text chart on stdout instead of csv/json (wins over --format)")
    parser.add_argument("--plot-size", metavar="WxH",
                        help="chart size in characters, implies --plot (default: the terminal's, "
                             f"{_size_text(PLOT_SIZE_DEFAULT)} when stdout is not a terminal)")


def parse_plot_size(text: str) -> tuple[int, int]:
    """`WxH` as (width, height) in characters, within PLOT_SIZE_MIN and PLOT_SIZE_MAX."""
    low, high = PLOT_SIZE_MIN, PLOT_SIZE_MAX
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        width = height = -1
    if not (low[0] <= width <= high[0] and low[1] <= height <= high[1]):
        raise ParamError(f"bad value {text!r} for --plot-size: expected WxH, e.g. {_size_text(PLOT_SIZE_DEFAULT)}, "
                         f"from {_size_text(low)} to {_size_text(high)}")
    return width, height


def resolve_assignments(assignments: list[str], components: Sequence[Component]) -> list[dict[str, Any]]:
    """Route each `--set key=value` to the component that declares key; resolve each component.

    Returns one dict of checked parameters per component, in order. A key no component declares,
    or more than one does, is a ParamError naming the allowed keys.
    """
    routed: list[dict[str, str]] = [{} for _ in components]
    for key, value in parse_assignments(assignments).items():
        owners = [i for i, c in enumerate(components) if any(s.name == key for s in c.params)]
        if len(owners) != 1:
            names = " or ".join(f"{c.kind} {c.name!r}" for c in components)
            allowed = sorted({s.name for c in components for s in c.params})
            reason = "ambiguous" if owners else "unknown"
            raise ParamError(
                f"{reason} parameter {key!r} for {names}; choose from: {', '.join(allowed) or '(none)'}"
            )
        routed[owners[0]][key] = value
    return [component.resolve(values, text=True) for component, values in zip(components, routed, strict=True)]


def add_seed_option(parser: argparse.ArgumentParser) -> None:
    """`--seed S` of an export; without it, tui-dl's own `--seed` (`tui-dl --seed 5 export ...`), else 0.

    Its own dest: a subcommand's default would otherwise overwrite the top-level value.
    """
    parser.add_argument("--seed", dest="export_seed", metavar="S", help="random seed (default: tui-dl's --seed, 0)")


def seed_of(args: argparse.Namespace) -> int:
    """The export's seed (see add_seed_option), checked."""
    text = next((seed for seed in (args.export_seed, getattr(args, "seed", None)) if seed is not None), SEED.default)
    return option_value(SEED, text, "--seed")


def option_value(spec: ParamSpec, text: str, option: str) -> Any:
    """A command-line option's text parsed and checked by spec; the error names the option."""
    try:
        return spec.parse(str(text))
    except ParamError:
        raise ParamError(f"bad value {text!r} for {option}: expected {spec.allowed()}") from None


def parse_point(text: str, option: str) -> tuple[float, float]:
    """An `X,Y` pair of finite floats."""
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise ParamError(f"bad value {text!r} for {option}: expected X,Y (two numbers)") from None
    if not all(abs(v) < float("inf") for v in (x, y)):
        raise ParamError(f"bad value {text!r} for {option}: expected finite numbers")
    return x, y


State = TypeVar("State")
# a progress bar updates at most this many times over a whole export (the steps go in as many chunks)
PROGRESS_UPDATES = 500


# an export that holds more than this says what it takes first, when stderr is a terminal (one epoch of a
# 4096 x 4 network holds 10 GB for a minute)
HEAVY_BYTES = 1e9


def check_cost(args: argparse.Namespace, cost: Cost, values: float = 0) -> None:
    """Refuse the export (ParamError) when its arrays, and the `values` numbers it writes, cannot fit in the
    memory available: before the experiment allocates anything. A heavy export that fits says what it
    takes, on stderr when it is a terminal."""
    fmt = "json" if getattr(args, "format", "csv") == "json" else "csv"
    needed, what = exported(cost, values, fmt), f"tui-dl export {args.target}"
    check_fits(needed, what)
    if needed.bytes >= HEAVY_BYTES and sys.stderr.isatty():
        sys.stderr.write(f"tui-dl: export {args.target} takes {needed.text()}; Ctrl+C stops it\n")


def advance(step: Callable[[State, int], State], state: State, steps: int, unit: str,
            args: argparse.Namespace, *, done_so_far: Callable[[State], float] | None = None) -> State:
    """step(state, steps), with a progress bar on stderr when it is a terminal (tqdm, shown after half a
    second, gone when done); the steps then go in chunks, which every experiment's step adds up exactly.

    done_so_far(state): the steps done, with the fraction of the one under way (training's `epochs_done`),
    for an experiment whose single step can take long (one epoch of a wide network: a minute): the bar then
    moves twice a second while a step runs, read from another thread; state must be changed in place.
    """
    if steps <= 0 or not sys.stderr.isatty():
        return step(state, steps)
    from tqdm import tqdm  # only for a terminal: a piped export imports nothing more

    chunk = max(1, steps // PROGRESS_UPDATES)
    sized = _columns(sys.stderr) > 0  # a pty nobody gave a size (0 x 0): tqdm would draw nothing
    fractional = {} if done_so_far is None else {"bar_format": FRACTIONAL_BAR}
    with tqdm(total=steps, unit=f" {unit}", desc=f"tui-dl export {args.target}", file=sys.stderr, delay=0.5,
              leave=False, dynamic_ncols=sized, ncols=None if sized else 80, nrows=None if sized else 24,
              **fractional) as bar, _Ticker(bar, state, done_so_far) as ticker:
        done = 0
        try:
            while done < steps:  # a loop over chunks of steps, for the bar
                taken = min(chunk, steps - done)
                state = step(state, taken)
                done += taken
                ticker.move_to(done)
        except KeyboardInterrupt:  # the bar stays as it was drawn (how far it got) and Ctrl+C's line goes below it
            ticker.stop()
            bar.disable = True  # tqdm draws nothing more, not even in the middle of Ctrl+C's line
            sys.stderr.write("\n")
            raise
    return state


# tqdm's bar with the steps done to two decimals (`0.40/2 epoch`), for a bar that moves within a step
FRACTIONAL_BAR = "{l_bar}{bar}| {n:.2f}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}{postfix}]"
TICK_S = 0.5  # how often the bar reads done_so_far while a step runs


class _Ticker:
    """Moves a tqdm bar: to the end of each chunk (`move_to`, from the thread that steps), and with
    done_so_far, twice a second from its own thread while a chunk runs (also redrawing the elapsed time)."""

    def __init__(self, bar: Any, state: Any, done_so_far: Callable[[Any], float] | None) -> None:
        self._bar, self._state, self._done_so_far = bar, state, done_so_far
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = None if done_so_far is None else threading.Thread(
            target=self._tick, name="tui-dl progress", daemon=True)

    def __enter__(self) -> _Ticker:
        if self._thread is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def move_to(self, done: float, redraw: bool = False) -> None:
        """Move the bar to done steps (never back); redraw: draw it even if it did not move (the elapsed
        time goes on while a step's fraction waits: its evaluation)."""
        with self._lock:
            if done > self._bar.n:
                self._bar.update(done - self._bar.n)
            elif redraw and not self._stopped.is_set() and not self._bar.disable:
                self._bar.refresh()

    def _tick(self) -> None:
        assert self._done_so_far is not None
        while not self._stopped.wait(TICK_S):
            self.move_to(min(self._done_so_far(self._state), self._bar.total), redraw=True)


def _columns(stream: Any) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 0


STEPS = ParamSpec("steps", "int", 1000, low=1, high=10_000_000, help="number of steps")
