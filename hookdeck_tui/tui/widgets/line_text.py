"""Text drawn line by line (Textual's Line API). Its size never depends on what it shows, so showing
the next event repaints the tab alone: a Static in a scrolling container made each redraw a layout pass over the
whole screen, and while the list follows a busy tail that pass was what delayed new rows most."""

from __future__ import annotations

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip


class LineText(ScrollView, can_focus=True):
    """Shows one Rich renderable, wrapped to its width and rendered once per update (or resize, or theme). A link
    in it (`@click` in a style's meta, like the folded JSON's note) runs an action of this widget or the screen's;
    text can be selected with the mouse and copied, as in a Static."""

    DEFAULT_CSS = """
    LineText { height: 1fr; overflow-x: hidden; scrollbar-gutter: stable; }
    """

    def __init__(self, content: RenderableType = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._content: RenderableType = content
        self._lines: list[Strip] = []
        self._drawn_as: tuple[int, Style] | None = None  # (width, base style) the lines were rendered for

    @property
    def content(self) -> RenderableType:
        """What it shows, as given to `update`."""
        return self._content

    def update(self, content: RenderableType) -> None:
        self._content = content
        self._drawn_as = None
        if self.scrollable_content_region.width:
            self._render_lines()
        self.refresh()

    def on_resize(self) -> None:
        self._drawn_as = None
        self._render_lines()

    def _render_lines(self) -> None:
        """The content as lines at the width there is (rendered again only when the width or the style changed);
        the scroll range follows without a layout pass: the widget's own size does not depend on it."""
        width = self.scrollable_content_region.width
        style = self.rich_style
        if self._drawn_as == (width, style):
            return
        self._drawn_as = (width, style)
        content = Text(self._content) if isinstance(self._content, str) else self._content
        self._lines = []
        if width > 0:
            options = self.app.console_options.update(highlight=False, width=width, height=None)
            rendered = self.app.console.render_lines(content, options, style=style, pad=True)
            self._lines = [Strip(line, width).apply_offsets(0, y) for y, line in enumerate(rendered)]
        size = Size(width, len(self._lines))
        if size != self.virtual_size:
            self.set_reactive(ScrollView.virtual_size, size)
            self._scroll_update(size)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._render_lines()  # once a frame, not once a line: the width and the style are read from the DOM
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        lines = self._lines
        index = int(self.scroll_offset.y) + y
        if not 0 <= index < len(lines) or self._drawn_as is None:
            return Strip.blank(self.scrollable_content_region.width, self.rich_style)
        line = lines[index]
        selection = self.text_selection
        span = selection.get_span(index) if selection is not None else None
        if span is not None:
            start, end = span
            end = len(line.text.rstrip()) if end == -1 else end
            if end > start:
                highlight = self.screen.get_component_rich_style("screen--selection")
                line = Strip.join([line.crop(0, start), line.crop(start, end).apply_style(highlight),
                                   line.crop(end, line.cell_length)]).apply_offsets(0, index)
        return line

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        return selection.extract("\n".join(line.text.rstrip() for line in self._lines)), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()
