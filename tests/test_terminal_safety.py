"""A captured body never drives the terminal that shows it (retitle, clear screen, OSC 52 clipboard write), and
`show` masks credentials like `export`: bodies captured by a real `hooktui listen`, shown by real `hooktui show`
and `hooktui events` processes, and by the console under Pilot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from hookdeck_tui.store import Store
from tests.test_listen_cli import ListenProcess
from tests.test_tui import SIZE, make_app, post, text_of, until
from tests.waiting import wait_until_sync

RETITLE = "\x1b]0;pwned title\x07"
CLEAR = "\x1b[2J"
CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4=\x07"  # OSC 52: put "rm -rf ~" on the clipboard
CSI_8BIT = "\x9b2J"  # the C1 form of ESC [ (a JSON encoder leaves it raw)
TEXT_BODY = f"hello {RETITLE}{CLEAR}{CLIPBOARD} bye".encode()
JSON_BODY = json.dumps({"note": f"x{CSI_8BIT}{RETITLE}y"}, ensure_ascii=False).encode()
TOKEN = "Bearer sk_live_abcdefghijklmnop"


def hooktui(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hookdeck_tui", *args], capture_output=True, timeout=60,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def _raw_controls(output: bytes) -> list[int]:
    text = output.decode("utf-8")
    return [ord(ch) for ch in text if (ord(ch) < 0x20 and ch not in "\n\t") or 0x7f <= ord(ch) < 0xa0]


def test_show_and_events_print_control_sequences_escaped_and_mask_credentials(tmp_path: Path) -> None:
    listen = ListenProcess(tmp_path)
    with httpx.Client() as client:
        client.post(f"{listen.url}/text", content=TEXT_BODY,
                    headers={"Content-Type": "text/plain", "Authorization": TOKEN})
        client.post(f"{listen.url}/json", content=JSON_BODY, headers={"Content-Type": "application/json"})
    code, _, err = listen.stop()
    assert code == 0, err
    db = str(listen.db)

    shown = hooktui("show", "1", "--db", db)
    assert shown.returncode == 0 and _raw_controls(shown.stdout) == []
    out = shown.stdout.decode()
    assert "hello \\x1b]0;pwned title\\x07\\x1b[2J\\x1b]52;c;cm0gLXJmIH4=\\x07 bye" in out
    assert "authorization: Bearer ••••mnop" in out and "sk_live" not in out
    revealed = hooktui("show", "1", "--with-credentials", "--db", db).stdout.decode()
    assert f"authorization: {TOKEN}" in revealed

    for args in (["show", "2"], ["show", "2", "--json"], ["show", "1", "--json"], ["show", "1", "--har"],
                 ["show", "1", "--curl"], ["events", "--json"], ["events"]):
        result = hooktui(*args, "--db", db)
        assert result.returncode == 0 and _raw_controls(result.stdout) == [], args
        assert args[0] == "events" or "sk_live" not in result.stdout.decode(), args
    as_json = json.loads(hooktui("show", "2", "--json", "--db", db).stdout)
    assert as_json["body"] == JSON_BODY.decode()  # escaped for the terminal, the same JSON for a program
    curl = hooktui("show", "1", "--curl", "--with-credentials", "--db", db).stdout.decode().strip()
    sent = subprocess.run(["bash", "-c", f"printf '%s' {curl.split(' --data-binary ', 1)[1]}"], capture_output=True)
    assert sent.stdout == TEXT_BODY  # the command line still sends the exact body


async def test_the_console_shows_control_sequences_escaped(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        url = app.engine.listener_urls[0]
        await post(url, "/text", TEXT_BODY, {"Content-Type": "text/plain"})
        await post(url, "/json", JSON_BODY, {"Content-Type": "application/json"})
        await until(pilot, lambda: app.window.count == 2)
        await until(pilot, lambda: "#2" in text_of(app, "detail-overview"))
        body = text_of(app, "detail-body")
        assert "\\u009b2J" in body and not [ch for ch in body if (ord(ch) < 0x20 and ch not in "\n\t") or
                                            0x7f <= ord(ch) < 0xa0]
        await pilot.press("up")
        await until(pilot, lambda: "#1" in text_of(app, "detail-overview"))
        body = text_of(app, "detail-body")
        assert "hello \\x1b]0;pwned title\\x07\\x1b[2J\\x1b]52;c;cm0gLXJmIH4=\\x07 bye" in body
        assert "\x1b" not in body and "\x07" not in body
    store.close()


LOGGING_TRIGGER = """
listener:
  type: http-trigger
  port: 0
  triggers: [{path: /jobs, method: POST, workflow: note, input: {text: "${body.text}"}}]
components:
  say: {type: logger, message: "got ${input.text}"}
workflows:
  note: {jobs: [{id: log, component: say, input: "${input}"}]}
"""


def test_listen_never_prints_what_a_request_carries_raw(tmp_path: Path) -> None:
    """What `listen` prints quotes requests in places beyond the event line: the error of an unmatched request (its
    percent-decoded path) and the log line of a workflow's logger (its body). Neither may drive the terminal."""
    config = tmp_path / "hooktui.yaml"
    config.write_text(LOGGING_TRIGGER)
    listen = ListenProcess(tmp_path, "-c", str(config))
    with httpx.Client() as client:
        client.post(f"{listen.url}/x%1b]0;PWNED%07%c2%9b31m%e2%80%ae", content=b"{}")
        client.post(f"{listen.url}/jobs", json={"text": f"{RETITLE}{CLIPBOARD}{CSI_8BIT}\u202eevil"})
        runs = Store(listen.db).runs
        wait_until_sync(lambda: [r for r in runs() if r.status == "succeeded"], timeout=20)
    code, out, err = listen.stop()
    assert code == 0, err
    for printed in (out, err):
        assert [hex(ord(ch)) for ch in printed if not (ch.isprintable() or ch in "\n\t")] == []
    assert "no route for POST /x\\x1b]0;PWNED\\x07\\x9b31m\\u202e" in out
    assert "got \\x1b]0;pwned title\\x07\\x1b]52;c;cm0gLXJmIH4=\\x07\\x9b2J\\u202eevil" in err
    listed = hooktui("runs", "--json", "--db", str(listen.db))
    assert listed.returncode == 0 and _raw_controls(listed.stdout) == [] and "\u202e" not in listed.stdout.decode()
    assert json.loads(listed.stdout)["input"]["text"].endswith("\u202eevil")  # the same JSON for a program

