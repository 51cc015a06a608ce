"""`tui-dl snapshot` writes a valid SVG of a pane; `tui-dl serve` checks its port and its extra before serving.

No server is started: textual-serve's Server is replaced by a stand-in that records how it was called.
"""

from __future__ import annotations

import re
import socket
import sys
import types
import xml.etree.ElementTree as ET

import pytest

from tui_dl import cli
from tui_dl.app_commands import SERVE_EXTRA

SVG = "{http://www.w3.org/2000/svg}"


def svg_text(path) -> str:
    """All text drawn in the SVG (parsing it proves it is well-formed XML)."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return "".join("".join(node.itertext()) for node in root.iter(f"{SVG}text")).replace("\xa0", " ")


def test_snapshot_writes_the_maximized_pane(tmp_path, capsys):
    out = tmp_path / "paths.svg"
    assert cli.main(["snapshot", "paths", "--size", "90x28", "--steps", "7", "--seed", "5", "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    text = svg_text(out)
    assert "Optimizer paths: step 7/100" in text  # the pane in view, after the steps asked for
    assert "2 Initialization" in text  # the tab strip of a maximized pane
    assert "seed 5" in text


def test_snapshot_of_the_dashboard_in_ascii(tmp_path):
    out = tmp_path / "dashboard.svg"
    assert cli.main(["--ascii", "snapshot", "dashboard", "--steps", "3", "-o", str(out)]) == 0
    text = svg_text(out)
    assert all(title in text for title in ("Learning rate", "Initialization", "Overfitting", "Optimizer paths"))
    assert text.isascii()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["snapshot", "histogram", "-o", "x.svg"], "invalid choice: 'histogram'"),
        (["snapshot", "lr", "--size", "30x10", "-o", "x.svg"], "bad value '30x10' for --size"),
        (["snapshot", "lr", "--size", "wide", "-o", "x.svg"], "bad value 'wide' for --size"),
        (["snapshot", "lr", "--steps", "0", "-o", "x.svg"], "bad value '0'"),
        (["snapshot", "lr"], "the following arguments are required: -o/--output"),
        (["serve", "--port", "70000"], "bad value '70000' for --port"),
    ],
)
def test_bad_arguments_get_one_line_and_status_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_snapshot_named_other_than_svg_is_refused(tmp_path, capsys):
    """-o x.png wrote SVG into x.png without a word."""
    out = tmp_path / "x.png"
    assert cli.main(["snapshot", "lr", "-o", str(out)]) == 2
    assert capsys.readouterr().err == (f"tui-dl: error: bad value '{out}' for --output: expected a file name ending "
                                       "in .svg (the snapshot is SVG; a browser turns it into PNG)\n")
    assert not out.exists()


def test_snapshot_loads_the_setup_file_first(tmp_path, capsys):
    from tui_dl.app.runner import make_models
    from tui_dl.setup.file import save_setup

    models = make_models()
    models["paths"].set("surface", "rosenbrock")
    setup = save_setup(tmp_path / "talk.toml", 9, models)
    out = tmp_path / "paths.svg"
    assert cli.main(["snapshot", "paths", "--steps", "2", "--config", str(setup), "-o", str(out)]) == 0
    text = svg_text(out)
    assert re.search(r"surface +rosenbrock ", text) and "seed 9" in text  # the file's surface and seed


def test_snapshot_with_a_bad_setup_file_is_one_line_and_status_2(tmp_path, capsys):
    setup = tmp_path / "bad.toml"
    setup.write_text('seed = 1\n\n[optimizer_paths]\nsurface = "saddle_of_doom"\n')
    out = tmp_path / "x.svg"
    assert cli.main(["snapshot", "paths", "--config", str(setup), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tui-dl: error: {setup}:4: ") and "saddle_of_doom" in err and err.count("\n") == 1
    assert not out.exists()


def test_snapshot_into_a_missing_folder_is_one_line(tmp_path, capsys):
    assert cli.main(["snapshot", "init", "--steps", "1", "-o", str(tmp_path / "no" / "x.svg")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tui-dl: error: cannot write") and err.count("\n") == 1


@pytest.fixture
def server(monkeypatch):
    """textual_serve.server.Server replaced by a recorder: the calls that would have served."""
    calls: list[dict] = []

    class Server:
        def __init__(self, command, host, port, title):
            calls.append(dict(command=command, host=host, port=port, title=title))

        def serve(self):
            calls[-1]["served"] = True

    module = types.ModuleType("textual_serve.server")
    module.Server = Server
    monkeypatch.setitem(sys.modules, "textual_serve", types.ModuleType("textual_serve"))
    monkeypatch.setitem(sys.modules, "textual_serve.server", module)
    return calls


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_runs_this_interpreters_tui_dl_on_localhost(server):
    port = free_port()
    assert cli.main(["--seed", "4", "--ascii", "serve", "--port", str(port)]) == 0
    (call,) = server
    assert call["host"] == "127.0.0.1" and call["port"] == port and call["served"]
    assert call["command"].split() == ["exec", sys.executable, "-m", "tui_dl", "--seed", "4", "--ascii"]


def test_serve_passes_every_app_flag_to_its_sessions(server, tmp_path, monkeypatch):
    from tui_dl.app.runner import make_models
    from tui_dl.setup.file import save_setup

    monkeypatch.chdir(tmp_path)
    save_setup(tmp_path / "talk.toml", 9, make_models())
    argv = ["--seed", "4", "--fps", "12.5", "--no-mouse", "--demo", "--config", "talk.toml",
            "--preset", "paths-rosenbrock-valley", "serve", "--port", str(free_port())]
    assert cli.main(argv) == 0
    (call,) = server
    assert call["command"].split() == ["exec", sys.executable, "-m", "tui_dl", "--seed", "4", "--fps", "12.5",
                                       "--no-mouse", "--demo", "--config", str(tmp_path / "talk.toml"),
                                       "--preset", "paths-rosenbrock-valley"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--preset", "nope"], "tui-dl: error: unknown preset 'nope': expected one of: lr-adam-restarts-vs-step-vs-"),
    (["--config", "missing.toml"],
     "tui-dl: error: missing.toml: not found: expected a setup file (.toml, as w writes one)"),
])
def test_serve_refuses_a_bad_setup_or_preset_before_serving(server, capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    assert cli.main([*argv, "serve", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert server == []


def test_snapshot_takes_the_preset_and_refuses_an_unknown_one(tmp_path, capsys):
    out = tmp_path / "paths.svg"
    assert cli.main(["--preset", "paths-rosenbrock-valley", "snapshot", "paths", "--steps", "2", "-o", str(out)]) == 0
    assert re.search(r"surface +rosenbrock ", svg_text(out))
    assert cli.main(["--preset", "nope", "snapshot", "paths", "-o", str(tmp_path / "x.svg")]) == 2
    assert capsys.readouterr().err.startswith("tui-dl: error: unknown preset 'nope': expected one of: ")
    assert not (tmp_path / "x.svg").exists()


def test_serve_refuses_a_busy_port(server, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli.main(["serve", "--port", str(port)]) == 2
    assert capsys.readouterr().err == (
        f"tui-dl: error: port {port} on 127.0.0.1 is already in use: pick another with --port\n")
    assert server == []


@pytest.mark.parametrize(("host", "why"), [
    ("", ""),  # said "cannot listen on : Name or service not known"
    (" ", ""),
    ("192.0.2.1", " (not an address of this machine)"),  # TEST-NET-1: never an address of a test machine
    ("a" * 300, " (not a host name)"),
])
def test_serve_refuses_a_bad_host_naming_it_and_what_is_allowed(server, capsys, host, why):
    assert cli.main(["serve", "--host", host, "--port", str(free_port())]) == 2
    shown = repr(host) if len(host) <= 80 else f"'{'a' * 40}…' (300 characters)"
    assert capsys.readouterr().err == (
        f"tui-dl: error: bad value {shown} for --host{why}: expected a name or address of this machine "
        "(127.0.0.1 for this machine only, 0.0.0.0 for every network)\n")
    assert server == []


def test_serve_without_the_extra_names_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "textual_serve", None)  # import textual_serve -> ImportError
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err == f"tui-dl: error: serve needs the optional textual-serve package: {SERVE_EXTRA}\n"
    assert "tui-dl[serve]" in err


def test_no_binding_uses_keys_that_browsers_swallow():
    from tui_dl.app.app import TuiDlApp
    from tui_dl.app.help import HelpScreen
    from tui_dl.app.panes import PANES
    from tui_dl.app.widgets.formula import FormulaScreen
    from tui_dl.app.widgets.param_panel import ParamPanel

    owners = [TuiDlApp, HelpScreen, FormulaScreen, ParamPanel, *PANES]
    keys = {key.strip() for owner in owners for binding in owner.BINDINGS
            for key in (binding.key if hasattr(binding, "key") else binding[0]).split(",")}
    assert "q" in keys and "n" in keys  # the bindings were read
    assert keys.isdisjoint({"ctrl+w", "ctrl+t", "ctrl+n", "ctrl+tab", "ctrl+shift+t", "ctrl+shift+w"})


def test_snapshot_s_seed_wins_over_the_setup_file_s(tmp_path):
    setup = tmp_path / "setup.toml"
    setup.write_text("seed = 5\n[optimizer_paths]\nsteps = 20\n")
    for argv, seed in ((["--seed", "7"], 7), ([], 5), (["--seed", "0"], 0)):
        out = tmp_path / "paths.svg"
        assert cli.main(["snapshot", "paths", "--config", str(setup), *argv, "-o", str(out)]) == 0
        assert re.search(rf"tui-dl seed {seed}\D", svg_text(out))
