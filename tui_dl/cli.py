"""The command line: `tui-dl` opens the app; `tui-dl export ...` writes experiment data headless.

The export path never imports textual (a test checks it), so it starts fast and runs anywhere.
Bad input ends with one line `tui-dl: error: ...` on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tui_dl import __version__, blas_threads  # noqa: F401 (blas_threads: before anything imports numpy)
from tui_dl.params import SEED, ParamError

# export target -> module with add_arguments(parser) and build(args) -> Export
EXPORT_TARGETS = {
    "schedule": ("tui_dl.export.schedule", "a learning-rate schedule's rate at each step"),
    "path": ("tui_dl.export.path", "an optimizer's path on a 2-D surface"),
    "init": ("tui_dl.export.init", "per-layer activation statistics of a deep MLP (the textbook figure)"),
    "race": ("tui_dl.export.race", "several optimizers' paths on a 2-D surface, from one or more starts"),
    "basins": ("tui_dl.export.basins", "which minimum one optimizer reaches from each start of a grid"),
    "train": ("tui_dl.export.train", "per-epoch loss and accuracy of regularization variants trained together"),
    "lr-range": ("tui_dl.export.lr_range", "the LR range test: loss while the rate grows, and a suggested rate"),
    "lr-sweep": ("tui_dl.export.lr_sweep", "rates too low, right and too high, trained side by side"),
    "schedule-race": ("tui_dl.export.schedule_race", "one network trained under several schedules at once"),
    "search": ("tui_dl.export.search", "a random search of hyperparameters, every sample trained in one batch"),
}


_OPTION_VALUE = re.compile(r"argument ([^:]+): bad value ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"): (.*)", re.S)


class _Parser(argparse.ArgumentParser):
    """argparse with our one-line error format (and its exit status 2).

    Every command says `tui-dl: error:`, and an option's bad value is worded as the exports word it,
    `bad value '-1' for --seed: expected ...` (argparse would say `argument --seed: bad value ...`).
    """

    def error(self, message: str) -> None:  # type: ignore[override]
        match = _OPTION_VALUE.fullmatch(message)
        if match:
            option = match[1].split("/")[-1]  # `-o/--output` -> `--output`
            message = f"bad value {match[2]} for {option}: {match[3]}"
        self.exit(2, f"tui-dl: error: {ParamError(message)}\n")  # a long quoted value shortened


def build_parser(export_targets: bool = True) -> argparse.ArgumentParser:
    """The full parser of `tui-dl`; without export_targets, `export` takes no target (a command line
    without the word `export` never parses one, and each target imports its part of the engine)."""
    from tui_dl import app_commands

    parser = _Parser(prog="tui-dl", description="See how neural networks learn, live in the terminal.")
    parser.add_argument("--version", action="version", version=f"tui-dl {__version__}")
    parser.add_argument("--seed", type=app_commands.spec_option(SEED),
                        help="random seed (default 0, or the setup file's; given, it wins over the file's)")
    app_commands.add_app_arguments(parser)
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="load a setup file: every parameter and the seed (w in the app writes one; "
                             "a bad file: one line, exit status 2)")
    parser.add_argument("--preset", metavar="NAME", help="start with a named preset (the palette's Preset commands)")
    parser.add_argument("--reset", action="store_true",
                        help="forget what a plain tui-dl resumes (the setup last saved with w, the theme) "
                             "and start with the defaults")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    export = commands.add_parser("export", help="write experiment data as csv or json, without the UI",
                                 description="Write experiment data as csv or json, without the UI.")
    export.add_argument("--list", action="store_true",
                        help="list every schedule, optimizer, initializer, activation and surface")
    export.add_argument("--format", dest="list_format", choices=("text", "json"), default="text",
                        help="format of --list (default text)")
    if export_targets:
        _add_export_targets(export)
    app_commands.add_commands(commands, _Parser)
    app_commands.add_lesson_command(commands)
    return parser


def _add_export_targets(export: argparse.ArgumentParser) -> None:
    from tui_dl.export.common import add_plot_options

    targets = export.add_subparsers(dest="target", parser_class=_Parser, metavar="TARGET")
    for name, (module, text) in EXPORT_TARGETS.items():
        sub = targets.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        importlib.import_module(module).add_arguments(sub)
        add_plot_options(sub)


_NEGATIVE_VALUE = re.compile(r"^-\.?\d")


def attach_negative_values(argv: Sequence[str]) -> list[str]:
    """Rewrite `--start -1.5,2` as `--start=-1.5,2`: argparse would take `-1.5,2` for an option."""
    joined: list[str] = []
    for token in argv:
        previous = joined[-1] if joined else ""
        if _NEGATIVE_VALUE.match(token) and previous.startswith("--") and "=" not in previous:
            joined[-1] = f"{previous}={token}"
        else:
            joined.append(token)
    return joined


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (130 after Ctrl+C: one line, no traceback).

    The app starts without automatic garbage collection: its passes over the objects of some 600
    imported modules and the widget tree, none of them garbage, took 25-35 ms of a 0.5 s cold start.
    The app resumes collection after its first screen update, when it freezes what the start made
    (`TuiDlApp.on_mount`); the other commands resume it once their arguments are parsed. The heavy
    imports (numpy, the engine, asyncio) are made by the functions below, inside this pause.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        with quiet_numerics():
            return _main(argv)
    except KeyboardInterrupt:
        print("tui-dl: interrupted (Ctrl+C); anything written to stdout so far is incomplete", file=sys.stderr)
        return 130
    finally:
        if collecting:
            gc.enable()


@contextmanager
def quiet_numerics() -> Iterator[None]:
    """numpy's RuntimeWarnings (overflow, invalid value, divide by zero) never reach the user's terminal.

    They name a file in site-packages and a line of our code, which tell a user nothing: what the
    numbers became is in the output (inf, nan, null) and in the notes (`diverged at step 12`).
    Restored on return, so a caller (a test) keeps its own settings.
    """
    import numpy as np

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def not_a_terminal() -> str | None:
    """Which of stdout, stdin and stderr is not a terminal (the first), or None: all are, or a Textual driver
    of its own is set (textual-serve's sessions use pipes).

    Without them the app would draw into a pipe (`tui-dl | head -1`) and spin there, read no key from a file
    (`tui-dl < /dev/null`: q never arrives, and the input thread spins at 90% of a core), or draw into
    stderr's file (Textual draws on stderr: `tui-dl 2>log` left the screen blank and the log growing).
    """
    if os.environ.get("TEXTUAL_DRIVER"):
        return None
    streams = {"stdout": sys.stdout, "stdin": sys.stdin, "stderr": sys.stderr}
    return next((name for name, stream in streams.items() if not stream.isatty()), None)


def has_terminal() -> bool:
    """The app can take the terminal (not_a_terminal)."""
    return not_a_terminal() is None


def refuse_without_terminal() -> int:
    """One line, on stderr and also on stdout when only that one is a terminal (`tui-dl 2>/dev/null`), and
    the exit status of bad input."""
    line = (f"tui-dl: error: the app needs a terminal and {not_a_terminal()} is not one: for the data use "
            "`tui-dl export ...`, for a picture `tui-dl snapshot PANE -o FILE.svg`\n")
    sys.stderr.write(line)
    if sys.stdout.isatty() and not sys.stderr.isatty():
        sys.stdout.write(line)
    return 2


def _main(argv: Sequence[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(export_targets="export" in argv)  # the app's start skips the exports' imports
    args = parser.parse_args(attach_negative_values(argv))
    if args.command in ("export", "snapshot", "serve"):  # no app start in this process to pause collection for
        gc.enable()
    from tui_dl import app_commands

    if args.command == "export":
        return _export(args, parser)
    if args.command in ("snapshot", "serve"):
        return getattr(app_commands, args.command)(args)
    if args.command == "lesson":
        try:
            start, language = app_commands.lesson_start(args), app_commands.language_of(args)
        except ParamError as error:
            return app_commands.fail(str(error))
        if args.lesson_list:
            from tui_dl.lessons.catalog import listing

            sys.stdout.write(listing(language))
            return 0
        del start  # checked before the terminal is taken; app_config computes it again
    if not has_terminal():
        return refuse_without_terminal()
    if not sys.stdout.isatty():  # a session of `tui-dl serve` (has_terminal: a driver of its own): end with it
        from tui_dl.parent_death import hang_up_with_parent

        hang_up_with_parent()
    from tui_dl.app import make_app  # textual is imported here only: `tui-dl export` stays light
    from tui_dl.setup.launch import launch_config

    config, notes = launch_config(app_commands.app_config(args), args, parser)
    app = make_app(config)
    for note in [*notes, app.setup_state.error, *app.setup_state.notes]:
        if note:
            print(f"tui-dl: {note}", file=sys.stderr)
    app.run()
    return app.return_code or 0  # 1 after a crash (Textual restores the terminal and prints it), 143 on SIGTERM


# options before the command that only the app (and snapshot, serve, lesson) take: export has --set
APP_ONLY_OPTIONS = {"config": "--config", "preset": "--preset", "reset": "--reset", "fps": "--fps",
                    "ascii": "--ascii", "mouse": "--no-mouse", "demo": "--demo", "lang": "--lang"}


def _app_options_given(args: argparse.Namespace, parser: argparse.ArgumentParser) -> list[str]:
    """The app-only options given on this command line (a value other than the default)."""
    return [option for dest, option in APP_ONLY_OPTIONS.items()
            if getattr(args, dest, None) != parser.get_default(dest)]


def _export(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from tui_dl.export import write
    from tui_dl.export.common import parse_plot_size

    if given := _app_options_given(args, parser):  # `tui-dl --config f.toml export ...` ignored the file
        parser.exit(2, f"tui-dl: error: {', '.join(given)} {'applies' if len(given) == 1 else 'apply'} to the app "
                       "(and snapshot, serve, lesson), not to export: an export takes its values with --set and "
                       "its own options (tui-dl export TARGET --help)\n")
    try:
        if args.list:
            from tui_dl.export.listing import write_listing

            write_listing(args.list_format, sys.stdout)
            return 0
        if args.target is None:
            parser.exit(2, "tui-dl: error: export needs a target: " + ", ".join(EXPORT_TARGETS) + " (or --list)\n")
        size = None if args.plot_size is None else parse_plot_size(args.plot_size)  # before the work: fail fast
        export = importlib.import_module(EXPORT_TARGETS[args.target][0]).build(args)
        if args.plot or size is not None:
            from tui_dl.export.plots import write_chart  # loads plotext: only when a chart is asked for

            write_chart(export, args.target, sys.stdout, size)
        else:
            write(export, args.format, sys.stdout)
        sys.stdout.flush()
    except ParamError as error:
        print(f"tui-dl: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `tui-dl export ... | head`
        sys.stderr.close()
        return 0
    for note in export.notes:
        print(f"tui-dl: note: {note}", file=sys.stderr)
    return 0
