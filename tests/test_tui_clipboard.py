"""`y` and `c` never put mangled bytes on the clipboard nor report a copy that did not happen: a binary or huge
body goes to a file, and the curl line reads it from there — run with the real curl, it sends the same bytes."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from hookdeck_tui.delivery.curl import as_curl
from hookdeck_tui.store import CapturedEvent
from hookdeck_tui.tui.clipboard import COPY_LIMIT, body_copy, curl_copy
from hookdeck_tui.tui.widgets.event_list import EventList
from tests.test_tui import make_app, post, until

BINARY = b"\x89PNG\r\n\x1a\n\x00\xff\xfe binary \xc3\x28"


def toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def captured_binary(app, pilot) -> None:
    await post(app.engine.listener_urls[0], "/upload", BINARY, {"Content-Type": "application/octet-stream"})
    events = app.query_one(EventList)
    await until(pilot, lambda: events.window.count == 1 and app.query_one("DetailPane").event is not None)


async def test_y_on_a_binary_body_saves_it_to_a_file_and_copies_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app, store = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await captured_binary(app, pilot)
        await pilot.press("y")
        await until(pilot, lambda: bool(toasts(app)))
        saved = tmp_path / "hooktui-body-1.bin"
        assert saved.read_bytes() == BINARY
        assert app.clipboard == ""  # no U+FFFD text pretending to be the body
        assert toasts(app) == [f"body of #1 is binary ({len(BINARY)} bytes): not copied — saved to {saved}"]
        await pilot.press("q")
    store.close()


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
async def test_c_on_a_binary_body_copies_a_curl_line_that_sends_the_same_bytes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app, store = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await captured_binary(app, pilot)
        await pilot.press("c")
        saved = tmp_path / "hooktui-body-1.bin"
        await until(pilot, lambda: app.clipboard.endswith(f" --data-binary @{saved}"))
        assert "binary body" not in app.clipboard  # the old line dropped the body with a comment
        assert toasts(app) == [f"#1 copied as curl; its body (binary ({len(BINARY)} bytes)) is read from {saved}"]
        shell = await asyncio.create_subprocess_exec("bash", "-c", app.clipboard + " -s -o /dev/null",
                                                     cwd=tmp_path.parent)  # another directory: the path is absolute
        assert await shell.wait() == 0
        events = app.query_one(EventList)
        await until(pilot, lambda: events.window.count == 2)
        again = store.get(2)
        assert again.body == BINARY and again.path == "/upload"
        assert dict(again.headers)["content-type"] == "application/octet-stream"
        await pilot.press("q")
    store.close()


def event_with(body: bytes) -> CapturedEvent:
    return CapturedEvent("POST", "/big", [("content-type", "text/plain")], body, id=7)


def test_a_text_body_over_the_limit_goes_to_a_text_file(tmp_path: Path) -> None:
    body = b"x" * (COPY_LIMIT + 1)
    copy = body_copy(event_with(body), tmp_path)
    assert copy.text is None and copy.severity == "warning"
    assert (tmp_path / "hooktui-body-7.txt").read_bytes() == body
    assert "over the 1,000,000-byte clipboard limit (1,000,001 bytes)" in copy.message
    line = curl_copy(event_with(body), lambda e: as_curl(e, "http://127.0.0.1:9"), tmp_path)
    assert line.text is not None and line.text.endswith(f"--data-binary @{tmp_path / 'hooktui-body-7.txt'}")
    assert len(line.text) < 1000  # the command, not the megabyte


def test_a_body_at_the_limit_is_copied(tmp_path: Path) -> None:
    body = b"y" * COPY_LIMIT
    copy = body_copy(event_with(body), tmp_path)
    assert copy.text == body.decode() and not list(tmp_path.iterdir())


def test_nothing_copied_nor_written_is_said_as_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "gone"
    copy = body_copy(event_with(b"\xff\x00"), missing)
    assert copy.text is None and copy.severity == "error"
    assert copy.message.startswith("body of #7 is binary (2 bytes): not copied, and cannot write ")
    line = curl_copy(event_with(b"\xff\x00"), lambda e: as_curl(e, "http://h"), missing)
    assert line.text is None and line.severity == "error"


def test_an_empty_body_is_not_a_copy(tmp_path: Path) -> None:
    copy = body_copy(event_with(b""), tmp_path)
    assert copy.text is None and copy.message == "#7 has no body: nothing copied"
    line = curl_copy(event_with(b""), lambda e: as_curl(e, "http://h"), tmp_path).text
    assert line == "curl -X POST http://h/big -H 'content-type: text/plain'"
