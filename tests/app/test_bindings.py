"""Every global binding, through make_app with the clock off and time moved by the step key."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np

SIZE = (120, 36)


def status_text(app) -> str:
    return str(app.query_one("#status").content)


def test_start_shows_every_pane_at_step_zero_paused(drive):
    async def scenario(pilot, app):
        assert {kind: r.position for kind, r in app.runners.items()} == {"lr": 0, "init": 0, "train": 0, "paths": 0}
        assert all(pane.frame is app.runners[pane.KIND].frame for pane in app.panes)
        assert "seed 0" in status_text(app) and "paused" in status_text(app)
        assert app.current == 0 and app.focused is app.panes[0].panel

    drive.run(scenario)


def test_n_steps_every_pane_once_and_pauses(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "space")
        assert not app.paused
        await drive.press(pilot, "n", "n")
        assert app.paused
        assert {kind: r.position for kind, r in app.runners.items()} == {"lr": 2, "init": 2, "train": 2, "paths": 2}
        race = app.runners["paths"].frame.race
        assert race.path.shape[0] == 3  # the start and two steps
        # SGD at lr 0.95 on x^2/20 + y^2 from (-7, 2): x <- x (1 - 0.95/10), y <- y (1 - 2 * 0.95)
        np.testing.assert_allclose(race.path[1, 0], [-7 * (1 - 0.95 / 10), 2 * (1 - 2 * 0.95)], rtol=1e-12)

    drive.run(scenario)


def test_space_toggles_the_clock(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "space")
        assert not app.paused and "running" in status_text(app)
        await drive.press(pilot, "space")
        assert app.paused and "paused" in status_text(app)

    drive.run(scenario)


def test_brackets_change_the_current_panes_speed(drive):
    async def scenario(pilot, app):
        runner = app.runners["lr"]
        assert runner.speed == 5 and "5 steps/frame" in status_text(app)
        await drive.press(pilot, "right_square_bracket")
        assert runner.speed == 10 and "10 steps/frame" in status_text(app)
        await drive.press(pilot, "left_square_bracket", "left_square_bracket")
        assert runner.speed == 2
        assert app.runners["paths"].speed == 0.5  # other panes keep theirs

    drive.run(scenario)


def test_clock_ticks_take_speed_steps_per_frame(drive):
    async def scenario(pilot, app):
        app.paused = False
        for _ in range(4):  # four frames of the clock, as the timer would call them
            app._tick()
            await drive.settle(pilot)
        assert app.runners["lr"].position == 20  # 5 steps a frame
        assert app.runners["paths"].position == 2  # 1/2 step a frame
        assert app.runners["train"].position == 4

    drive.run(scenario)


def test_r_restarts_the_current_pane_with_the_same_numbers(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "3", "n", "n", "n")
        first = app.runners["train"].frame.snapshot.val_loss.copy()
        generation = app.runners["train"].generation
        await drive.press(pilot, "r")
        assert app.runners["train"].position == 0 and app.runners["train"].generation == generation + 1
        assert app.runners["lr"].position == 3  # only the current pane restarts
        await drive.press(pilot, "n", "n", "n")
        np.testing.assert_array_equal(app.runners["train"].frame.snapshot.val_loss, first)

    drive.run(scenario)


def test_s_moves_to_the_next_seed_and_restarts_every_pane(drive):
    async def scenario(pilot, app):
        before = app.runners["train"].frame.snapshot.x_train.copy()
        await drive.press(pilot, "n", "s")
        assert app.seed == 1 and "seed 1" in status_text(app)
        assert all(r.seed == 1 and r.position == 0 for r in app.runners.values())
        assert not np.array_equal(app.runners["train"].frame.snapshot.x_train, before)

    drive.run(scenario)


def test_f_opens_the_formula_panel_and_copies_code(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "f")
        screen = app.screen
        assert type(screen).__name__ == "FormulaScreen"
        assert "CosineDecayRestarts" in screen.description.keras
        await drive.press(pilot, "k")
        assert app.clipboard == screen.description.keras
        await drive.press(pilot, "p")
        assert app.clipboard.startswith("torch.optim.lr_scheduler.")
        await drive.press(pilot, "escape")
        assert type(app.screen).__name__ != "FormulaScreen"

    drive.run(scenario)


def test_e_writes_the_current_panes_frame(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "4", "n", "e")
        written = json.loads((drive.export_dir / "tui-dl-paths-seed0-1.json").read_text())
        assert written["pane"] == "paths" and written["frame"]["race"]["labels"] == ["SGD", "Momentum", "AdaGrad",
                                                                                    "Adam"]
        assert written["frame"]["race"]["path"][0][0] == [-7.0, 2.0]

    drive.run(scenario)


def test_e_writes_a_screenshot_beside_the_data_and_never_overwrites(drive):
    svg_ns = "{http://www.w3.org/2000/svg}"

    async def scenario(pilot, app):
        await drive.press(pilot, "2", "n", "n", "e", "e")
        messages = [note.message for note in app._notifications]
        for stem in ("tui-dl-init-seed0-2", "tui-dl-init-seed0-2-2"):  # the second `e`: a fresh pair, -2
            svg, data = drive.export_dir / f"{stem}.svg", drive.export_dir / f"{stem}.json"
            root = ET.parse(svg).getroot()  # well-formed XML
            assert root.tag == f"{svg_ns}svg"
            drawn = "".join("".join(node.itertext()) for node in root.iter(f"{svg_ns}text")).replace("\xa0", " ")
            assert "Initialization" in drawn and "seed 0" in drawn
            assert json.loads(data.read_text())["position"] == 2
            assert any(f"wrote {svg}" in m and f"wrote {data}" in m for m in messages)
        assert len(list(drive.export_dir.iterdir())) == 4

    drive.run(scenario)


def test_question_mark_lists_every_binding_and_q_quits_from_it(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
        listed = app.screen.listing()
        for word in ("Pause", "one step", "fewer steps", "maximize", "start-point mode", "type an exact value",
                     "decision regions", "log rate axis", "Command palette"):
            assert word.lower() in listed.lower(), word
        await drive.press(pilot, "escape")
        assert type(app.screen).__name__ != "HelpScreen"
        await pilot.press("question_mark", "q")
        await pilot.pause()

    app = drive.run(scenario)
    assert app.return_code == 0 and not app.is_running


def test_ctrl_q_quits_from_the_formula_panel(drive):
    async def scenario(pilot, app):
        await pilot.press("f", "ctrl+q")
        await pilot.pause()

    app = drive.run(scenario)
    assert not app.is_running


def test_q_quits(drive):
    async def scenario(pilot, app):
        await pilot.press("q")
        await pilot.pause()

    app = drive.run(scenario)
    assert not app.is_running


def test_tab_shift_tab_and_digits_focus_panes(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "tab")
        assert app.current == 1 and app.focused is app.panes[1].panel
        await drive.press(pilot, "shift+tab", "shift+tab")
        assert app.current == 3 and app.panes[3].has_class("-current")
        await drive.press(pilot, "2")
        assert app.current == 1 and "Initialization" in status_text(app)
        assert [p.has_class("-current") for p in app.panes] == [False, True, False, False]

    drive.run(scenario)


def test_z_enter_and_escape_maximize_and_restore(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "4", "z")
        assert app.maximized and app.screen.has_class("-single")
        assert [p.display for p in app.panes] == [False, False, False, True]
        await drive.press(pilot, "z")
        assert not app.maximized and all(p.display for p in app.panes)
        await drive.press(pilot, "enter")  # in the dashboard enter maximizes
        assert app.maximized
        await drive.press(pilot, "escape")
        assert not app.maximized

    drive.run(scenario)


def test_cli_launches_the_app_with_seed_and_fps(monkeypatch):
    from tui_dl import cli
    from tui_dl.app.app import TuiDlApp

    launched = []
    monkeypatch.setattr(TuiDlApp, "run", lambda self: launched.append(self.config))
    monkeypatch.setattr(cli, "has_terminal", lambda: True)
    assert cli.main(["--seed", "3", "--fps", "12"]) == 0
    assert launched[0].seed == 3 and launched[0].fps == 12 and launched[0].autoplay


def test_command_palette_runs_actions_and_presets(drive):
    from textual.command import CommandList

    async def choose(pilot, app, words: str, title: str) -> None:
        """Open the palette, type words, wait until the first hit is the command titled title, run it."""
        await drive.press(pilot, "ctrl+p")
        await pilot.press(*words)

        def first_hit() -> str:
            hits = app.screen.query_one(CommandList)
            return str(hits.get_option_at_index(0).prompt) if hits.option_count else ""

        await drive.wait_for(pilot, lambda: title in first_hit())
        await drive.press(pilot, "enter")

    async def scenario(pilot, app):
        await choose(pilot, app, "new seed", "New seed")
        assert app.seed == 1
        await choose(pilot, app, "rosenbrock", "Rosenbrock valley")
        assert app.runners["paths"].model.settings["surface"] == "rosenbrock" and app.current == 3
        await choose(pilot, app, "paths: view", "Optimizer paths: View")
        assert app.panes[3].view == "loss"

    drive.run(scenario)


def test_after_the_largest_seed_s_goes_to_0_so_that_a_file_w_writes_loads_again(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "s")
        assert app.seed == 0 and all(runner.seed == 0 for runner in app.runners.values())

    drive.run(scenario, seed=9223372036854775807)
