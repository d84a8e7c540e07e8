"""What a round trip's callback must look like — `{data, task_id}` with an optional `metadata` object, or
`{error: "processing_failed", message}`, sent with `Authorization: Bearer <MODELRIVER_API_KEY>` — and the check of
one callback against that contract."""

from __future__ import annotations

import hmac
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from hookdeck_tui.bounds import TooDeep, loads_bounded

API_KEY_ENV = "MODELRIVER_API_KEY"
OUTCOMES = ("waiting", "completed", "failed", "invalid", "refused", "timeout")
CALLBACK_PREFIX = "/_hooktui/callback/"  # the listener's callback route: CALLBACK_PREFIX + channel id


@dataclass
class CallbackCheck:
    """What the console concluded about one callback."""

    outcome: str  # completed | failed (the app reported processing_failed) | invalid
    auth: str  # ok | missing | wrong | unchecked (no API key configured)
    problems: list[str] = field(default_factory=list)
    added: dict[str, Any] = field(default_factory=dict)  # data fields the app added (e.g. id, saved_at)
    changed: dict[str, Any] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    message: str | None = None  # processing_failed's message
    task_id: Any = None
    metadata: Any = None  # optional: some handlers send `{data, task_id}` only
    optional: dict[str, Any] = field(default_factory=dict)  # what each optional part carried (None: absent)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        auth = {"ok": "Bearer ok", "missing": "no Bearer token", "wrong": "wrong Bearer token",
                "unchecked": f"Bearer not checked (set ${API_KEY_ENV})"}[self.auth]
        parts = [self.outcome, auth]
        if self.outcome == "failed":
            parts.append(f"processing_failed: {self.message}")
        parts.extend(self.problems)
        parts.extend(describe_parts(self.to_json()))
        return "; ".join(parts)


def describe_parts(check: dict[str, Any]) -> list[str]:
    """The values a completed callback carried, for a summary: the data the app added or changed (values, not
    only names), its task_id, and each optional part (or that it was left out)."""
    parts = []
    if check.get("added"):
        parts.append("the app added " + ", ".join(f"data.{k}={_short(v)}" for k, v in check["added"].items()))
    if check.get("changed"):
        parts.append("changed " + ", ".join(f"data.{k}={_short(v)}" for k, v in check["changed"].items()))
    if check.get("removed"):
        parts.append("removed " + ", ".join(f"data.{k}" for k in check["removed"]))
    if check.get("outcome") == "completed":
        parts.append(f"task_id={_short(check.get('task_id'))}")
        for name, value in (check.get("optional") or {}).items():
            parts.append(f"{name}={_short(value)}" if value is not None else f"no {name} (optional)")
    return parts


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def check_callback(sent_data: Any, headers: list[tuple[str, str]], body: bytes, api_key: str | None) -> CallbackCheck:
    """Check the Bearer token (constant time) and the body against the contract the integration guides build:
    `{data, task_id}` with an optional `metadata` object, or `{error: "processing_failed", message}`.
    `sent_data` is the event's `ai_response.data`."""
    auth = _auth(headers, api_key)
    check = CallbackCheck("invalid", auth)
    if auth in ("missing", "wrong"):
        check.problems.append("the Authorization header must be `Bearer <MODELRIVER_API_KEY>`" if auth == "missing"
                              else "the Bearer token is not the configured MODELRIVER_API_KEY")
    try:
        payload = loads_bounded(body)
    except TooDeep as exc:
        check.problems.append(str(exc))
        return check
    except ValueError:
        check.problems.append("the body is not JSON")
        return check
    if not isinstance(payload, dict):
        check.problems.append("the body is not a JSON object")
        return check
    if "error" in payload:
        if payload.get("error") != "processing_failed":
            check.problems.append(f"error is {payload.get('error')!r}; the contract says \"processing_failed\"")
        if not isinstance(payload.get("message"), str):
            check.problems.append("a processing_failed callback needs a `message` (text)")
        check.message = payload.get("message") if isinstance(payload.get("message"), str) else None
        if not check.problems:
            check.outcome = "failed"
        return check
    missing = [key for key in ("data", "task_id") if key not in payload]
    if missing:
        check.problems.append("missing " + ", ".join(missing) + " (the contract: {data, task_id} and an optional "
                              "metadata)")
    data = payload.get("data")
    if "data" in payload and not isinstance(data, dict):
        check.problems.append("`data` must be an object")
    if "metadata" in payload and not isinstance(payload["metadata"], dict):
        check.problems.append("`metadata` must be an object")
    check.task_id, check.metadata = payload.get("task_id"), payload.get("metadata")
    check.optional = {"metadata": payload.get("metadata")}
    if isinstance(data, dict):
        sent = sent_data if isinstance(sent_data, dict) else {}
        check.added = {k: v for k, v in data.items() if k not in sent}
        check.changed = {k: v for k, v in data.items() if k in sent and sent[k] != v}
        check.removed = [k for k in sent if k not in data]
    if not check.problems:
        check.outcome = "completed"
    return check


def _auth(headers: list[tuple[str, str]], api_key: str | None) -> str:
    value = next((v for k, v in headers if k.lower() == "authorization"), None)
    if not api_key:
        return "unchecked"
    if value is None or not value.startswith("Bearer "):
        return "missing"
    given = value[len("Bearer "):].strip().encode()
    return "ok" if hmac.compare_digest(given, api_key.encode()) else "wrong"
