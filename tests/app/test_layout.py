"""Layout by terminal size, the too-small message, and redrawing only what changed."""

from __future__ import annotations

from tui_dl.app.widgets.histograms import HistogramGrid
from tui_dl.app.widgets.plot import Plot


def test_dashboard_shows_four_panes_and_the_current_panel(drive):
    async def scenario(pilot, app):
        assert app.layout_mode == "grid" and all(p.display for p in app.panes)
        assert [p.panel.display for p in app.panes] == [True, False, False, False]
        panes = [p.region for p in app.panes]
        assert panes[0].x == panes[2].x and panes[0].y == panes[1].y  # 2 x 2
        assert panes[0].width > panes[1].width  # the current column is wider

    drive.run(scenario)


def test_small_terminal_shows_one_pane_with_tabs(drive):
    async def scenario(pilot, app):
        assert app.layout_mode == "single" and app.single
        assert app.query_one("#tabs").display
        assert [p.display for p in app.panes] == [True, False, False, False]
        await drive.press(pilot, "tab")
        assert [p.display for p in app.panes] == [False, True, False, False]
        await drive.press(pilot, "z")  # nothing to maximize: the pane already fills the screen
        assert not app.maximized
        await drive.press(pilot, "enter")  # so enter types a value
        assert app.current_pane.panel.editing

    drive.run(scenario, size=(80, 24))


def test_too_small_names_both_sizes_and_q_still_quits(drive):
    async def scenario(pilot, app):
        message = str(app.query_one("#too-small").content)
        assert "at least 60 x 20" in message and "This one is 50 x 15" in message
        assert app.query_one("#too-small").display
        assert not any(p.region.area for p in app.panes)
        await pilot.press("q")
        await pilot.pause()

    app = drive.run(scenario, size=(50, 15))
    assert not app.is_running


def test_resizing_moves_between_layouts(drive):
    async def scenario(pilot, app):
        await pilot.resize_terminal(70, 18)
        await drive.settle(pilot)
        assert app.layout_mode == "too-small"
        await pilot.resize_terminal(100, 30)
        await drive.settle(pilot)
        assert app.layout_mode == "single" and not app.screen.has_class("-too-small")
        await pilot.resize_terminal(130, 40)
        await drive.settle(pilot)
        assert app.layout_mode == "grid" and all(p.display for p in app.panes)

    drive.run(scenario)


def test_only_panes_with_new_data_are_redrawn(drive):
    async def scenario(pilot, app):
        await drive.steps(pilot, 10)  # the initialization pass has 10 steps: it is done
        assert app.runners["init"].finished
        histograms = app.query_one(HistogramGrid)
        schedule_plot = app.panes[0].query_one(Plot)
        draws, schedule_draws = histograms.draws, schedule_plot.draws
        await drive.press(pilot, "n", "n")
        assert histograms.draws == draws  # no new frame, no new drawing
        assert schedule_plot.draws > schedule_draws

    drive.run(scenario)


def test_the_help_hint_stays_on_the_status_line_in_a_small_terminal(drive):
    async def scenario(pilot, app):
        await drive.settle(pilot)
        line = str(app.query_one("#status").content)
        assert line.endswith("│ ? help") and len(line) <= 80 and "…" in line

    drive.run(scenario, size=(80, 24))


def test_help_starts_with_the_focused_panes_keys_and_says_it_scrolls(drive):
    async def scenario(pilot, app):
        await drive.press(pilot, "3", "question_mark")
        help_screen = app.screen
        assert [title for title, _ in help_screen.sections[:2]] == ["3 Overfitting (this pane)", "Everywhere"]
        assert len(help_screen.sections) == 8  # every pane, the panel, the formula panel, anywhere: nothing lost
        assert "scroll" in str(help_screen.query_one("VerticalScroll").border_subtitle)

    drive.run(scenario, size=(120, 40))
