"""The parameter panel: every ParamSpec of a pane as a list to select, nudge or type into.

up/down (k/j) select a row; left/right (h/l) or -/+ nudge the value with `ParamSpec.nudge` (a
1-2-5 log step for rates, lambdas and epsilons, a whole step for counts, the next choice for
choices); enter opens an input for an exact value. A value is never applied here: the panel posts
`ParamPanel.Edit` and whoever owns the setting answers with `show_error` or `set_rows`, so a bad
value shows a one-line error in place and the old value stays.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Static

from tui_dl.app.focus import focus_now
from tui_dl.app.model_types import ParamRow
from tui_dl.app.widgets.note import Note
from tui_dl.app.widgets.texts import same_text

LABEL_WIDTH = 16  # the label column at least; longer labels widen it up to MAX_LABEL_WIDTH
MAX_LABEL_WIDTH = 26
MIN_VALUE_WIDTH = 10  # what the value column keeps when long labels widen theirs


class _Rows(Note):
    """The rows' window; it re-centres the selection whenever the error line or the input changes its height.

    A Note: its lines are drawn with shared styles, not through Textual's Content (the panel is redrawn
    with every key, in the screen update that shares the CPU with the worker computing the key's answer).
    """

    def on_resize(self, event: events.Resize) -> None:
        refresh = getattr(self.parent, "_refresh_rows", None)
        if refresh is not None:
            refresh()


class ParamPanel(Vertical, can_focus=True):
    """A pane's parameters, generated from their ParamSpecs."""

    DEFAULT_CSS = """
    ParamPanel {
        width: 30;
        height: 1fr;
        padding: 0 1;
        border-left: tall $panel;
    }
    ParamPanel:focus { border-left: tall $accent; }
    ParamPanel > #rows { height: 1fr; }
    ParamPanel > #help { height: auto; max-height: 3; color: $text-muted; }
    ParamPanel > #error { height: auto; max-height: 5; color: $error; display: none; }
    ParamPanel > #error.-shown { display: block; }
    ParamPanel > Input { display: none; height: 3; }
    ParamPanel > Input.-editing { display: block; }
    """

    BINDINGS: ClassVar = [
        Binding("up,k", "move(-1)", "Param up", show=False, tooltip="select the parameter above"),
        Binding("down,j", "move(1)", "Param down", show=False, tooltip="select the parameter below"),
        Binding("left,h,minus", "nudge(-1)", "Less", key_display="←/-",
                tooltip="one step down: ×1/2 or ×2/5 for rates, -1 for counts, previous choice"),
        Binding("right,l,plus,equals_sign", "nudge(1)", "More", key_display="→/+",
                tooltip="one step up: 1-2-5 for rates, +1 for counts, next choice"),
        Binding("enter", "edit", "Type value",
                tooltip="type an exact value (maximized pane); enter applies, esc cancels"),
    ]

    index: reactive[int] = reactive(0)
    """The selected row."""

    class Edit(Message):
        """The user asks for key = value (not yet checked by the model)."""

        def __init__(self, panel: ParamPanel, key: str, value: Any) -> None:
            super().__init__()
            self.panel = panel
            self.key = key
            self.value = value

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[ParamRow] = []
        self.group_colors: dict[str, str] = {}
        self.locked = False
        """While locked (a pane's own mode uses the arrows), the panel lets its keys through."""
        self.error = ""
        self.editing = False
        self._help: Text | None = None  # the help line shown
        self._asked: dict[str, list[ParamPanel.Edit]] = {}
        """Per key, the nudges posted that the app has not handled yet, oldest first."""

    def compose(self) -> ComposeResult:
        yield _Rows(id="rows")
        yield Static(id="help")
        yield Static(id="error")
        yield ValueInput(id="value", select_on_focus=True)

    # ------------------------------------------------------------------ data
    @property
    def selected(self) -> ParamRow | None:
        """The selected row, if any."""
        return self.rows[self.index] if self.rows else None

    def set_rows(self, rows: list[ParamRow], colors: dict[str, str] | None = None) -> None:
        """Show rows, keeping the selection on the same key when it still exists."""
        key = self.selected.key if self.selected else None
        self.rows = list(rows)
        if colors is not None:
            self.group_colors = colors
        keys = [row.key for row in self.rows]
        self.index = keys.index(key) if key in keys else min(self.index, max(len(self.rows) - 1, 0))
        self.clear_error()
        self._refresh_rows()

    def show_error(self, message: str) -> None:
        """A one-line error in place; the old value stays."""
        self.error = message
        error = self.query_one("#error", Static)
        error.update(Text(message))
        error.add_class("-shown")

    def clear_error(self) -> None:
        """Hide the error line."""
        self.error = ""
        if self.is_mounted:
            self.query_one("#error", Static).remove_class("-shown")

    # ------------------------------------------------------------------ drawing
    def watch_index(self) -> None:
        self._refresh_rows()

    def on_resize(self, event: events.Resize) -> None:
        self._refresh_rows()

    def _refresh_rows(self) -> None:
        if not self.is_mounted:
            return
        lines = self._lines()
        rows = self.query_one("#rows", _Rows)
        height = max(rows.size.height, 1)
        selected_line = next((i for i, (row_index, _) in enumerate(lines) if row_index == self.index), 0)
        top = max(0, min(selected_line - height // 2, len(lines) - height))
        text = Text()
        for i, (_, line) in enumerate(lines[top: top + height]):
            if i:
                text.append("\n")
            text.append_text(line)
        rows.update(text, layout=False)  # its height is the panel's rest (1fr), whatever the text
        row = self.selected
        help_text = Text(f"{row.spec.help} ({row.spec.allowed()})" if row else "no parameters")
        if not same_text(help_text, self._help):  # a new text may take another number of lines: a layout
            self._help = help_text
            self.query_one("#help", Static).update(help_text)

    def _lines(self) -> list[tuple[int, Text]]:
        """(row index or -1 for a header, the line) for every header and row."""
        lines: list[tuple[int, Text]] = []
        group = None
        width = max(self.size.width - 2, 20)
        longest = max((len(row.label) for row in self.rows), default=0)
        labels = max(LABEL_WIDTH, min(longest, MAX_LABEL_WIDTH, width - 2 - MIN_VALUE_WIDTH))
        for i, row in enumerate(self.rows):
            if row.group != group:
                group = row.group
                lines.append((-1, Text(group, style=f"bold {self.group_colors.get(group, '')}".strip())))
            line = Text(row_text(row.label, row.spec.format(row.value), width, labels))
            if i == self.index:
                line.stylize("reverse" if self.has_focus else "underline")
            lines.append((i, line))
        return lines

    def on_focus(self) -> None:
        self.call_after_refresh(self._refresh_rows)  # has_focus settles after the event

    def on_blur(self) -> None:
        self.call_after_refresh(self._refresh_rows)

    # ------------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.locked or not self.rows:
            return False
        if action == "edit":
            # in the dashboard, enter belongs to the app (maximize); typing a value needs the room; while
            # typing, enter is the input's (apply)
            return bool(getattr(self.app, "single", True)) and not self.editing
        return True

    def action_move(self, direction: int) -> None:
        """Select the next or previous row (wrapping)."""
        self.index = (self.index + direction) % len(self.rows)
        self.clear_error()

    def action_nudge(self, direction: int) -> None:
        """One step up or down of the selected value (from the last one asked for: see value_of)."""
        row = self.selected
        if row is None:
            return
        current = self.value_of(row)
        value = row.spec.nudge(current, direction)
        if row.spec.kind in ("floats", "ints"):
            self.show_error(f"{row.label} is a list: press enter to type it")
        elif row.spec.kind == "text":
            self.show_error(f"{row.label} is text: press enter to type it")
        elif current is None and value is None:
            self.show_error(f"{row.label} is none: press enter to type a value")
        elif value == current:
            self.show_error(f"{row.label} is at its limit: {row.spec.allowed()}")
        else:
            self.ask(row.key, value)

    def value_of(self, row: ParamRow) -> Any:
        """The row's value as last asked for: keys typed in a burst all reach the panel before the app has
        handled the first one's Edit, so six `right` from 100 went 100 -> 200 six times; each nudge goes on
        from the one before it."""
        asked = self._asked.get(row.key)
        return asked[-1].value if asked else row.value

    def ask(self, key: str, value: Any) -> None:
        """Post Edit(key = value) for the app, counted as asked until the app calls handled()."""
        message = self.Edit(self, key, value)
        self._asked.setdefault(key, []).append(message)
        self.post_message(message)

    def handled(self, message: ParamPanel.Edit) -> None:
        """The app has applied or refused message."""
        asked = self._asked.get(message.key, [])
        if message in asked:
            asked.remove(message)
        if not asked:
            self._asked.pop(message.key, None)

    def action_edit(self) -> None:
        """Open the input for an exact value."""
        row = self.selected
        if row is None:
            return
        field = self.query_one(ValueInput)
        field.open(row.spec.format(row.value), row.spec.allowed())
        field.add_class("-editing")
        self.editing = True
        focus_now(field)

    def apply_typed(self, text: str) -> None:
        """Close the input and ask for the selected row = text (enter in the input)."""
        row = self.selected
        self._close_input()
        if row is not None:
            self.post_message(self.Edit(self, row.key, text))

    def on_key(self, event: events.Key) -> None:
        if self.editing and event.key == "escape":
            event.stop()
            self._close_input()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if self.editing and isinstance(event.widget, Input):
            self._close_input(refocus=False)

    def _close_input(self, refocus: bool = True) -> None:
        self.editing = False
        self.query_one(Input).remove_class("-editing")
        if refocus:
            focus_now(self)


class ValueInput(Input):
    """The panel's input for an exact value, closed by enter and escape at once.

    Textual hands a key to the widget focused when the app reads it, and runs bindings when the key has
    bubbled back up to the app, with the focus of that moment: keys typed right after enter reached the
    input after it was done (letters were typed into the hidden input, `down` ran before the value was
    applied and it went to the row below). Once closed, the input lets every key go on to the bindings,
    and enter applies the value before the next key's binding runs. The input runs its own bindings itself,
    in the order the keys came. (Keys typed right after the enter that opens it reach the app without passing
    through it: TuiDlApp._on_key hands them to it.)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.closed = True
        """Enter or escape has closed it (open() opens it)."""
        self._passing: set[events.Key] = set()

    def open(self, value: str, placeholder: str) -> None:
        """Show value, selected (typing replaces it), and take keys."""
        self.value, self.placeholder = value, placeholder
        self.closed = False
        self._passing.clear()

    def passed_through(self, event: events.Key) -> bool:
        """Whether a key reaching the app came through this input (once: the app asks once per key)."""
        if event in self._passing:
            self._passing.discard(event)
            return True
        return False

    async def _on_key(self, event: events.Key) -> None:
        if self.closed:
            event.prevent_default()  # not typed into the input: it bubbles on to the bindings
            return
        if event.key == "escape":
            self._passing.add(event)
            self.closed = True  # and on to the panel, which closes it
            return
        if not event.is_printable:
            if await self._run_own_binding(event.key):
                event.stop()
                event.prevent_default()
                return
            self._passing.add(event)  # on its way up to the app's bindings (tab, ctrl+q, ...)
        await super()._on_key(event)

    async def _run_own_binding(self, key: str) -> bool:
        """Run the input's own binding of key (ctrl+u, end, enter, ...) now, in the order the keys were
        typed, as App._check_bindings would once the key had bubbled up to the app: the characters typed
        after it reached the input first (`enter ctrl+u 200,200 enter` gave "bad value ''")."""
        for binding in self._bindings.key_to_bindings.get(key, ()):
            if not binding.priority and await self.app.run_action(binding.action, self):
                return True
        return False

    async def action_submit(self) -> None:
        self.closed = True
        if isinstance(self.parent, ParamPanel):
            self.parent.apply_typed(self.value)


def row_text(label: str, value: str, width: int, labels: int = LABEL_WIDTH) -> str:
    """` label   value` in width columns: values in one column (after `labels` columns of labels) when
    they fit, else the label shortened."""
    if len(label) <= labels and 2 + labels + len(value) <= width:
        return f" {label.ljust(labels)} {value}".ljust(width)
    room = width - 2 - len(value)
    if room >= len(label):
        return f" {label} {value.rjust(width - 2 - len(label))}"
    if room >= 4:
        return f" {label[: room - 1]}… {value}".ljust(width)
    return f" {label[:6]}… {value}"[: width - 1] + "…"
