"""Every view of every pane draws a picture, never exception text: at step 0, paused, stepped, right
after a restart, after a seed change, and with each pane's toggles.

A view asked to draw a run that has no steps yet (or none any more) says so in words ("computing...",
"nothing to draw yet"); `cannot draw: TypeError ...` or `error: ...` on screen is a bug. The states
are checked both at once (after the key, before the workers are back) and settled.
"""

from __future__ import annotations

from tui_dl.app.widgets.plot import CanvasWidget

# per pane: the keys that change how it draws besides v (each pressed once, then again to undo)
TOGGLES = {"lr": ["g"], "init": ["c"], "train": ["g", "b"], "paths": []}
STATES = (["n", "r"], ["n", "s"], ["space", "space"])


def exception_text(app) -> list[str]:
    """What every pane shows that looks like an exception: plots saying `cannot draw`, notes saying `error`."""
    found = []
    for pane in app.panes:
        for widget in pane.query(CanvasWidget):
            if widget.display and widget.data is not None:
                lines = [line.strip() for line in widget.lines() if "cannot draw" in line]
                found += [f"{pane.KIND}/{pane.view}: {line}" for line in lines]
        note = str(pane.query_one("#note").content)
        if "error" in note.lower() or "Traceback" in note:
            found.append(f"{pane.KIND}/{pane.view}: {note}")
    return found


async def check_states(drive, pilot, app, where: str, states=STATES) -> None:
    """Each state's keys, looked at right after each key (its messages handled, workers still out) and settled."""
    for keys in states:
        for key in keys:
            await drive.tap(pilot, key)
            assert not exception_text(app), (where, keys, "at once", exception_text(app))
        await drive.settle(pilot)
        assert not exception_text(app), (where, keys, exception_text(app))


def test_every_view_of_every_pane_draws_at_step_0_paused_restarted_and_after_a_new_seed(drive):
    async def scenario(pilot, app):
        assert app.paused and not exception_text(app)  # step 0, the clock off
        for index, pane in enumerate(app.panes):
            await drive.press(pilot, str(index + 1))
            for _ in pane.VIEWS:
                await check_states(drive, pilot, app, f"{pane.KIND}/{pane.view}")
                for toggle in TOGGLES[pane.KIND]:
                    await drive.press(pilot, toggle)
                    await check_states(drive, pilot, app, f"{pane.KIND}/{pane.view} after {toggle}", STATES[:1])
                await drive.press(pilot, "v")
                await drive.settle(pilot)
                assert not exception_text(app), (pane.KIND, pane.view, exception_text(app))
            assert pane.view == pane.VIEWS[0]

    drive.run(scenario)


def test_a_schedule_shorter_than_the_race_is_left_out_with_a_reason_not_an_error(drive):
    """A one-cycle of 1000 steps in a race of 10000: the slot sits out, named in the legend; the others race."""

    async def scenario(pilot, app):
        model = app.runners["lr"].model
        for key, value in (("steps", 10_000), ("slot.4.schedule", "one_cycle_lr"), ("slot.4.total_steps", 1000)):
            model.set(key, value)
        app._restart("lr")
        await drive.settle(pilot)
        await drive.press(pilot, "v")  # the race
        await drive.steps(pilot, 1)
        runner, pane = app.runners["lr"], app.panes[0]
        assert runner.error is None and pane.view == "race" and not exception_text(app)
        assert runner.frame.slots == (0, 1, 2)
        note = str(pane.query_one("#note").content)
        assert "slot 4 (one_cycle_lr) cannot race: it has no valid rate at iteration 1001" in note

    drive.run(scenario)



def test_the_layer_lines_at_step_0_say_nothing_is_computed_yet_not_that_values_are_nan(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "2", "v")
        pane, runner = app.panes[1], app.runners["init"]
        assert pane.view == "lines" and runner.position == 0
        text = "\n".join(pane.query_one("#lines").lines())
        assert "nothing to draw" in text and "no finite" not in text  # (cut to the narrow plot's width)
        await drive.steps(pilot, 2)  # two forward layers: their std drawn; no gradient yet
        text = "\n".join(pane.query_one("#lines").lines())
        assert "●" in text and text.count("nothing to draw") == 1 and "no finite" not in text

    drive.run(scenario)


# the demos' presets (issue 11), each opening a view of its own: checked in every state as the views above
DEMO_PRESETS = [("lr", "lr-too-low-right-too-high", "sweep"), ("paths", "paths-momentum-over-a-ridge", "paths"),
                ("paths", "paths-momentum-on-rastrigin", "momentum")]


def test_the_demo_presets_views_draw_at_step_0_stepped_paused_restarted_and_after_a_new_seed(drive):
    from tui_dl.setup.presets import find_preset

    async def scenario(pilot, app):
        for kind, name, view in DEMO_PRESETS:
            app.apply_preset(kind, find_preset({kind: app.runners[kind].model}, name)[1])
            await drive.settle(pilot)
            pane = app.pane(kind)
            assert pane.view == view and not exception_text(app), (name, exception_text(app))
            await check_states(drive, pilot, app, f"{name}/{view}")
            assert pane.view == view

    drive.run(scenario)
