"""Every subcommand over a table of bad arguments, as a user types them: each is one clear line and a documented
exit code (1 a negative result, 2 a usage error), never a traceback. Real `python -m hookdeck_tui` processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hookdeck_tui.store import CapturedEvent, Store

MISSING = "{tmp}/missing.json"
GARBAGE = "{tmp}/garbage.txt"
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there

# (arguments, the exit code, what the message names)
CASES = [
    (["--port", "99999"], 2, "99999 is not a port"),
    (["--port", "-1"], 2, "-1 is not a port"),
    (["listen", "--port", "99999"], 2, "99999 is not a port"),
    (["listen", "--port", "abc"], 2, "`abc` is not a port number"),
    (["run", "--port", "70000"], 2, "70000 is not a port"),
    (["send", "--callback-port", "-5"], 2, "-5 is not a port"),
    (["events", "--limit", "x"], 2, "`x` is not a whole number"),
    (["events", "--limit", "-3"], 2, "-3 is negative"),
    (["runs", "--limit", "-3"], 2, "-3 is negative"),
    (["probe", "http://127.0.0.1:9", "--callback-port", "99999"], 2, "99999 is not a port"),
    (["probe", "http://127.0.0.1:9", "--secret", ""], 2, "--secret: is empty"),
    (["events", "--filter", "status:abc"], 2, "status:abc"),
    (["show", "999999"], 1, "no event #999999"),
    (["show", "abc"], 2, "invalid int value"),
    (["show", "1", "--db", GARBAGE], 1, "is damaged (file is not a database); run `hooktui doctor"),
    (["replay", "999999", "--to", UNREACHABLE], 2, "no event #999999"),
    (["replay", "1", "--to", UNREACHABLE], 1, "cannot connect to http://127.0.0.1:9"),
    (["replay", "1", "--to", "localhost:99999"], 2, "has a bad port"),
    (["replay", "1", "--to", "localhost:0"], 2, "has a bad port"),  # nothing can listen on port 0
    (["replay", "1", "--timeout", "abc"], 2, "`abc` is not a number of seconds"),
    (["export", "--format", "xml"], 2, "invalid choice: 'xml'"),
    (["export", "--out", "{tmp}/no/such/dir/out.har"], 2, "cannot write"),
    (["import", MISSING], 2, "no such file"),
    (["import", GARBAGE], 2, "not valid JSON"),
    (["sign", "--scheme", "github", "--secret", "s", MISSING], 2, "cannot read"),
    (["sign", "--scheme", "nope", "--secret", "s"], 2, "unknown signature scheme `nope`"),
    (["verify", "--secret", "s", MISSING], 2, "cannot read"),
    (["verify", "-H", "nocolon", "--secret", "s"], 2, "a header is 'Name: value'"),
    (["send", "--data", MISSING, "--dry-run", "--secret", "s"], 2, "missing.json"),
    (["send", "--set", "x", "--dry-run", "--secret", "s"], 2, "expected path=value"),
    (["send", "--timeout", "-1"], 2, "is not a duration"),
    (["send", UNREACHABLE, "--secret", "s"], 1, "cannot connect to http://127.0.0.1:9"),
    (["check", "-c", MISSING], 2, "cannot read"),
    (["listen", "-c", MISSING], 2, "cannot read"),
    (["-c", MISSING], 2, "cannot read"),
    (["run", "-c", MISSING], 2, "cannot read"),
    (["run", "nope"], 2, "no workflow `nope`"),
    (["listen", "--scheme", "nope"], 2, "unknown signature scheme `nope`"),
    (["listen", "--forward-to", "http://:abc"], 2, "--forward-to"),
    (["listen", "--forward-to", "checkout.*=ftp://x"], 2, "`ftp://x` is not an http URL"),
    (["listen", "--events", ","], 2, "names no event type"),
    (["listen", "--respond", "teapot"], 2, "`teapot` is not an answer"),
    (["listen", "--delay", "3x"], 2, "`3x` is not a duration"),
    (["listen", "--delay", "3s-1s"], 2, "first end must be the smaller"),
    (["listen", "--fail-rate", "150%"], 2, "a rate is between 0% and 100%"),
    (["listen", "--respond", "app", "--forward-to", UNREACHABLE, "--delay", "1s"], 2, "with --respond app your app"),
    (["listen", "--secret", ""], 2, "is empty"),
    (["prune"], 2, "one of the arguments --before --keep --all is required"),
    (["prune", "--before", "last tuesday"], 2, "is not a date like 2026-11-01"),
    (["prune", "--keep", "-1"], 2, "-1 is negative"),
    (["prune", "--all", "--db", GARBAGE], 1, "file is not a database"),
    (["templates", "--bogus"], 2, "unrecognized arguments: --bogus"),
    (["bogus"], 2, "invalid choice: 'bogus'"),
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("bad-arguments")
    (tmp / "garbage.txt").write_text("this is not a capture store, nor JSON\n")
    with Store(tmp / "events.db") as store:
        store.append_many([CapturedEvent("POST", "/webhooks/modelriver", [("Content-Type", "application/json")],
                                         b'{"n": 1}')])
    return tmp


@pytest.mark.parametrize(("args", "code", "message"), CASES, ids=[" ".join(c[0]) or "''" for c in CASES])
def test_a_bad_argument_is_one_clear_line(workspace: Path, args: list[str], code: int, message: str) -> None:
    argv = [arg.replace("{tmp}", str(workspace)) for arg in args]
    env = {**os.environ, "HOOKTUI_DB": str(workspace / "events.db"), "HOOKTUI_SECRET": ""}
    result = subprocess.run([sys.executable, "-m", "hookdeck_tui", *argv], input="", capture_output=True, text=True,
                            cwd=workspace, env=env, timeout=60)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == code, output
    said = [line for line in result.stderr.splitlines() if line.strip()]
    if code == 2:
        assert len(said) == 1, said  # one line, not argparse's usage block
    assert message in output and len(output.strip().splitlines()) <= 4, output
