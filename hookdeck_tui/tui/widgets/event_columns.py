"""The event list's columns: what each row shows, under a header, in widths that fit the terminal.

Each column has a least and a preferred width. The least useful are left out of a narrow list (forward below 120
cells, route below 100: at 80 columns the path and the event type get their room), and the room left is handed
out in order of usefulness, the rest to the path. A cell longer than its column ends in `…`; columns are one space
apart, so no two ever touch."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size

from hookdeck_tui.console.types import CapturedEvent
from hookdeck_tui.formatting import VERDICT_BADGES, local_time, terminal_safe
from hookdeck_tui.tui.theme_styles import VERDICT_ROLES, status_role

# Colours are roles (theme_styles.Role), resolved against the app's theme when a row is drawn.
GAP = 1  # blank cells between two columns


@dataclass(frozen=True)
class Column:
    name: str
    title: str
    least: int
    preferred: int
    right: bool = False  # aligned right (numbers)
    shown_from: int = 0  # the list's width below which the column is left out (the least useful go first)
    short: str = ""  # the title when the column is narrower than `title`


# in the order shown
COLUMNS = (
    Column("id", "#", 3, 7, right=True),
    Column("time", "time", 8, 12, shown_from=50),
    Column("method", "method", 6, 6),
    Column("status", "st.", 3, 3, right=True),
    Column("signature", "signature", 3, 11, shown_from=40, short="sig"),
    Column("type", "type", 8, 24, shown_from=45),
    Column("path", "path", 10, 30),
    Column("route", "route", 12, 32, shown_from=100),
    Column("forward", "forward", 10, 16, shown_from=120),
)
_GROWN_FIRST = ("id", "method", "status", "path", "type", "signature", "time", "route", "forward")


@dataclass(frozen=True)
class Placed:
    column: Column
    width: int


def layout(width: int, id_width: int = 7) -> list[Placed]:
    """The columns shown in `width` cells and the width of each. `id_width`: the newest id's digits."""
    shown = [Column("id", "#", id_width, id_width, right=True) if c.name == "id" else c for c in COLUMNS
             if width >= c.shown_from]
    while sum(c.least for c in shown) + GAP * (len(shown) - 1) > width and len(shown) > 1:
        shown.remove(max(shown, key=lambda c: c.shown_from))  # narrower than even the least widths
    widths = {c.name: c.least for c in shown}
    room = width - sum(widths.values()) - GAP * (len(shown) - 1)
    by_name = {c.name: c for c in shown}
    for name in _GROWN_FIRST:
        if name in by_name and room > 0:
            more = min(room, by_name[name].preferred - widths[name])
            widths[name] += more
            room -= more
    if room > 0 and "path" in widths:
        widths["path"] += room  # a wide terminal shows long paths whole
    return [Placed(c, max(widths[c.name], 0)) for c in shown]


def fit(text: str, width: int, *, right: bool = False) -> str:
    """`text` in exactly `width` cells: padded, or cut with `…` at the end."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    padding = " " * (width - cell_len(text))
    return padding + text if right else text + padding


def origin_label(event: CapturedEvent) -> str:
    """'' for a request from outside; else what made it: a replay, a forged event, a round trip's callback."""
    if event.origin == "external":
        return ""
    if event.origin == "forged":
        return "forged " + str(((event.meta or {}).get("forged") or {}).get("template", ""))
    return event.origin + (f" of #{event.origin_ref}" if event.origin_ref else "")


def route_text(event: CapturedEvent) -> str:
    """The route it matched and the runs it started — or, for what hooktui made, what made it."""
    route = event.route or "(no route)"
    runs = event.run_ids
    if runs:
        route += f" → {runs[0]}" + (f" +{len(runs) - 1}" if len(runs) > 1 else "")
    origin = origin_label(event)
    if origin:
        return f"{origin} {event.listener}" if event.sent else f"{route} ({origin})"
    return route


def cells(event: CapturedEvent, *, with_ms: bool = True) -> dict[str, tuple[str, str]]:
    """Each column's (text, style) for one event."""
    verdict = event.signature.status if event.signature else None
    forward = ""
    if event.forward:
        outcome = event.forward.status or "✗"
        latency = event.forward.latency_ms
        forward = f"⇢ {outcome}" + (f" {latency:.0f}ms" if isinstance(latency, int | float) else "")
    kind = getattr(event, "event_type", None)
    return {
        "id": (str(event.id), "muted"),
        "time": (local_time(event.received_at, with_date=False)[:None if with_ms else 8], "muted"),
        "method": (terminal_safe(event.method), "strong"),
        "status": (str(event.response_status) if event.response_status is not None else "---",
                   status_role(event.response_status)),
        "signature": (VERDICT_BADGES.get(verdict or "", ""), VERDICT_ROLES.get(verdict or "", "")),
        "type": (terminal_safe(kind) if kind else "", "info"),
        "path": (terminal_safe(event.target), ""),
        "route": (terminal_safe(route_text(event)), "muted"),
        "forward": (forward, "accent"),
    }


def row_cells(event: CapturedEvent, placed: list[Placed]) -> list[tuple[str, str]]:
    """One row as (text, style) pieces, each column fitted to its width and the gaps between them."""
    values = cells(event, with_ms=any(p.column.name == "time" and p.width >= 12 for p in placed))
    pieces: list[tuple[str, str]] = []
    for index, spot in enumerate(placed):
        if index:
            pieces.append((" " * GAP, ""))
        text, style = values[spot.column.name]
        if spot.column.name == "signature" and cell_len(text) > spot.width:
            text = text[:1]  # the badge's glyph (✓ ✗ ∅ ⌛ · !) says it in one cell
        pieces.append((fit(text, spot.width, right=spot.column.right), style))
    return pieces


def header_cells(placed: list[Placed]) -> list[tuple[str, str]]:
    pieces: list[tuple[str, str]] = []
    for index, spot in enumerate(placed):
        if index:
            pieces.append((" " * GAP, ""))
        column = spot.column
        title = column.title if cell_len(column.title) <= spot.width else column.short or column.title
        pieces.append((fit(title, spot.width, right=spot.column.right), "bold"))
    return pieces
