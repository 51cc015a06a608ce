"""Every way to edit a parameter: nudges (log, linear, int, choice, bool), typed values, bad values, limits."""

from __future__ import annotations

import numpy as np
import pytest


def row(app, kind: str, key: str):
    return next(r for r in app.runners[kind].model.rows() if r.key == key)


def panel(app):
    return app.current_pane.panel


async def select(drive, pilot, app, key: str) -> None:
    """Move the current panel's selection to key with the down key."""
    for _ in range(len(panel(app).rows)):
        if panel(app).selected.key == key:
            return
        await drive.press(pilot, "down")
    raise AssertionError(f"no row {key}")


def test_nudges_step_logs_ints_and_choices_and_restart_from_zero(drive):
    async def scenario(pilot, app):
        runner = app.runners["lr"]
        await drive.press(pilot, "n", "n")
        generation = runner.generation
        await drive.press(pilot, "right")  # steps: a log-scale int, 1000 -> 2000
        assert row(app, "lr", "steps").value == 2000
        assert runner.horizon == 2000 and runner.position == 0 and runner.generation == generation + 1
        assert runner.seed == 0
        await select(drive, pilot, app, "slot.1.initial_learning_rate")
        await drive.press(pilot, "l")  # 1e-3 -> 2e-3 (1-2-5)
        assert row(app, "lr", "slot.1.initial_learning_rate").value == 0.002
        await drive.press(pilot, "h", "minus")  # -> 1e-3 -> 5e-4
        assert row(app, "lr", "slot.1.initial_learning_rate").value == 0.0005
        await drive.press(pilot, "plus", "equals_sign")  # -> 1e-3 -> 2e-3
        assert row(app, "lr", "slot.1.initial_learning_rate").value == 0.002
        np.testing.assert_allclose(runner.frame.rates[0, 0], 0.002)

    drive.run(scenario)


def test_choice_cycles_and_keeps_the_rate_across_frameworks(drive):
    async def scenario(pilot, app):
        await select(drive, pilot, app, "slot.1.schedule")
        await drive.press(pilot, "right")  # cosine_decay_restarts -> step_lr (catalogue order)
        assert row(app, "lr", "slot.1.schedule").value == "step_lr"
        assert row(app, "lr", "slot.1.lr").value == 0.001  # Keras's initial_learning_rate became torch's lr
        assert app.runners["lr"].frame.labels[0] == "1 StepLR"
        await drive.press(pilot, "left", "left")
        assert row(app, "lr", "slot.1.schedule").value == "cosine_decay"

    drive.run(scenario)


def test_bool_toggles(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "4")
        await select(drive, pilot, app, "racer.1.nesterov")
        await drive.press(pilot, "right")
        assert row(app, "paths", "racer.1.nesterov").value is True

    drive.run(scenario)


def test_typed_value_applies_in_a_maximized_pane(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "4", "z")
        await select(drive, pilot, app, "racer.4.lr")
        await drive.press(pilot, "enter")
        field = panel(app).query_one("Input")
        assert app.focused is field and field.value == "0.3"
        field.value = ""
        await drive.press(pilot, *"0.05", "enter")
        assert row(app, "paths", "racer.4.lr").value == 0.05
        assert app.focused is panel(app) and not panel(app).error
        assert app.runners["paths"].model.config().racers[3].params["lr"] == 0.05

    drive.run(scenario)


def test_bad_typed_value_shows_one_line_error_and_keeps_the_old_value(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "4", "z")
        await select(drive, pilot, app, "racer.1.lr")
        generation = app.runners["paths"].generation
        await drive.press(pilot, "enter")
        panel(app).query_one("Input").value = ""
        await drive.press(pilot, *"abc", "enter")
        assert panel(app).error == "bad value 'abc' for lr: expected a float in [0, inf)"
        assert "\n" not in panel(app).error
        assert panel(app).query_one("#error").has_class("-shown")
        assert row(app, "paths", "racer.1.lr").value == 0.95
        assert app.runners["paths"].generation == generation  # nothing restarted
        await drive.press(pilot, "down")  # moving on clears the error
        assert not panel(app).error

    drive.run(scenario)


def test_an_integer_past_the_float_range_is_refused_not_a_crash(drive):
    """400 nines typed into a value ended the app with an OverflowError (seventh tester)."""
    async def scenario(pilot, app):
        await drive.press(pilot, "4", "z")
        for key, allowed in (("steps", "an integer in ["), ("racer.1.lr", "a float in [0, inf)")):
            await select(drive, pilot, app, key)
            before = row(app, "paths", key).value
            await drive.press(pilot, "enter")
            panel(app).query_one("Input").value = "9" * 400
            await drive.press(pilot, "enter")
            name = key.split(".")[-1]
            assert panel(app).error.startswith(f"bad value '{'9' * 40}…' (400 characters) for {name}: "
                                               f"expected {allowed}")
            assert row(app, "paths", key).value == before
        assert app.is_running

    drive.run(scenario)


def test_escape_cancels_typing(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "z", "enter")
        assert panel(app).editing
        await drive.press(pilot, "9", "escape")
        assert not panel(app).editing and app.focused is panel(app) and app.maximized
        assert row(app, "lr", "steps").value == 1000

    drive.run(scenario)


def test_a_bad_combination_is_refused_with_the_frameworks_reason(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "z")
        await select(drive, pilot, app, "slot.1.schedule")
        for _ in range(40):  # cycle to one_cycle_lr
            if row(app, "lr", "slot.1.schedule").value == "one_cycle_lr":
                break
            await drive.press(pilot, "right")
        await select(drive, pilot, app, "slot.1.pct_start")
        await drive.press(pilot, "enter")
        panel(app).query_one("Input").value = ""
        await drive.press(pilot, *"0.0005", "enter")  # 0.0005 * 1000 steps - 1 <= 0: no warmup phase
        assert "bad pct_start" in panel(app).error
        assert row(app, "lr", "slot.1.pct_start").value == 0.3

    drive.run(scenario)


def test_limits_lists_and_none_explain_themselves(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "4")
        await select(drive, pilot, app, "racers")
        await drive.press(pilot, "right", "right", "right")  # 4 -> 6, then the limit
        assert row(app, "paths", "racers").value == 6
        assert "at its limit" in panel(app).error
        await select(drive, pilot, app, "racer.4.betas")
        await drive.press(pilot, "right")
        assert "is a list: press enter to type it" in panel(app).error
        await drive.press(pilot, "3")
        await select(drive, pilot, app, "patience")
        await drive.press(pilot, "right")
        assert "is none: press enter to type a value" in panel(app).error

    drive.run(scenario)


def test_optional_and_list_values_can_be_typed(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "3", "z")
        await select(drive, pilot, app, "hidden")
        await drive.press(pilot, "enter")
        panel(app).query_one("Input").value = ""
        await drive.press(pilot, *"20,20", "enter")
        assert row(app, "train", "hidden").value == (20, 20)
        await select(drive, pilot, app, "variant.2")
        await drive.press(pilot, "enter")
        panel(app).query_one("Input").value = ""
        await drive.press(pilot, *"l2=5e-4+dropout=0.1", "enter")
        assert app.runners["train"].frame.snapshot.labels[1] == "L2 5e-4 + dropout 0.1"

    drive.run(scenario)


def test_start_point_mode_moves_the_start_with_arrows_and_hjkl(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "4", "m")
        pane = app.current_pane
        assert pane.start_mode and panel(app).locked
        selected = panel(app).index
        await drive.press(pilot, "left", "up", "l", "l", "j")
        assert panel(app).index == selected  # the arrows moved the start, not the selection
        race = app.runners["paths"].frame.race
        np.testing.assert_allclose(race.path[0, 0], [-7 + 0.5, 2.0])  # steps of 1/40 of the 20 x 10 view
        await drive.press(pilot, "escape")
        assert not pane.start_mode and not panel(app).locked and not app.maximized
        await drive.press(pilot, "down")
        assert panel(app).index == selected + 1

    drive.run(scenario)


def test_surface_change_moves_the_start_to_the_new_surfaces(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "4", "right")  # quadratic -> rosenbrock
        frame = app.runners["paths"].frame
        assert frame.race.surface == "rosenbrock"
        np.testing.assert_array_equal(frame.race.path[0, 0], [-1.2, 1.0])
        np.testing.assert_array_equal(frame.minima, [[1.0, 1.0]])

    drive.run(scenario)


def test_a_long_label_widens_the_label_column_so_every_value_stays_in_one_column():
    from tui_dl.app.widgets.param_panel import row_text

    lines = [row_text(label, value, 40, labels=len("batch_norm_momentum")) for label, value in
             (("lr", "0.003"), ("batch_norm_momentum", "0.99"), ("initial_accumulator_value", "0.1"))]
    starts = [line.index(value) for line, value in zip(lines, ("0.003", "0.99", "0.1"), strict=True)]
    assert starts[0] == starts[1] == 21 and all(len(line) == 40 for line in lines[:2])
    assert lines[2].strip().endswith("0.1")  # longer than the column: its value still shows


def test_keys_typed_in_one_burst_act_where_the_key_before_them_moved_the_focus(drive):
    """`4v` typed fast went to pane 1 (Textual moves the focus on a later turn of the message loop), and
    so did a value typed right after enter."""
    async def scenario(pilot, app):
        views = [pane.view for pane in app.panes]
        await drive.burst(pilot, ["4", "v"])
        assert app.current == 3 and app.focused is app.panes[3].panel
        assert [pane.view for pane in app.panes[:3]] == views[:3] and app.panes[3].view != views[3]
        await drive.burst(pilot, ["1", "z", "enter", "end", "backspace", "enter"])  # steps 1000 -> 100
        assert not panel(app).editing and app.focused is panel(app)
        assert row(app, "lr", "steps").value == 100

    drive.run(scenario)


def test_editing_keys_typed_in_one_burst_with_the_enter_that_opens_the_input_act_in_order(drive):
    """`enter ctrl+u 200,200 enter` typed at once gave "bad value ''": the input's own bindings (ctrl+u,
    end, home) ran when the key had bubbled up to the app, after the characters typed behind them."""
    async def scenario(pilot, app):
        await drive.press(pilot, "3", "z")
        await select(drive, pilot, app, "hidden")
        await drive.burst(pilot, ["enter", "ctrl+u", *"200,200", "enter"])
        assert row(app, "train", "hidden").value == (200, 200) and panel(app).error == ""
        await drive.burst(pilot, ["enter", "end", "backspace", "backspace", *"10", "home", "delete", "3", "enter"])
        assert row(app, "train", "hidden").value == (300, 210)
        await drive.burst(pilot, ["enter", "home", "right", "ctrl+k", "enter"])  # ctrl+k deletes to the end
        assert row(app, "train", "hidden").value == (3,)
        assert not panel(app).editing and app.focused is panel(app)

    drive.run(scenario)


def test_nudges_typed_in_one_burst_each_take_a_step(drive):
    """Six `right` typed at once moved steps 100 -> 200 (eighth tester): each nudge started from the row's
    value, which the app had not yet updated; in start mode 20 moves moved the start 4 times."""
    async def scenario(pilot, app):
        await drive.press(pilot, "4", "z")
        await select(drive, pilot, app, "steps")
        assert row(app, "paths", "steps").value == 100
        await drive.burst(pilot, ["right"] * 4 + ["plus", "l"])  # 1-2-5 steps: 200, 500, ..., 10000
        assert row(app, "paths", "steps").value == 10000
        await drive.burst(pilot, ["left", "minus"])
        assert row(app, "paths", "steps").value == 2000
        await drive.press(pilot, "m")
        x = row(app, "paths", "start_x")
        start, step = x.value, x.spec.nudge(x.value, 1) - x.value
        await drive.burst(pilot, ["right"] * 5)
        assert row(app, "paths", "start_x").value == pytest.approx(start + 5 * step)

    drive.run(scenario)


def test_pane_keys_typed_in_one_burst_each_move_one_pane(drive):
    """`tab tab` at once ended on pane 2: the focus event of the first move reached the app after the second."""
    async def scenario(pilot, app):
        await drive.burst(pilot, ["tab", "tab"])
        assert app.current == 2 and app.focused is app.panes[2].panel
        await drive.burst(pilot, ["tab", "tab", "tab"])
        assert app.current == 1
        await drive.burst(pilot, ["shift+tab", "3", "tab", "1", "tab", "tab"])
        assert app.current == 2 and app.focused is app.panes[2].panel

    drive.run(scenario)


def test_tab_typed_while_a_value_is_typed_leaves_the_input_and_takes_no_value_to_the_next_pane(drive):
    """`enter ctrl+u 300 tab` then enter: tab (a priority binding) moved the focus to pane 4 with the input still
    open, and the next enter applied 300 to pane 4's row (`bad value '300' for surface`)."""
    async def scenario(pilot, app):
        await drive.press(pilot, "3", "z")
        await select(drive, pilot, app, "dataset.train_samples")
        await drive.burst(pilot, ["enter", "ctrl+u", *"300", "tab"])
        assert app.current == 3 and row(app, "train", "dataset.train_samples").value == 150
        assert not app.panes[2].panel.editing and app.focused is app.panes[3].panel
        settings = dict(app.runners["paths"].model.settings)
        await drive.burst(pilot, ["enter", "escape"])  # pane 4's own input, closed again
        assert app.runners["paths"].model.settings == settings and panel(app).error == ""

    drive.run(scenario)


def test_the_command_palette_key_waits_for_the_keys_typed_before_it(drive):
    """`enter ctrl+p` at once: ctrl+p (a priority binding) opened the palette before enter was handled, and
    enter then ran the palette's first command (an export)."""
    from textual.command import CommandPalette

    from tui_dl.app.widgets.param_panel import ValueInput

    async def scenario(pilot, app):
        await drive.press(pilot, "3", "z")
        await drive.burst(pilot, ["enter", "ctrl+p"])
        assert isinstance(app.screen, CommandPalette) and list(drive.export_dir.glob("*")) == []  # no export
        await drive.burst(pilot, ["escape"])  # back to the value input, still open
        assert panel(app).editing and isinstance(app.focused, ValueInput)

    drive.run(scenario)


def test_a_value_typed_in_one_burst_with_enter_and_the_keys_after_it(drive):
    """`enter moons enter` typed at once left spiral (the letters went to the panel; n and s of moons
    stepped and changed the seed); `enter down` applied the value to the row below."""
    async def scenario(pilot, app):
        await drive.press(pilot, "3", "z")
        await select(drive, pilot, app, "dataset")
        seed, index = app.seed, panel(app).index
        await drive.burst(pilot, ["enter", *"moons", "enter", "down", "down"])
        assert row(app, "train", "dataset").value == "moons" and app.seed == seed
        assert panel(app).index == index + 2 and not panel(app).editing and app.focused is panel(app)
        await drive.burst(pilot, ["up", "up", "enter", *"xor", "escape", "down"])
        assert row(app, "train", "dataset").value == "moons" and panel(app).index == index + 1
        assert not panel(app).editing and app.focused is panel(app)

    drive.run(scenario)
