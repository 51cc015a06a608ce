"""The three ways to start the app: in this terminal, headless into an SVG (`snapshot`), or in a browser (`serve`).

Importing this module is cheap (no Textual): the CLI builds its parser from it on every call, and
`tui-dl export` must stay free of Textual. Each command imports the app only when it runs.
Bad input ends with one line `tui-dl: error: ...` and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import re
import shlex
import signal
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tui_dl.lessons.catalog import LANGUAGES, choose_language, find_start
from tui_dl.params import SEED, ParamError, ParamSpec
from tui_dl.setup.toml_io import write_atomically

FPS = 30.0
SSH_FPS = 15.0  # half the frames: about half the bytes an SSH link carries during the animation
SNAPSHOT_SIZE = (120, 36)
SNAPSHOT_STEPS = 200  # enough for every pane's figure to take shape (each pane stops at its own horizon)
MIN_SNAPSHOT, MAX_SNAPSHOT = (60, 20), (400, 200)
# snapshot PANE -> index of the pane (None: the 2 x 2 dashboard)
PANES: Mapping[str, int | None] = {
    "dashboard": None,
    "learning_rate": 0, "lr": 0,
    "initialization": 1, "init": 1,
    "overfitting": 2,
    "optimizer_paths": 3, "paths": 3,
}
SERVE_EXTRA = "pip install 'tui-dl[serve]'"
# at least a frame a second: below that a pane looks frozen (--fps 0.0001 never drew its first step)
FPS_OPTION = ParamSpec("fps", "float", FPS, low=1, high=240, help="frames per second")
STEPS_OPTION = ParamSpec("steps", "int", SNAPSHOT_STEPS, low=1, high=10_000_000, help="steps every pane takes first")


# ---------------------------------------------------------------------------------------------- arguments
def add_app_arguments(parser: argparse.ArgumentParser) -> None:
    """--fps, --ascii, --no-mouse, --demo: how the app runs (they also apply to `snapshot` and `serve`)."""
    parser.add_argument("--fps", type=spec_option(FPS_OPTION), default=None,
                        help=f"frames per second of the app's clock (default {FPS:g}, {SSH_FPS:g} over SSH)")
    parser.add_argument("--ascii", action="store_true",
                        help="plain ASCII markers and borders, for fonts without braille (automatic when TERM=linux)")
    parser.add_argument("--no-mouse", dest="mouse", action="store_false",
                        help="leave the mouse to the terminal (to select and copy text)")
    parser.add_argument("--demo", action="store_true",
                        help="the lessons on autoplay with a caption, for talks and kiosks; "
                             "any key hands over (that key is consumed)")
    add_language_option(parser, "lang")


def add_language_option(parser: argparse.ArgumentParser, dest: str) -> None:
    """`--lang en|ko`: the language of the lessons and the demo's captions (default: the locale)."""
    parser.add_argument("--lang", dest=dest, choices=LANGUAGES, default=None,
                        help="language of the lessons and the demo's captions (default: from LC_ALL, LC_MESSAGES "
                             "or LANG; ko_* gives Korean)")


def add_lesson_command(commands: Any) -> None:
    """`tui-dl lesson [NAME] [--list] [--lang L]`."""
    lesson = commands.add_parser("lesson", help="the study note's claims, shown and checked, step by step",
                                 description="Open the app in lesson mode: each step sets a pane up and says the "
                                             "note's claim, what to look at, a key to try and the verdict computed "
                                             "from the running experiment. Keys: . next, , previous, esc free play.")
    lesson.add_argument("name", nargs="?", metavar="NAME",
                        help="a lesson (learning-rate, initialization, overfitting, optimizers) or LESSON.STEP "
                             "(default: the first)")
    lesson.add_argument("--list", dest="lesson_list", action="store_true", help="print the lessons and their steps")
    add_language_option(lesson, "lesson_lang")


def language_of(args: argparse.Namespace) -> str:
    """The language asked (`lesson --lang` wins over `tui-dl --lang`), else the locale's."""
    return choose_language(getattr(args, "lesson_lang", None) or getattr(args, "lang", None))


def lesson_start(args: argparse.Namespace) -> int | None:
    """The step `tui-dl lesson [NAME]` starts at, None outside lesson mode (ParamError for an unknown name)."""
    if getattr(args, "command", None) != "lesson":
        return None
    return find_start(args.name)


def add_commands(commands: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """The `snapshot` and `serve` subcommands."""
    snapshot = commands.add_parser("snapshot", help="render a pane headless into an SVG, for slides and READMEs",
                                   description="Render a pane headless (maximized, after some steps) into an SVG.")
    snapshot.add_argument("pane", metavar="PANE", choices=list(PANES),
                          help="one of " + ", ".join(PANES))
    snapshot.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.svg", help="where to write")
    snapshot.add_argument("--size", type=terminal_size, default=SNAPSHOT_SIZE, metavar="WxH",
                          help="terminal size in cells (default {}x{})".format(*SNAPSHOT_SIZE))
    snapshot.add_argument("--seed", type=spec_option(SEED), default=argparse.SUPPRESS, help="random seed (default 0)")
    snapshot.add_argument("--steps", type=spec_option(STEPS_OPTION), default=SNAPSHOT_STEPS, metavar="N",
                          help=f"steps (or epochs) every pane takes first (default {SNAPSHOT_STEPS})")
    snapshot.add_argument("--config", type=Path, default=argparse.SUPPRESS, metavar="FILE",
                          help="load a setup file first (every parameter and the seed; w in the app writes one)")
    serve = commands.add_parser("serve", help="serve the app in a web browser (needs the serve extra)",
                                description=f"Serve the app in a web browser with textual-serve ({SERVE_EXTRA}).")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine)")
    serve.add_argument("--port", type=port_number, default=8000, help="port to listen on (default 8000)")


def spec_option(spec: ParamSpec) -> Any:
    """An argparse type that parses and checks an option's text as spec does for `--set` and export's options.

    Its error is `bad value '-1': expected an integer in [0, ...]`; the CLI's parser words it as the
    exports do, `bad value '-1' for --seed: expected ...`, so an app flag and its export twin refuse
    a value with the same line.
    """

    def parse(text: str) -> Any:
        try:
            return spec.parse(text)
        except ParamError:
            raise argparse.ArgumentTypeError(f"bad value {text!r}: expected {spec.allowed()}") from None

    parse.__name__ = spec.name  # argparse names the type in some messages
    return parse


def terminal_size(text: str) -> tuple[int, int]:
    """`120x36` -> (120, 36), within MIN_SNAPSHOT and MAX_SNAPSHOT."""
    match = re.fullmatch(r"(\d+)[xX](\d+)", text.strip())
    size = (int(match[1]), int(match[2])) if match else None
    if size is None or not all(lo <= v <= hi for v, lo, hi in zip(size, MIN_SNAPSHOT, MAX_SNAPSHOT, strict=True)):
        raise argparse.ArgumentTypeError(
            f"bad value {text!r}: expected WxH with W in [{MIN_SNAPSHOT[0]}, {MAX_SNAPSHOT[0]}] "
            f"and H in [{MIN_SNAPSHOT[1]}, {MAX_SNAPSHOT[1]}], e.g. 120x36")
    return size


def port_number(text: str) -> int:
    """A TCP port, 1-65535."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"bad value {text!r}: expected a port, an integer in [1, 65535]")
    return int(text)


def default_fps(fps: float | None, environ: Mapping[str, str] = os.environ) -> float:
    """An explicit --fps, else fewer frames over SSH (SSH_CONNECTION is set) than locally."""
    if fps is not None:
        return fps
    return SSH_FPS if environ.get("SSH_CONNECTION") else FPS


def app_config(args: argparse.Namespace, **overrides: Any) -> Any:
    """The AppConfig of the parsed flags (imports the app package, hence Textual)."""
    from tui_dl.app import AppConfig
    from tui_dl.app.glyphs import ascii_wanted

    seed = getattr(args, "seed", None)
    values = dict(seed=SEED.default if seed is None else seed, seed_given=seed is not None,
                  fps=default_fps(args.fps), ascii=ascii_wanted(args.ascii), mouse=args.mouse,
                  demo=args.demo, language=language_of(args), lesson=lesson_start(args))
    return AppConfig(**{**values, **overrides})


def fail(message: str) -> int:
    """One line on stderr (a long quoted value shortened, as ParamError does); the exit status of bad input."""
    print(f"tui-dl: error: {ParamError(message)}", file=sys.stderr)
    return 2


# ---------------------------------------------------------------------------------------------- snapshot
def snapshot(args: argparse.Namespace) -> int:
    """Render PANE headless after --steps steps (with the --config setup and the --preset) and write the SVG.

    A bad setup file or preset stops the command with one line, as `tui-dl` does: a snapshot of the
    defaults is not what was asked for. The SVG replaces an existing file whole or not at all.
    """
    from tui_dl.app import make_app

    if Path(args.output).suffix.lower() != ".svg":  # x.png held SVG without a word
        return fail(f"bad value {str(args.output)!r} for --output: expected a file name ending in .svg (the snapshot "
                    "is SVG; a browser turns it into PNG)")
    problem = setup_and_preset_problem(args)
    if problem:
        return fail(problem)
    setup: Path | None = getattr(args, "config", None)
    app = make_app(app_config(args, autoplay=False, setup=setup, preset=getattr(args, "preset", None),
                              demo=False))  # a still: no tour
    svg = asyncio.run(render_svg(app, PANES[args.pane], args.size, args.steps))
    try:
        write_atomically(args.output, svg)
    except OSError as error:
        return fail(f"cannot write {args.output}: {error.strerror or error}")
    for note in app.setup_state.notes:
        print(f"tui-dl: note: {note}", file=sys.stderr)
    print(args.output)
    return 0


def setup_and_preset_problem(args: argparse.Namespace) -> str | None:
    """Why the --config file or the --preset cannot be used (one line), or None: checked before anything starts."""
    from tui_dl.setup.launch import setup_problem
    from tui_dl.setup.presets import unknown_preset

    preset, setup = getattr(args, "preset", None), getattr(args, "config", None)
    return (unknown_preset(preset) if preset is not None else None) or (
        setup_problem(setup) if setup is not None else None)


async def render_svg(app: Any, pane: int | None, size: tuple[int, int], steps: int, rounds: int = 10_000) -> str:
    """The SVG of app at size after every pane took `steps` steps, pane maximized (None: the dashboard)."""

    async def settle(pilot: Any) -> None:
        for _ in range(rounds):
            await app.workers.wait_for_complete()
            await pilot.pause()
            if all(runner.idle for runner in app.runners.values()):
                return

    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for runner in app.runners.values():
            runner.request(steps)
        await settle(pilot)
        if pane is not None:
            app.action_focus_pane(pane)
            app.maximized = True
        await settle(pilot)
        await pilot.pause()
        title = "tui-dl" if pane is None else f"tui-dl · {app.panes[pane].TITLE}"
        return app.export_screenshot(title=title)


# ---------------------------------------------------------------------------------------------- serve
def serve(args: argparse.Namespace) -> int:
    """Serve `tui-dl` (this interpreter, these flags) to browsers with textual-serve."""
    try:
        QuickServer = _quick_server()  # noqa: N806 (a class made on demand: textual-serve is optional)
    except ImportError:
        return fail(f"serve needs the optional textual-serve package: {SERVE_EXTRA}")
    busy = port_in_use(args.host, args.port) or setup_and_preset_problem(args)
    if busy:
        return fail(busy)
    if getattr(args, "reset", False):  # once, here: every session forgetting them again would be no use
        from tui_dl.setup.preferences import forget_preferences, preferences_path

        if forget_preferences(preferences_path()):
            print(f"tui-dl: forgot the preferences in {preferences_path()}", file=sys.stderr)
    hang_up = signal.signal(signal.SIGHUP, lambda signum, frame: os._exit(0))  # a closed terminal: stop at once
    try:
        QuickServer(served_command(args), host=args.host, port=args.port, title="tui-dl").serve()
    finally:
        signal.signal(signal.SIGHUP, hang_up)
    return 0


def _quick_server() -> type:
    """textual-serve's Server that stops at once on SIGTERM, SIGINT or SIGHUP.

    Its own stop waits for every open browser session to shut down, which did not happen: with a session
    open the server outlived SIGTERM and SIGINT, and SIGHUP left the sessions running. This one exits at
    once; each session process then gets SIGHUP from the kernel (parent_death.py) and quits.
    """
    from textual_serve.server import Server

    class QuickServer(Server):
        def request_exit(self) -> None:
            os._exit(0)

    return QuickServer


def port_in_use(host: str, port: int) -> str | None:
    """Why host:port cannot be listened on (busy, bad address), or None if it can."""
    if not host.strip():  # getaddrinfo reads '' as "every interface" or as no name at all, depending on flags
        return f"bad value {host!r} for --host: {HOST_ALLOWED}"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as error:
        reason = getattr(error, "strerror", None) or "not a host name"
        return f"bad value {host!r} for --host ({reason}): {HOST_ALLOWED}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does: TIME_WAIT is no conflict
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is already in use: pick another with --port"
            if error.errno == errno.EADDRNOTAVAIL:
                return f"bad value {host!r} for --host (not an address of this machine): {HOST_ALLOWED}"
            return f"cannot listen on {host}:{port}: {error.strerror or error}"
    return None


HOST_ALLOWED = "expected a name or address of this machine (127.0.0.1 for this machine only, 0.0.0.0 for every network)"


def served_command(args: argparse.Namespace) -> str:
    """The command each browser session runs: `tui-dl` with the same interpreter and app flags.

    textual-serve runs it through a shell; `exec` makes the app the server's own child, so a signal to
    the session and the end of the server (parent_death.py) reach the app, not a shell in between.
    """
    command = [sys.executable, "-m", "tui_dl"]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    if args.fps is not None:
        command += ["--fps", repr(args.fps)]  # the exact rate (`:g` keeps six digits)
    if args.ascii:
        command.append("--ascii")
    if not args.mouse:
        command.append("--no-mouse")
    if args.demo:
        command.append("--demo")
    if getattr(args, "config", None) is not None:  # absolute: a session need not start where the server did
        command += ["--config", str(Path(args.config).resolve())]
    if getattr(args, "preset", None) is not None:
        command += ["--preset", args.preset]
    return "exec " + shlex.join(command)
