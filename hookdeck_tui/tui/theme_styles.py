"""The colours of the Rich text the panes build, taken from the app's current Textual theme (so the command palette's
theme switch recolours them, and a light theme stays legible): each role — a label, a verdict that is fine, one that
is bad, a warning — maps to the theme's text colour for it ($text-success, $text-error, $text-muted, …)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from textual.color import Color
from textual.theme import Theme

Role = Literal["label", "muted", "ok", "bad", "warn", "info", "key", "accent", "strong", "plain"]


@dataclass(frozen=True)
class Palette:
    """Rich style strings for each role, for one theme."""

    dark: bool
    muted: str
    ok: str
    bad: str
    warn: str
    info: str
    key: str
    accent: str

    def style(self, role: Role | str) -> str:
        """The style of a role; an unknown role is plain text."""
        styles = {"label": self.muted, "muted": self.muted, "ok": self.ok, "bad": f"bold {self.bad}",
                  "warn": self.warn, "info": self.info, "key": f"bold {self.key}", "accent": self.accent,
                  "strong": "bold", "plain": ""}
        return styles.get(role, "")


class Themed(Protocol):
    """What a palette is read from: a Textual App."""

    @property
    def current_theme(self) -> Theme: ...

    def get_css_variables(self) -> dict[str, str]: ...


VERDICT_ROLES: dict[str, Role] = {"valid": "ok", "invalid": "bad", "malformed": "bad", "missing": "warn",
                                  "expired": "warn", "unchecked": "muted"}
"""The role of each signature verdict's colour, in the list and the detail alike."""


def status_role(status: int | None) -> Role:
    """The role of an HTTP answer's colour (None: no answer)."""
    if status is None:
        return "muted"
    return "ok" if status < 300 else "info" if status < 400 else "warn" if status < 500 else "bad"


_cache: dict[tuple[str, int], Palette] = {}


def palette_of(app: Themed) -> Palette:
    """The palette of the app's theme now (computed once per theme: the CSS variables take a moment to derive)."""
    theme = app.current_theme
    key = (theme.name, id(theme))
    if key not in _cache:
        variables = app.get_css_variables()
        background = Color.parse(variables.get("background", "black"))
        foreground = Color.parse(variables.get("foreground", "white"))
        muted = background.blend(foreground, 0.6)  # what $text-muted ("auto 60%") gives over the background

        def text(name: str, fallback: str) -> str:
            return Color.parse(variables.get(f"text-{name}", variables.get(name, fallback))).hex

        _cache[key] = Palette(dark=theme.dark, muted=muted.hex, ok=text("success", "green"), bad=text("error", "red"),
                              warn=text("warning", "yellow"), info=text("secondary", "cyan"),
                              key=text("primary", "blue"), accent=text("accent", "magenta"))
    return _cache[key]


DARK = Palette(dark=True, muted="grey58", ok="green", bad="red", warn="yellow", info="cyan", key="cyan",
               accent="magenta")
"""For text built away from an app (a test, a script): the colours the console had before it followed themes."""
