"""The Body tab: a form body as a key/value table above the raw text, JSON pretty-printed — folded when long (nested
objects past a depth collapsed to `{…} 12 keys`, long arrays cut) until a key expands it all — text as itself, and
anything else as hex."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from rich.console import RenderableType
from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text

from hookdeck_tui.console.types import CapturedEvent, loads_bounded
from hookdeck_tui.formatting import body_text, json_safe
from hookdeck_tui.tui.rendering import Block, inert, kv_rows
from hookdeck_tui.tui.theme_styles import Palette

BODY_DISPLAY_LIMIT = 256 * 1024
FOLD_LINES = 200  # pretty JSON longer than this is shown folded
ARRAY_HEAD = 20  # items of a long array shown when folded
FORM_TYPE = "application/x-www-form-urlencoded"
EXPAND_KEY = "z"
EXPAND_ACTION = "toggle_folding"  # the app's action for the key, also what a click on the folded note runs


def form_fields(body: bytes, content_type: str | None) -> list[tuple[str, str]] | None:
    """The fields of a URL-encoded form body (Slack commands, Twilio, …), or None when it is not one."""
    if not content_type or content_type.split(";")[0].strip().lower() != FORM_TYPE or b"=" not in body:
        return None
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        return None


@dataclass(frozen=True)
class BodyReading:
    """What the Body tab makes of a body, worked out once per event (JSON pretty-printed, a form parsed): the fold
    key and each redraw of the tab read it instead of decoding the body again."""

    shown: bytes  # the part shown (at most BODY_DISPLAY_LIMIT)
    fields: list[tuple[str, str]] | None  # a form's fields
    kind: str  # body_text's: json, text or binary
    content: str

    @property
    def folds(self) -> bool:
        """A JSON body over FOLD_LINES lines pretty-printed: shown folded until expanded."""
        return self.fields is None and self.kind == "json" and self.content.count("\n") >= FOLD_LINES


def read_body(e: CapturedEvent) -> BodyReading:
    shown = e.body[:BODY_DISPLAY_LIMIT]
    fields = form_fields(shown, e.header("content-type")) if shown else None
    kind, content = body_text(shown) if shown and fields is None else ("text", "")
    return BodyReading(shown, fields, kind, content)


def body_view(e: CapturedEvent, palette: Palette, *, expanded: bool = False,
              reading: BodyReading | None = None) -> RenderableType:
    """What the Body tab shows for `e` (`expanded`: long JSON unfolded; `reading`: read_body(e), if already made)."""
    if not e.body:
        return Text("(empty body)", palette.style("muted"))
    reading = reading or read_body(e)
    shown, kind, content = reading.shown, reading.kind, reading.content
    note = (f"\n\n… showing the first {BODY_DISPLAY_LIMIT // 1024} KiB of {e.body_size} bytes "
            f"(hooktui show {e.id} --json has it all)") if e.body_size > BODY_DISPLAY_LIMIT else ""
    if reading.fields is not None:
        return _form(reading.fields, shown, palette, Text(note.strip(), palette.style("muted")))
    if kind == "json":
        if not expanded and reading.folds:
            return fold_json(loads_bounded(shown.decode("utf-8")), palette) + Text(note, palette.style("muted"))
        return Syntax(json_safe(content) + note, "json", word_wrap=True,
                      theme="ansi_dark" if palette.dark else "ansi_light")
    header = "binary body, as hex:\n" if kind == "binary" else ""
    return Text(header, palette.style("muted")) + inert(content) + Text(note, palette.style("muted"))


def _form(fields: list[tuple[str, str]], body: bytes, palette: Palette, note: Text) -> Block:
    """The fields (names aligned, each value wrapping in its column), then the body as received."""
    heading = Text(f"form, {len(fields)} field{'s' if len(fields) != 1 else ''}", "bold")
    table = kv_rows(((name, value) for name, value in fields), palette, width=0)
    raw = inert(body.decode("utf-8", "replace"))
    return Block(heading, table, Text(), Text("raw", "bold"), raw, *([note] if note.plain else []))


def fold_json(value: Any, palette: Palette) -> Text:
    """`value` pretty-printed with nested containers collapsed from the deepest level that keeps it within
    FOLD_LINES lines (down to the top level's children), and long arrays cut to their first ARRAY_HEAD items."""
    lines: list[Text] = []
    for depth in (4, 3, 2, 1):
        lines = []
        _render(value, 0, depth, palette, lines, "", "")
        if len(lines) <= FOLD_LINES:
            break
    head = Text("long JSON, folded: ", palette.style("muted"))
    link = Style.from_meta({"@click": f"app.{EXPAND_ACTION}"})  # the app's action, as the key runs it
    head.append(f"click here or press {EXPAND_KEY} to expand it all",
                Style.parse(palette.style("info")) + Style(underline=True) + link)
    return head + Text("\n") + Text("\n").join(lines)


def _scalar(value: Any, palette: Palette) -> Text:
    dumped = json_safe(json.dumps(value, ensure_ascii=False))
    role = "ok" if isinstance(value, str) else "muted" if value is None else "accent"
    return Text(dumped, palette.style(role))


def _render(value: Any, level: int, fold_at: int, palette: Palette, lines: list[Text], prefix: str,
            suffix: str) -> None:
    """Append the lines of `value` at `level` to `lines`; `prefix` is its key (`"name": `), `suffix` a comma."""
    indent = "  " * level

    def line(*parts: Text | str) -> Text:
        out = Text(indent)
        out.append_text(Text(prefix, palette.style("key")) if prefix else Text())
        for part in parts:
            out.append_text(part if isinstance(part, Text) else Text(part))
        return out

    if not isinstance(value, dict | list) or not value:
        lines.append(line(_scalar(value, palette), suffix))
        return
    noun, opening, closing = ("key", "{", "}") if isinstance(value, dict) else ("item", "[", "]")
    if level >= fold_at:
        folded = f"{opening}…{closing} {len(value)} {noun}{'s' if len(value) != 1 else ''}"
        lines.append(line(Text(folded, palette.style("muted")), suffix))
        return
    if isinstance(value, dict):
        items = [(json_safe(json.dumps(key, ensure_ascii=False)) + ": ", item) for key, item in value.items()]
    else:
        items = [("", item) for item in value[:ARRAY_HEAD]]
    lines.append(line(opening))
    for index, (key, item) in enumerate(items):
        _render(item, level + 1, fold_at, palette, lines, key, "," if index < len(value) - 1 else "")
    if len(value) > len(items):
        lines.append(Text(indent + f"  … {len(value) - len(items)} more items", palette.style("muted")))
    lines.append(Text(indent + closing + suffix))
