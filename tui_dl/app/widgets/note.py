"""The note under a pane's plots: a Static whose Rich Text is drawn with shared styles.

A pane's note (its legend with the numbers of the step, a hint) changes with every drawing. Textual
draws a Static's text through its `Content` machinery, which gives each Segment a Rich Style of its
own (carrying the Segment's text offset, for selecting with the mouse): four notes cost about as
much as a plot, and each new Style is serialized again. The note draws its Text the way Textual
lays it out (the same wrapping, the lines of a paragraph but its last stripped of trailing spaces,
the widget's colours under the spans, the filters of the terminal), with styles shared from one
drawing to the next. Textual's own path still serves what needs the offsets: `render_line`
(where a mouse press starts a selection), a selection being shown, and any style this path does not
know (padding, borders, alignment, opacity: a note has none of them).
"""

from __future__ import annotations

from rich.segment import Segment
from rich.text import Text
from textual.color import Color
from textual.geometry import Region
from textual.strip import Strip
from textual.style import Style
from textual.visual import VisualType
from textual.widgets import Static

from tui_dl.app.widgets.plot import unstyled
from tui_dl.app.widgets.texts import same_text


class Note(Static):
    """A Static drawn from a Rich Text without per-Segment styles (see the module docstring)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text: Text | None = None  # the Rich Text shown, None for anything else (Textual draws it)
        self._strips: tuple[tuple, list[Strip]] | None = None  # (what they were drawn for, the lines)
        self._wrapped: tuple[Text, str, int, list[Text]] | None = None  # the last `wrap`: text, its plain, width, lines

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        text = content if isinstance(content, Text) else Text(content) if content == "" else None
        if not layout and text is not None and same_text(text, self._text):
            return  # drawn already (a hint, or a legend whose numbers did not move): its strips stay
        self._text = text
        self._strips = None
        super().update(content, layout=layout)

    def render_lines(self, crop: Region) -> list[Strip]:
        if self._text is None or self.text_selection is not None or not self._plain_layout():
            return super().render_lines(crop)
        width = self.size.width
        base_background, background = self.background_colors
        filters = tuple(self.get_line_filters())
        key = (width, self.visual_style, base_background, background, filters)
        if self._strips is None or self._strips[0] != key:
            self._strips = (key, self._draw(width, base_background + background, background, filters))
        strips = self._strips[1][crop.y:crop.bottom]
        if len(strips) < crop.height:  # rows under the text (a layout to come): blank, as Static fills them
            blank = Strip.blank(width, self.visual_style.rich_style)
            for line_filter in filters:
                blank = blank.apply_filter(line_filter, background)
            strips = [*strips, *[blank] * (crop.height - len(strips))]
        if crop.column_span != (0, width):
            strips = [strip.crop(*crop.column_span) for strip in strips]
        return strips

    def wrap(self, text: Text, width: int) -> list[Text]:
        """text's lines at width as Textual wraps them (kept: the pane counts them, then the note draws them)."""
        if self._wrapped is not None and self._wrapped[:3] == (text, text.plain, width):
            return self._wrapped[3]
        console = self.app.console
        wrapped = []
        for paragraph in text.split("\n", allow_blank=True):
            lines = paragraph.wrap(console, width, justify="default", overflow="fold")  # "left" would pad
            for index, line in enumerate(lines):
                if index < len(lines) - 1:  # as Textual wraps: a paragraph's inner lines end without spaces
                    line.rstrip()
                wrapped.append(line)
        self._wrapped = (text, text.plain, width, wrapped)
        return wrapped

    def _draw(self, width: int, inner: Color, background: Color, filters: tuple) -> list[Strip]:
        """The Text's lines at width: the base style under each span's, padded with the background."""
        base = self.visual_style.rich_style
        pad = Style(background=inner).rich_style
        console = self.app.console
        strips = []
        for line in self.wrap(self._text, width):
            segments = Segment.apply_style(line.render(console, end=""), base)
            strip = Strip(segments).adjust_cell_length(width, pad)
            for line_filter in filters:
                strip = strip.apply_filter(line_filter, background)
            strips.append(strip)
        return strips

    def _plain_layout(self) -> bool:
        """Left-aligned wrapped text with no box around it: the layout `_draw` reproduces."""
        styles = self.styles
        return (unstyled(self) and styles.text_align in ("left", "start") and styles.text_overflow == "fold"
                and styles.text_wrap == "wrap" and not styles.line_pad
                and tuple(styles.content_align) == ("left", "top"))
