"""Event filters, shared by `hooktui events`, `export` and the TUI's `/` filter.

Text form: space-separated terms; `method:POST`, `status:404` or `status:4xx`, `verdict:invalid`,
`path:/webhooks` (substring; `*` globs), `origin:replay`, `route:callback`, `sent:yes` (what hooktui sent: forged
events, replays to a URL, probes) or `sent:no` (what it received); any other word must appear in the path or the
body.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from hookdeck_tui.store.records import ORIGINS

VERDICTS = ("valid", "invalid", "missing", "expired", "unchecked", "malformed")
_KEYS = ("method", "status", "verdict", "path", "origin", "route", "sent")
_YES_NO = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}


class FilterError(ValueError):
    """A filter term that cannot mean anything, e.g. `status:abc`."""


@dataclass
class EventFilter:
    method: str | None = None
    status: str | None = None  # "404" or "4xx"
    verdict: str | None = None
    path: str | None = None
    origin: str | None = None
    route: str | None = None
    sent: str | None = None  # yes | no
    text: list[str] = field(default_factory=list)
    after: int = 0  # only events with a greater id: the console's cleared view (not part of the text form)

    @classmethod
    def parse(cls, query: str) -> EventFilter:
        result = cls()
        try:
            terms = shlex.split(query)
        except ValueError as exc:
            raise FilterError(f"filter: {exc}") from exc
        for term in terms:
            key, sep, value = term.partition(":")
            if sep and key.lower() in _KEYS and value:
                setattr(result, key.lower(), value)
            else:
                result.text.append(term)
        result.validate()
        return result

    def query(self) -> str:
        """The filter in its own query language, as `parse` reads it (the cleared view's `after` is not part of it)."""
        terms = [f"{key}:{value}" for key in _KEYS if (value := getattr(self, key))]
        return " ".join(shlex.quote(term) for term in terms + list(self.text))

    def validate(self) -> None:
        if self.status is not None and not re.fullmatch(r"[1-5](\d\d|xx)", self.status.lower()):
            raise FilterError(f"status:{self.status} — use a code like 404 or a class like 4xx")
        if self.verdict is not None and self.verdict.lower() not in VERDICTS:
            raise FilterError(f"verdict:{self.verdict} — one of {', '.join(VERDICTS)}")
        if self.origin is not None and self.origin.lower() not in ORIGINS:
            raise FilterError(f"origin:{self.origin} — one of {', '.join(ORIGINS)}")
        if self.sent is not None and self.sent.lower() not in _YES_NO:
            raise FilterError(f"sent:{self.sent} — yes (what hooktui sent) or no (what it received)")

    @property
    def is_empty(self) -> bool:
        return not any((self.method, self.status, self.verdict, self.path, self.origin, self.route, self.sent,
                        self.text, self.after))

    def sql(self) -> tuple[str, list[object]]:
        """A WHERE fragment (without WHERE; "1" when empty) and its parameters."""
        clauses: list[str] = []
        params: list[object] = []
        if self.after:
            clauses.append("id > ?")
            params.append(self.after)
        if self.method:
            clauses.append("method = ?")
            params.append(self.method.upper())
        if self.status:
            status = self.status.lower()
            if status.endswith("xx"):
                base = int(status[0]) * 100
                clauses.append("response_status BETWEEN ? AND ?")
                params += [base, base + 99]
            else:
                clauses.append("response_status = ?")
                params.append(int(status))
        if self.verdict:
            clauses.append("sig_status = ?")
            params.append(self.verdict.lower())
        if self.path:
            if "*" in self.path:
                clauses.append("path GLOB ?")
                params.append(self.path)
            else:
                clauses.append("instr(path, ?) > 0")
                params.append(self.path)
        if self.origin:
            clauses.append("origin = ?")
            params.append(self.origin.lower())
        if self.route:
            clauses.append("instr(coalesce(route, ''), ?) > 0")
            params.append(self.route)
        if self.sent:
            clauses.append("sent = ?")
            params.append(int(_YES_NO[self.sent.lower()]))
        for word in self.text:
            clauses.append("(instr(path, ?) > 0 OR instr(body, ?) > 0)")
            params += [word, word.encode("utf-8")]
        return (" AND ".join(clauses) or "1"), params
