"""The `hooktui` command as a user runs it: a real subprocess, real files, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hookdeck_tui.store import CapturedEvent, SignatureVerdict, Store

FIXTURES = Path(__file__).parent / "fixtures" / "model_compose"


def hooktui(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hookdeck_tui", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=60)


def test_check_valid_example_prints_summary_and_warnings() -> None:
    result = hooktui("check", "-c", str(FIXTURES / "29-s13_5_1.yaml"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].endswith("29-s13_5_1.yaml: 1 listener(s) with 1 route(s), 1 gateway(s), 2 component(s), "
                              "1 workflow(s), 3 warning(s)")
    assert lines[-1].startswith("ok: ")
    assert any(":8:9: listener.host: warning: listens on 0.0.0.0" in line for line in lines)


def test_check_invalid_prints_every_problem_and_exits_2() -> None:
    result = hooktui("check", "-c", str(FIXTURES / "13-s13_3_3.yaml"))
    assert result.returncode == 2
    errors = [line for line in result.stdout.splitlines() if "is not defined" in line]
    assert [line.split(": ", 1)[0].rsplit(":", 2)[-2:] for line in errors] == [["10", "17"], ["19", "17"],
                                                                               ["29", "17"]]
    assert "3 error(s)" in result.stderr


def test_check_without_a_file_uses_hooktui_yaml_then_the_builtin_default(tmp_path: Path) -> None:
    result = hooktui("check", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == "ok: <built-in default>: 1 listener(s) with 1 route(s), 0 gateway(s), " \
                                    "0 component(s), 0 workflow(s)"
    (tmp_path / "hooktui.yaml").write_text("listener: {type: capture, port: nope}\n")
    result = hooktui("check", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout.startswith(f"{tmp_path / 'hooktui.yaml'}:1:33: listener.port: Input should be a valid "
                                    f"integer")


def test_check_missing_file_is_one_clear_line() -> None:
    result = hooktui("check", "-c", "/nonexistent/hooktui.yaml")
    assert result.returncode == 2
    assert result.stderr.strip() == "hooktui check: cannot read /nonexistent/hooktui.yaml: No such file or directory"
    assert "Traceback" not in result.stderr


@pytest.fixture
def populated_db(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    with Store(path) as store:
        store.append_sync(CapturedEvent("POST", "/webhooks/modelriver", [("mr-signature", "ab" * 32)],
                                        b'{"type":"task.ai_generated"}', response_status=200, received_at=1e9,
                                        signature=SignatureVerdict("modelriver", "valid", "signature matches")))
        store.append_sync(CapturedEvent("PUT", "/bin", [("Content-Type", "application/octet-stream")],
                                        b"\x00\xff\x10binary", query="x=1", response_status=413, received_at=1e9 + 1,
                                        error="body over the 10 MiB limit"))
    return path


def test_events_lists_newest_last_and_filters(populated_db: Path) -> None:
    result = hooktui("events", "--db", str(populated_db))
    assert result.returncode == 0
    first, second = result.stdout.splitlines()
    assert first.startswith("#1 ") and "POST   200  /webhooks/modelriver  ✓ valid modelriver" in first
    assert second.startswith("#2 ") and "PUT    413  /bin?x=1" in second
    result = hooktui("events", "--db", str(populated_db), "--filter", "status:4xx")
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["#2"]
    result = hooktui("events", "--db", str(populated_db), "--filter", "status:abc")
    assert result.returncode == 2 and "status:abc — use a code like 404" in result.stderr


def test_events_json_is_ndjson_with_exact_bodies(populated_db: Path) -> None:
    result = hooktui("events", "--db", str(populated_db), "--json")
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["body"] == '{"type":"task.ai_generated"}'
    assert first["signature"]["status"] == "valid" and first["status"] == 200
    assert second["body_base64"] == "AP8QYmluYXJ5" and "body" not in second
    assert second["headers"] == [["Content-Type", "application/octet-stream"]]


def test_show_human_and_json(populated_db: Path) -> None:
    result = hooktui("show", "2", "--db", str(populated_db))
    assert result.returncode == 0
    assert "PUT /bin?x=1" in result.stdout
    assert "[body: 9 bytes, binary]" in result.stdout
    assert "00000000  00 ff 10 62 69 6e 61 72 79" in result.stdout
    assert "error: body over the 10 MiB limit" in result.stdout
    shown = json.loads(hooktui("show", "1", "--json", "--db", str(populated_db)).stdout)
    assert shown["id"] == 1 and shown["deliveries"] == []
    missing = hooktui("show", "99", "--db", str(populated_db))
    assert missing.returncode == 1 and "no event #99" in missing.stderr


def test_db_from_environment_and_missing_db(tmp_path: Path, populated_db: Path) -> None:
    result = hooktui("events", env={"HOOKTUI_DB": str(populated_db)})
    assert len(result.stdout.splitlines()) == 2
    result = hooktui("events", "--db", str(tmp_path / "none.db"))
    assert result.returncode == 0 and "no capture store at" in result.stderr
    assert not (tmp_path / "none.db").exists()  # reading never creates a store


def test_import_of_a_missing_file_touches_no_store(tmp_path: Path) -> None:
    result = hooktui("import", "nowhere.har", "--db", str(tmp_path / "t.db"), cwd=tmp_path)
    assert result.returncode == 2 and "hooktui import: nowhere.har: no such file" in result.stderr
    assert not (tmp_path / "t.db").exists()


def test_console_script_and_version() -> None:
    result = subprocess.run(["hooktui", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("hooktui 0.")


def test_options_before_the_command_apply_to_it_or_are_refused(tmp_path: Path) -> None:
    """`hooktui --db x.db import f` is read as `hooktui import --db x.db f`: before, the command's own defaults
    silently replaced what came first (the import went to the default store, `-c missing.yaml check` said ok)."""
    lines = tmp_path / "one.ndjson"
    lines.write_text(json.dumps({"method": "POST", "path": "/x", "received_at": 1.0, "headers": [], "body": ""}))
    target = tmp_path / "chosen.db"
    default = tmp_path / "default.db"
    imported = hooktui("--db", str(target), "import", str(lines), env={"HOOKTUI_DB": str(default)})
    assert imported.returncode == 0, imported.stderr
    assert target.exists() and not default.exists()
    missing = hooktui("-c", str(tmp_path / "missing.yaml"), "check")
    assert missing.returncode == 2 and "missing.yaml" in missing.stderr
    refused = hooktui("--port", "9000", "check")
    assert refused.returncode == 2 and refused.stderr.strip() == \
        "hooktui: --port does not apply to `hooktui check` (see `hooktui --help`)"
    both = hooktui("--db", str(default), "events", "--db", str(target))  # the one after the command wins
    assert both.returncode == 0 and "#1" in both.stdout


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    """`hooktui events | head -1`: the pipe closes under the writer; the command ends quietly, as a pipe's writer
    should (exit 141, like a process stopped by SIGPIPE), not with a BrokenPipeError traceback."""
    db = tmp_path / "many.db"
    with Store(db) as store:
        store.append_many([CapturedEvent("POST", f"/n/{n}", [], b"{}") for n in range(2000)])
    result = subprocess.run(f"'{sys.executable}' -m hookdeck_tui events --limit 2000 --db '{db}' | head -1",
                            shell=True, capture_output=True, text=True, timeout=60, executable="/bin/bash")
    assert result.stdout.startswith("#1 ") and result.stderr == ""


def test_repeatable_options_before_the_command_keep_every_value() -> None:
    from hookdeck_tui.cli import _apply_leading_options, build_parser

    parser = build_parser()
    args = parser.parse_args(["--forward-to", "http://a.test/x", "--forward-to", "b.*=http://b.test/y", "listen",
                              "--forward-to", "http://c.test/z"])
    _apply_leading_options(parser, args)
    assert args.forward_to == ["http://a.test/x", "b.*=http://b.test/y", "http://c.test/z"]
    args = parser.parse_args(["--forward-to", "http://a.test/x", "--forward-to", "b.*=http://b.test/y", "listen"])
    _apply_leading_options(parser, args)
    assert args.forward_to == ["http://a.test/x", "b.*=http://b.test/y"]
    args = parser.parse_args(["--secret", "one", "--secret", "two", "sign", "--scheme", "github"])
    _apply_leading_options(parser, args)
    assert args.secret == "two"  # sign takes one secret: the last one given
