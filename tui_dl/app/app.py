"""The app: four panes, the clock, global keys, the command palette, and the layout by terminal size.

Layout: at 120 x 36 and larger a 2 x 2 dashboard (the current pane's column wider); smaller, one
pane at a time with a tab strip; below 60 x 20 a message naming both sizes. `z` (or enter in the
dashboard) maximizes the current pane; there enter types an exact parameter value.

The app owns one `Runner` per pane and is the only place that talks to them: keys and panel edits
go to the runner of the current pane, frames come back as `FrameReady` messages and are handed to
the pane (messages up, method calls down).
"""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container
from textual.css.query import NoMatches
from textual.driver import Driver
from textual.filter import LineFilter
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static

from tui_dl.app import AppConfig
from tui_dl.app.commands import palette_commands
from tui_dl.app.export import write_export
from tui_dl.app.focus import focus_now
from tui_dl.app.frameworks import describe
from tui_dl.app.glyphs import AsciiFilter
from tui_dl.app.help import HelpScreen
from tui_dl.app.main_screen import PALETTE_BINDING, MainScreen
from tui_dl.app.model_types import Preset
from tui_dl.app.panes import PANES
from tui_dl.app.panes.base import Pane
from tui_dl.app.runner import FrameReady, Runner, make_models
from tui_dl.app.widgets.param_panel import ParamPanel, ValueInput
from tui_dl.app.widgets.plot import CanvasWidget
from tui_dl.app.widgets.status import KeyBar, StatusLine, TabStrip
from tui_dl.params import SEED, ParamError
from tui_dl.setup.session import SetupState, remember, start_setup, write_setup

if TYPE_CHECKING:
    from tui_dl.app.demo import Demo
    from tui_dl.app.lesson import LessonMode
    from tui_dl.app.terminal_driver import QuitWatchdog

MIN_SIZE = (60, 20)


def home_relative(path: Path) -> str:
    """`~/lessons/a.toml` for a path under the home directory, else the path as it is."""
    try:
        return "~/" + str(Path(path).relative_to(Path.home()))
    except ValueError:
        return str(path)

# a kill (TERM), a closed terminal (HUP), `kill -INT` (a Ctrl+C on the keyboard is a key in the app) and QUIT
QUIT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT", "SIGQUIT")
                     if hasattr(signal, name))
# plot redraw rates with the clock running: the pane in view often, the others now and then
DRAW_FPS_CURRENT, DRAW_FPS_OTHERS = 15, 4
DASHBOARD_SIZE = (120, 36)


class TuiDlApp(App[None]):
    """tui-dl: learning-rate schedules, initialization, overfitting and optimizers, live."""

    CSS_PATH = "app.tcss"
    TITLE = "tui-dl"
    BINDINGS: ClassVar = [
        Binding("q", "quit", "Quit", tooltip="quit (ctrl+q quits from anywhere, even while typing)"),
        Binding("space", "toggle_pause", "Pause/run", tooltip="pause or run the clock of every pane"),
        Binding("n", "step", "Step", tooltip="one step (or epoch) of every pane; pauses the clock"),
        Binding("left_square_bracket", "speed(-1)", "Slower", key_display="[",
                tooltip="fewer steps per frame for the current pane"),
        Binding("right_square_bracket", "speed(1)", "Faster", key_display="]",
                tooltip="more steps per frame for the current pane"),
        Binding("r", "restart", "Restart", tooltip="the current pane's experiment again from step 0, same seed"),
        Binding("s", "new_seed", "New seed", tooltip="the next seed; every pane restarts with it"),
        Binding("f", "formula", "Formula", tooltip="formula, convention and Keras / PyTorch code of the selection"),
        Binding("e", "export", "Export", tooltip="write an SVG screenshot and the current pane's data as JSON"),
        Binding("w", "write_setup", "Save setup", show=False,
                tooltip="save every parameter and the seed as a TOML setup file (tui-dl --config)"),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="this screen"),
        Binding("z", "maximize", "Max/restore", tooltip="maximize the current pane, or back to the dashboard"),
        Binding("enter", "maximize", "Maximize", show=False,
                tooltip="in the dashboard: maximize (in a maximized pane enter types a value)"),
        Binding("escape", "restore", "Restore", show=False,
                tooltip="back to the dashboard (in a lesson: leave it, keeping the setup)"),
        Binding("full_stop", "lesson(1)", "Next step", key_display=".", tooltip="the lesson's next step"),
        Binding("comma", "lesson(-1)", "Previous step", key_display=",", show=False,
                tooltip="the lesson's previous step"),
        PALETTE_BINDING,  # not Textual's, a priority binding
        Binding("1", "focus_pane(0)", "Learning rate", show=False, tooltip="focus pane 1, Learning rate"),
        Binding("2", "focus_pane(1)", "Initialization", show=False, tooltip="focus pane 2, Initialization"),
        Binding("3", "focus_pane(2)", "Overfitting", show=False, tooltip="focus pane 3, Overfitting"),
        Binding("4", "focus_pane(3)", "Optimizer paths", show=False, tooltip="focus pane 4, Optimizer paths"),
    ]

    paused: reactive[bool] = reactive(False)
    """The clock is stopped (n still steps)."""
    current: reactive[int] = reactive(0)
    """Index of the current pane (its panel has the focus)."""
    maximized: reactive[bool] = reactive(False)
    """The current pane fills the screen."""
    layout_mode: reactive[str] = reactive("grid")
    """grid (dashboard), single (one pane at a time) or too-small, from the terminal size."""

    def __init__(self, config: AppConfig) -> None:
        super().__init__()
        self.config = config
        models = make_models()
        self.setup_state: SetupState = start_setup(config, models)
        """The setup file and preset loaded at start (error included), and where `w` writes."""
        self.seed = self.setup_state.seed
        self.runners = {kind: Runner(kind, model, self._launch, self.post_message, self.seed, self.call_after_refresh)
                        for kind, model in models.items()}
        self.set_reactive(TuiDlApp.paused, not config.autoplay)
        if self.setup_state.pane is not None:  # a --preset: its pane gets the focus
            self.set_reactive(TuiDlApp.current, [pane.KIND for pane in PANES].index(self.setup_state.pane))
        self._bindings_state: tuple[str, bool] | None = None
        self.demo: Demo | None = None
        """The `--demo` tour, from mount until the app ends (stopped once the user has the keys)."""
        self.lesson: LessonMode | None = None
        """Lesson mode (`tui-dl lesson`), from mount until the app ends (inactive once left with esc)."""
        self._ascii = AsciiFilter() if config.ascii else None
        self._watchdog: QuitWatchdog | None = None
        """From `run`: ends the process if the shutdown after a quit signal takes longer than QUIT_GRACE_S."""
        self._answering: dict[str, bool] = {}
        """Panes restarted by the user whose first frame has not arrived yet (see `MainScreen.answer`)."""
        self.remembered: list[str] = [] if self.setup_state.resumed is None else [
            f"setup {home_relative(self.setup_state.resumed)}"]
        """What this start resumed from the preferences (named in the top line with how to forget it)."""

    def run(self, **kwargs: Any) -> None:
        """App.run, with the mouse off for `--no-mouse` (unless the caller says otherwise), quitting on
        SIGTERM and SIGHUP.

        Python's default SIGTERM and SIGHUP (a closed terminal window, a dropped SSH session) end the
        process at once, leaving the terminal in the alternate screen with mouse tracking on and the
        cursor hidden; quitting as `q` does lets Textual restore what it still can first.
        """
        from tui_dl.app.terminal_driver import QuitWatchdog

        kwargs.setdefault("mouse", self.config.mouse)
        self._watchdog = QuitWatchdog().start()
        previous = {signum: signal.signal(signum, self._end_on_signal) for signum in QUIT_SIGNALS}
        try:
            return super().run(**kwargs)
        finally:
            self._watchdog.cancel()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _quit_on_signal(self, signum: int, frame: Any) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # before or after the event loop: nothing on screen to restore
            raise SystemExit(128 + signum) from None
        loop.call_soon_threadsafe(self.exit, None, 128 + signum)

    def _end_on_signal(self, signum: int, frame: Any) -> None:
        """The handler `run` installs: quit as `q` does, and end the process within QUIT_GRACE_S even if the
        shutdown hangs (never armed by an app under test, which shares its process with the tests)."""
        self._quit_on_signal(signum, frame)
        if self._watchdog is not None:
            driver = self._driver
            self._watchdog.arm(128 + signum, getattr(driver, "fileno", None), getattr(driver, "attrs_before", None))

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver, or on Linux and macOS one that survives its terminal going away
        (terminal_driver.py)."""
        driver_class = super().get_driver_class()
        if driver_class.__name__ == "LinuxDriver" and driver_class.__module__ == "textual.drivers.linux_driver":
            from tui_dl.app.terminal_driver import TerminalDriver

            return TerminalDriver
        return driver_class

    async def _on_key(self, event: events.Key) -> None:
        """While the value input is open, a key that reaches the app without having passed through it was
        typed for it: the app handed it to the widget focused when it read it, the panel, before the enter
        that opened the input ran. It goes to the input, in order, instead of to the bindings (the `n` and
        `s` of `moons` stepped and changed the seed; the closing enter applied the value before it was
        typed)."""
        typing = self.focused
        if isinstance(typing, ValueInput) and not typing.closed and not typing.passed_through(event):
            event.prevent_default()  # App._on_key's bindings
            typing._forward_event(events.Key(event.key, event.character))  # as the app hands a key on

    def get_default_screen(self) -> Screen:
        return MainScreen(id="_default")

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters (NO_COLOR's monochrome among them), then ASCII for `--ascii`."""
        filters = list(super().get_line_filters())
        return [*filters, self._ascii] if self._ascii else filters

    # ------------------------------------------------------------------ building
    def compose(self) -> ComposeResult:
        # kept by reference: App.query looks at the active screen, which may be the help or formula panel
        self._status, self._tabs, self._too_small = StatusLine(id="status"), TabStrip(id="tabs"), Static(id="too-small")
        self._panes = [pane_class(number) for number, pane_class in enumerate(PANES, 1)]
        self._grid = Container(*self._panes, id="panes")
        yield self._status
        yield self._tabs
        if self.config.demo:
            from tui_dl.app.demo import DemoCaption  # only with --demo: not imported on a plain start

            self._caption = DemoCaption(id="caption")
            yield self._caption
        if self.config.lesson is not None:
            from tui_dl.app.lesson import LessonBar  # only in lesson mode

            self._lesson_bar = LessonBar(id="lesson")
            yield self._lesson_bar
        yield self._grid
        yield self._too_small
        yield KeyBar(id="keys")

    @property
    def panes(self) -> list[Pane]:
        """The four panes in order."""
        return self._panes

    def pane(self, kind: str) -> Pane:
        """The pane drawing kind."""
        return next(pane for pane in self._panes if pane.KIND == kind)

    @property
    def current_pane(self) -> Pane:
        """The pane with the focus."""
        return self.panes[self.current]

    @property
    def current_runner(self) -> Runner:
        """The runner of the current pane."""
        return self.runners[self.current_pane.KIND]

    @property
    def single(self) -> bool:
        """One pane fills the screen (maximized, or the terminal is too small for the dashboard)."""
        return self.maximized or self.layout_mode != "grid"

    def on_mount(self) -> None:
        for pane in self.panes:
            runner = self.runners[pane.KIND]
            pane.set_rows(runner.model.rows())
            runner.restart()
        if self.config.autoplay:
            self.set_interval(1 / self.config.fps, self._tick)
        self._apply_layout(self.size.width, self.size.height)
        self._show_current()
        self._start_preferences()
        if self.config.demo:
            from tui_dl.app.demo import Demo, tour

            language = self.config.language
            self.demo = Demo(self, tour(self, language), self._caption, language)
            self.demo.start(self.config.autoplay)
        if self.config.lesson is not None:
            from tui_dl.app.lesson import LessonMode

            self.lesson = LessonMode(self, self._lesson_bar, self.config.language, self.config.lesson)
            # after the focus given above has arrived: it would otherwise take the pane back to the first
            self.call_after_refresh(self.lesson.start)
        self.call_after_refresh(self._settle_memory)

    @staticmethod
    def _settle_memory() -> None:
        """After the first screen update: what startup made lives as long as the app; frozen, it is left
        out of the full collections, which otherwise land in a frame now and then (the 95th percentile of
        frame times). Then automatic collection resumes: `tui-dl` starts the app without it (cli.main)."""
        gc.freeze()
        gc.enable()

    async def on_event(self, event: events.Event) -> None:
        """Input first goes to a running demo: a key hands control to the user (and is consumed, see demo.py)."""
        if (self.demo is not None and isinstance(event, events.InputEvent) and not event.is_forwarded
                and self.demo.interrupt(event)):
            return
        await super().on_event(event)

    def _start_preferences(self) -> None:
        """The remembered theme; a changed theme is remembered; what became of the setup file is shown."""
        if self.config.theme in self.available_themes:
            self.theme = self.config.theme
            self.remembered.append(f"theme {self.config.theme}")
        self.theme_changed_signal.subscribe(self, lambda theme: remember(self.config, theme=theme.name))
        if self.setup_state.error:
            self.notify(self.setup_state.error, title="setup", severity="error", timeout=10)
        elif self.config.setup is not None:
            self.notify(f"loaded {self.config.setup}", title="setup", timeout=4)
        for note in self.setup_state.notes:
            self.notify(note, title="setup", severity="warning", timeout=10)
        self._update_status()

    def _launch(self, work, group: str) -> None:
        # a name and description of our own: Textual's default is repr(work), which would print the whole state
        self.run_worker(work, name=group, group=group, description=group, thread=True, exit_on_error=False)

    # ------------------------------------------------------------------ clock and frames
    def _tick(self) -> None:
        """One frame of the clock: every runner takes its steps, unless a restarted one is computing
        its first frame (a key was pressed): the others' workers would share the CPU with it, and the
        key's answer would wait for them (worker threads share one interpreter lock)."""
        if self.paused or self.layout_mode == "too-small":
            return
        if any(runner.busy and runner.frame is None for runner in self.runners.values()):
            return
        for runner in self.runners.values():
            runner.tick()

    def on_frame_ready(self, message: FrameReady) -> None:
        runner = self.runners[message.pane]
        pane = self.pane(message.pane)
        first = runner.frame is None  # the first frame of a restart
        if not runner.accept(message) or not pane.is_attached:  # stale, or the app is closing
            return
        try:
            if runner.error:
                pane.show_error(runner.error)
                self._update_progress(pane)
            else:
                pane.show_frame(runner.frame, self.progress(pane.KIND))
                if pane is self.current_pane:
                    self._update_status()
        except NoMatches:  # a worker's last frame arrived while the app was closing: its plots are gone
            if getattr(self, "_running", False):  # Textual clears it first thing in its shutdown
                raise
            return
        screen = self._main_screen()
        if first and self._answering.pop(pane.KIND, False) and isinstance(screen, MainScreen):
            screen.answer(pane.query(CanvasWidget))  # the user's restart: its first frame goes out at once

    def _update_progress(self, pane: Pane) -> None:
        pane.progress = self.progress(pane.KIND)
        pane.set_border_subtitle(pane.progress)  # its bottom row, not the whole pane
        if pane is self.current_pane:
            self._update_status()

    def progress(self, kind: str) -> str:
        """`step 12/100`, `epoch 37/200 done`, `single pass`."""
        runner = self.runners[kind]
        unit = runner.model.unit
        text = "single pass" if runner.horizon == 0 else f"{unit} {runner.position}/{runner.horizon}"
        if runner.error:
            return text + " error"
        if runner.frame is None:
            return text + " ..."
        return text + (" done" if runner.finished and runner.horizon else "")

    def _update_status(self) -> None:
        if not self.is_mounted:
            return
        pane = self.current_pane
        runner = self.runners[pane.KIND]
        speed = "" if runner.horizon == 0 else runner.speed_shown()
        self._status.show(self.seed, self.paused, pane.TITLE, self.progress(pane.KIND), speed, pane.status(),
                          self.remembered)
        self._tabs.show([p.TITLE for p in self.panes], self.current, self.maximized)

    # ------------------------------------------------------------------ layout
    def on_resize(self, event: events.Resize) -> None:
        self._apply_layout(event.size.width, event.size.height)
        self.call_after_refresh(self._update_status)  # the status line fits its new width (? help stays)

    def _apply_layout(self, width: int, height: int) -> None:
        if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
            mode = "too-small"
        elif width < DASHBOARD_SIZE[0] or height < DASHBOARD_SIZE[1]:
            mode = "single"
        else:
            mode = "grid"
        self.layout_mode = mode
        self._too_small.update(
            f"tui-dl needs a terminal of at least {MIN_SIZE[0]} x {MIN_SIZE[1]} "
            f"(the 2 x 2 dashboard: {DASHBOARD_SIZE[0]} x {DASHBOARD_SIZE[1]}).\n"
            f"This one is {width} x {height}. Enlarge it, or press q to quit.")
        self._apply_classes()

    def _apply_classes(self) -> None:
        # one update_classes per node: each class change restyles the node's whole subtree
        single = self.single and self.layout_mode != "too-small"
        self._main_screen().update_classes({"-too-small": self.layout_mode == "too-small", "-single": single})
        # the current pane's column and row get more room; set as styles, not classes, so that a focus
        # change relayouts the grid without restyling every widget in it
        self._grid.styles.grid_columns = "3fr 2fr" if self.current % 2 == 0 else "2fr 3fr"
        self._grid.styles.grid_rows = "3fr 2fr" if self.current < 2 else "2fr 3fr"
        if (self.layout_mode, self.maximized) != self._bindings_state:  # enter, z and esc depend on these
            self._bindings_state = (self.layout_mode, self.maximized)
            self.refresh_bindings()  # the key bar and the footer's checks follow
        self._update_status()

    def _main_screen(self) -> Screen:
        return self.screen_stack[0]

    def watch_maximized(self) -> None:
        if self.is_mounted:
            self._apply_classes()

    def watch_paused(self) -> None:
        self._update_status()
        if self.paused and self.is_mounted:  # every number on screen stops with the clock, within this frame
            for pane in self.panes:
                pane.settle_now()

    def watch_current(self) -> None:
        if self.is_mounted:
            self._show_current()

    def _show_current(self) -> None:
        for i, pane in enumerate(self.panes):
            pane.set_class(i == self.current, "-current")
            if self.config.autoplay:  # tests (no clock) draw every frame, so pictures are up to date
                pane.set_draw_interval(1 / (DRAW_FPS_CURRENT if i == self.current else DRAW_FPS_OTHERS))
        self._apply_classes()
        focus_now(self.current_pane.panel)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """A click or Textual's focus move: the pane that holds the focus is the current one. The event bubbles
        up after the focus moved; by then a later key may have moved it on (`tab tab` typed at once ended on
        the second pane when the first move's event came last)."""
        if event.widget is not self.focused:
            return
        for i, pane in enumerate(self.panes):
            if event.widget in pane.walk_children() and i != self.current:
                self.current = i

    def on_pane_changed(self, message: Pane.Changed) -> None:
        self._update_status()

    # ------------------------------------------------------------------ parameter edits
    def on_param_panel_edit(self, message: ParamPanel.Edit) -> None:
        message.stop()
        message.panel.handled(message)
        kind = message.panel.id.removeprefix("params-")
        runner = self.runners[kind]
        try:
            if message.key == "view":
                runner.model.switch_view(message.value)
            else:
                runner.model.set(message.key, message.value)
        except ParamError as error:
            if message.key == "view":  # v asked for an experiment over the live limit: the pane goes on
                self.pane(kind).view_refused(f"{message.value} view: {error}")
                return
            message.panel.show_error(str(error))
            return
        self._restart(kind)
        if message.key == "view" and (refusal := self.pane(kind).take_refusal()):
            message.panel.show_error(refusal)  # why v skipped a view, once the view after it runs

    def _restart(self, kind: str, seed: int | None = None) -> None:
        runner = self.runners[kind]
        pane = self.pane(kind)
        pane.set_rows(runner.model.rows())
        runner.restart(seed)
        if runner.error:  # refused before it started (over the live limit)
            pane.show_error(runner.error)
        self._answering[kind] = True  # its first frame answers the user: on screen at once
        self._update_progress(pane)

    def apply_preset(self, kind: str, preset: Preset, announce: bool = True) -> None:
        """Load a named setting into a pane, restart it and focus it (and name it, unless the demo's caption does)."""
        preset.apply()
        self._restart(kind)
        self.current = [p.KIND for p in self.panes].index(kind)
        if announce:
            self.notify(preset.name, timeout=2)

    # ------------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        on_main = self.screen is self._main_screen()
        if action in ("focus_offset", "focus_pane", "maximize", "restore", "step", "speed", "restart",
                      "new_seed", "formula", "export", "toggle_pause", "write_setup") and not on_main:
            return False
        if action == "lesson":
            return self.in_lesson and on_main
        if action == "restore":
            return self.maximized or self.in_lesson
        if action == "maximize" and parameters == () and self.layout_mode != "grid":
            return None  # shown disabled: the terminal is too small for the dashboard anyway
        return True

    def action_toggle_pause(self) -> None:
        """Pause or run the clock of every pane."""
        self.paused = not self.paused

    def action_step(self) -> None:
        """One step (or epoch) of every pane; pauses the clock."""
        self.paused = True
        for runner in self.runners.values():
            runner.request(1)

    def action_speed(self, direction: int) -> None:
        """The current pane's steps per frame, one notch slower or faster."""
        self.current_runner.faster(direction)
        self._update_status()

    def action_restart(self) -> None:
        """The current pane's experiment from step 0, same seed."""
        self._restart(self.current_pane.KIND)

    def action_new_seed(self) -> None:
        """Next seed (after the largest, 0: a seed w writes must load again); every pane restarts with it."""
        self.seed = 0 if self.seed >= SEED.high else self.seed + 1
        for kind in self.runners:
            self._restart(kind, self.seed)

    def action_focus_pane(self, index: int) -> None:
        """Focus pane index (0-3)."""
        if index == self.current:
            self._show_current()  # the watcher only runs on a change: refocus the panel
        self.current = index

    def action_focus_offset(self, offset: int) -> None:
        """Focus the next (1) or previous (-1) pane."""
        self.action_focus_pane((self.current + offset) % len(self.panes))

    def action_maximize(self) -> None:
        """Maximize or restore the current pane (in the dashboard)."""
        self.maximized = not self.maximized

    def action_restore(self) -> None:
        """Back to the dashboard; in a lesson, leave the lesson first (the setup stays)."""
        if self.in_lesson:
            self.lesson.leave()
            return
        self.maximized = False

    @property
    def in_lesson(self) -> bool:
        """Lesson mode is on (not yet left with esc)."""
        return self.lesson is not None and self.lesson.active

    def action_lesson(self, direction: int) -> None:
        """The lesson's next (1) or previous (-1) step."""
        if self.lesson is not None:
            self.lesson.move(direction)

    def action_formula(self) -> None:
        """The formula and code panel of what is selected in the current pane."""
        pane = self.current_pane
        row = pane.panel.selected
        runner = self.runners[pane.KIND]
        selection = runner.model.selection(row.key if row else None, runner.frame)
        from tui_dl.app.widgets.formula import FormulaScreen  # a text area with syntax: imported when first shown

        self.push_screen(FormulaScreen(describe(selection)))

    def action_write_setup(self) -> None:
        """Write the current setup (every parameter and the seed) as TOML and show the path."""
        write_setup(self)

    def action_export(self) -> None:
        """Write an SVG screenshot and the current pane's data as JSON into the export folder; show both paths."""
        runner = self.current_runner
        if runner.frame is None:
            self.notify("nothing to export yet", severity="warning")
            return
        directory = self.config.export_dir or Path.cwd()
        svg = self.export_screenshot(title=f"tui-dl · {self.current_pane.TITLE}")
        try:
            paths = write_export(directory, runner.key, runner.seed, runner.position, runner.frame, svg)
        except OSError as error:
            self.notify(f"export failed: {error}", severity="error")
            return
        self.notify("\n".join(f"wrote {path}" for path in paths), title="export", timeout=6)

    def action_help(self) -> None:
        """Every key, grouped."""
        if isinstance(self.screen, HelpScreen):
            return
        # the focused pane's own keys first: they are what a learner looks for, above the fold at 120 x 40
        current = self.current
        panes = [(f"{i} {pane.TITLE} (this pane)" if i - 1 == current else f"{i} {pane.TITLE}", pane.BINDINGS)
                 for i, pane in enumerate(PANES, 1)]
        everywhere = [*(b for b in self.BINDINGS if b is not PALETTE_BINDING), *MainScreen.BINDINGS]
        sections = [panes[current], ("Everywhere", everywhere), ("Parameter panel", ParamPanel.BINDINGS)]
        sections += [section for i, section in enumerate(panes) if i != current]
        from tui_dl.app.widgets.formula import FormulaScreen

        sections += [("Formula panel (f)", FormulaScreen.BINDINGS),
                     ("Anywhere", [Binding("ctrl+q", "quit", "Quit"), PALETTE_BINDING])]
        self.push_screen(HelpScreen(sections))

    # ------------------------------------------------------------------ command palette
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if screen is self._main_screen():
            yield from palette_commands(self)
