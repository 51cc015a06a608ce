"""Measure how responsive the app is: cold start, key-to-plot latency, frame render time, terminal
bytes/s, screen updates/s.

Run: python benchmarks/ui.py [--quick] [--only start,keys,render,bytes,fps]

Each figure is printed with "ok" or "MISSED" against its target (issue 9, "Speed").

1. cold start: the real `tui-dl` in a 120 x 40 pty (after one start that compiles the bytecode, as an
   install has it), until the screen shows all four panes with their
   plots (no "computing..." left); median of 5 starts, then q, checking that the app exits.
   Target: median <= 0.5 s.
2. key to frame: in-process (App.run_test at 120 x 40), a nudge key (right) on the selected parameter
   of each pane, timed from the key to the end of the first screen update that contains the pane's
   plot painted from the restarted experiment; p50 / p95 over 30 presses a pane, with the clock
   running (as a user sees it) and with the clock off (the pipeline alone, no draw throttle). The
   median stages split it: key->edit (the panel's Edit reaches the runner's restart), worker (the
   thread computes the new experiment's first frame and posts it), ->draw (the message is handled and
   the pane's draw throttle lets it through: the pane `show`s the data to its plots), ->rendered (the
   plots are painted: at once by `show` when on screen at their size, else by the screen's next
   update), ->screen (the rest: composing and serializing the update). Target: p95 <= 50 ms with
   the clock running. Once more while the Overfitting pane trains its 4 variants under 8 seeds
   (`--seeds`, 32 runs in one batch): the other panes keep answering.
3. render: the time to paint each pane's plots and the whole frame (every pane redrawn with every
   row of its plots counted as changed, composed and turned into terminal output) at 120 x 40 and
   200 x 60, in the dashboard and maximized. A plot is every `CanvasWidget` of the pane; its time is
   that of its `_paint` calls (data drawn into cells and strips). Targets at 200 x 60: the
   dashboard's full frame median <= 16 ms (one 60 Hz refresh), each maximized pane's <= 10 ms.
   A live frame is also timed: every shown pane one step further, its plots repainting only the
   rows that changed, as during the animation (a pane at its horizon changes nothing).
4. bytes: what the app writes to a 120 x 40 pty per second during the default animation, at the
   default fps and at the SSH default (SSH_CONNECTION set; --fps 15 if the app has no SSH default),
   each second listed (a pane that reaches its horizon stops drawing), and what the bytes are.
   Target: <= 60 KB/s at the SSH default.
5. fps: the real app with --fps 60 in a 200 x 60 pty; from its first full frame on, the screen updates
   actually written in each second of 5 (2 with --quick). Textual 8 wraps each update in the
   synchronized-output escapes `\x1b[?2026h` ... `\x1b[?2026l` only when the terminal answers its query
   for mode 2026 (`\x1b[?2026$p`) as supporting it, so this pty answers as a modern terminal does and
   the `\x1b[?2026l` ends are counted. (Parts 1 and 4 leave the query unanswered, as before, so their
   bytes carry no such escapes.) Target: mean >= 50 updates a second.

The children get an empty XDG_CONFIG_HOME, so remembered preferences play no part. Figures are
medians or percentiles, not means (but for the mean rates of parts 4 and 5), so a busy machine's
outliers count less; the load average is printed next to them because other processes share the CPU.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # see ROOT
from ui_pty import PtyApp  # a helper module next to this script

# the checkout this script belongs to: its tui_dl is measured, in process and in the children, rather than
# whichever tui_dl is installed (an editable install points at one checkout, a worktree is another)
ROOT = Path(__file__).resolve().parents[1]

SIZE = (120, 40)
TITLES = ("1 Learning rate", "2 Initialization", "3 Overfitting", "4 Optimizer paths")
# the targets of issue 9 ("Speed")
TARGET_START_S = 0.5  # cold start to the first full frame
TARGET_KEY_MS = 50.0  # key to the updated plot on screen, p95, clock running
TARGET_FRAME_MS = 16.0  # full dashboard frame at 200 x 60, median: one 60 Hz refresh
TARGET_PANE_MS = 10.0  # full frame of each maximized pane at 200 x 60, median
TARGET_KBPS = 60.0  # 120 x 40 pty, default animation, SSH default fps
TARGET_UPDATES = 50.0  # screen updates written per second with --fps 60 at 200 x 60
FPS_SIZE, FPS_ARG = (200, 60), "60"
SSH_FPS_FALLBACK = "15"
STAGES = ("key->edit", "worker", "->draw", "->rendered", "->screen")


def load() -> str:
    """The 1-minute load average against the cores (other helpers' tests share this machine)."""
    return f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


CONFIG_HOME = tempfile.mkdtemp(prefix="tui-dl-bench-")
atexit.register(shutil.rmtree, CONFIG_HOME, ignore_errors=True)


def mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def app_env(size: tuple[int, int] = SIZE, **extra: str) -> dict[str, str]:
    """The environment of a child app: a 256-color xterm, no SSH unless asked, an empty config
    directory (the user's remembered preferences neither change the figures nor get changed), and
    bytecode kept in a cache of the benchmark's own: an installed tui-dl has its modules compiled,
    while a checkout under PYTHONDONTWRITEBYTECODE=1 (set on some machines) would compile every
    module on every start, a third of the cold start."""
    drop = ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "NO_COLOR", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(TERM="xterm-256color", COLUMNS=str(size[0]), LINES=str(size[1]), XDG_CONFIG_HOME=CONFIG_HOME,
               PYTHONPYCACHEPREFIX=os.path.join(CONFIG_HOME, "pycache"),
               PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))), **extra)
    return env


def composition(data: bytes) -> str:
    """What the bytes are: color (SGR) sequences, cursor moves and other escapes, text."""
    text = data.decode("utf-8", "replace")
    sgr = re.findall(r"\x1b\[[0-9;]*m", text)
    resets = sum(1 for s in sgr if s in ("\x1b[0m", "\x1b[m"))
    escapes = re.findall(r"\x1b\[[0-9;?$]*[@-~]", text)
    sgr_bytes, escape_bytes = sum(map(len, sgr)), sum(map(len, escapes))
    total = max(len(data), 1)
    return (f"colors (SGR) {sgr_bytes / total:4.0%} ({len(sgr)} sequences, {resets} of them resets), "
            f"cursor moves and other escapes {(escape_bytes - sgr_bytes) / total:4.0%}, "
            f"text {(len(data) - escape_bytes) / total:4.0%}")


def full_frame(screen: str) -> bool:
    """Every pane's title is on screen, no plot still says computing... (so each shows its data), and at
    least three charts have drawn their axes (the canvas's x-axis corner `└`; the histograms have none)."""
    return all(title in screen for title in TITLES) and "computing" not in screen and screen.count("└") >= 3


# ---------------------------------------------------------------------------------------------- 1. cold start
def bench_start(repeats: int) -> None:
    print(f"\n1. cold start to the first full frame, {SIZE[0]} x {SIZE[1]} pty; "
          f"target median <= {TARGET_START_S:g} s ({load()})")
    times, exits = [], []
    warm = PtyApp([sys.executable, "-m", "tui_dl"], SIZE, app_env())  # writes the bytecode cache, not counted
    warm.read_until(full_frame, timeout=60)
    warm.quit()
    for _ in range(repeats):
        app = PtyApp([sys.executable, "-m", "tui_dl"], SIZE, app_env())
        seconds = app.read_until(full_frame, timeout=60)
        time.sleep(0.3)
        exits.append(app.quit())
        if seconds is None:
            print("   no full frame within 60 s; the screen was:\n" + app.terminal.text())
            return
        times.append(seconds)
    print(f"   median {median(times) * 1e3:6.0f} ms  (min {min(times) * 1e3:.0f}, max {max(times) * 1e3:.0f}, "
          f"n={len(times)}); q exits: {sum(exits)}/{len(exits)}  {mark(median(times) <= TARGET_START_S)}")


# ---------------------------------------------------------------------------------------------- 2. key to frame
class Probe:
    """Timestamps of a pane's drawings, its plots' rasterizations and the screen updates, from wrapped methods."""

    def __init__(self, app) -> None:
        from textual.screen import Screen

        self.app = app
        self.updates: list[float] = []  # end of each screen update (composed and serialized)
        self.update_ms: list[float] = []
        self.serialize_ms: list[tuple[float, float]] = []  # (start, ms) of each conversion to escape sequences
        self.draws: dict[str, list[tuple[float, int]]] = {}  # pane kind -> (time, generation drawn or -1)
        self.renders: dict[str, list[tuple[float, float]]] = {}  # pane kind -> (end time, ms) of each plot drawn
        self.restarts: dict[str, list[float]] = {}  # pane kind -> time of each restart (the edit applied)
        self.posts: dict[str, list[tuple[float, int]]] = {}  # pane kind -> (time a worker posted, generation)
        screen: Screen = app.screen_stack[0]
        original_refresh = screen._compositor_refresh
        original_display = app._display

        def compositor_refresh() -> None:
            start = time.perf_counter()
            original_refresh()
            end = time.perf_counter()
            self.updates.append(end)
            self.update_ms.append((end - start) * 1e3)

        def display(screen, renderable) -> None:
            # headless apps skip the conversion to escape sequences; a terminal would pay for it
            if renderable is not None and hasattr(renderable, "render_segments"):
                start = time.perf_counter()
                renderable.render_segments(app.console)
                self.serialize_ms.append((start, (time.perf_counter() - start) * 1e3))
            original_display(screen, renderable)

        screen._compositor_refresh = compositor_refresh
        app._display = display
        for pane in app.panes:
            self._wrap_pane(pane)

    def _wrap_pane(self, pane) -> None:
        from tui_dl.app.widgets.plot import CanvasWidget

        kind = pane.KIND
        runner = self.app.runners[kind]
        draws, renders = self.draws.setdefault(kind, []), self.renders.setdefault(kind, [])
        restarts, posts = self.restarts.setdefault(kind, []), self.posts.setdefault(kind, [])
        restart, post = runner.restart, runner._post

        def timed_restart(*args, **kwargs) -> None:
            restarts.append(time.perf_counter())
            restart(*args, **kwargs)

        def timed_post(message) -> None:  # in the worker thread, once the frame is computed
            posts.append((time.perf_counter(), message.generation))
            post(message)

        runner.restart, runner._post = timed_restart, timed_post
        draw = pane.throttle.draw

        def timed_draw() -> None:
            fresh = pane.frame is not None and pane.frame is runner.frame
            draws.append((time.perf_counter(), runner.generation if fresh else -1))
            draw()

        pane.throttle.draw = timed_draw
        for widget in pane.query(CanvasWidget):  # every plot widget (Plot, HistogramGrid, LayerLines, ...)
            self._wrap_render(widget, renders)

    @staticmethod
    def _wrap_render(widget, renders: list[tuple[float, float]]) -> None:
        """Time the widget's `_paint` (its data drawn into cells and strips): `show` paints at once when
        the widget is on screen at its last size, else the screen's next update paints (render_line)."""
        paint = widget._paint

        def timed_paint(key):
            start = time.perf_counter()
            paint(key)
            end = time.perf_counter()
            renders.append((end, (end - start) * 1e3))

        widget._paint = timed_paint

    def stages(self, kind: str, generation: int, since: float, shown: float) -> tuple[float, ...]:
        """ms from the key to: the restart, the worker's frame posted, the pane drawn, its plots rasterized, shown."""
        restarted = next(t for t in self.restarts[kind] if t >= since)
        posted = next((t for t, g in self.posts[kind] if t >= since and g > generation), restarted)
        drawn = next(t for t, g in self.draws[kind] if t >= since and g > generation)
        rendered = next(t for t, _ in self.renders[kind] if t >= drawn)
        return tuple((t - since) * 1e3 for t in (restarted, posted, drawn, rendered, shown))

    def shown_after(self, kind: str, generation: int, since: float) -> float | None:
        """End of the first screen update after a rasterization of kind's plots that followed a drawing of
        a frame of a generation newer than `generation`, all after `since`; None if not yet."""
        drawn = next((t for t, g in self.draws[kind] if t >= since and g > generation), None)
        if drawn is None:
            return None
        rendered = next((t for t, _ in self.renders[kind] if t >= drawn), None)
        if rendered is None:
            return None
        return next((t for t in self.updates if t >= rendered), None)


def press(app, key: str) -> None:
    """Queue a key event as typed (Pilot.press waits for an idle CPU, which the workers never leave)."""
    from textual import events

    event = events.Key(key, None)
    event.set_sender(app)
    app.post_message(event)


async def wait_until(condition: Callable[[], object], timeout: float) -> object:
    """Poll condition every 2 ms (the timestamps come from the hooks, so polling adds nothing to them)."""
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        value = condition()
        if value:
            return value
        await asyncio.sleep(0.002)
    return None


async def pane_latencies(app, probe: Probe, index: int, presses: int,
                         rng: random.Random) -> tuple[str, list[tuple[float, ...]]]:
    """Focus pane index and nudge its selected parameter `presses` times; per press the ms from the key
    to each stage (see Probe.stages), the last being the updated frame on screen."""
    press(app, str(index + 1))
    await asyncio.sleep(1.0)
    pane = app.panes[index]
    runner = app.runners[pane.KIND]
    row = pane.panel.selected
    direction, stages, misses = "right", [], 0
    while len(stages) < presses and misses < 3 * presses:
        await asyncio.sleep(rng.uniform(0.1, 0.25))  # a random phase against the clock and the draw throttle
        generation, start = runner.generation, time.perf_counter()
        press(app, direction)
        if not await wait_until(lambda g=generation: runner.generation > g, 1.0):
            misses += 1  # at a limit (the panel says so): go the other way
            direction = "left" if direction == "right" else "right"
            continue
        shown = await wait_until(lambda g=generation, s=start: probe.shown_after(pane.KIND, g, s), 30.0)
        if shown is None:
            misses += 1
            continue
        stages.append(probe.stages(pane.KIND, generation, start, shown))
    return (row.key if row else "?"), stages


async def key_run(autoplay: bool, presses: int, seeds: int = 1) -> list[tuple[str, str, list[float]]]:
    from tui_dl.app import AppConfig, make_app

    app = make_app(AppConfig(seed=0, autoplay=autoplay, export_dir=Path("/tmp")))
    results = []
    async with app.run_test(size=SIZE):
        if seeds > 1:  # the Overfitting pane trains every variant under this many seeds (4 x seeds runs)
            app.runners["train"].model.set("seeds", seeds)
            app._restart("train")
        await asyncio.sleep(0.5)
        probe = Probe(app)
        rng = random.Random(0)
        for index, pane in enumerate(app.panes):
            key, latencies = await pane_latencies(app, probe, index, presses, rng)
            results.append((pane.TITLE, key, latencies))
    return results


def bench_keys(presses: int, seeds: int = 1) -> None:
    print(f"\n2. key (right: nudge the selected parameter) to the updated plot on screen, {SIZE[0]} x {SIZE[1]}, "
          f"{presses} presses a pane; target p95 <= {TARGET_KEY_MS:.0f} ms with the clock running")
    runs = [(True, "clock running (default)", 1), (False, "clock off (no draw throttle)", 1)]
    if seeds > 1:
        runs.append((True, f"clock running, Overfitting training 4 variants x {seeds} seeds", seeds))
    for autoplay, label, train_seeds in runs:
        print(f"   {label} ({load()})")
        for title, key, stages in asyncio.run(key_run(autoplay, presses, train_seeds)):
            values = [s[-1] for s in stages]
            p95 = percentile(values, 95)
            verdict = mark(p95 <= TARGET_KEY_MS) if autoplay else ""
            print(f"     {title:16s} {key:14s} p50 {percentile(values, 50):6.1f} ms  p95 {p95:6.1f} ms  "
                  f"max {max(values, default=float('nan')):6.1f} ms  n={len(values):3d}  {verdict}")
            if stages:  # median ms spent in each stage
                steps = np.diff(np.column_stack([np.zeros(len(stages)), np.array(stages)]), axis=1)
                parts = np.median(steps, axis=0)
                print("       median stages: " + "  ".join(f"{name} {ms:5.1f}" for name, ms in zip(STAGES, parts,
                                                                                              strict=True)))


# ---------------------------------------------------------------------------------------------- 3. render
async def render_run(size: tuple[int, int], repeats: int) -> list[str]:
    from tui_dl.app import AppConfig, make_app
    from tui_dl.app.widgets.plot import CanvasWidget

    app = make_app(AppConfig(seed=0, autoplay=False, export_dir=Path("/tmp")))
    lines = []
    async with app.run_test(size=size) as pilot:
        await wait_until(lambda: all(r.idle for r in app.runners.values()), 60)
        for runner in app.runners.values():  # some history in every plot
            runner.request(100)
        await wait_until(lambda: all(r.idle for r in app.runners.values()), 60)
        await pilot.pause()
        probe = Probe(app)
        layouts = [("dashboard", None)] + [(f"max {i + 1}", i) for i in range(4)]
        for name, index in layouts:
            app.current = index or 0
            app.maximized = index is not None
            await asyncio.sleep(0.3)
            await pilot.pause()
            panes = app.panes if index is None else [app.panes[index]]
            frame_ms, pane_ms, parts = [], {p.KIND: [] for p in panes}, []
            for _ in range(repeats):
                marks = {p.KIND: len(probe.renders[p.KIND]) for p in panes}
                updates, serialized = len(probe.updates), len(probe.serialize_ms)
                for pane in panes:  # the same frame again would repaint no row: count every row as changed
                    for widget in pane.query(CanvasWidget):
                        widget._cells = None
                start = time.perf_counter()
                for pane in panes:
                    pane.throttle.draw()  # the pane's redraw, as on a new frame
                redraw = (time.perf_counter() - start) * 1e3
                await wait_until(lambda u=updates: len(probe.updates) > u, 10)
                await pilot.pause()
                frame_ms.append(redraw + sum(probe.update_ms[updates:]))
                for pane in panes:
                    pane_ms[pane.KIND].append(sum(ms for _, ms in probe.renders[pane.KIND][marks[pane.KIND]:]))
                plots = sum(pane_ms[p.KIND][-1] for p in panes)
                serialize = sum(ms for _, ms in probe.serialize_ms[serialized:])
                # plots paint inside the pane's redraw (show, on screen) or in the update (render_line)
                parts.append((redraw, plots, frame_ms[-1] - redraw - serialize, serialize))
            live = [await live_frame(app, pilot, probe, panes) for _ in range(repeats)]
            per_pane = "  ".join(f"{p.number}:{median(pane_ms[p.KIND]):5.1f}" for p in panes)
            target = TARGET_FRAME_MS if index is None else TARGET_PANE_MS
            verdict = f"(<= {target:g}) {mark(median(frame_ms) <= target)}" if size == (200, 60) else ""
            split = np.median(np.array(parts), axis=0)
            lines.append(f"     {size[0]}x{size[1]} {name:9s} full frame {median(frame_ms):6.1f} ms "
                         f"(p95 {percentile(frame_ms, 95):5.1f})  plots of pane {per_pane} ms  {verdict}")
            lines.append("       median split: " + "  ".join(f"{label} {ms:5.1f}" for label, ms in zip(
                ("pane redraw (with plot paint)", "of which plot paint", "compose", "serialize"), split, strict=True)))
            lines.append(f"       live frame (one more step in every pane, changed rows repainted): "
                         f"{median(live):5.1f} ms (p95 {percentile(live, 95):5.1f})")
    return lines


async def live_frame(app, pilot, probe, panes) -> float:
    """ms of a frame as the animation makes it: each shown pane's experiment one step further (held back
    from drawing while it computes), then every pane redrawn, its plots repainting the rows that changed."""
    draws = {pane: pane.throttle.draw for pane in panes}
    for pane in panes:
        pane.throttle.draw = lambda: None
        app.runners[pane.KIND].request(1)
    await wait_until(lambda: all(r.idle for r in app.runners.values()), 60)
    await pilot.pause()
    for pane, draw in draws.items():
        pane.throttle.draw = draw
    updates = len(probe.updates)
    start = time.perf_counter()
    for pane in panes:
        pane.throttle.draw()
    redraw = (time.perf_counter() - start) * 1e3
    # a screen update follows within a refresh (1/60 s) if anything changed; a pane at its horizon, whose
    # texts are unchanged too, repaints nothing and no update comes (waiting 10 s for one made this part slow)
    await wait_until(lambda: len(probe.updates) > updates, 0.25)
    await pilot.pause()
    return redraw + sum(probe.update_ms[updates:])


def bench_render(repeats: int) -> None:
    print(f"\n3. frame render time (median of {repeats}): every shown pane redrawn, composed and serialized; "
          f"per pane its plots' rasterization; targets at 200 x 60: full frame <= {TARGET_FRAME_MS:g} ms "
          f"in the dashboard, <= {TARGET_PANE_MS:g} ms maximized ({load()})")
    for size in (SIZE, (200, 60)):
        for line in asyncio.run(render_run(size, repeats)):
            print(line)


# ---------------------------------------------------------------------------------------------- 4. bytes
def ssh_default_known() -> bool:
    """Whether the app has a lower fps default over SSH (its --help says so)."""
    help_text = subprocess.run([sys.executable, "-m", "tui_dl", "--help"], capture_output=True, text=True,
                               env=app_env()).stdout
    return "SSH" in help_text


def bench_bytes(seconds: float) -> None:
    print(f"\n4. bytes written to a {SIZE[0]} x {SIZE[1]} pty during the default animation, over {seconds:g} s "
          f"after startup settles; target <= {TARGET_KBPS:.0f} KB/s with the SSH default fps")
    ssh_args = [] if ssh_default_known() else ["--fps", SSH_FPS_FALLBACK]
    runs = [("default fps", [], {}),
            ("SSH default" + (f" (--fps {SSH_FPS_FALLBACK}: none in the app)" if ssh_args else ""),
             ssh_args, {"SSH_CONNECTION": "10.0.0.2 50000 10.0.0.1 22"})]
    for label, args, extra in runs:
        app = PtyApp([sys.executable, "-m", "tui_dl", *args], SIZE, app_env(**extra))
        if app.read_until(full_frame, timeout=60) is None:
            print(f"   {label}: no full frame within 60 s")
            app.quit()
            continue
        app.count_bytes(2.0)
        app.capture = []
        per_second = [app.count_bytes(1.0) / 1000 for _ in range(int(seconds))]
        app.quit()
        rate = sum(per_second) / len(per_second)
        verdict = mark(rate <= TARGET_KBPS) if extra else ""
        print(f"   {label:28s} {rate:7.1f} KB/s  (peak second {max(per_second):.0f} KB, {load()})  {verdict}")
        print("     each second (KB): " + " ".join(f"{kb:.0f}" for kb in per_second))
        print(f"     {composition(b''.join(app.capture))}")


# ---------------------------------------------------------------------------------------------- 5. fps
def bench_fps(seconds: int) -> None:
    width, height = FPS_SIZE
    print(f"\n5. screen updates written per second with --fps {FPS_ARG}, {width} x {height} pty answering the "
          f"synchronized-output query, over {seconds} s from the first full frame; target mean >= "
          f"{TARGET_UPDATES:.0f}/s")
    app = PtyApp([sys.executable, "-m", "tui_dl", "--fps", FPS_ARG], FPS_SIZE, app_env(FPS_SIZE), sync=True)
    if app.read_until(full_frame, timeout=60) is None:
        print(f"   no full frame within 60 s; the screen was:\n{app.terminal.text()}")
        app.quit()
        return
    if not app.frames:  # the app did not take up synchronized output: nothing to count
        print("   no synchronized update (\\x1b[?2026l) in the output: the app did not use synchronized output")
        app.quit()
        return
    per_second = [app.count_frames(1.0) for _ in range(seconds)]
    app.quit()
    rate = sum(per_second) / len(per_second)
    print(f"   mean {rate:5.1f} updates/s  (each second: {' '.join(map(str, per_second))}; {load()})  "
          f"{mark(rate >= TARGET_UPDATES)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and shorter byte and update counts")
    parser.add_argument("--only", default="start,keys,render,bytes,fps", help="comma-separated parts to run")
    parser.add_argument("--seeds", type=int, default=8,
                        help="keys: also measure while the Overfitting pane trains 4 variants x this many seeds "
                             "(1: skip)")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    import textual

    import tui_dl

    print(f"tui-dl UI benchmark of {Path(tui_dl.__file__).parent}: Python {platform.python_version()}, "
          f"textual {textual.__version__}, "
          f"{platform.machine()}, {os.cpu_count()} cores, {load()}")
    if "start" in parts:
        bench_start(2 if args.quick else 5)
    if "keys" in parts:
        bench_keys(8 if args.quick else 30, args.seeds)
    if "render" in parts:
        bench_render(3 if args.quick else 10)
    if "bytes" in parts:
        bench_bytes(4.0 if args.quick else 10.0)
    if "fps" in parts:
        bench_fps(2 if args.quick else 5)


if __name__ == "__main__":
    main()
