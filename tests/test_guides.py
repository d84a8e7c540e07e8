"""The four ModelRiver integration guides, end to end: a receiver written the way each guide writes its handler
(tests/guide_receivers.py: its verification, its callback body, whether it calls back before or after answering,
its retries) goes through `hooktui send --wait` and `hooktui probe`, run as a user runs them. Also: the callback
route answering 5xx, late or never to exercise retries; the consumed-body bug caught by probe and named by send;
a cloud-hosted app calling back through a tunnel; and the example receiver's retries and idempotency."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests import guide_receivers as guides
from tests.test_round_trip import receiver_example

SECRET = "whsec_mr_guides"
API_KEY = "mr_live_guides"
ENV = {"MODELRIVER_WEBHOOK_SECRET": SECRET, "MODELRIVER_API_KEY": API_KEY, "HOOKTUI_SECRET": ""}


async def hooktui(*args: str, env: dict | None = None, timeout: float = 90) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "hookdeck_tui", *args,
                                                   env={**os.environ, **ENV, **(env or {})},
                                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode, out.decode(), err.decode()


def lines_with(text: str, word: str) -> list[str]:
    return [line for line in text.splitlines() if word in line]


@pytest.mark.parametrize("guide", list(guides.GUIDES))
async def test_each_guide_handler_completes_its_round_trip_with_send_wait(guide: str, tmp_path: Path) -> None:
    db = guides.Database()
    server, url = await guides.serve(guides.GUIDES[guide](SECRET, API_KEY, db))
    try:
        code, out, err = await hooktui("send", "--to", url, "--wait", "--timeout", "20", "--db",
                                       str(tmp_path / "h.db"))
        await guides.drain(db)
    finally:
        await server.stop()
    assert code == 0, (out, err)
    assert "✓ callback after" in out and "completed; Bearer ok" in out
    assert len(db.rows) == 1 and db.callbacks[0]["status"] == 200
    body = db.callbacks[0]["body"]
    if guide in ("neon-edge", "planetscale-nextjs"):
        assert set(body) == {"data", "task_id"}  # no metadata: hooktui accepts it and says it was left out
        assert "no metadata (optional)" in out
    else:
        assert "metadata={" in out
    assert f"data.id={json.dumps(body['data']['id'])}" in out  # the values the app added, not only their names
    assert f"task_id={json.dumps(body['task_id'])}" in out


@pytest.mark.parametrize("guide", list(guides.GUIDES))
async def test_probe_scores_each_guide_handler(guide: str, tmp_path: Path) -> None:
    """The guides verify correctly; none of them is idempotent on channel_id, and probe says so."""
    db = guides.Database()
    server, url = await guides.serve(guides.GUIDES[guide](SECRET, API_KEY, db))
    try:
        code, out, err = await hooktui("probe", url, "--settle", "1", "--db", str(tmp_path / "h.db"))
        await guides.drain(db)
    finally:
        await server.stop()
    assert code == 1, (out, err)
    marks = {line[6:27].strip(): line[:4] for line in out.splitlines() if line[:4] in ("PASS", "FAIL", "SKIP")}
    assert marks == {"signed event": "PASS", "duplicate delivery": "FAIL", "no signature": "PASS",
                     "wrong secret": "PASS", "tampered body": "PASS", "empty-body signature": "PASS",
                     "re-encoded signature": "PASS", "stale timestamp": "SKIP"}, out
    assert "the app processed the redelivery again: a second record" in out
    assert "fix: make the handler idempotent on channel_id" in out
    assert len(db.rows) >= 2  # the redelivery really made a second row
    assert out.splitlines()[-1] == "6 passed, 1 failed, 1 skipped"


async def test_probe_passes_the_example_receiver(tmp_path: Path) -> None:
    server, url = await guides.serve(receiver_example.create_app(secret=SECRET, api_key=API_KEY,
                                                                 db_path=tmp_path / "app.db"))
    try:
        code, out, err = await hooktui("probe", url, "--settle", "1", "--db", str(tmp_path / "h.db"))
        json_code, json_out, _ = await hooktui("probe", url, "--settle", "0.5", "--json", "--db",
                                               str(tmp_path / "h.db"))
    finally:
        await server.stop()
    assert code == 0, (out, err)
    assert "PASS  duplicate delivery" in out and "1 callback for the channel" in out
    assert out.splitlines()[-1] == "7 passed, 0 failed, 1 skipped"
    report = json.loads(json_out)
    assert json_code == 0 and report["passed"] is True and len(report["checks"]) == 8
    assert next(c for c in report["checks"] if c["name"] == "stale timestamp")["passed"] is None


@pytest.mark.parametrize(("style", "failing"), [
    ("python", {"signed event", "re-encoded signature"}),
    ("javascript", {"signed event", "re-encoded signature"}),
])
async def test_probe_catches_the_consumed_body_bug(style: str, failing: set[str], tmp_path: Path) -> None:
    db = guides.Database()
    server, url = await guides.serve(guides.reencoding(SECRET, API_KEY, db, style=style))
    try:
        code, out, err = await hooktui("probe", url, "--settle", "0.5", "--db", str(tmp_path / "h.db"))
    finally:
        await server.stop()
    assert code == 1, (out, err)
    assert {line[6:27].strip() for line in lines_with(out, "FAIL  ")} == failing
    assert "it accepted it: the app verifies a re-encoding of the parsed body" in out
    assert "fix: verify the raw bytes" in out


async def test_probe_catches_a_verifier_that_signs_an_empty_body(tmp_path: Path) -> None:
    db = guides.Database()
    server, url = await guides.serve(guides.phoenix(SECRET, API_KEY, db, parsers_first=True))
    try:
        code, out, _ = await hooktui("probe", url, "--settle", "0.5", "--db", str(tmp_path / "h.db"))
        sent_code, sent_out, _ = await hooktui("send", url, "--wait", "--timeout", "5", "--db",
                                               str(tmp_path / "h.db"))
    finally:
        await server.stop()
    assert code == 1
    assert {line[6:27].strip() for line in lines_with(out, "FAIL  ")} == {"signed event", "empty-body signature"}
    assert "the app verifies an EMPTY body — a body parser consumed the request" in out
    assert sent_code == 1 and "a correctly signed event was refused" in sent_out and "hooktui probe" in sent_out


async def test_send_names_the_consumed_body_bug(tmp_path: Path) -> None:
    db = guides.Database()
    server, url = await guides.serve(guides.reencoding(SECRET, API_KEY, db, style="python"))
    try:
        code, out, _err = await hooktui("send", url, "--wait", "--timeout", "5", "--db", str(tmp_path / "h.db"))
        wrong_code, wrong_out, _ = await hooktui("send", url, "--bad-signature", "--db", str(tmp_path / "h.db"))
    finally:
        await server.stop()
    assert code == 1
    assert "← 401" in out
    assert "✗ a correctly signed event was refused. What usually causes it: the app verifies something other than " \
           "the raw body bytes" in out and "`hooktui probe URL` tells which" in out
    assert "✗ refused: the app answered 401" in out
    assert wrong_code == 0 and "correctly signed event was refused" not in wrong_out  # a refusal it should make


async def test_stale_refused_as_a_usage_error_where_the_signature_covers_no_time(tmp_path: Path) -> None:
    server, url = await guides.serve(receiver_example.create_app(secret=SECRET, api_key=API_KEY,
                                                                 db_path=tmp_path / "app.db"))
    try:
        code, out, err = await hooktui("send", url, "--stale", "--db", str(tmp_path / "h.db"))
        timed, timed_out, _timed_err = await hooktui("send", "-t", "stripe.event", url + "/webhooks/stripe",
                                                    "--stale", "--secret", "whsec_x", "--db", str(tmp_path / "h.db"))
    finally:
        await server.stop()
    assert code == 2 and out == ""
    assert "--stale cannot apply to modelriver: its signature covers no timestamp" in err
    assert timed == 1 and "✗ the app answered 404" in timed_out  # a scheme that signs the time is still sent
    unsigned = await hooktui("send", "-t", "generic", "http://127.0.0.1:9", "--tamper-body")
    assert unsigned[0] == 2 and "--tamper-body needs a signing scheme" in unsigned[2]


async def test_example_receiver_retries_a_callback_answered_5xx(tmp_path: Path) -> None:
    server, url = await guides.serve(receiver_example.create_app(secret=SECRET, api_key=API_KEY,
                                                                 db_path=tmp_path / "app.db", retry_delay=0.05))
    try:
        code, out, err = await hooktui("send", url, "--wait", "--timeout", "20", "--callback-answer", "500x2",
                                       "--db", str(tmp_path / "h.db"))
    finally:
        await server.stop()
    assert code == 0, (out, err)
    attempts = lines_with(out, "  callback ")
    assert [a.split("  (event")[0].split(": ", 1)[1] for a in attempts] == [
        "{data, task_id, metadata} → answered 500 (as told)", "{data, task_id, metadata} → answered 500 (as told)",
        "{data, task_id, metadata} → answered 200"], out
    assert "✓ callback after" in out


async def test_convex_sends_processing_failed_when_its_callback_is_refused(tmp_path: Path) -> None:
    db = guides.Database()
    server, url = await guides.serve(guides.convex(SECRET, API_KEY, db))
    try:
        code, out, err = await hooktui("send", url, "--wait", "--timeout", "20", "--callback-answer", "503",
                                       "--db", str(tmp_path / "h.db"))
    finally:
        await server.stop()
    assert code == 1, (out, err)
    assert "✗ callback after" in out and "failed; Bearer ok; processing_failed: callback failed: 503" in out
    attempts = lines_with(out, "  callback ")
    assert "{data, task_id, metadata} → answered 503 (as told)" in attempts[0]
    assert "processing_failed: callback failed: 503 → answered 200" in attempts[1]
    assert [c["status"] for c in db.callbacks] == [503, 200]


async def test_a_late_answer_makes_oban_retry_and_the_second_callbacks_show(tmp_path: Path) -> None:
    db = guides.Database()
    server, url = await guides.serve(guides.phoenix(SECRET, API_KEY, db, receive_timeout=0.3, backoff=0.1))
    try:
        code, out, err = await hooktui("send", url, "--wait", "--timeout", "20", "--callback-delay", "1.5s",
                                       "--linger", "3", "--db", str(tmp_path / "h.db"))
        await guides.drain(db)
    finally:
        await server.stop()
    assert code == 0, (out, err)
    attempts = lines_with(out, "  callback ")
    assert "→ answered 200 after 1.5 s" in attempts[0]
    assert len(attempts) == 3 and all("a second callback: the round trip had already ended" in a
                                      for a in attempts[1:]), out
    assert next(c.get("error") for c in db.callbacks) == "ReadTimeout"  # the app gave up waiting, as Req does
    assert len(db.rows) == 3  # each Oban attempt saved the row again: what the retries cost this handler


async def test_a_callback_never_answered_is_retried_by_the_example_receiver(tmp_path: Path) -> None:
    server, url = await guides.serve(receiver_example.create_app(secret=SECRET, api_key=API_KEY,
                                                                 db_path=tmp_path / "app.db", callback_timeout=0.3,
                                                                 retry_delay=0.05))
    try:
        code, out, err = await hooktui("send", url, "--wait", "--timeout", "20", "--callback-answer", "none",
                                       "--db", str(tmp_path / "h.db"))
    finally:
        await server.stop()
    assert code == 0, (out, err)
    attempts = lines_with(out, "  callback ")
    assert "→ not answered (as told)" in attempts[0] and "→ answered 200" in attempts[1]


@pytest.mark.parametrize(("args", "message"), [
    (["--callback-answer", "500x2"], "--callback-answer is for the callback listener of --wait"),
    (["--wait", "--callback-answer", "5000"], "a status is 100-599"),
    (["--wait", "--callback-answer", "fail"], "expected STATUS[xN] or none[xN]"),
    (["--wait", "--callback-delay", "soon"], "expected seconds, e.g. 12s"),
    (["--wait", "--tunnel", "cloudflare", "--callback-url", "https://x.example"], "either --tunnel"),
    (["--tunnel", "ngrok"], "--tunnel is for the callback listener of --wait"),
    (["--wait", "--tunnel", "ssh"], "--tunnel ssh needs an `ssh-tunnel` gateway in the config"),
])
async def test_callback_options_usage_errors(args: list[str], message: str, tmp_path: Path) -> None:
    code, _out, err = await hooktui("send", "http://127.0.0.1:9", *args, "--db", str(tmp_path / "h.db"))
    assert code == 2 and message in err and "Traceback" not in err


async def test_a_cloud_app_calls_back_through_the_send_tunnel(fake_binaries: Path, tmp_path: Path) -> None:
    """A Convex HTTP action is not on this machine: its callback must reach a public URL. The test's `internet`
    sends the tunnel's public host to the fake cloudflared's relay, as DNS and the internet would."""
    db = guides.Database()
    server, url = await guides.serve(guides.convex(SECRET, API_KEY, db))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hookdeck_tui", "send", url, "--wait", "--tunnel", "cloudflare", "--timeout", "20",
        "--db", str(tmp_path / "h.db"), env={**os.environ, **ENV}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        public = line.split("online: ")[1].split(" → ")[0]
        db.internet[urlsplit(public).hostname] = f"http://127.0.0.1:{int(fake_binaries.read_text())}"
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        await server.stop()
    assert line.startswith("  callback tunnel (cloudflare) online: https://") and ".trycloudflare.com" in public
    assert process.returncode == 0, (out.decode(), err.decode())
    assert "✓ callback after" in out.decode()
    assert db.callbacks[0]["status"] == 200


async def test_a_loopback_callback_url_sent_to_a_remote_app_warns(tmp_path: Path) -> None:
    code, _out, err = await hooktui("send", "https://happy-otter-123.convex.site", "--dry-run")
    assert code == 0
    assert "warning: the callback_url is on 127.0.0.1:8090, which happy-otter-123.convex.site cannot reach: use " \
           "--tunnel cloudflare|ngrok|ssh" in err
    local = await hooktui("send", "http://127.0.0.1:4000", "--dry-run")
    assert local[0] == 0 and "warning" not in local[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_example_receiver_survives_a_callback_url_that_is_gone(tmp_path: Path) -> None:
    """Run as a user runs it: no traceback when the callback cannot be delivered, three attempts logged."""
    port = free_port()
    app = await asyncio.create_subprocess_exec(
        sys.executable, str(Path(receiver_example.__file__)), "--port", str(port), "--db", str(tmp_path / "a.db"),
        env={**os.environ, **ENV}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.1).close()
                break
            except OSError:
                await asyncio.sleep(0.1)
        gone = f"http://127.0.0.1:{free_port()}/_hooktui/callback/c1"
        code, out, err = await hooktui("send", f"http://127.0.0.1:{port}", "--set", f"callback_url={gone}",
                                       "--db", str(tmp_path / "h.db"))
        logged = []
        while not any("given up" in line for line in logged):  # 3 attempts, 1 s then 2 s apart
            line = await asyncio.wait_for(app.stderr.readline(), 30)
            if not line:
                break  # the app ended: what it logged is all there is
            logged.append(line.decode())
    finally:
        app.terminate()
        _, rest = await asyncio.wait_for(app.communicate(), 20)
    log = "".join(logged) + rest.decode()
    assert code == 0, (out, err)
    assert "Traceback" not in log
    assert len(lines_with(log, "callback attempt")) == 3 and "given up after 3 attempts" in log


async def test_example_receiver_is_idempotent_on_channel_id(tmp_path: Path) -> None:
    from hookdeck_tui.delivery.outbound import new_client, send_and_record
    from hookdeck_tui.forge.build import ForgeSpec, forge
    from hookdeck_tui.forge.templates import get_template
    from hookdeck_tui.store import Store
    from tests.test_round_trip import round_trip  # noqa: F401 - the console fixture's helpers

    calls = guides.Database()
    callback_server, callback_url = await guides.serve(_recorder(calls))
    server, url = await guides.serve(receiver_example.create_app(secret=SECRET, api_key=API_KEY,
                                                                 db_path=tmp_path / "app.db"))
    forged = forge(ForgeSpec(get_template("modelriver.task_ai_generated"), url, secret=SECRET,
                             sets=[f"callback_url={callback_url}/cb"]))
    try:
        with Store(tmp_path / "h.db") as store:
            async with new_client() as client:
                answers = [(await send_and_record(store, client, forged.request, origin="forged"))[1]
                           for _ in range(2)]
        await asyncio.sleep(0.5)
    finally:
        await server.stop()
        await callback_server.stop()
    import sqlite3

    assert [a.status for a in answers] == [200, 200]
    assert json.loads(answers[1].body) == {"received": True, "duplicate": True}
    assert sqlite3.connect(tmp_path / "app.db").execute("SELECT count(*) FROM ai_content").fetchone() == (1,)
    assert len(calls.callbacks) == 1


def _recorder(db: guides.Database):
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    async def app(scope, receive, send):
        body = await Request(scope, receive).body()
        db.callbacks.append({"body": json.loads(body), "status": 200})
        await JSONResponse({"ok": True})(scope, receive, send)

    return app


async def test_probe_stops_when_the_app_does_not_answer(tmp_path: Path) -> None:
    code, out, err = await hooktui("probe", f"http://127.0.0.1:{free_port()}", "--db", str(tmp_path / "h.db"))
    assert code == 1 and "Traceback" not in err
    assert [line[:4] for line in out.splitlines() if line[:4] in ("PASS", "FAIL", "SKIP")] == ["FAIL"]
    assert "is the app running?" in out and out.splitlines()[-1] == "0 passed, 1 failed, 0 skipped"


async def test_probe_usage_errors(tmp_path: Path) -> None:
    unsigned = await hooktui("probe", "-t", "generic", "http://127.0.0.1:9", "--db", str(tmp_path / "h.db"))
    no_secret = await hooktui("probe", "http://127.0.0.1:9", "--db", str(tmp_path / "h.db"),
                              env={"MODELRIVER_WEBHOOK_SECRET": ""})
    bad_timeout = await hooktui("probe", "http://127.0.0.1:9", "--request-timeout", "0")
    assert unsigned[0] == 2 and "probe checks a signature; the event is unsigned" in unsigned[2]
    assert no_secret[0] == 2 and "needs a secret" in no_secret[2]
    assert bad_timeout[0] == 2 and "--request-timeout must be a positive number" in bad_timeout[2]


@pytest.mark.parametrize("guide", ["convex", "neon", "planetscale"])
async def test_a_guide_handler_whose_database_is_down_calls_back_processing_failed(guide: str,
                                                                                   tmp_path: Path) -> None:
    db = guides.Database(broken=True)
    server, url = await guides.serve(guides.GUIDES[guide](SECRET, API_KEY, db))
    try:
        code, out, err = await hooktui("send", url, "--wait", "--timeout", "20", "--db", str(tmp_path / "h.db"))
    finally:
        await server.stop()
    assert code == 1, (out, err)
    assert "✗ callback after" in out and "failed; Bearer ok; processing_failed: connection refused: the database " \
                                          "is down" in out
    assert db.rows == [] and [c["body"]["error"] for c in db.callbacks] == ["processing_failed"]


async def test_oban_retries_a_failing_job_and_never_calls_back(tmp_path: Path) -> None:
    db = guides.Database(broken=True)
    server, url = await guides.serve(guides.phoenix(SECRET, API_KEY, db, backoff=0.05))
    try:
        code, out, err = await hooktui("send", url, "--wait", "--timeout", "2", "--db", str(tmp_path / "h.db"))
        await guides.drain(db)
    finally:
        await server.stop()
    assert code == 1 and "✗ timeout: no callback within 2 s" in out, (out, err)
    assert db.callbacks == []  # the Phoenix guide has no processing_failed path
